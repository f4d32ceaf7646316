"""KEBA KeContact P30 (c-/x-series) and P40 over Modbus TCP (unit 255).

Every read register is a 32-bit value of its own: the charger refuses reads that span two
of them, so each is read on its own. Writes are single 16-bit words.
"""

from __future__ import annotations

from ...base import ChargerStatus
from ..model import (
    ChargerProfile,
    Identity,
    Measurements,
    Pause,
    PauseMethod,
    PhaseSwitch,
    Setpoint,
    StateMap,
    Watchdog,
)
from ..registers import DataType, Register

_U32 = DataType.U32

_STATE = StateMap(
    register=Register(address=1000, data_type=_U32),
    values=(
        (0, ChargerStatus.UNAVAILABLE),  # starting up
        (1, ChargerStatus.AVAILABLE),  # not ready (no vehicle, or not authorized)
        (2, ChargerStatus.SUSPENDED_EV),  # ready, waiting for the vehicle
        (3, ChargerStatus.CHARGING),
        (4, ChargerStatus.FAULTED),
        (5, ChargerStatus.SUSPENDED_EVSE),  # interrupted (suspended, or too hot)
    ),
    # 1004 cable state: bit 2 set = the vehicle is plugged in
    plug=Register(address=1004, data_type=_U32),
    plug_mask=0b100,
)
_MEASUREMENTS = Measurements(
    currents=(  # mA
        Register(address=1008, data_type=_U32, scale=0.001),
        Register(address=1010, data_type=_U32, scale=0.001),
        Register(address=1012, data_type=_U32, scale=0.001),
    ),
    voltages=(
        Register(address=1040, data_type=_U32),
        Register(address=1042, data_type=_U32),
        Register(address=1044, data_type=_U32),
    ),
    power=Register(address=1020, data_type=_U32, scale=0.001),  # mW
    energy=Register(address=1036, data_type=_U32, scale=0.0001),  # 0.1 Wh
)
# 5016 failsafe current (mA), 5018 failsafe timeout (s); writing the timeout again is the
# heartbeat. 5020 (persist) is never written: it would store the values in flash.
_WATCHDOG = Watchdog(
    timeout=Register(address=5018),
    timeout_range_s=(10.0, 600.0),
    failsafe_current=Register(address=5016, scale=0.001),
    failsafe_range_a=(6.0, 32.0),
    rewrite_timeout=True,
)
_SETPOINT = Setpoint(register=Register(address=5004, scale=0.001), step_a=0.1)
# 5052: 0 = one phase, 1 = three phases (needs 'phase switch source' = Modbus, 5050 = 3)
_PHASES = PhaseSwitch(register=Register(address=5052), one_phase=0, three_phase=1)
_IDENTITY = Identity(serial=Register(address=1014, data_type=_U32))
_SOURCE = (
    "KEBA 'KeContact P30 Modbus TCP Programmers Guide' and 'P40 Modbus TCP'; "
    "evcc charger/keba-modbus.go"
)

KEBA_P30 = ChargerProfile(
    id="keba_p30",
    name="KEBA KeContact P30 (c-/x-series)",
    vendor="KEBA",
    default_unit=255,
    state=_STATE,
    setpoint=_SETPOINT,
    # 5014: 1 = enable, 0 = disable charging
    pause=Pause(method=PauseMethod.ENABLE, enable=Register(address=5014)),
    measurements=_MEASUREMENTS,
    watchdog=_WATCHDOG,
    phase_switch=_PHASES,
    identity=_IDENTITY,
    source=_SOURCE,
    notes="c-series firmware 3.10.16 or later; the failsafe current register is unverified.",
)

KEBA_P40 = ChargerProfile(
    id="keba_p40",
    name="KEBA KeContact P40",
    vendor="KEBA",
    default_unit=255,
    state=_STATE,
    setpoint=_SETPOINT,
    pause=Pause(method=PauseMethod.ZERO_CURRENT),  # the P40 pauses at 0 mA (no 5014)
    measurements=_MEASUREMENTS,
    watchdog=_WATCHDOG,
    phase_switch=_PHASES,
    identity=_IDENTITY,
    source=_SOURCE,
    notes="Firmware before 1.2.1 reports energy in Wh instead of 0.1 Wh.",
)
