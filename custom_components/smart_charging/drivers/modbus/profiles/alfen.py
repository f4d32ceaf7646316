"""Alfen Eve (NG9xx platform) with the Active Load Balancing licence, socket 1."""

from __future__ import annotations

from ...base import ChargerStatus
from ..model import ChargerProfile, Measurements, PhaseSwitch, Setpoint, StateMap, Watchdog
from ..registers import DataType, Register

_F32 = DataType.F32

ALFEN_EVE = ChargerProfile(
    id="alfen_eve",
    name="Alfen Eve (socket 1)",
    vendor="Alfen",
    default_unit=1,  # socket 1; the station itself answers on unit 200
    state=StateMap.of(
        # the IEC 61851 mode-3 state as text: "A", "B1" … "F"
        Register(address=1201, data_type=DataType.STRING, length=5),
        {
            "A": ChargerStatus.AVAILABLE,
            # Alfen reports E while idle on some firmware (evcc maps E to A)
            "E": ChargerStatus.AVAILABLE,
            "B1": ChargerStatus.PREPARING,
            "B2": ChargerStatus.SUSPENDED_EV,
            "C1": ChargerStatus.SUSPENDED_EVSE,
            "D1": ChargerStatus.SUSPENDED_EVSE,
            "C2": ChargerStatus.CHARGING,
            "D2": ChargerStatus.CHARGING,
            "F": ChargerStatus.FAULTED,
        },
    ),
    # both words in one write (function 0x10); below 6 A the socket pauses
    setpoint=Setpoint(
        register=Register(address=1210, data_type=_F32), step_a=0.1, write_multiple=True
    ),
    measurements=Measurements(
        voltages=(
            Register(address=306, data_type=_F32),
            Register(address=308, data_type=_F32),
            Register(address=310, data_type=_F32),
        ),
        currents=(
            Register(address=320, data_type=_F32),
            Register(address=322, data_type=_F32),
            Register(address=324, data_type=_F32),
        ),
        power=Register(address=344, data_type=_F32),
        energy=Register(address=374, data_type=DataType.F64, scale=0.001),  # Wh
        offered_current=Register(address=1206, data_type=_F32),
    ),
    # The limit is valid for 60 s (1208: seconds left); then the socket falls back to its
    # safe current (1212, set with the installer tool). Re-writing the limit restarts it.
    watchdog=Watchdog(fixed_timeout_s=60.0, rewrite_setpoint=True),
    phase_switch=PhaseSwitch(register=Register(address=1215), one_phase=1, three_phase=3),
    source=(
        "Alfen 'Implementation of Modbus Slave TCP/IP for Alfen NG9xx platform' v2.3; "
        "evcc charger/alfen.go"
    ),
    notes=(
        "Needs the Active Load Balancing licence and 'Energy management system' set to "
        "Modbus TCP/IP in the installer tool. The safe current (1212) is read-only here."
    ),
)
