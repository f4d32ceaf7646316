"""The site's price and PV-forecast forms: where the planner's series come from."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from enum import StrEnum
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    ConfigEntrySelector,
    ConfigEntrySelectorConfig,
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
    CONF_EXPORT_PRICE,
    CONF_EXPORT_PRICE_ENTITY,
    CONF_FIXED_PRICE,
    CONF_FORECAST_SOLAR_ENTRY,
    CONF_HOUSE_LOAD,
    CONF_HOUSE_LOAD_ENTITY,
    CONF_PRICE_AREA,
    CONF_PRICE_CONFIG_ENTRY,
    CONF_PRICE_LIST_ENTITY,
    CONF_PRICE_SOURCE,
    CONF_PV_FORECAST,
    CONF_SOLCAST_ENTITIES,
    CONF_TOU_SCHEDULE,
    DEFAULT_HOUSE_LOAD,
)


class PriceChoice(StrEnum):
    """Where the site's import prices come from."""

    ENTITY = "entity"  # the site's price entity; its attributes' format is detected
    NORDPOOL = "nordpool_core"  # Home Assistant's Nord Pool integration (an action)
    TIBBER = "tibber"  # Home Assistant's Tibber integration (an action)
    FIXED = "fixed"
    TIME_OF_USE = "time_of_use"
    NONE = "none"


class ForecastChoice(StrEnum):
    """Where the PV forecast comes from."""

    NONE = "none"
    FORECAST_SOLAR = "forecast_solar"
    SOLCAST = "solcast"


NORDPOOL_CURRENCIES: Final = frozenset({"BGN", "DKK", "EUR", "NOK", "PLN", "RON", "SEK"})
"""The currencies Nord Pool quotes prices in (its action converts to any of them)."""


def _select(key: str, options: list[str]) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(options=options, translation_key=key, mode=SelectSelectorMode.DROPDOWN)
    )


def _number(minimum: float, maximum: float, step: float, unit: str | None) -> NumberSelector:
    config = NumberSelectorConfig(min=minimum, max=maximum, step=step, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


def prices_schema(currency: str) -> vol.Schema:
    """The price source and its parameters, and the export (feed-in) price."""
    per_kwh = f"{currency}/kWh"
    return vol.Schema(
        {
            vol.Required(CONF_PRICE_SOURCE, default=PriceChoice.ENTITY.value): _select(
                CONF_PRICE_SOURCE, [choice.value for choice in PriceChoice]
            ),
            vol.Optional(CONF_PRICE_LIST_ENTITY): EntitySelector(
                EntitySelectorConfig(domain=["sensor", "event"])
            ),
            vol.Optional(CONF_PRICE_CONFIG_ENTRY): ConfigEntrySelector(
                ConfigEntrySelectorConfig(integration="nordpool")
            ),
            vol.Optional(CONF_PRICE_AREA): TextSelector(),
            vol.Optional(CONF_FIXED_PRICE): _number(-10, 10, 0.001, per_kwh),
            vol.Optional(CONF_TOU_SCHEDULE): TextSelector(),
            vol.Optional(CONF_EXPORT_PRICE): _number(-10, 10, 0.001, per_kwh),
            vol.Optional(CONF_EXPORT_PRICE_ENTITY): EntitySelector(
                EntitySelectorConfig(domain=["sensor", "event"])
            ),
        }
    )


def forecast_schema() -> vol.Schema:
    """The PV forecast source and the house-load baseline subtracted from it."""
    return vol.Schema(
        {
            vol.Required(CONF_PV_FORECAST, default=ForecastChoice.NONE.value): _select(
                CONF_PV_FORECAST, [choice.value for choice in ForecastChoice]
            ),
            vol.Optional(CONF_FORECAST_SOLAR_ENTRY): ConfigEntrySelector(
                ConfigEntrySelectorConfig(integration="forecast_solar")
            ),
            vol.Optional(CONF_SOLCAST_ENTITIES): EntitySelector(
                EntitySelectorConfig(domain="sensor", multiple=True)
            ),
            vol.Required(CONF_HOUSE_LOAD, default=DEFAULT_HOUSE_LOAD): _number(0, 100000, 10, "W"),
            vol.Optional(CONF_HOUSE_LOAD_ENTITY): EntitySelector(
                EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.POWER)
            ),
        }
    )


def parse_schedule(text: str) -> list[tuple[time, float]]:
    """Read ``"00:00=0.20; 07:00=0.35"`` (from each time on, that price); ValueError if not."""
    entries: list[tuple[time, float]] = []
    for part in text.replace(",", ";").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        at, equals, price = part.partition("=")
        if not equals:
            raise ValueError(part)
        entries.append((time.fromisoformat(at.strip()), float(price.strip())))
    if not entries or len({at for at, _ in entries}) != len(entries):
        raise ValueError(text)
    return sorted(entries)


def validate_prices(
    hass: HomeAssistant, user_input: Mapping[str, Any], price_entity: str | None
) -> dict[str, str]:
    """Each source needs its parameter; a schedule must parse."""
    choice = PriceChoice(user_input[CONF_PRICE_SOURCE])
    errors: dict[str, str] = {}
    listed = user_input.get(CONF_PRICE_LIST_ENTITY)
    if listed and hass.states.get(listed) is None:
        errors[CONF_PRICE_LIST_ENTITY] = "entity_not_found"
    if choice is PriceChoice.ENTITY and not (price_entity or listed):
        errors[CONF_PRICE_SOURCE] = "no_price_entity"
    elif choice is PriceChoice.NORDPOOL:
        errors |= _validate_nordpool(hass, user_input)
    elif choice is PriceChoice.TIBBER and not hass.services.has_service("tibber", "get_prices"):
        errors[CONF_PRICE_SOURCE] = "integration_missing"
    elif choice is PriceChoice.FIXED and user_input.get(CONF_FIXED_PRICE) is None:
        errors[CONF_FIXED_PRICE] = "required_for_source"
    elif choice is PriceChoice.TIME_OF_USE:
        try:
            parse_schedule(str(user_input.get(CONF_TOU_SCHEDULE) or ""))
        except ValueError:
            errors[CONF_TOU_SCHEDULE] = "schedule_invalid"
    entity_id = user_input.get(CONF_EXPORT_PRICE_ENTITY)
    if entity_id and hass.states.get(entity_id) is None:
        errors[CONF_EXPORT_PRICE_ENTITY] = "entity_not_found"
    return errors


def _validate_nordpool(hass: HomeAssistant, user_input: Mapping[str, Any]) -> dict[str, str]:
    """An entry and one of its areas; Home Assistant's currency must be one Nord Pool quotes."""
    errors: dict[str, str] = {}
    entry_id = user_input.get(CONF_PRICE_CONFIG_ENTRY)
    area = str(user_input.get(CONF_PRICE_AREA) or "").strip().upper()
    if not entry_id:
        errors[CONF_PRICE_CONFIG_ENTRY] = "required_for_source"
    if not area:
        errors[CONF_PRICE_AREA] = "required_for_source"
    elif entry_id and (entry := hass.config_entries.async_get_entry(entry_id)) is not None:
        areas = {str(known).upper() for known in entry.data.get("areas", [])}
        if areas and area not in areas:
            errors[CONF_PRICE_AREA] = "area_not_in_entry"
    if hass.config.currency.upper() not in NORDPOOL_CURRENCIES:
        errors[CONF_PRICE_SOURCE] = "currency_not_quoted"
    return errors


def validate_forecast(hass: HomeAssistant, user_input: Mapping[str, Any]) -> dict[str, str]:
    """Each forecast source needs its entry or entities, and they must exist."""
    choice = ForecastChoice(user_input[CONF_PV_FORECAST])
    errors: dict[str, str] = {}
    if choice is ForecastChoice.FORECAST_SOLAR and not user_input.get(CONF_FORECAST_SOLAR_ENTRY):
        errors[CONF_FORECAST_SOLAR_ENTRY] = "required_for_source"
    if choice is ForecastChoice.SOLCAST:
        entities = user_input.get(CONF_SOLCAST_ENTITIES) or []
        if not entities:
            errors[CONF_SOLCAST_ENTITIES] = "required_for_source"
        elif any(hass.states.get(entity_id) is None for entity_id in entities):
            errors[CONF_SOLCAST_ENTITIES] = "entity_not_found"
    entity_id = user_input.get(CONF_HOUSE_LOAD_ENTITY)
    if entity_id and hass.states.get(entity_id) is None:
        errors[CONF_HOUSE_LOAD_ENTITY] = "entity_not_found"
    return errors
