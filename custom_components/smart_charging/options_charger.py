"""A charger's options flow: wiring and compatibility, the car, temperature and schedule."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult
import voluptuous as vol

from .const import CONF_CIRCUIT, CONF_PROTOCOL, CONF_SITE_ENTRY_ID, PROTOCOL_OCPP
from .flow_charger import (
    charger_form_values,
    charger_schema,
    clean_charger,
    schedule_schema,
    validate_charger,
    validate_schedule,
    validate_vehicle,
    vehicle_schema,
)
from .flow_options import GroupedOptionsFlow
from .flow_tuning import (
    circuit_choice,
    circuits_of,
    clean_derating,
    clean_numbers,
    derating_fields,
    validate_derating,
)


class ChargerOptionsFlow(GroupedOptionsFlow):
    """Edit a charger's settings, its car's SoC sensor, derating and allowed window."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer the charger's setting groups."""
        return await self.async_step_charger_init()

    async def async_step_charger_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The menu (its own step: the site's options flow owns the "init" texts)."""
        return self.async_show_menu(
            step_id="charger_init", menu_options=["charger", "vehicle", "temperature", "schedule"]
        )

    async def async_step_charger(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Wiring, currents, priority, circuit and the OCPP compatibility options."""
        ocpp = self.config_entry.data.get(CONF_PROTOCOL, PROTOCOL_OCPP) == PROTOCOL_OCPP
        schema = charger_schema(ocpp=ocpp)
        site = self.hass.config_entries.async_get_entry(self.config_entry.data[CONF_SITE_ENTRY_ID])
        if site is not None and (circuits := circuits_of(site.options)):
            schema = schema.extend({vol.Optional(CONF_CIRCUIT): circuit_choice(circuits)})
        return await self._async_section(
            "charger",
            schema,
            user_input,
            {} if user_input is None else validate_charger(user_input),
            clean_charger,
            values=charger_form_values(self.config_entry.options),
        )

    async def async_step_vehicle(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The car's own state-of-charge sensor."""
        return await self._async_section(
            "vehicle",
            vehicle_schema(),
            user_input,
            {} if user_input is None else validate_vehicle(self.hass, user_input),
            lambda values: clean_numbers(values, ()),
        )

    async def async_step_temperature(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A temperature sensor and the curve that derates the charger's current."""
        return await self._async_section(
            "temperature",
            vol.Schema(derating_fields()),
            user_input,
            {} if user_input is None else validate_derating(self.hass, user_input),
            clean_derating,
        )

    async def async_step_schedule(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The daily window in which the charger may charge."""
        return await self._async_section(
            "schedule",
            schedule_schema(),
            user_input,
            {} if user_input is None else validate_schedule(user_input),
            lambda values: clean_numbers(values, ()),
        )
