"""go-eCharger (HOME+, HOMEfix, Gemini) with the Modbus TCP server enabled, unit 1."""

from __future__ import annotations

from ...base import ChargerStatus
from ..model import (
    ChargerProfile,
    Identity,
    Measurements,
    Pause,
    PauseMethod,
    Setpoint,
    StateMap,
    Watchdog,
)
from ..registers import DataType, Register, RegisterType

_INPUT = RegisterType.INPUT
_U32 = DataType.U32


def _input_u32(address: int, scale: float = 1.0) -> Register:
    return Register(address=address, kind=_INPUT, data_type=_U32, scale=scale)


GO_E = ChargerProfile(
    id="go_e",
    name="go-eCharger",
    vendor="go-e",
    default_unit=1,
    state=StateMap.of(
        Register(address=100, kind=_INPUT),  # CAR_STATE
        {
            0: ChargerStatus.UNAVAILABLE,  # unknown, charger defective
            1: ChargerStatus.AVAILABLE,  # ready, no car
            2: ChargerStatus.CHARGING,
            3: ChargerStatus.PREPARING,  # waiting for the car
            4: ChargerStatus.SUSPENDED_EV,  # finished, car still connected
        },
    ),
    # 299 AMPERE_VOLATILE (6-32 A, RAM only). Never 300 (AMPERE_EEPROM): about 100 000
    # write cycles, and a controller writes every few seconds. Writes only by 0x10.
    setpoint=Setpoint(register=Register(address=299), max_a=32.0, write_multiple=True),
    pause=Pause(  # 200 ALLOW: 1 = the PWM signal may be given
        method=PauseMethod.ENABLE, enable=Register(address=200), write_multiple=True
    ),
    measurements=Measurements(
        voltages=(_input_u32(108), _input_u32(110), _input_u32(112)),
        currents=(_input_u32(114, 0.1), _input_u32(116, 0.1), _input_u32(118, 0.1)),
        power=_input_u32(120, 0.01),
        energy=_input_u32(128, 0.1),  # 0.1 kWh
        session_energy=_input_u32(132, 1 / 360_000),  # 10 Ws
    ),
    # no watchdog: AMPERE_VOLATILE stays until a reboot (then the stored current applies)
    watchdog=Watchdog(rewrite_setpoint=True, write_multiple=True),
    identity=Identity(
        serial=Register(address=304, kind=_INPUT, data_type=DataType.STRING, length=6),
        firmware=Register(address=105, kind=_INPUT, data_type=DataType.STRING, length=2),
    ),
    source="go-e 'go-eCharger Modbus TCP' (go-eCharger-API-v2, modbus-en.md)",
    notes=(
        "Enable Modbus in the app (Internet > Advanced settings). Firmware 55.6 and later "
        "also has FORCE_STATE (337); this profile pauses with ALLOW (200)."
    ),
)
