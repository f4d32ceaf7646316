"""Every built-in profile against a fake charger that follows the vendor's register map."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from custom_components.smart_charging.drivers.base import ChargerReading, ChargerStatus
from custom_components.smart_charging.drivers.modbus import (
    PROFILES,
    ModbusTimeoutError,
    ModbusWriteRejectedError,
)

from .modbus_fake import ILLEGAL_VALUE, text, u32
from .modbus_helpers import online, rig
from .modbus_vendors import (
    Alfen,
    GoE,
    Heidelberg,
    Keba,
    KebaP40,
    Phoenix,
    VendorMap,
    Vestel,
    Wallbe,
    WebastoNext,
)


@dataclass(frozen=True)
class Case:
    profile: str
    vendor: Callable[[], VendorMap]
    quantized: float  # what "at most 10.57 A" becomes
    energy_kwh: float  # the fake's 1 234 567 Wh in the vendor's resolution
    pause_by_enable: bool
    failsafe_a: float | None  # the fallback after the controller stops (None: none)
    timeout_s: float | None
    waiting: ChargerStatus = ChargerStatus.SUSPENDED_EV  # plugged, vehicle not asking
    faults: bool = True  # the vendor map has a fault state
    phase_register: tuple[str, int] | None = None
    setpoint_register: tuple[str, int] = ("holding", 5004)
    raw_states: dict[ChargerStatus, tuple[tuple[str, int], list[int]]] = field(default_factory=dict)


CASES = [
    Case(
        "alfen_eve",
        Alfen,
        10.5,
        1234.567,
        pause_by_enable=False,
        failsafe_a=6.0,  # the installer's safe current: read-only over Modbus
        timeout_s=60.0,
        phase_register=("holding", 1215),
        setpoint_register=("holding", 1210),
        raw_states={
            ChargerStatus.AVAILABLE: (("holding", 1201), text("E", 5)),
            ChargerStatus.PREPARING: (("holding", 1201), text("B1", 5)),
            ChargerStatus.CHARGING: (("holding", 1201), text("D2", 5)),
        },
    ),
    Case(
        "vestel_evc04",
        Vestel,
        10.0,
        1234.5,
        pause_by_enable=False,
        failsafe_a=8.0,
        timeout_s=30.0,
        phase_register=("holding", 405),
        raw_states={
            ChargerStatus.FINISHING: (("input", 1000), [5]),
            ChargerStatus.RESERVED: (("input", 1000), [6]),
            ChargerStatus.UNAVAILABLE: (("input", 1000), [7]),
        },
    ),
    Case(
        "webasto_next",
        WebastoNext,
        10.0,
        1234.567,
        pause_by_enable=False,
        failsafe_a=8.0,
        timeout_s=30.0,
        raw_states={ChargerStatus.PREPARING: (("holding", 1000), [1])},
    ),
    Case(
        "keba_p30",
        Keba,
        10.5,
        1234.567,
        pause_by_enable=True,
        failsafe_a=8.0,
        timeout_s=30.0,
        phase_register=("holding", 5052),
        raw_states={ChargerStatus.UNAVAILABLE: (("holding", 1000), u32(0))},
    ),
    Case(
        "keba_p40",
        KebaP40,
        10.5,
        1234.567,
        pause_by_enable=False,
        failsafe_a=8.0,
        timeout_s=30.0,
        phase_register=("holding", 5052),
    ),
    Case(
        "phoenix_ev_cc",
        Phoenix,
        10.0,
        1234.567,
        pause_by_enable=True,
        failsafe_a=None,
        timeout_s=None,
        waiting=ChargerStatus.PREPARING,  # plain "B": no way to tell why
        setpoint_register=("holding", 528),
        raw_states={ChargerStatus.CHARGING: (("input", 100), [ord("D")])},
    ),
    Case(
        "wallbe",
        Wallbe,
        10.5,
        1234.567,
        pause_by_enable=True,
        failsafe_a=None,
        timeout_s=None,
        waiting=ChargerStatus.PREPARING,
        setpoint_register=("holding", 528),
    ),
    Case(
        "go_e",
        GoE,
        10.0,
        1234.5,
        pause_by_enable=True,
        failsafe_a=None,
        timeout_s=None,
        faults=False,
        setpoint_register=("holding", 299),
        raw_states={ChargerStatus.UNAVAILABLE: (("input", 100), [0])},
    ),
    Case(
        "heidelberg",
        Heidelberg,
        10.5,
        1234.567,
        pause_by_enable=False,
        failsafe_a=8.0,
        timeout_s=30.0,
        setpoint_register=("holding", 261),
        raw_states={
            ChargerStatus.CHARGING: (("input", 5), [8]),  # derating
            ChargerStatus.UNAVAILABLE: (("input", 5), [10]),  # F: locked
            ChargerStatus.FAULTED: (("input", 5), [11]),
        },
    ),
]
IDS = [case.profile for case in CASES]
WATCHDOG = [case for case in CASES if case.timeout_s is not None]
NO_WATCHDOG = [case for case in CASES if case.timeout_s is None]
SWITCHING = [case for case in CASES if case.phase_register is not None]


def test_every_profile_has_a_case() -> None:
    assert sorted(IDS) == sorted(PROFILES)
    for profile in PROFILES.values():
        assert profile.source
        assert profile.verified_on_hardware is False


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_state_follows_the_vehicle(case: Case) -> None:
    async with rig(case.vendor(), PROFILES[case.profile]) as r:
        assert r.reading.status is ChargerStatus.AVAILABLE
        r.fake.vehicle.plugged = True
        await r.charger.async_apply(16.0, 3)
        assert (await r.poll()).status is ChargerStatus.CHARGING
        r.fake.vehicle.wants = False
        assert (await r.poll()).status is case.waiting
        if case.faults:
            r.fake.fault = True
            assert (await r.poll()).status is ChargerStatus.FAULTED


@pytest.mark.parametrize("case", [c for c in CASES if c.raw_states], ids=lambda c: c.profile)
async def test_raw_states_decode(case: Case) -> None:
    async with rig(case.vendor(), PROFILES[case.profile]) as r:
        for status, ((table, address), words) in case.raw_states.items():
            for offset, word in enumerate(words):
                r.fake.overrides[(table, address + offset)] = word
            assert (await r.poll()).status is status, words


async def test_keba_state_1_with_a_plugged_cable_is_preparing() -> None:
    async with rig(Keba(), PROFILES["keba_p30"]) as r:
        r.fake.overrides.update({("holding", 1000): 0, ("holding", 1001): 1, ("holding", 1004): 0})
        r.fake.overrides[("holding", 1005)] = 5  # cable in the vehicle, not locked
        assert (await r.poll()).status is ChargerStatus.PREPARING
        r.fake.overrides[("holding", 1005)] = 3  # cable in the station only
        assert (await r.poll()).status is ChargerStatus.AVAILABLE


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_measurements_decode(case: Case) -> None:
    async with rig(case.vendor(), PROFILES[case.profile]) as r:
        r.fake.vehicle.plugged = True
        await r.charger.async_apply(16.0, 3)
        reading = await r.poll()
        assert reading.currents_a == pytest.approx((16.0, 16.0, 16.0))
        assert reading.power_w == pytest.approx(3 * 16 * 230.0)
        assert reading.energy_kwh == pytest.approx(case.energy_kwh)
        if PROFILES[case.profile].measurements.voltages is not None:
            assert reading.voltage_v == pytest.approx(230.0)


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_setpoint_is_scaled_and_never_rounded_up(case: Case) -> None:
    async with rig(case.vendor(), PROFILES[case.profile]) as r:
        await r.charger.async_apply(10.57, 3)
        assert r.fake.setpoint_a == pytest.approx(case.quantized)
        await r.charger.async_apply(99.0, 3)  # above the charger's maximum
        assert r.fake.setpoint_a == pytest.approx(PROFILES[case.profile].setpoint.max_a)
        writes = len(r.fake.writes(*case.setpoint_register))
        await r.charger.async_apply(99.0, 3)  # unchanged: nothing written
        assert len(r.fake.writes(*case.setpoint_register)) == writes


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_pause_and_resume(case: Case) -> None:
    async with rig(case.vendor(), PROFILES[case.profile]) as r:
        r.fake.vehicle.plugged = True
        await r.charger.async_apply(16.0, 3)
        await r.charger.async_apply(4.0, 3)  # below the minimum: pause
        assert r.fake.limit_a == 0
        if case.pause_by_enable:
            assert not r.fake.enabled
            assert r.fake.setpoint_a == 16.0  # the setpoint stays
        else:
            assert r.fake.setpoint_a == 0
        reading = await r.poll()
        assert reading.status is ChargerStatus.SUSPENDED_EVSE
        assert reading.currents_a == (0.0, 0.0, 0.0)
        await r.charger.async_apply(8.0, 3)
        assert r.fake.enabled
        assert r.fake.limit_a == 8.0
        reading = await r.poll()
        assert reading.status is ChargerStatus.CHARGING
        assert reading.currents_a == pytest.approx((8.0, 8.0, 8.0))


@pytest.mark.parametrize("case", WATCHDOG, ids=lambda c: c.profile)
async def test_heartbeat_keeps_the_setpoint_alive(case: Case) -> None:
    async with rig(case.vendor(), PROFILES[case.profile]) as r:
        r.fake.vehicle.plugged = True
        await r.charger.async_apply(16.0, 3)
        period = r.charger.diagnostics()["heartbeat_period_s"]
        assert case.timeout_s is not None
        assert period <= case.timeout_s / 3
        for _ in range(round(3 * case.timeout_s / period)):
            await r.tick(period)
            assert not r.fake.expired
        assert r.fake.limit_a == 16.0
        assert (await r.poll()).currents_a == pytest.approx((16.0, 16.0, 16.0))


@pytest.mark.parametrize("case", WATCHDOG, ids=lambda c: c.profile)
async def test_failsafe_applies_after_the_controller_stops(case: Case) -> None:
    async with rig(case.vendor(), PROFILES[case.profile]) as r:
        r.fake.vehicle.plugged = True
        await r.charger.async_apply(16.0, 3)
        assert r.fake.timeout_s == case.timeout_s  # configured at connect
        assert r.fake.failsafe_a == case.failsafe_a
        await r.charger.async_stop()
        assert case.timeout_s is not None
        r.clock.advance(case.timeout_s - 1)
        assert r.fake.limit_a == 16.0
        r.clock.advance(2)
        assert r.fake.expired
        assert r.fake.limit_a == case.failsafe_a
        assert r.fake.current_a == case.failsafe_a


@pytest.mark.parametrize("case", NO_WATCHDOG, ids=lambda c: c.profile)
async def test_without_watchdog_the_setpoint_is_rewritten(case: Case) -> None:
    profile = PROFILES[case.profile]
    assert not profile.falls_back_by_itself
    async with rig(case.vendor(), profile) as r:
        await r.charger.async_apply(16.0, 3)
        r.fake.setpoint_a = 32.0  # the charger rebooted into its stored current
        await r.tick(30.0)
        assert r.fake.setpoint_a == 16.0
        await r.charger.async_stop()
        r.clock.advance(3600)
        assert r.fake.setpoint_a == 16.0  # no fallback: the UI warns about this


@pytest.mark.parametrize("case", SWITCHING, ids=lambda c: c.profile)
async def test_phase_switching(case: Case) -> None:
    async with rig(case.vendor(), PROFILES[case.profile], switch_phases=True) as r:
        assert r.charger.capabilities.can_switch_phases
        r.fake.vehicle.plugged = True
        await r.charger.async_apply(16.0, 1)
        assert r.fake.phases == 1
        assert (await r.poll()).currents_a == pytest.approx((16.0, 0.0, 0.0))
        await r.charger.async_apply(16.0, 3)
        assert r.fake.phases == 3
        assert case.phase_register is not None
        writes = len(r.fake.writes(*case.phase_register))
        await r.charger.async_apply(12.0, 3)
        assert len(r.fake.writes(*case.phase_register)) == writes


@pytest.mark.parametrize("case", SWITCHING, ids=lambda c: c.profile)
async def test_phases_are_left_alone_unless_switching_is_on(case: Case) -> None:
    async with rig(case.vendor(), PROFILES[case.profile]) as r:
        assert not r.charger.capabilities.can_switch_phases
        await r.charger.async_apply(16.0, 1)
        assert case.phase_register is not None
        assert r.fake.writes(*case.phase_register) == []
        assert r.fake.phases == 3


async def test_go_e_never_writes_the_eeprom_register() -> None:
    async with rig(GoE(), PROFILES["go_e"]) as r:
        for amps in (16.0, 0.0, 8.0, 32.0):
            await r.charger.async_apply(amps, 3)
            await r.tick(30.0)
        assert r.fake.writes("holding", 300) == []
        assert {access.function for access in r.fake.log if access.values} == {16}


async def test_alfen_writes_both_words_at_once() -> None:
    async with rig(Alfen(), PROFILES["alfen_eve"]) as r:
        await r.charger.async_apply(13.3, 3)
        (write,) = r.fake.writes("holding", 1210)
        assert write.function == 16
        assert len(write.values) == 2
        r.fake.vehicle.plugged = True
        reading = await r.poll()
        assert reading.offered_current_a == pytest.approx(13.3)


async def test_heidelberg_disables_standby_at_connect() -> None:
    async with rig(Heidelberg(), PROFILES["heidelberg"]) as r:
        assert [w.values for w in r.fake.writes("holding", 258)] == [[4]]
        assert [w.values for w in r.fake.writes("holding", 257)] == [[30000]]
        assert r.reading.temperature_c == pytest.approx(25.5)


async def test_identity_is_read_at_connect() -> None:
    async with rig(Vestel(), PROFILES["vestel_evc04"]) as r:
        assert r.charger.info.serial_number == "VESTEL0001"
        assert r.charger.info.firmware_version == "v3.156.0-x"
        assert r.charger.info.vendor == "Vestel"
    async with rig(Keba(), PROFILES["keba_p30"]) as r:
        assert r.charger.info.serial_number == "22012345"


def offline(reading: ChargerReading) -> bool:
    return reading.status is ChargerStatus.OFFLINE


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_reconnect_after_the_charger_restarts(case: Case) -> None:
    async with rig(case.vendor(), PROFILES[case.profile]) as r:
        r.fake.vehicle.plugged = True
        await r.charger.async_apply(12.0, 3)
        await r.server.stop()
        r.clock.advance(10.0)
        await r.wait_reading(offline)
        await r.idle()
        r.fake.setpoint_a = r.fake.vendor.boot_setpoint_a  # rebooted into its own limit
        r.fake.enabled = True
        await r.server.start()
        r.clock.advance(2.0)
        reading = await r.wait_reading(online)
        assert reading.status is ChargerStatus.CHARGING
        assert r.fake.limit_a == 12.0  # the last limit went out again


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_silence_and_refusals(case: Case) -> None:
    async with rig(case.vendor(), PROFILES[case.profile]) as r:
        r.fake.rejects[case.setpoint_register] = ILLEGAL_VALUE
        with pytest.raises(ModbusWriteRejectedError):
            await r.charger.async_apply(10.0, 3)
        assert r.reading.limit_rejected
        del r.fake.rejects[case.setpoint_register]
        r.server.muted = True
        with pytest.raises(ModbusTimeoutError):
            await r.charger.async_apply(11.0, 3)
        await r.wait_reading(offline)
        r.server.muted = False
        await r.idle()
        r.clock.advance(2.0)
        await r.wait_reading(online)
        assert r.fake.setpoint_a == pytest.approx(11.0)
        assert not r.reading.limit_rejected
