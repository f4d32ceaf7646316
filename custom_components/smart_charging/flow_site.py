"""The site form: fields, selectors, validation and normalisation."""

from __future__ import annotations

import socket
import ssl
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, CONF_NAME, UnitOfElectricCurrent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .const import (
    CONF_BATTERY_POWER,
    CONF_BATTERY_SIGN,
    CONF_BATTERY_SOC,
    CONF_GRID_CURRENT_L1,
    CONF_GRID_CURRENT_L2,
    CONF_GRID_CURRENT_L3,
    CONF_GRID_POWER,
    CONF_GRID_SIGN,
    CONF_MAIN_FUSE,
    CONF_MAX_IMPORT,
    CONF_OCPP_AUTO_ACCEPT,
    CONF_OCPP_CERTFILE,
    CONF_OCPP_ENABLED,
    CONF_OCPP_HOST,
    CONF_OCPP_KEYFILE,
    CONF_OCPP_PASSWORD,
    CONF_OCPP_PORT,
    CONF_PHASES,
    CONF_PRICE,
    CONF_PV_POWER,
    CONF_VOLTAGE,
    DEFAULT_NAME,
    DEFAULT_OCPP_PORT,
    DEFAULT_PHASES,
    DEFAULT_VOLTAGE,
    GRID_CURRENT_KEYS,
    MAX_FUSE_A,
    MAX_VOLTAGE,
    MIN_FUSE_A,
    MIN_VOLTAGE,
    OCPP_PASSWORD_LENGTH,
)
from .drivers.ocpp import create_ssl_context
from .engine.model import BatterySignConvention, SignConvention
from .engine.units import is_current_unit, is_power_unit
from .flow_options import non_finite_errors

_POWER_SENSOR = EntitySelector(
    EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.POWER)
)
_CURRENT_SENSOR = EntitySelector(
    EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.CURRENT)
)
_BATTERY_SENSOR = EntitySelector(
    EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.BATTERY)
)
_ANY_SENSOR = EntitySelector(EntitySelectorConfig(domain="sensor"))

_SITE_FIELDS: dict[str, Any] = {
    CONF_GRID_POWER: _POWER_SENSOR,
    CONF_GRID_SIGN: SelectSelector(
        SelectSelectorConfig(
            options=[c.value for c in SignConvention],
            translation_key=CONF_GRID_SIGN,
            mode=SelectSelectorMode.LIST,
        )
    ),
    CONF_GRID_CURRENT_L1: _CURRENT_SENSOR,
    CONF_GRID_CURRENT_L2: _CURRENT_SENSOR,
    CONF_GRID_CURRENT_L3: _CURRENT_SENSOR,
    CONF_MAIN_FUSE: NumberSelector(
        NumberSelectorConfig(
            min=MIN_FUSE_A,
            max=MAX_FUSE_A,
            step=1,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        )
    ),
    CONF_PHASES: SelectSelector(
        SelectSelectorConfig(
            options=["1", "3"], translation_key=CONF_PHASES, mode=SelectSelectorMode.LIST
        )
    ),
    CONF_VOLTAGE: NumberSelector(
        NumberSelectorConfig(
            min=MIN_VOLTAGE,
            max=MAX_VOLTAGE,
            step=1,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement="V",
        )
    ),
    CONF_MAX_IMPORT: NumberSelector(
        NumberSelectorConfig(
            min=0, max=1000, step=0.1, mode=NumberSelectorMode.BOX, unit_of_measurement="kW"
        )
    ),
    CONF_PV_POWER: _POWER_SENSOR,
    CONF_BATTERY_POWER: _POWER_SENSOR,
    CONF_BATTERY_SIGN: SelectSelector(
        SelectSelectorConfig(
            options=[c.value for c in BatterySignConvention],
            translation_key=CONF_BATTERY_SIGN,
            mode=SelectSelectorMode.LIST,
        )
    ),
    CONF_BATTERY_SOC: _BATTERY_SENSOR,
    CONF_PRICE: _ANY_SENSOR,
}

_REQUIRED_DEFAULTS: dict[str, Any] = {
    CONF_GRID_SIGN: SignConvention.IMPORT_POSITIVE.value,
    CONF_PHASES: str(DEFAULT_PHASES),
    CONF_VOLTAGE: DEFAULT_VOLTAGE,
    CONF_BATTERY_SIGN: BatterySignConvention.DISCHARGE_POSITIVE.value,
}


def site_schema(*, with_name: bool) -> vol.Schema:
    """Schema of the site form; optional fields stay optional so they can be cleared."""
    fields: dict[vol.Marker, Any] = {}
    if with_name:
        fields[vol.Required(CONF_NAME, default=DEFAULT_NAME)] = TextSelector()
    for key, selector in _SITE_FIELDS.items():
        if key in _REQUIRED_DEFAULTS:
            fields[vol.Required(key, default=_REQUIRED_DEFAULTS[key])] = selector
        elif key == CONF_MAIN_FUSE:
            fields[vol.Required(key)] = selector
        else:
            fields[vol.Optional(key)] = selector
    return vol.Schema(fields)


def ocpp_schema() -> vol.Schema:
    """Schema of the OCPP central system's settings."""
    return vol.Schema(
        {
            vol.Required(CONF_OCPP_ENABLED, default=True): BooleanSelector(),
            vol.Optional(CONF_OCPP_HOST): TextSelector(),
            vol.Required(CONF_OCPP_PORT, default=DEFAULT_OCPP_PORT): NumberSelector(
                NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
            ),
            vol.Optional(CONF_OCPP_PASSWORD): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD)
            ),
            vol.Optional(CONF_OCPP_CERTFILE): TextSelector(),
            vol.Optional(CONF_OCPP_KEYFILE): TextSelector(),
            vol.Required(CONF_OCPP_AUTO_ACCEPT, default=False): BooleanSelector(),
        }
    )


def _port_free(host: str, port: int) -> bool:
    """Return whether a TCP port can be bound (run in an executor)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host or "0.0.0.0", port))  # noqa: S104 - the server's default too
        except (OSError, ValueError, TypeError):  # taken, or no valid address at all
            return False
    return True


async def validate_ocpp(
    hass: HomeAssistant, user_input: dict[str, Any], running_port: int | None
) -> dict[str, str]:
    """Check the site's options; return errors keyed by field."""
    if errors := non_finite_errors(user_input):
        return errors
    if not user_input.get(CONF_OCPP_ENABLED):
        return errors
    password = user_input.get(CONF_OCPP_PASSWORD)
    if password and not OCPP_PASSWORD_LENGTH[0] <= len(password) <= OCPP_PASSWORD_LENGTH[1]:
        errors[CONF_OCPP_PASSWORD] = "password_length"
    cert, key = user_input.get(CONF_OCPP_CERTFILE), user_input.get(CONF_OCPP_KEYFILE)
    if bool(cert) != bool(key):
        errors[CONF_OCPP_KEYFILE if cert else CONF_OCPP_CERTFILE] = "tls_pair_required"
    elif cert and key:
        try:
            await hass.async_add_executor_job(create_ssl_context, cert, key)
        except (OSError, ValueError, ssl.SSLError):
            errors[CONF_OCPP_CERTFILE] = "tls_invalid"
    port = int(user_input[CONF_OCPP_PORT])
    host = str(user_input.get(CONF_OCPP_HOST) or "")
    if port != running_port and not await hass.async_add_executor_job(_port_free, host, port):
        errors[CONF_OCPP_PORT] = "port_in_use"
    return errors


def clean_ocpp(user_input: dict[str, Any]) -> dict[str, Any]:
    """Normalise the OCPP settings (port to int, empty text dropped)."""
    options = {key: value for key, value in user_input.items() if value not in (None, "")}
    options[CONF_OCPP_PORT] = int(options[CONF_OCPP_PORT])
    return options


def _check_entity(hass: HomeAssistant, entity_id: str, unit_ok: Any, unit_error: str) -> str | None:
    """Return an error key for an entity that is missing or has the wrong unit."""
    state = hass.states.get(entity_id)
    if state is None:
        return "entity_not_found"
    if not unit_ok(state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)):
        return unit_error
    return None


def validate_site(hass: HomeAssistant, user_input: dict[str, Any]) -> dict[str, str]:
    """Check a site form; return errors keyed by the field they belong to."""
    if errors := non_finite_errors(user_input):
        return errors
    phases = int(user_input[CONF_PHASES])
    wanted_currents = GRID_CURRENT_KEYS[:phases]
    given_currents = [key for key in GRID_CURRENT_KEYS if user_input.get(key)]
    if not user_input.get(CONF_GRID_POWER) and not given_currents:
        errors[CONF_GRID_POWER] = "grid_measurement_required"
    for key in GRID_CURRENT_KEYS:
        if key not in wanted_currents and user_input.get(key):
            errors[key] = "phase_not_present"
        elif given_currents and key in wanted_currents and not user_input.get(key):
            errors[key] = "phase_current_required"
    checks: list[tuple[str, Any, str]] = [
        (CONF_GRID_POWER, is_power_unit, "unit_not_power"),
        (CONF_PV_POWER, is_power_unit, "unit_not_power"),
        (CONF_BATTERY_POWER, is_power_unit, "unit_not_power"),
        (CONF_BATTERY_SOC, lambda unit: unit == "%", "unit_not_percent"),
        (CONF_PRICE, lambda _unit: True, ""),
        *((key, is_current_unit, "unit_not_current") for key in wanted_currents),
    ]
    for key, unit_ok, unit_error in checks:
        if key in errors or not user_input.get(key):
            continue
        if error := _check_entity(hass, user_input[key], unit_ok, unit_error):
            errors[key] = error
    # Fuse and voltage ranges are enforced by their number selectors (a schema error on
    # the field, shown by the frontend before submitting).
    max_import = user_input.get(CONF_MAX_IMPORT)
    if max_import is not None and float(max_import) <= 0:
        errors[CONF_MAX_IMPORT] = "max_import_out_of_range"
    return errors


def clean_site(user_input: dict[str, Any]) -> dict[str, Any]:
    """Normalise a validated site form into entry data."""
    data = {key: value for key, value in user_input.items() if value not in (None, "")}
    data[CONF_PHASES] = int(data[CONF_PHASES])
    data[CONF_MAIN_FUSE] = float(data[CONF_MAIN_FUSE])
    data[CONF_VOLTAGE] = float(data[CONF_VOLTAGE])
    if CONF_MAX_IMPORT in data:
        data[CONF_MAX_IMPORT] = float(data[CONF_MAX_IMPORT])
    return data


def meter_id(data: dict[str, Any]) -> str:
    """The site's identity: the meter entity it guards (one site per meter)."""
    return str(data.get(CONF_GRID_POWER) or data[CONF_GRID_CURRENT_L1])


def form_values(data: Any) -> dict[str, Any]:
    values = dict(data)
    values[CONF_PHASES] = str(values.get(CONF_PHASES, DEFAULT_PHASES))
    return values
