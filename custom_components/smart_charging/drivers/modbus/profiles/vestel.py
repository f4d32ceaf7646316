"""Webasto Next (TQ) and the Vestel EVC04 family (Webasto Unite, Hymes).

Both answer on unit 255 and share the 1000/2000/5004/6000 layout, but they encode the
state differently and keep it in different tables, so they are two profiles.
"""

from __future__ import annotations

from ...base import ChargerStatus
from ..model import (
    ChargerProfile,
    Identity,
    Measurements,
    PhaseSwitch,
    Setpoint,
    StateMap,
    Watchdog,
)
from ..registers import DataType, Register, RegisterType

_INPUT = RegisterType.INPUT
_U32 = DataType.U32


def _watchdog(*, write_multiple: bool) -> Watchdog:
    # 2000 failsafe current (A), 2002 communication timeout (s, 6-120), 6000 alive: the
    # charger clears it, the controller writes 1 well within the timeout.
    return Watchdog(
        timeout=Register(address=2002),
        timeout_range_s=(6.0, 120.0),
        failsafe_current=Register(address=2000),
        failsafe_range_a=(6.0, 32.0),
        alive=Register(address=6000),
        alive_value=1,
        write_multiple=write_multiple,
    )


VESTEL_EVC04 = ChargerProfile(
    id="vestel_evc04",
    name="Vestel EVC04 / Webasto Unite",
    vendor="Vestel",
    default_unit=255,
    state=StateMap.of(
        # the OCPP-like charge point state
        Register(address=1000, kind=_INPUT),
        {
            0: ChargerStatus.AVAILABLE,
            1: ChargerStatus.PREPARING,
            2: ChargerStatus.CHARGING,
            3: ChargerStatus.SUSPENDED_EVSE,
            4: ChargerStatus.SUSPENDED_EV,
            5: ChargerStatus.FINISHING,
            6: ChargerStatus.RESERVED,
            7: ChargerStatus.UNAVAILABLE,
            8: ChargerStatus.FAULTED,
        },
    ),
    setpoint=Setpoint(register=Register(address=5004)),
    measurements=Measurements(
        currents=(  # mA, one word each, with gaps between them
            Register(address=1008, kind=_INPUT, scale=0.001),
            Register(address=1010, kind=_INPUT, scale=0.001),
            Register(address=1012, kind=_INPUT, scale=0.001),
        ),
        voltages=(
            Register(address=1014, kind=_INPUT),
            Register(address=1016, kind=_INPUT),
            Register(address=1018, kind=_INPUT),
        ),
        power=Register(address=1020, kind=_INPUT, data_type=_U32),  # W
        energy=Register(address=1036, kind=_INPUT, data_type=_U32, scale=0.1),  # 0.1 kWh
        session_energy=Register(address=1502, kind=_INPUT, data_type=_U32, scale=0.001),
    ),
    watchdog=_watchdog(write_multiple=False),
    # only on models that report 1 in input register 404 ("phase switching supported")
    phase_switch=PhaseSwitch(register=Register(address=405), one_phase=0, three_phase=1),
    identity=Identity(
        serial=Register(address=100, kind=_INPUT, data_type=DataType.STRING, length=25),
        firmware=Register(address=230, kind=_INPUT, data_type=DataType.STRING, length=50),
    ),
    source="Vestel 'EVC04 Modbus TCP' register list; evcc charger/vestel.go",
    notes="Modbus TCP must be enabled (load management: 'Modbus TCP server').",
)

WEBASTO_NEXT = ChargerProfile(
    id="webasto_next",
    name="Webasto Next / Ampure Next",
    vendor="Webasto",
    default_unit=255,
    state=StateMap.of(
        Register(address=1000),
        {
            0: ChargerStatus.AVAILABLE,  # no vehicle
            1: ChargerStatus.PREPARING,  # vehicle attached, no permission yet
            3: ChargerStatus.CHARGING,
            4: ChargerStatus.SUSPENDED_EV,  # charging paused
            7: ChargerStatus.FAULTED,  # charging error
        },
    ),
    setpoint=Setpoint(register=Register(address=5004), write_multiple=True),
    measurements=Measurements(
        currents=(  # mA, read from the input table
            Register(address=1008, kind=_INPUT, scale=0.001),
            Register(address=1010, kind=_INPUT, scale=0.001),
            Register(address=1012, kind=_INPUT, scale=0.001),
        ),
        power=Register(address=1020, data_type=_U32),  # W
        energy=Register(address=1036, data_type=_U32, scale=0.001),  # Wh
    ),
    watchdog=_watchdog(write_multiple=False),
    source="Webasto Next Modbus specification (HEMS); evcc charger/webasto-next.go",
    notes="'HEMS activated' must be on. State values 2, 5, 6 and 8 are not documented.",
)
