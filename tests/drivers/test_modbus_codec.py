"""Registers, profile values and the write plans: pure tables, no I/O."""

from __future__ import annotations

from dataclasses import replace

import pytest

from custom_components.smart_charging.drivers.base import ChargerStatus
from custom_components.smart_charging.drivers.modbus import PROFILES
from custom_components.smart_charging.drivers.modbus.control import (
    Command,
    command,
    command_writes,
    failsafe_writes,
    heartbeat_writes,
    limit_mismatch,
    phase_write,
    refine_status,
    refresh_writes,
)
from custom_components.smart_charging.drivers.modbus.model import (
    REWRITE_WITHOUT_WATCHDOG_S,
    ChargerProfile,
    Measurements,
    Pause,
    PauseMethod,
    Setpoint,
    StateMap,
    Watchdog,
)
from custom_components.smart_charging.drivers.modbus.registers import (
    DataType,
    Register,
    RegisterType,
    WordOrder,
)


def reg(data_type: DataType = DataType.U16, **kwargs: object) -> Register:
    return Register(address=100, data_type=data_type, **kwargs)


@pytest.mark.parametrize(
    ("register", "words", "value"),
    [
        (reg(), [0xFFFF], 65535.0),
        (reg(DataType.S16), [0xFFFF], -1.0),
        (reg(DataType.U32), [0x0001, 0x0002], 65538.0),
        (reg(DataType.U32, word_order=WordOrder.LITTLE), [0x0002, 0x0001], 65538.0),
        (reg(DataType.S32), [0xFFFF, 0xFFFE], -2.0),
        (reg(DataType.U64), [0, 0, 1, 0], 65536.0),
        (reg(DataType.F32), [0x4180, 0x0000], 16.0),
        (reg(DataType.F64), [0x4030, 0, 0, 0], 16.0),
        (reg(scale=0.001), [16000], 16.0),
        (reg(DataType.U32, scale=0.0001), [0x00BC, 0x614E], 1234.5678),
        (reg(DataType.STRING, length=3), [0x4232, 0x0000, 0x0000], "B2"),
        (reg(DataType.STRING, length=1), [0x0041], "A"),
        (Register(address=1, kind=RegisterType.COIL), [1], 1.0),
    ],
)
def test_decode(register: Register, words: list[int], value: float | str) -> None:
    assert register.decode(words) == pytest.approx(value)


@pytest.mark.parametrize(
    ("register", "value", "words"),
    [
        (reg(), 16.0, (16,)),
        (reg(scale=0.001), 16.0, (16000,)),
        (reg(scale=0.1), 10.5, (105,)),
        (reg(DataType.S16), -2.0, (0xFFFE,)),
        (reg(DataType.U32), 65538.0, (1, 2)),
        (reg(DataType.U32, word_order=WordOrder.LITTLE), 65538.0, (2, 1)),
        (reg(DataType.F32), 16.0, (0x4180, 0)),
        (reg(DataType.F64), 16.0, (0x4030, 0, 0, 0)),
        (Register(address=1, kind=RegisterType.COIL), 1, (1,)),
        (Register(address=1, kind=RegisterType.COIL), 0, (0,)),
    ],
)
def test_encode(register: Register, value: float, words: tuple[int, ...]) -> None:
    assert register.encode(value) == words
    assert register.decode(list(words)) == pytest.approx(value)


@pytest.mark.parametrize(
    ("register", "value"),
    [
        (reg(), 70000.0),
        (reg(), -1.0),
        (reg(scale=0.0001), 8.0),
        (reg(), float("inf")),
        (reg(DataType.STRING, length=2), 1.0),
    ],
)
def test_encode_rejects(register: Register, value: float) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        register.encode(value)


def test_decode_needs_the_right_word_count() -> None:
    with pytest.raises(ValueError, match="expected 2 words"):
        reg(DataType.U32).decode([1])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"address": 1, "data_type": DataType.STRING},
        {"address": 1, "length": 2},
        {"address": 1, "kind": RegisterType.COIL, "data_type": DataType.U32},
        {"address": 1, "scale": 0},
        {"address": 1, "scale": float("nan")},
        {"address": -1},
        {"address": 65535, "data_type": DataType.U32},
    ],
)
def test_register_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        Register(**kwargs)


def test_register_types() -> None:
    assert RegisterType.COIL.is_bit
    assert RegisterType.COIL.writable
    assert not RegisterType.INPUT.writable
    assert not RegisterType.DISCRETE.writable
    assert Register(address=5, kind=RegisterType.DISCRETE).count == 1


@pytest.mark.parametrize(
    ("setpoint", "request_a", "expected"),
    [
        (Setpoint(register=reg()), 10.99, 10.0),
        (Setpoint(register=reg()), 16.0, 16.0),
        (Setpoint(register=reg(scale=0.1)), 10.57, 10.5),
        (Setpoint(register=reg(scale=0.1)), 15.999999999, 16.0),  # float noise
        (Setpoint(register=reg(DataType.F32)), 7.77, 7.7),
        (Setpoint(register=reg(scale=0.001), step_a=0.1), 6.05, 6.0),
        (Setpoint(register=reg()), 5.9, 0.0),  # below the minimum: pause
        (Setpoint(register=reg(), max_a=16.0), 40.0, 16.0),
        (Setpoint(register=reg()), 0.0, 0.0),
    ],
)
def test_quantize_never_rounds_up(setpoint: Setpoint, request_a: float, expected: float) -> None:
    assert setpoint.quantize(request_a) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"register": Register(address=1, kind=RegisterType.INPUT)},
        {"register": reg(), "min_a": 0},
        {"register": reg(), "min_a": 20, "max_a": 10},
        {"register": reg(), "max_a": 100},
        {"register": reg(), "step_a": 0},
    ],
)
def test_setpoint_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        Setpoint(**kwargs)


def test_pause_validation() -> None:
    with pytest.raises(ValueError, match="enable needs"):
        Pause(method=PauseMethod.ENABLE)
    with pytest.raises(ValueError, match="enable needs"):
        Pause(method=PauseMethod.ENABLE, enable=Register(address=1, kind=RegisterType.INPUT))
    with pytest.raises(ValueError, match="only used"):
        Pause(enable=reg())


def test_watchdog_values() -> None:
    watchdog = Watchdog(
        timeout=reg(),
        timeout_range_s=(6.0, 120.0),
        failsafe_current=reg(),
        failsafe_zero_allowed=False,
        rewrite_timeout=True,
    )
    assert watchdog.falls_back
    assert watchdog.timeout_s(1.0) == 6.0
    assert watchdog.timeout_s(600.0) == 120.0
    assert watchdog.heartbeat_period_s(30.0) == 10.0
    assert watchdog.failsafe_a(0.0) == 6.0  # zero not allowed: the minimum
    assert watchdog.failsafe_a(40.0) == 32.0
    assert Watchdog(failsafe_current=reg()).failsafe_a(3.0) == 0.0
    fixed = Watchdog(fixed_timeout_s=60.0, rewrite_setpoint=True)
    assert fixed.timeout_s(10.0) == 60.0
    assert fixed.heartbeat_period_s(10.0) == 20.0
    none = Watchdog(rewrite_setpoint=True)
    assert not none.falls_back
    assert none.timeout_s(30.0) is None
    assert none.heartbeat_period_s(30.0) == REWRITE_WITHOUT_WATCHDOG_S
    assert Watchdog().heartbeat_period_s(30.0) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout": Register(address=1, kind=RegisterType.INPUT)},
        {"timeout_range_s": (0.0, 10.0)},
        {"timeout_range_s": (20.0, 10.0)},
        {"timeout": reg(), "fixed_timeout_s": 60.0},
        {"rewrite_timeout": True},
    ],
)
def test_watchdog_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        Watchdog(**kwargs)


def test_state_map() -> None:
    state = StateMap.of(reg(), {0: ChargerStatus.AVAILABLE, 2: ChargerStatus.CHARGING})
    assert state.status(2) is ChargerStatus.CHARGING
    assert state.status(1) is None
    with pytest.raises(ValueError, match="at least one"):
        StateMap(register=reg(), values=())
    with pytest.raises(ValueError, match="twice"):
        StateMap(register=reg(), values=((1, ChargerStatus.AVAILABLE),) * 2)
    with pytest.raises(ValueError, match="text keys"):
        StateMap.of(reg(), {"A": ChargerStatus.AVAILABLE})


def test_state_map_plug_needs_a_mask() -> None:
    with pytest.raises(ValueError, match="mask"):
        StateMap(register=reg(), values=((1, ChargerStatus.AVAILABLE),), plug=reg())


def test_profile_validation() -> None:
    base = PROFILES["vestel_evc04"]
    for bad in ("Bad-Id", "", "UPPER"):
        with pytest.raises(ValueError, match="snake case"):
            replace(base, id=bad)
    with pytest.raises(ValueError, match="unit id"):
        replace(base, default_unit=256)


def test_measurement_names() -> None:
    names = [name for name, _ in PROFILES["alfen_eve"].measurements.named()]
    assert names[:3] == ["current_l1", "current_l2", "current_l3"]
    assert "offered_current" in names
    assert Measurements().named() == ()


KEBA_P30 = PROFILES["keba_p30"]
VESTEL = PROFILES["vestel_evc04"]


def values(writes: tuple[object, ...]) -> list[tuple[int, tuple[int, ...]]]:
    return [(w.register.address, w.words()) for w in writes]


def test_command_writes_zero_current_pause() -> None:
    assert values(command_writes(VESTEL, Command(16.0, 3), None)) == [(5004, (16,))]
    assert values(command_writes(VESTEL, Command(0.0, 3), Command(16.0, 3))) == [(5004, (0,))]


def test_command_writes_enable_pause() -> None:
    resume = command_writes(KEBA_P30, Command(16.0, 3), None)
    assert values(resume) == [(5004, (16000,)), (5014, (1,))]  # the current first
    assert values(command_writes(KEBA_P30, Command(10.0, 3), Command(16.0, 3))) == [
        (5004, (10000,))
    ]
    assert values(command_writes(KEBA_P30, Command(0.0, 3), Command(10.0, 3))) == [(5014, (0,))]
    assert values(command_writes(KEBA_P30, Command(8.0, 3), Command(0.0, 3))) == [
        (5004, (8000,)),
        (5014, (1,)),
    ]


def test_refresh_and_heartbeat_writes() -> None:
    assert values(refresh_writes(KEBA_P30, Command(0.0, 3))) == [(5014, (0,))]
    assert values(refresh_writes(KEBA_P30, Command(8.0, 3))) == [(5004, (8000,)), (5014, (1,))]
    assert values(heartbeat_writes(KEBA_P30, None, 60.0)) == [(5018, (60,))]
    assert values(heartbeat_writes(VESTEL, Command(8.0, 3), 60.0)) == [(6000, (1,))]
    alfen = PROFILES["alfen_eve"]
    assert heartbeat_writes(alfen, None, 60.0) == ()  # nothing commanded yet: nothing to renew
    assert [w.register.address for w in heartbeat_writes(alfen, Command(8.0, 3), 60.0)] == [1210]


def test_failsafe_writes() -> None:
    heidelberg = PROFILES["heidelberg"]
    assert values(failsafe_writes(heidelberg, 0.0, 600.0)) == [
        (258, (4,)),  # standby off first
        (262, (0,)),  # 0 A: pause when the controller is gone
        (257, (65000,)),  # clamped to the register's 65 s
    ]
    assert failsafe_writes(PROFILES["alfen_eve"], 6.0, 60.0) == ()
    assert failsafe_writes(PROFILES["go_e"], 6.0, 60.0) == ()


def test_phase_write() -> None:
    assert values((phase_write(KEBA_P30, 1),)) == [(5052, (0,))]
    assert values((phase_write(KEBA_P30, 3),)) == [(5052, (1,))]
    assert phase_write(PROFILES["go_e"], 1) is None


def test_command_quantizes() -> None:
    assert command(VESTEL, 10.9, 2) == Command(10.0, 2)
    assert command(VESTEL, 5.0, 3) == Command(0.0, 3)


@pytest.mark.parametrize(
    ("status", "written", "currents", "expected"),
    [
        (ChargerStatus.PREPARING, Command(0.0, 3), None, ChargerStatus.SUSPENDED_EVSE),
        (ChargerStatus.SUSPENDED_EV, Command(0.0, 3), None, ChargerStatus.SUSPENDED_EVSE),
        (ChargerStatus.CHARGING, Command(0.0, 3), (0.1, 0, 0), ChargerStatus.SUSPENDED_EVSE),
        (ChargerStatus.CHARGING, Command(0.0, 3), (6.0, 0, 0), ChargerStatus.CHARGING),
        (ChargerStatus.PREPARING, Command(6.0, 3), None, ChargerStatus.PREPARING),
        (ChargerStatus.PREPARING, None, None, ChargerStatus.PREPARING),
        (ChargerStatus.AVAILABLE, Command(0.0, 3), None, ChargerStatus.AVAILABLE),
    ],
)
def test_refine_status(
    status: ChargerStatus,
    written: Command | None,
    currents: tuple[float, float, float] | None,
    expected: ChargerStatus,
) -> None:
    assert refine_status(status, written, currents) is expected


type MismatchCase = tuple[
    Command | None, ChargerStatus, float | None, tuple[float, float, float] | None, bool, bool
]


MISMATCH: dict[str, MismatchCase] = {  # written, status, offered, currents, settled -> mismatch
    "agrees": (Command(16.0, 3), ChargerStatus.CHARGING, 16.0, (16.0, 16.0, 16.0), True, False),
    "offers less": (Command(16.0, 3), ChargerStatus.CHARGING, 10.0, None, True, True),
    "still settling": (Command(16.0, 3), ChargerStatus.CHARGING, 10.0, None, False, False),
    "draws more": (Command(10.0, 3), ChargerStatus.CHARGING, None, (12.0, 0, 0), True, True),
    "charges paused": (Command(0.0, 3), ChargerStatus.CHARGING, None, (6.0, 6.0, 6.0), True, True),
    "no vehicle": (Command(16.0, 3), ChargerStatus.AVAILABLE, 0.0, None, True, False),
    "nothing sent": (None, ChargerStatus.CHARGING, 10.0, None, True, False),
}


@pytest.mark.parametrize("case", MISMATCH.values(), ids=MISMATCH.keys())
def test_limit_mismatch(case: MismatchCase) -> None:
    written, status, offered, currents, settled, expected = case
    assert limit_mismatch(written, status, offered, currents, settled=settled) is expected


def test_profiles_are_consistent() -> None:
    for profile in PROFILES.values():
        assert isinstance(profile, ChargerProfile)
        assert profile.setpoint.register.encode(profile.setpoint.max_a)
        assert profile.setpoint.register.encode(0.0)
        if profile.pause.method is PauseMethod.ZERO_CURRENT:
            assert profile.pause.enable is None
        period = profile.watchdog.heartbeat_period_s(60.0)
        timeout = profile.watchdog.timeout_s(60.0)
        assert period is not None  # every built-in profile has something to renew
        if timeout is not None:
            assert period <= timeout / 3
        assert profile.falls_back_by_itself == (timeout is not None)
    # go-e: never the EEPROM register
    assert PROFILES["go_e"].setpoint.register.address == 299


def test_state_values_must_be_integers() -> None:
    from custom_components.smart_charging.drivers.modbus import (  # noqa: PLC0415
        ModbusUnexpectedValueError,
    )
    from custom_components.smart_charging.drivers.modbus.reader import raw_state  # noqa: PLC0415

    register = reg(DataType.F32)
    assert raw_state(register, list(register.encode(2.0))) == 2
    with pytest.raises(ModbusUnexpectedValueError):
        raw_state(register, list(register.encode(1.5)))


def test_get_profile() -> None:
    from custom_components.smart_charging.drivers.modbus import get_profile  # noqa: PLC0415

    assert get_profile("heidelberg") is PROFILES["heidelberg"]
    with pytest.raises(KeyError):
        get_profile("nope")
