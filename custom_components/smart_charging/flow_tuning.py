"""The site's tuning forms: control, PV surplus, grid signal and the circuit tree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.util import slugify
import voluptuous as vol

from .const import (
    CONF_BATTERY_PRIORITY_SOC,
    CONF_CIRCUIT_LIMIT,
    CONF_CIRCUIT_NAME,
    CONF_CIRCUIT_PARENT,
    CONF_CIRCUITS,
    CONF_CONTROL_INTERVAL,
    CONF_DERATE_END,
    CONF_DERATE_MIN,
    CONF_DERATE_START,
    CONF_GRID_LIMIT_14A,
    CONF_GRID_LIMIT_ENTITY,
    CONF_GRID_LIMIT_FAILSAFE,
    CONF_MARGIN,
    CONF_MAX_INPUT_AGE,
    CONF_PV_DISABLE_DELAY,
    CONF_PV_DISABLE_THRESHOLD,
    CONF_PV_ENABLE_DELAY,
    CONF_PV_ENABLE_THRESHOLD,
    CONF_TEMPERATURE_ENTITY,
    CONF_UNBALANCE_LIMIT,
    DEFAULT_CONTROL_INTERVAL,
    DEFAULT_GRID_LIMIT_FAILSAFE,
    DEFAULT_MARGIN,
    DEFAULT_MAX_INPUT_AGE,
    MAIN_FUSE_PARENT,
    MAX_CONTROL_INTERVAL,
    MAX_INPUT_AGE,
    MIN_CONTROL_INTERVAL,
    MIN_INPUT_AGE,
)
from .engine.model import SECTION_14A_MIN_W
from .engine.units import is_power_unit
from .flow_options import non_finite_errors


def _number(minimum: float, maximum: float, unit: str | None, step: float = 1) -> NumberSelector:
    config = NumberSelectorConfig(min=minimum, max=maximum, step=step, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


def general_schema() -> vol.Schema:
    """Control timing, safety margin and the unbalanced-load limit."""
    return vol.Schema(
        {
            vol.Required(CONF_CONTROL_INTERVAL, default=DEFAULT_CONTROL_INTERVAL): _number(
                MIN_CONTROL_INTERVAL, MAX_CONTROL_INTERVAL, "s"
            ),
            vol.Required(CONF_MAX_INPUT_AGE, default=DEFAULT_MAX_INPUT_AGE): _number(
                MIN_INPUT_AGE, MAX_INPUT_AGE, "s"
            ),
            vol.Required(CONF_MARGIN, default=DEFAULT_MARGIN): _number(0, 20, "A", 0.1),
            vol.Optional(CONF_UNBALANCE_LIMIT): _number(1, 100, "A", 0.1),
        }
    )


def pv_schema() -> vol.Schema:
    """When solar charging starts and stops, and the home battery's priority."""
    return vol.Schema(
        {
            vol.Required(CONF_PV_ENABLE_THRESHOLD, default=0): _number(-10000, 10000, "W"),
            vol.Required(CONF_PV_DISABLE_THRESHOLD, default=0): _number(-10000, 10000, "W"),
            vol.Required(CONF_PV_ENABLE_DELAY, default=60): _number(0, 3600, "s"),
            vol.Required(CONF_PV_DISABLE_DELAY, default=180): _number(0, 3600, "s"),
            vol.Optional(CONF_BATTERY_PRIORITY_SOC): _number(0, 100, "%"),
        }
    )


def grid_signal_schema() -> vol.Schema:
    """An entity that carries the grid operator's limit, and what applies without it."""
    return vol.Schema(
        {
            vol.Optional(CONF_GRID_LIMIT_ENTITY): EntitySelector(
                EntitySelectorConfig(domain=["sensor", "number", "input_number"])
            ),
            vol.Required(CONF_GRID_LIMIT_FAILSAFE, default=DEFAULT_GRID_LIMIT_FAILSAFE): _number(
                0, 1_000_000, "W", 100
            ),
            vol.Required(CONF_GRID_LIMIT_14A, default=False): BooleanSelector(),
        }
    )


def circuits_of(options: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The site's circuits as stored in its options."""
    return [dict(circuit) for circuit in options.get(CONF_CIRCUITS, [])]


def circuit_choice(circuits: list[dict[str, Any]]) -> SelectSelector:
    """A select of the site's circuits (for chargers, editing and removing)."""
    return SelectSelector(
        SelectSelectorConfig(
            options=[SelectOptionDict(value=c["id"], label=c[CONF_CIRCUIT_NAME]) for c in circuits],
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


def _descendants(circuits: list[dict[str, Any]], root: str) -> set[str]:
    found = {root}
    changed = True
    while changed:
        changed = False
        for circuit in circuits:
            if circuit[CONF_CIRCUIT_PARENT] in found and circuit["id"] not in found:
                found.add(circuit["id"])
                changed = True
    return found


def circuit_schema(circuits: list[dict[str, Any]], editing: str | None) -> vol.Schema:
    """A circuit's form; its parent can be the main fuse or any circuit not below it."""
    excluded = _descendants(circuits, editing) if editing else set()
    parents = [SelectOptionDict(value=MAIN_FUSE_PARENT, label=MAIN_FUSE_PARENT)] + [
        SelectOptionDict(value=c["id"], label=c[CONF_CIRCUIT_NAME])
        for c in circuits
        if c["id"] not in excluded
    ]
    return vol.Schema(
        {
            vol.Required(CONF_CIRCUIT_NAME): TextSelector(),
            vol.Required(CONF_CIRCUIT_LIMIT): _number(1, 1000, "A", 0.1),
            vol.Required(CONF_CIRCUIT_PARENT, default=MAIN_FUSE_PARENT): SelectSelector(
                SelectSelectorConfig(
                    options=parents,
                    mode=SelectSelectorMode.DROPDOWN,
                    translation_key=CONF_CIRCUIT_PARENT,
                )
            ),
            **derating_fields(),
        }
    )


def derating_fields() -> dict[vol.Marker, Any]:
    """Temperature derating fields (of a circuit or a charger): an entity and a curve."""
    return {
        vol.Optional(CONF_TEMPERATURE_ENTITY): EntitySelector(
            EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.TEMPERATURE)
        ),
        vol.Optional(CONF_DERATE_START): _number(-40, 150, UnitOfTemperature.CELSIUS, 0.5),
        vol.Optional(CONF_DERATE_END): _number(-40, 150, UnitOfTemperature.CELSIUS, 0.5),
        vol.Optional(CONF_DERATE_MIN): _number(0, 1, None, 0.05),
    }


def validate_circuit(
    hass: HomeAssistant,
    user_input: Mapping[str, Any],
    circuits: list[dict[str, Any]],
    editing: str | None,
) -> dict[str, str]:
    """Check a circuit form; return errors keyed by field."""
    if errors := non_finite_errors(user_input):
        return errors
    name = str(user_input[CONF_CIRCUIT_NAME])
    new_id = slugify(name)
    if not any(character.isalnum() for character in name):
        errors[CONF_CIRCUIT_NAME] = "circuit_name_invalid"
    elif any(c["id"] == new_id and c["id"] != editing for c in circuits):
        errors[CONF_CIRCUIT_NAME] = "circuit_exists"
    return errors | validate_derating(hass, user_input)


def validate_derating(hass: HomeAssistant, user_input: Mapping[str, Any]) -> dict[str, str]:
    """A derating curve needs a Celsius entity and a start below its end (and vice versa)."""
    errors: dict[str, str] = {}
    entity_id = user_input.get(CONF_TEMPERATURE_ENTITY)
    start, end = user_input.get(CONF_DERATE_START), user_input.get(CONF_DERATE_END)
    if not entity_id:
        if start is not None or end is not None:
            errors[CONF_TEMPERATURE_ENTITY] = "derating_without_entity"
        return errors
    state = hass.states.get(entity_id)
    if state is None:
        errors[CONF_TEMPERATURE_ENTITY] = "entity_not_found"
    elif state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) != UnitOfTemperature.CELSIUS:
        errors[CONF_TEMPERATURE_ENTITY] = "unit_not_celsius"
    if start is None or end is None:
        errors[CONF_DERATE_START if start is None else CONF_DERATE_END] = "derating_incomplete"
    elif float(start) >= float(end):
        errors[CONF_DERATE_END] = "derating_order"
    return errors


def clean_circuit(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """A validated circuit form as stored in the site's options."""
    circuit: dict[str, Any] = {
        "id": slugify(str(user_input[CONF_CIRCUIT_NAME])),
        CONF_CIRCUIT_NAME: str(user_input[CONF_CIRCUIT_NAME]),
        CONF_CIRCUIT_LIMIT: float(user_input[CONF_CIRCUIT_LIMIT]),
        CONF_CIRCUIT_PARENT: user_input.get(CONF_CIRCUIT_PARENT, MAIN_FUSE_PARENT),
    }
    return circuit | clean_derating(user_input)


def clean_derating(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """A validated derating entity and curve as stored in options (empty without one)."""
    entity_id = user_input.get(CONF_TEMPERATURE_ENTITY)
    if not entity_id:
        return {}
    return {
        CONF_TEMPERATURE_ENTITY: entity_id,
        CONF_DERATE_START: float(user_input[CONF_DERATE_START]),
        CONF_DERATE_END: float(user_input[CONF_DERATE_END]),
        CONF_DERATE_MIN: float(user_input.get(CONF_DERATE_MIN) or 0.0),
    }


def validate_grid_signal(hass: HomeAssistant, user_input: Mapping[str, Any]) -> dict[str, str]:
    """The signal entity must exist and report power; a §14a failsafe may not dim below 4.2 kW."""
    entity_id = user_input.get(CONF_GRID_LIMIT_ENTITY)
    if entity_id:
        state = hass.states.get(entity_id)
        if state is None:
            return {CONF_GRID_LIMIT_ENTITY: "entity_not_found"}
        unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
        if unit is not None and not is_power_unit(unit):
            return {CONF_GRID_LIMIT_ENTITY: "unit_not_power"}
    if user_input.get(CONF_GRID_LIMIT_14A) and (
        float(user_input[CONF_GRID_LIMIT_FAILSAFE]) < SECTION_14A_MIN_W
    ):
        return {CONF_GRID_LIMIT_FAILSAFE: "below_14a_minimum"}
    return {}


def clean_numbers(user_input: Mapping[str, Any], integers: tuple[str, ...]) -> dict[str, Any]:
    """Drop empty optional fields; store whole seconds and watts as integers."""
    values = {key: value for key, value in user_input.items() if value not in (None, "")}
    for key in integers:
        if key in values:
            values[key] = int(values[key])
    return values
