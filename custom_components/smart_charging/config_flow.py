"""Config flow for Smart Charging: sites (set up by the user) and chargers (discovered)."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
)
import voluptuous as vol

from .const import (
    CONF_CHARGE_POINT_ID,
    CONF_CHARGER_NAME,
    CONF_GRID_CURRENT_L1,
    CONF_GRID_POWER,
    CONF_MODBUS_CUSTOM,
    CONF_MODBUS_HOST,
    CONF_MODBUS_PORT,
    CONF_MODBUS_PROFILE,
    CONF_MODBUS_UNIT,
    CONF_MODEL,
    CONF_PROTOCOL,
    CONF_SITE_ENTRY_ID,
    CONF_VENDOR,
    DEFAULT_NAME,
    DOMAIN,
    PROTOCOL_MODBUS,
    PROTOCOL_OCPP,
)
from .drivers.modbus import CUSTOM_PROFILE_ID, ProfileError
from .flow_charger import (
    DEFAULT_CHARGER_OPTIONS,
    WIRING,
    charger_schema,
    clean_charger,
    validate_charger,
)
from .flow_modbus import (
    build_profile,
    clean_custom,
    custom_errors,
    custom_schema,
    modbus_schema,
    modbus_unique_id,
    probe,
)
from .flow_site import (
    clean_site,
    form_values,
    meter_id,
    site_schema,
    validate_site,
)
from .ocpp_link import AUTO_ACCEPT, charger_unique_id
from .options_charger import ChargerOptionsFlow
from .options_site import SiteOptionsFlow


def _charger_title(cp_id: str, vendor: str | None, model: str | None) -> str:
    product = " ".join(part for part in (vendor, model) if part)
    return f"{product} ({cp_id})" if product else cp_id


class SmartChargingConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a charging site, or add a charger that connected to it."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with no discovered or entered charger."""
        self._discovered: dict[str, Any] = {}
        self._modbus: dict[str, Any] = {}
        self._probe_serial: str | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> OptionsFlow:
        """Return the options flow of a site or of a charger."""
        if CONF_SITE_ENTRY_ID in config_entry.data:
            return ChargerOptionsFlow()  # options_charger.py
        return SiteOptionsFlow()  # options_site.py

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Set up a site; once one exists, offer to add a Modbus charger too."""
        if user_input is None and self._loaded_sites():
            return self.async_show_menu(step_id="user", menu_options=["site", "modbus"])
        return await self.async_step_site(user_input, step_id="user")

    async def async_step_site(
        self, user_input: dict[str, Any] | None = None, step_id: str = "site"
    ) -> ConfigFlowResult:
        """Ask for the site's meter, fuse and optional PV, battery and price entities."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = validate_site(self.hass, user_input)
            if not errors:
                data = clean_site(user_input)
                await self.async_set_unique_id(meter_id(data))
                self._abort_if_unique_id_configured()
                name = data.pop(CONF_NAME, None) or DEFAULT_NAME
                return self.async_create_entry(title=name, data=data)
        schema = site_schema(with_name=True)
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(step_id=step_id, data_schema=schema, errors=errors)

    def _loaded_sites(self) -> list[ConfigEntry[Any]]:
        return [
            entry
            for entry in self._async_current_entries(include_ignore=False)
            if CONF_SITE_ENTRY_ID not in entry.data and entry.state is ConfigEntryState.LOADED
        ]

    async def async_step_modbus(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask how to reach a Modbus TCP charger and how it is wired."""
        sites = self._loaded_sites()
        if not sites:
            return self.async_abort(reason="no_site")
        schema = modbus_schema().extend(charger_schema(ocpp=False, only=WIRING).schema)
        if len(sites) > 1:
            schema = schema.extend(
                {
                    vol.Required(CONF_SITE_ENTRY_ID): SelectSelector(
                        SelectSelectorConfig(
                            options=[
                                SelectOptionDict(value=site.entry_id, label=site.title)
                                for site in sites
                            ]
                        )
                    )
                }
            )
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = validate_charger({**DEFAULT_CHARGER_OPTIONS, **user_input})
            if not errors:
                self._modbus = dict(user_input)
                self._modbus.setdefault(CONF_SITE_ENTRY_ID, sites[0].entry_id)
                if user_input[CONF_MODBUS_PROFILE] == CUSTOM_PROFILE_ID:
                    return await self.async_step_modbus_custom()
                errors = await self._async_probe(None)
                if not errors:
                    return await self._async_create_modbus(None)
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(step_id="modbus", data_schema=schema, errors=errors)

    async def async_step_modbus_custom(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the registers of a charger without a built-in profile."""
        errors: dict[str, str] = {}
        schema = custom_schema()
        if user_input is not None:
            custom = clean_custom(user_input)
            try:
                build_profile(CUSTOM_PROFILE_ID, custom)
            except ProfileError as err:
                errors = custom_errors(err)
            else:
                errors = await self._async_probe(custom)
                if not errors:
                    return await self._async_create_modbus(custom)
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(step_id="modbus_custom", data_schema=schema, errors=errors)

    async def _async_probe(self, custom: dict[str, Any] | None) -> dict[str, str]:
        """Read the charger once before anything is created."""
        data = self._modbus
        profile = build_profile(data[CONF_MODBUS_PROFILE], custom)
        unit = int(data.get(CONF_MODBUS_UNIT, profile.default_unit))
        result, error = await probe(
            data[CONF_MODBUS_HOST], int(data[CONF_MODBUS_PORT]), unit, profile
        )
        if error is not None or result is None:
            return {"base": error or "unexpected_value"}
        data[CONF_MODBUS_UNIT] = unit
        self._probe_serial = result.serial_number
        return {}

    async def _async_create_modbus(self, custom: dict[str, Any] | None) -> ConfigFlowResult:
        data = self._modbus
        host, port, unit = (
            data[CONF_MODBUS_HOST],
            int(data[CONF_MODBUS_PORT]),
            data[CONF_MODBUS_UNIT],
        )
        await self.async_set_unique_id(modbus_unique_id(host, port, unit, self._probe_serial))
        self._abort_if_unique_id_configured()
        profile = build_profile(data[CONF_MODBUS_PROFILE], custom)
        entry_data: dict[str, Any] = {
            CONF_SITE_ENTRY_ID: data[CONF_SITE_ENTRY_ID],
            CONF_PROTOCOL: PROTOCOL_MODBUS,
            CONF_MODBUS_HOST: host,
            CONF_MODBUS_PORT: port,
            CONF_MODBUS_UNIT: unit,
            CONF_MODBUS_PROFILE: data[CONF_MODBUS_PROFILE],
        }
        if custom is not None:
            entry_data[CONF_MODBUS_CUSTOM] = custom
        wiring = clean_charger(
            {**DEFAULT_CHARGER_OPTIONS, **{k: data[k] for k in WIRING if k in data}}
        )
        return self.async_create_entry(
            title=data.get(CONF_CHARGER_NAME) or f"{profile.name} ({host})",
            data=entry_data,
            options=wiring,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the site's meter, fuse and inputs."""
        entry = self._get_reconfigure_entry()
        if CONF_SITE_ENTRY_ID in entry.data:
            return self.async_abort(reason="charger_settings_in_options")
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = validate_site(self.hass, user_input)
            if not errors:
                data = clean_site(user_input)
                new_id = meter_id(data)
                if any(
                    other.unique_id == new_id and other.entry_id != entry.entry_id
                    for other in self._async_current_entries(include_ignore=False)
                ):
                    field = CONF_GRID_POWER if data.get(CONF_GRID_POWER) else CONF_GRID_CURRENT_L1
                    errors[field] = "meter_in_use"
                else:
                    # The entry's update listener reloads the site with the new data.
                    self.hass.config_entries.async_update_entry(entry, unique_id=new_id, data=data)
                    return self.async_abort(reason="reconfigure_successful")
        schema = self.add_suggested_values_to_schema(
            site_schema(with_name=False),
            user_input if user_input is not None else form_values(entry.data),
        )
        return self.async_show_form(step_id="reconfigure", data_schema=schema, errors=errors)

    async def async_step_integration_discovery(
        self, discovery_info: dict[str, Any]
    ) -> ConfigFlowResult:
        """A charge point connected to a site's OCPP server."""
        cp_id = str(discovery_info[CONF_CHARGE_POINT_ID])
        await self.async_set_unique_id(charger_unique_id(cp_id))
        self._abort_if_unique_id_configured()
        site = self.hass.config_entries.async_get_entry(discovery_info[CONF_SITE_ENTRY_ID])
        if site is None or site.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="site_not_loaded")
        self._discovered = {
            CONF_SITE_ENTRY_ID: site.entry_id,
            CONF_PROTOCOL: PROTOCOL_OCPP,
            CONF_CHARGE_POINT_ID: cp_id,
            CONF_VENDOR: discovery_info.get(CONF_VENDOR),
            CONF_MODEL: discovery_info.get(CONF_MODEL),
        }
        if discovery_info.get(AUTO_ACCEPT):
            return self._create_charger()
        self.context["title_placeholders"] = {
            "name": _charger_title(
                cp_id, self._discovered[CONF_VENDOR], self._discovered[CONF_MODEL]
            )
        }
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the user to let a new charger be controlled."""
        if user_input is not None:
            return self._create_charger()
        self._set_confirm_only()
        discovered = self._discovered
        return self.async_show_form(
            step_id="discovery_confirm",
            description_placeholders={
                "id": discovered[CONF_CHARGE_POINT_ID],
                "vendor": discovered[CONF_VENDOR] or "?",
                "model": discovered[CONF_MODEL] or "?",
            },
        )

    def _create_charger(self) -> ConfigFlowResult:
        discovered = {key: value for key, value in self._discovered.items() if value is not None}
        return self.async_create_entry(
            title=_charger_title(
                discovered[CONF_CHARGE_POINT_ID],
                discovered.get(CONF_VENDOR),
                discovered.get(CONF_MODEL),
            ),
            data=discovered,
            options=dict(DEFAULT_CHARGER_OPTIONS),
        )
