"""Phoenix Contact EV-CC/EV-ETH controllers (Wallbe and others built on them), unit 255.

Neither documents a communication watchdog: the charger keeps the last current when the
controller stops. The driver re-writes the current periodically while it runs, and the
UI must warn that the charger does not fall back by itself.
"""

from __future__ import annotations

from dataclasses import replace

from ...base import ChargerStatus
from ..model import ChargerProfile, Measurements, Pause, PauseMethod, Setpoint, StateMap, Watchdog
from ..registers import DataType, Register, RegisterType, WordOrder

_INPUT = RegisterType.INPUT
_LSW = WordOrder.LITTLE


def _s32(address: int, scale: float = 1.0) -> Register:
    return Register(
        address=address, kind=_INPUT, data_type=DataType.S32, word_order=_LSW, scale=scale
    )


# input 100: the IEC 61851 state as one ASCII letter in the low byte
_STATE = StateMap.of(
    Register(address=100, kind=_INPUT, data_type=DataType.STRING, length=1),
    {
        "A": ChargerStatus.AVAILABLE,
        "B": ChargerStatus.PREPARING,
        "C": ChargerStatus.CHARGING,
        "D": ChargerStatus.CHARGING,
        "E": ChargerStatus.FAULTED,
        "F": ChargerStatus.FAULTED,
    },
)
_PAUSE = Pause(  # coil 400: charging enabled
    method=PauseMethod.ENABLE, enable=Register(address=400, kind=RegisterType.COIL)
)
_METER = Measurements(
    voltages=(_s32(108), _s32(110), _s32(112)),
    currents=(_s32(114), _s32(116), _s32(118)),
    power=_s32(120),
)
_WATCHDOG = Watchdog(rewrite_setpoint=True)
_SOURCE = "Phoenix Contact EV-CC-AC1-M3 Modbus register list; evcc charger/phoenix-ev-eth.go"

PHOENIX_EV_CC = ChargerProfile(
    id="phoenix_ev_cc",
    name="Phoenix Contact EV-CC / EV-ETH",
    vendor="Phoenix Contact",
    default_unit=255,
    state=_STATE,
    setpoint=Setpoint(register=Register(address=528)),  # whole amperes
    pause=_PAUSE,
    measurements=replace(
        _METER,
        energy=Register(address=904, data_type=DataType.U32, word_order=_LSW, scale=0.001),
    ),
    watchdog=_WATCHDOG,
    source=_SOURCE,
    notes="DIP switch 10 must be on for Modbus control. Meter values need the meter option.",
)

WALLBE = ChargerProfile(
    id="wallbe",
    name="Wallbe (Phoenix Contact controller, Wallbe firmware)",
    vendor="Wallbe",
    default_unit=255,
    state=_STATE,
    setpoint=Setpoint(register=Register(address=528, scale=0.1)),  # 0.1 A on Wallbe firmware
    pause=_PAUSE,
    measurements=replace(
        _METER,
        energy=Register(address=2980, data_type=DataType.U64, word_order=_LSW, scale=0.001),
    ),
    watchdog=_WATCHDOG,
    source=_SOURCE,
    notes="Wallbe's extended firmware reads 60 or more from holding register 528 (0.1 A).",
)
