"""The site's options flow: control, PV, grid signal, circuits and the OCPP server."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
import voluptuous as vol

from .const import (
    CONF_CIRCUIT,
    CONF_CIRCUIT_PARENT,
    CONF_CIRCUITS,
    CONF_CONTROL_INTERVAL,
    CONF_GRID_LIMIT_FAILSAFE,
    CONF_HOUSE_LOAD,
    CONF_MAX_INPUT_AGE,
    CONF_PRICE,
    CONF_PV_DISABLE_DELAY,
    CONF_PV_DISABLE_THRESHOLD,
    CONF_PV_ENABLE_DELAY,
    CONF_PV_ENABLE_THRESHOLD,
    CONF_SITE_ENTRY_ID,
    DOMAIN,
)
from .flow_options import GroupedOptionsFlow
from .flow_prices import forecast_schema, prices_schema, validate_forecast, validate_prices
from .flow_site import clean_ocpp, ocpp_schema, validate_ocpp
from .flow_tuning import (
    circuit_choice,
    circuit_schema,
    circuits_of,
    clean_circuit,
    clean_numbers,
    general_schema,
    grid_signal_schema,
    pv_schema,
    validate_circuit,
    validate_grid_signal,
)


class SiteOptionsFlow(GroupedOptionsFlow):
    """Tune the site: control, PV, grid signal, circuits and the OCPP central system."""

    def __init__(self) -> None:
        """Start without a circuit being edited."""
        self._editing: str | None = None

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer the site's setting groups."""
        return self.async_show_menu(
            step_id="init",
            menu_options=["general", "pv", "grid_signal", "circuits", "prices", "forecast", "ocpp"],
        )

    async def async_step_general(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Control interval, input age, safety margin and unbalanced-load limit."""
        return await self._async_section(
            "general",
            general_schema(),
            user_input,
            {},
            lambda values: clean_numbers(values, (CONF_CONTROL_INTERVAL, CONF_MAX_INPUT_AGE)),
        )

    async def async_step_pv(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Solar surplus thresholds and delays, and the home battery's priority."""
        errors: dict[str, str] = {}
        if user_input is not None:
            enable = user_input.get(CONF_PV_ENABLE_THRESHOLD)
            disable = user_input.get(CONF_PV_DISABLE_THRESHOLD)
            if enable is not None and disable is not None and float(enable) < float(disable):
                # Charging would start at a surplus it stops at: it would start and stop.
                errors[CONF_PV_ENABLE_THRESHOLD] = "enable_below_disable"
        return await self._async_section(
            "pv",
            pv_schema(),
            user_input,
            errors,
            lambda values: clean_numbers(
                values,
                (
                    CONF_PV_ENABLE_THRESHOLD,
                    CONF_PV_DISABLE_THRESHOLD,
                    CONF_PV_ENABLE_DELAY,
                    CONF_PV_DISABLE_DELAY,
                ),
            ),
        )

    async def async_step_grid_signal(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The grid operator's limit from an entity, its failsafe, and §14a."""
        errors = validate_grid_signal(self.hass, user_input) if user_input is not None else {}
        return await self._async_section(
            "grid_signal",
            grid_signal_schema(),
            user_input,
            errors,
            lambda values: clean_numbers(values, (CONF_GRID_LIMIT_FAILSAFE,)),
        )

    async def async_step_prices(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Where import prices come from, and the export (feed-in) price."""
        price_entity = self.config_entry.data.get(CONF_PRICE)
        errors = (
            validate_prices(self.hass, user_input, price_entity) if user_input is not None else {}
        )
        return await self._async_section(
            "prices",
            prices_schema(self.hass.config.currency),
            user_input,
            errors,
            lambda values: clean_numbers(values, ()),
        )

    async def async_step_forecast(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The PV forecast and the house load expected besides charging."""
        errors = validate_forecast(self.hass, user_input) if user_input is not None else {}
        return await self._async_section(
            "forecast",
            forecast_schema(),
            user_input,
            errors,
            lambda values: clean_numbers(values, (CONF_HOUSE_LOAD,)),
        )

    async def async_step_ocpp(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The OCPP central system's address, port, password, TLS and admission."""
        errors: dict[str, str] = {}
        if user_input is not None:
            link = getattr(self.config_entry.runtime_data, "ocpp", None)
            running = link.server.port if link is not None and link.server is not None else None
            errors = await validate_ocpp(self.hass, user_input, running)
        return await self._async_section("ocpp", ocpp_schema(), user_input, errors, clean_ocpp)

    async def async_step_circuits(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add, edit or remove a sub-circuit."""
        options = ["circuit_add"]
        if circuits_of(self.config_entry.options):
            options += ["circuit_edit", "circuit_remove"]
        return self.async_show_menu(step_id="circuits", menu_options=options)

    def _save_circuits(self, circuits: list[dict[str, Any]]) -> ConfigFlowResult:
        return self.async_create_entry(data={**self.config_entry.options, CONF_CIRCUITS: circuits})

    async def async_step_circuit_add(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new circuit: name, limit per phase, parent, optional temperature derating."""
        self._editing = None
        return await self.async_step_circuit(user_input)

    async def async_step_circuit_edit(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the circuit to edit."""
        circuits = circuits_of(self.config_entry.options)
        if user_input is not None:
            self._editing = user_input[CONF_CIRCUIT]
            current = next(c for c in circuits if c["id"] == self._editing)
            return self.async_show_form(
                step_id="circuit",
                data_schema=self.add_suggested_values_to_schema(
                    circuit_schema(circuits, self._editing), current
                ),
            )
        return self.async_show_form(
            step_id="circuit_edit",
            data_schema=vol.Schema({vol.Required(CONF_CIRCUIT): circuit_choice(circuits)}),
        )

    async def async_step_circuit(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The circuit form (for adding and editing)."""
        circuits = circuits_of(self.config_entry.options)
        schema = circuit_schema(circuits, self._editing)
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = validate_circuit(self.hass, user_input, circuits, self._editing)
            if not errors:
                circuit = clean_circuit(user_input)
                kept = [c for c in circuits if c["id"] != self._editing]
                if self._editing is not None and circuit["id"] != self._editing:
                    # Renamed: children and chargers keep following it.
                    for other in kept:
                        if other[CONF_CIRCUIT_PARENT] == self._editing:
                            other[CONF_CIRCUIT_PARENT] = circuit["id"]
                    self._move_chargers(self._editing, circuit["id"])
                return self._save_circuits([*kept, circuit])
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(step_id="circuit", data_schema=schema, errors=errors)

    async def async_step_circuit_remove(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Remove a circuit that has no sub-circuits and no chargers."""
        circuits = circuits_of(self.config_entry.options)
        errors: dict[str, str] = {}
        if user_input is not None:
            target = user_input[CONF_CIRCUIT]
            if any(c[CONF_CIRCUIT_PARENT] == target for c in circuits):
                errors[CONF_CIRCUIT] = "circuit_has_children"
            elif self._chargers_on(target):
                errors[CONF_CIRCUIT] = "circuit_in_use"
            else:
                return self._save_circuits([c for c in circuits if c["id"] != target])
        return self.async_show_form(
            step_id="circuit_remove",
            data_schema=vol.Schema({vol.Required(CONF_CIRCUIT): circuit_choice(circuits)}),
            errors=errors,
        )

    def _site_chargers(self) -> list[ConfigEntry[Any]]:
        return [
            entry
            for entry in self.hass.config_entries.async_entries(DOMAIN)
            if entry.data.get(CONF_SITE_ENTRY_ID) == self.config_entry.entry_id
        ]

    def _chargers_on(self, circuit_id: str) -> list[ConfigEntry[Any]]:
        return [e for e in self._site_chargers() if e.options.get(CONF_CIRCUIT) == circuit_id]

    def _move_chargers(self, old: str, new: str) -> None:
        for entry in self._chargers_on(old):
            self.hass.config_entries.async_update_entry(
                entry, options={**entry.options, CONF_CIRCUIT: new}
            )
