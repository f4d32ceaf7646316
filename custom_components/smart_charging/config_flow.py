"""Config flow for Smart Charging: site setup, reconfigure and options."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, CONF_NAME, UnitOfElectricCurrent
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import voluptuous as vol

from .const import (
    CONF_BATTERY_POWER,
    CONF_BATTERY_SIGN,
    CONF_BATTERY_SOC,
    CONF_CONTROL_INTERVAL,
    CONF_GRID_CURRENT_L1,
    CONF_GRID_CURRENT_L2,
    CONF_GRID_CURRENT_L3,
    CONF_GRID_POWER,
    CONF_GRID_SIGN,
    CONF_MAIN_FUSE,
    CONF_MAX_IMPORT,
    CONF_MAX_INPUT_AGE,
    CONF_PHASES,
    CONF_PRICE,
    CONF_PV_POWER,
    CONF_VOLTAGE,
    DEFAULT_CONTROL_INTERVAL,
    DEFAULT_MAX_INPUT_AGE,
    DEFAULT_NAME,
    DEFAULT_PHASES,
    DEFAULT_VOLTAGE,
    DOMAIN,
    GRID_CURRENT_KEYS,
    MAX_CONTROL_INTERVAL,
    MAX_FUSE_A,
    MAX_INPUT_AGE,
    MAX_VOLTAGE,
    MIN_CONTROL_INTERVAL,
    MIN_FUSE_A,
    MIN_INPUT_AGE,
    MIN_VOLTAGE,
)
from .coordinator import SmartChargingConfigEntry
from .engine.model import BatterySignConvention, SignConvention
from .engine.units import is_current_unit, is_power_unit

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


def _site_schema(*, with_name: bool) -> vol.Schema:
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


def _options_schema() -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_CONTROL_INTERVAL, default=DEFAULT_CONTROL_INTERVAL): NumberSelector(
                NumberSelectorConfig(
                    min=MIN_CONTROL_INTERVAL,
                    max=MAX_CONTROL_INTERVAL,
                    step=1,
                    mode=NumberSelectorMode.BOX,
                    unit_of_measurement="s",
                )
            ),
            vol.Required(CONF_MAX_INPUT_AGE, default=DEFAULT_MAX_INPUT_AGE): NumberSelector(
                NumberSelectorConfig(
                    min=MIN_INPUT_AGE,
                    max=MAX_INPUT_AGE,
                    step=1,
                    mode=NumberSelectorMode.BOX,
                    unit_of_measurement="s",
                )
            ),
        }
    )


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
    errors: dict[str, str] = {}
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


def _clean_site(user_input: dict[str, Any]) -> dict[str, Any]:
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


class SmartChargingConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a charging site."""

    VERSION = 1
    MINOR_VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: SmartChargingConfigEntry) -> OptionsFlow:
        """Return the options flow."""
        return SmartChargingOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the site's meter, fuse and optional PV, battery and price entities."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = validate_site(self.hass, user_input)
            if not errors:
                data = _clean_site(user_input)
                await self.async_set_unique_id(meter_id(data))
                self._abort_if_unique_id_configured()
                name = data.pop(CONF_NAME)
                return self.async_create_entry(title=name, data=data)
        schema = _site_schema(with_name=True)
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(step_id="user", data_schema=schema, errors=errors)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the site's meter, fuse and inputs."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = validate_site(self.hass, user_input)
            if not errors:
                data = _clean_site(user_input)
                new_id = meter_id(data)
                if any(
                    other.unique_id == new_id and other.entry_id != entry.entry_id
                    for other in self._async_current_entries(include_ignore=False)
                ):
                    errors[
                        CONF_GRID_POWER if data.get(CONF_GRID_POWER) else CONF_GRID_CURRENT_L1
                    ] = "meter_in_use"
                else:
                    # The entry's update listener reloads the site with the new data.
                    self.hass.config_entries.async_update_entry(entry, unique_id=new_id, data=data)
                    return self.async_abort(reason="reconfigure_successful")
        schema = self.add_suggested_values_to_schema(
            _site_schema(with_name=False),
            user_input if user_input is not None else _form_values(entry.data),
        )
        return self.async_show_form(step_id="reconfigure", data_schema=schema, errors=errors)


def _form_values(data: Any) -> dict[str, Any]:
    values = dict(data)
    values[CONF_PHASES] = str(values.get(CONF_PHASES, DEFAULT_PHASES))
    return values


class SmartChargingOptionsFlow(OptionsFlow):
    """Tune how the controller runs."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the control interval and the maximum input age."""
        if user_input is not None:
            return self.async_create_entry(
                data={key: int(value) for key, value in user_input.items()}
            )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _options_schema(), self.config_entry.options
            ),
        )
