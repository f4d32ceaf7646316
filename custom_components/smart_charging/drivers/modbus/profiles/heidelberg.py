"""Heidelberg Energy Control / Amperfied (Modbus RTU) and the Elli Charger 2 over TCP."""

from __future__ import annotations

from ...base import ChargerStatus
from ..model import ChargerProfile, Measurements, Setpoint, SetupWrite, StateMap, Watchdog
from ..registers import DataType, Register, RegisterType

_INPUT = RegisterType.INPUT


def _input(address: int, scale: float = 1.0, data_type: DataType = DataType.U16) -> Register:
    return Register(address=address, kind=_INPUT, data_type=data_type, scale=scale)


HEIDELBERG = ChargerProfile(
    id="heidelberg",
    name="Heidelberg Energy Control / Amperfied / Elli Charger 2",
    vendor="Heidelberg",
    default_unit=1,
    state=StateMap.of(
        _input(5),
        {
            2: ChargerStatus.AVAILABLE,  # A1
            3: ChargerStatus.AVAILABLE,  # A2
            4: ChargerStatus.PREPARING,  # B1: plugged, charging not possible
            5: ChargerStatus.SUSPENDED_EV,  # B2: plugged, no request from the vehicle
            6: ChargerStatus.SUSPENDED_EVSE,  # C1: the vehicle asks, charging not allowed
            7: ChargerStatus.CHARGING,  # C2
            8: ChargerStatus.CHARGING,  # derating (temperature)
            9: ChargerStatus.FAULTED,  # E
            10: ChargerStatus.UNAVAILABLE,  # F: locked or not ready
            11: ChargerStatus.FAULTED,
        },
    ),
    # 261: 0.1 A, 0 or 60-160 (6-16 A), written with function 0x10
    setpoint=Setpoint(register=Register(address=261, scale=0.1), max_a=16.0, write_multiple=True),
    measurements=Measurements(
        currents=(_input(6, 0.1), _input(7, 0.1), _input(8, 0.1)),
        voltages=(_input(10), _input(11), _input(12)),
        power=_input(14),  # VA
        energy=_input(17, 0.001, DataType.U32),  # Wh since installation, high word first
        temperature=_input(9, 0.1, DataType.S16),  # PCB
    ),
    # 257 watchdog (ms, 0 disables), 262 failsafe current (0.1 A, 0 or 60-160)
    watchdog=Watchdog(
        timeout=Register(address=257, scale=0.001),
        timeout_range_s=(2.0, 65.0),
        failsafe_current=Register(address=262, scale=0.1),
        failsafe_range_a=(6.0, 16.0),
        rewrite_setpoint=True,
        write_multiple=True,
    ),
    # 258 standby function: 4 disables standby, which otherwise stops Modbus answers
    setup=(SetupWrite(register=Register(address=258), value=4, write_multiple=True),),
    source=("Heidelberg 'EC_ModBus_register_table' (layout 1.0.8); evcc charger/amperfied.go"),
    notes="RTU device: connect it through a Modbus TCP gateway; the Elli Charger 2 answers on unit 1.",
)
