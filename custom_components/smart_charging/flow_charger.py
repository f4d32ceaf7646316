"""The charger settings form: fields, selectors and validation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, PERCENTAGE, UnitOfElectricCurrent
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
    TimeSelector,
)
import voluptuous as vol

from .const import (
    CONF_CAN_SWITCH_PHASES,
    CONF_CHARGER_PHASES,
    CONF_FALLBACK_CURRENT,
    CONF_FOLLOW_UP_READINGS,
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_OCPP_PASSWORD,
    CONF_PHASE_WIRING,
    CONF_PRIORITY,
    CONF_PROFILE_PURPOSE,
    CONF_RATE_UNIT,
    CONF_REMOTE_START,
    CONF_SAFE_CURRENT,
    CONF_SKIP_VALIDATION,
    CONF_SOC_ENTITY,
    CONF_STACK_LEVEL,
    CONF_WINDOW_END,
    CONF_WINDOW_START,
    DEFAULT_MAX_CURRENT,
    DEFAULT_MIN_CURRENT,
    DEFAULT_SAFE_CURRENT,
    OCPP_PASSWORD_LENGTH,
)
from .drivers.ocpp import ProfilePurpose, RateUnit
from .engine.model import Phase
from .flow_options import non_finite_errors
from .flow_tuning import derating_fields


def _amps(minimum: float, maximum: float) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=0.1,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        )
    )


def _select(key: str, options: list[str]) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(options=options, translation_key=key, mode=SelectSelectorMode.DROPDOWN)
    )


DEFAULT_CHARGER_OPTIONS: dict[str, Any] = {
    CONF_CHARGER_PHASES: 3,
    CONF_PHASE_WIRING: Phase.L1.value,
    CONF_MIN_CURRENT: float(DEFAULT_MIN_CURRENT),
    CONF_MAX_CURRENT: float(DEFAULT_MAX_CURRENT),
    CONF_PRIORITY: 0,
    CONF_CAN_SWITCH_PHASES: False,
    CONF_RATE_UNIT: RateUnit.AUTO.value,
    CONF_STACK_LEVEL: 1,
    CONF_PROFILE_PURPOSE: ProfilePurpose.TX_DEFAULT.value,
    CONF_SKIP_VALIDATION: False,
    CONF_SAFE_CURRENT: float(DEFAULT_SAFE_CURRENT),
    CONF_REMOTE_START: False,
    CONF_FOLLOW_UP_READINGS: True,
}


OCPP_ONLY = frozenset(
    {
        CONF_RATE_UNIT,
        CONF_STACK_LEVEL,
        CONF_PROFILE_PURPOSE,
        CONF_SKIP_VALIDATION,
        CONF_REMOTE_START,
        CONF_FOLLOW_UP_READINGS,
        CONF_OCPP_PASSWORD,
    }
)
WIRING = (CONF_CHARGER_PHASES, CONF_PHASE_WIRING, CONF_MIN_CURRENT, CONF_MAX_CURRENT)


def charger_schema(*, ocpp: bool = True, only: tuple[str, ...] | None = None) -> vol.Schema:
    """Schema of a charger's settings (OCPP compatibility options only for OCPP chargers)."""
    schema = _full_charger_schema()
    return vol.Schema(
        {
            marker: selector
            for marker, selector in schema.schema.items()
            if (ocpp or str(marker) not in OCPP_ONLY) and (only is None or str(marker) in only)
        }
    )


def _full_charger_schema() -> vol.Schema:
    defaults = DEFAULT_CHARGER_OPTIONS
    return vol.Schema(
        {
            vol.Required(CONF_CHARGER_PHASES, default=str(defaults[CONF_CHARGER_PHASES])): (
                _select("phases", ["1", "3"])
            ),
            vol.Required(CONF_PHASE_WIRING, default=defaults[CONF_PHASE_WIRING]): _select(
                CONF_PHASE_WIRING, [p.value for p in Phase]
            ),
            vol.Required(CONF_MIN_CURRENT, default=defaults[CONF_MIN_CURRENT]): _amps(6, 32),
            vol.Required(CONF_MAX_CURRENT, default=defaults[CONF_MAX_CURRENT]): _amps(6, 80),
            vol.Optional(CONF_FALLBACK_CURRENT): _amps(0, 80),
            vol.Required(CONF_PRIORITY, default=defaults[CONF_PRIORITY]): NumberSelector(
                NumberSelectorConfig(min=0, max=10, step=1, mode=NumberSelectorMode.BOX)
            ),
            vol.Required(CONF_CAN_SWITCH_PHASES, default=False): BooleanSelector(),
            vol.Required(CONF_RATE_UNIT, default=defaults[CONF_RATE_UNIT]): _select(
                CONF_RATE_UNIT, [u.value for u in RateUnit]
            ),
            vol.Required(CONF_STACK_LEVEL, default=defaults[CONF_STACK_LEVEL]): NumberSelector(
                NumberSelectorConfig(min=0, max=10, step=1, mode=NumberSelectorMode.BOX)
            ),
            vol.Required(CONF_PROFILE_PURPOSE, default=defaults[CONF_PROFILE_PURPOSE]): _select(
                CONF_PROFILE_PURPOSE, [p.value for p in ProfilePurpose]
            ),
            vol.Required(CONF_SKIP_VALIDATION, default=False): BooleanSelector(),
            vol.Required(CONF_SAFE_CURRENT, default=defaults[CONF_SAFE_CURRENT]): _amps(0, 32),
            vol.Required(CONF_REMOTE_START, default=False): BooleanSelector(),
            vol.Required(CONF_FOLLOW_UP_READINGS, default=True): BooleanSelector(),
            vol.Optional(CONF_OCPP_PASSWORD): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD)
            ),
        }
    )


def validate_charger(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Check a charger's settings; return errors keyed by field."""
    if errors := non_finite_errors(user_input):
        return errors
    minimum = float(user_input[CONF_MIN_CURRENT])
    maximum = float(user_input[CONF_MAX_CURRENT])
    if minimum > maximum:
        errors[CONF_MIN_CURRENT] = "min_above_max"
    fallback = user_input.get(CONF_FALLBACK_CURRENT)
    if fallback is not None and 0 < float(fallback) < minimum:
        errors[CONF_FALLBACK_CURRENT] = "fallback_below_min"
    elif fallback is not None and float(fallback) > maximum:
        errors[CONF_FALLBACK_CURRENT] = "above_max"
    password = user_input.get(CONF_OCPP_PASSWORD)
    if password and not OCPP_PASSWORD_LENGTH[0] <= len(password) <= OCPP_PASSWORD_LENGTH[1]:
        errors[CONF_OCPP_PASSWORD] = "password_length"
    safe = float(user_input[CONF_SAFE_CURRENT])
    if 0 < safe < 6:
        errors[CONF_SAFE_CURRENT] = "safe_below_6"
    elif safe > maximum:
        errors[CONF_SAFE_CURRENT] = "above_max"
    return errors


def clean_charger(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise a validated charger form into entry options."""
    options = {key: value for key, value in user_input.items() if value not in (None, "")}
    options[CONF_CHARGER_PHASES] = int(options[CONF_CHARGER_PHASES])
    options[CONF_PRIORITY] = int(options[CONF_PRIORITY])
    options[CONF_STACK_LEVEL] = int(options[CONF_STACK_LEVEL])
    for key in (CONF_MIN_CURRENT, CONF_MAX_CURRENT, CONF_SAFE_CURRENT, CONF_FALLBACK_CURRENT):
        if key in options:
            options[key] = float(options[key])
    return options


def charger_form_values(options: Mapping[str, Any]) -> dict[str, Any]:
    """Turn stored options back into form values."""
    values = {**DEFAULT_CHARGER_OPTIONS, **options}
    values[CONF_CHARGER_PHASES] = str(values[CONF_CHARGER_PHASES])
    return values


def vehicle_schema() -> vol.Schema:
    """The car's own state-of-charge sensor (from its manufacturer's integration)."""
    return vol.Schema(
        {
            vol.Optional(CONF_SOC_ENTITY): EntitySelector(
                EntitySelectorConfig(domain=["sensor", "number", "input_number"])
            )
        }
    )


def validate_vehicle(hass: HomeAssistant, user_input: Mapping[str, Any]) -> dict[str, str]:
    """The SoC entity must exist and report percent (a state of "unknown" is fine)."""
    entity_id = user_input.get(CONF_SOC_ENTITY)
    if not entity_id:
        return {}
    state = hass.states.get(entity_id)
    if state is None:
        return {CONF_SOC_ENTITY: "entity_not_found"}
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    if unit is not None and unit != PERCENTAGE:
        return {CONF_SOC_ENTITY: "unit_not_percent"}
    return {}


def temperature_schema() -> vol.Schema:
    """The charger's temperature sensor and its derating curve."""
    return vol.Schema(derating_fields())


def schedule_schema() -> vol.Schema:
    """The daily window in which the charger may charge (local time)."""
    return vol.Schema(
        {
            vol.Optional(CONF_WINDOW_START): TimeSelector(),
            vol.Optional(CONF_WINDOW_END): TimeSelector(),
        }
    )


def validate_schedule(user_input: Mapping[str, Any]) -> dict[str, str]:
    """A window needs both ends, and they must differ (leave both empty: any time)."""
    start, end = user_input.get(CONF_WINDOW_START), user_input.get(CONF_WINDOW_END)
    if bool(start) != bool(end):
        return {CONF_WINDOW_END if start else CONF_WINDOW_START: "window_incomplete"}
    if start and start == end:
        return {CONF_WINDOW_END: "window_empty"}
    return {}
