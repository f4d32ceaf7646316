"""Modbus TCP chargers (protocol layer; no Home Assistant imports).

Public API for the Home Assistant layer::

    profile = PROFILES["keba_p30"]  # or custom_profile(user_settings) for "custom"
    result = await async_probe(host, 502, unit, profile)  # the flow's connection test
    charger = ModbusCharger(
        ModbusConfig(host=host, port=502, unit_id=unit, failsafe_current_a=6.0),
        profile,
        switch_phases=user_enabled_1p3p,  # only if profile.phase_switch is not None
    )
    remove = charger.add_listener(callback)  # the reading changed
    await charger.async_start()  # background: connect, arm the failsafe, poll, heartbeat
    await charger.async_apply(16.0, 3)  # every control cycle; writes only changes
    await charger.async_stop()  # on unload; the charger then falls back by itself

- ``async_probe`` raises ``ModbusUnreachableError``, ``ModbusTimeoutError``,
  ``ModbusWrongUnitError`` or ``ModbusUnexpectedValueError``; it returns the state and,
  where the profile has them, the serial number (a stable unique id) and firmware.
- ``ModbusCharger`` implements ``drivers.base.ChargerDriver``. Its reading is OFFLINE
  while disconnected; ``reading.errors`` may hold ``failsafe_not_configured``,
  ``heartbeat_rejected``, ``unknown_state``, ``state_unreadable`` and
  ``measurement_unavailable``; ``limit_rejected``/``limit_mismatch`` as for OCPP.
- ``profile.falls_back_by_itself`` is False for chargers without a watchdog (Phoenix
  Contact, Wallbe, go-e): warn that the last current stays in force when Home Assistant
  stops. ``profile.verified_on_hardware`` says whether anyone has tried it for real.
- ``custom_profile(settings)`` raises ``ProfileError`` (``.field``, ``.message``);
  ``CUSTOM_FIELDS`` describes the form.
"""

from __future__ import annotations

from .charger import ModbusCharger
from .compat import PYMODBUS_VERSION
from .config import DEFAULT_PORT, Clock, ModbusConfig, SystemClock
from .custom import CUSTOM_FIELDS, CUSTOM_PROFILE_ID, CustomField, custom_profile
from .errors import (
    ERROR_FAILSAFE,
    ERROR_HEARTBEAT,
    ERROR_MEASUREMENT,
    ERROR_STATE_UNREADABLE,
    ERROR_UNKNOWN_STATE,
    ModbusConnectionLostError,
    ModbusExceptionError,
    ModbusTimeoutError,
    ModbusUnexpectedValueError,
    ModbusUnreachableError,
    ModbusWriteRejectedError,
    ModbusWrongUnitError,
    ProfileError,
)
from .model import ChargerProfile, PauseMethod
from .probe import ProbeResult, async_probe
from .profiles import PROFILES, get_profile

__all__ = [
    "CUSTOM_FIELDS",
    "CUSTOM_PROFILE_ID",
    "DEFAULT_PORT",
    "ERROR_FAILSAFE",
    "ERROR_HEARTBEAT",
    "ERROR_MEASUREMENT",
    "ERROR_STATE_UNREADABLE",
    "ERROR_UNKNOWN_STATE",
    "PROFILES",
    "PYMODBUS_VERSION",
    "ChargerProfile",
    "Clock",
    "CustomField",
    "ModbusCharger",
    "ModbusConfig",
    "ModbusConnectionLostError",
    "ModbusExceptionError",
    "ModbusTimeoutError",
    "ModbusUnexpectedValueError",
    "ModbusUnreachableError",
    "ModbusWriteRejectedError",
    "ModbusWrongUnitError",
    "PauseMethod",
    "ProbeResult",
    "ProfileError",
    "SystemClock",
    "async_probe",
    "custom_profile",
    "get_profile",
]
