"""Smart Charging: Home Assistant as a local smart-charging controller for EV chargers.

Two kinds of config entries share the domain: a **site** (meter, fuse, inputs; it owns
the coordinator and the OCPP central system) and a **charger** (one per charge point,
created from discovery; it registers its driver with its site's coordinator).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.typing import ConfigType

from .charger import (
    ChargerHandle,
    VehicleSensors,
    charger_config,
    charger_windows,
    compat_options,
    modbus_config,
)
from .charger_settings import ChargerStore, async_remove_store
from .const import (
    CONF_CAN_SWITCH_PHASES,
    CONF_CHARGE_POINT_ID,
    CONF_MODBUS_CUSTOM,
    CONF_MODBUS_PROFILE,
    CONF_PROTOCOL,
    CONF_SITE_ENTRY_ID,
    DOMAIN,
    PROTOCOL_MODBUS,
)
from .coordinator import (
    ChargerRuntimeData,
    SiteCoordinator,
    SmartChargingConfigEntry,
    SmartChargingRuntimeData,
)
from .drivers.base import ChargerDriver
from .drivers.modbus import ModbusCharger, ProfileError
from .drivers.ocpp import OcppCharger
from .flow_modbus import build_profile
from .ocpp_link import OcppLink
from .services import async_setup_services

SITE_PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]
CHARGER_PLATFORMS: list[Platform] = [
    Platform.BUTTON,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TIME,
]


CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, which find their site or charger by device."""
    async_setup_services(hass)
    return True


def is_charger_entry(entry: ConfigEntry[Any]) -> bool:
    """Return whether an entry is a charger (as opposed to a site)."""
    return CONF_SITE_ENTRY_ID in entry.data


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Set up a site or a charger."""
    if is_charger_entry(entry):
        return await _async_setup_charger(hass, entry)
    return await _async_setup_site(hass, entry)


async def _async_setup_site(hass: HomeAssistant, entry: SmartChargingConfigEntry) -> bool:
    coordinator = SiteCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    link = OcppLink(hass, entry)
    entry.runtime_data = SmartChargingRuntimeData(coordinator=coordinator, ocpp=link)
    entry.async_on_unload(coordinator.async_start())
    entry.async_on_unload(coordinator.issues.clear)
    entry.async_on_unload(coordinator.prices.async_stop)
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_update))
    await link.async_start()
    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _stop_link(link)))
    await hass.config_entries.async_forward_entry_setups(entry, SITE_PLATFORMS)

    @callback
    def bring_in_chargers() -> None:
        """Chargers that waited for their site are set up as soon as it is loaded."""
        if entry.state is not ConfigEntryState.LOADED:
            return
        for charger in _charger_entries(hass, entry.entry_id):
            if charger.state in (ConfigEntryState.SETUP_RETRY, ConfigEntryState.NOT_LOADED):
                hass.config_entries.async_schedule_reload(charger.entry_id)

    entry.async_on_unload(entry.async_on_state_change(bring_in_chargers))
    return True


async def _async_setup_charger(hass: HomeAssistant, entry: ConfigEntry[ChargerRuntimeData]) -> bool:
    site_entry: SmartChargingConfigEntry | None = hass.config_entries.async_get_entry(
        entry.data[CONF_SITE_ENTRY_ID]
    )
    if site_entry is None:
        raise ConfigEntryError(translation_domain=DOMAIN, translation_key="site_missing")
    if site_entry.state is not ConfigEntryState.LOADED:
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="site_not_ready")
    site = site_entry.runtime_data
    if entry.data.get(CONF_PROTOCOL) == PROTOCOL_MODBUS:
        charger_id, driver = await _async_modbus_driver(hass, entry)
    else:
        charger_id, driver = await _async_ocpp_driver(entry, site)
    handle = ChargerHandle(
        entry_id=entry.entry_id,
        charger_id=charger_id,
        unique_id=str(entry.unique_id),
        driver=driver,
        config=charger_config(charger_id, entry.options),
        energy_register=has_energy_register(driver),
        windows=charger_windows(entry.options),
        sensors=VehicleSensors.from_options(entry.options),
    )
    # Settings and the session in progress are back before entities and control start.
    store = ChargerStore(hass, entry, handle)
    await store.async_load()
    entry.runtime_data = ChargerRuntimeData(site=site, handle=handle, site_entry=site_entry)
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_update))
    entry.async_on_unload(store.async_save)
    entry.async_on_unload(store.async_start(site.coordinator))
    # Entities restore the user's mode before the charger is controlled.
    await hass.config_entries.async_forward_entry_setups(entry, CHARGER_PLATFORMS)
    entry.async_on_unload(site.coordinator.async_add_charger(handle))
    if isinstance(driver, OcppCharger) and site.ocpp is not None and site.ocpp.server is not None:
        await site.ocpp.server.async_admission_changed(charger_id)
    return True


def has_energy_register(driver: ChargerDriver) -> bool:
    """Return whether a charger meters its energy (OCPP transactions always carry meter values)."""
    return not isinstance(driver, ModbusCharger) or driver.profile.measurements.energy is not None


async def _async_ocpp_driver(
    entry: ConfigEntry[Any], site: SmartChargingRuntimeData
) -> tuple[str, ChargerDriver]:
    server = site.ocpp.server if site.ocpp is not None else None
    if server is None:
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="ocpp_not_running")
    cp_id = str(entry.data[CONF_CHARGE_POINT_ID])
    options = compat_options(entry.options, site.coordinator.site.voltage_v)
    return cp_id, server.get_charger(cp_id, options)


async def _async_modbus_driver(
    hass: HomeAssistant, entry: ConfigEntry[Any]
) -> tuple[str, ChargerDriver]:
    try:
        profile = build_profile(entry.data[CONF_MODBUS_PROFILE], entry.data.get(CONF_MODBUS_CUSTOM))
    except (KeyError, ProfileError) as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="modbus_profile_invalid",
            translation_placeholders={"error": str(err)},
        ) from err
    charger_id = str(entry.unique_id)
    driver = ModbusCharger(
        modbus_config(entry.data, entry.options, charger_id),
        profile,
        switch_phases=bool(entry.options.get(CONF_CAN_SWITCH_PHASES)),
    )
    await driver.async_start()
    entry.async_on_unload(driver.async_stop)

    async def stop(_event: Event) -> None:
        """Stop polling when Home Assistant stops; the charger's watchdog takes over."""
        await driver.async_stop()

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop))
    issue_id = f"modbus_no_failsafe_{entry.entry_id}"
    if profile.falls_back_by_itself:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
    else:
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="modbus_no_failsafe",
            translation_placeholders={"charger": entry.title, "model": profile.name},
        )
    return charger_id, driver


def _stop_link(link: OcppLink) -> Callable[[Event], Coroutine[Any, Any, None]]:
    async def stop(_event: Event) -> None:
        """Close every charger connection when Home Assistant stops."""
        await link.async_stop()

    return stop


def _charger_entries(hass: HomeAssistant, site_entry_id: str) -> list[ConfigEntry[Any]]:
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN, include_ignore=False)
        if entry.data.get(CONF_SITE_ENTRY_ID) == site_entry_id
    ]


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Unload a site (its chargers first) or a charger."""
    if is_charger_entry(entry):
        return await hass.config_entries.async_unload_platforms(entry, CHARGER_PLATFORMS)
    for charger in _charger_entries(hass, entry.entry_id):
        if charger.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(charger.entry_id)
    unloaded = await hass.config_entries.async_unload_platforms(entry, SITE_PLATFORMS)
    if unloaded and entry.runtime_data.ocpp is not None:
        await entry.runtime_data.ocpp.async_stop()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Forget a deleted charger in its site's server; it is offered as new if it returns."""
    ir.async_delete_issue(hass, DOMAIN, f"modbus_no_failsafe_{entry.entry_id}")
    if is_charger_entry(entry):
        await async_remove_store(hass, entry.entry_id)
    if not is_charger_entry(entry) or entry.data.get(CONF_PROTOCOL) == PROTOCOL_MODBUS:
        return
    site_entry = hass.config_entries.async_get_entry(entry.data[CONF_SITE_ENTRY_ID])
    if site_entry is None or site_entry.state is not ConfigEntryState.LOADED:
        return
    link = site_entry.runtime_data.ocpp
    if link is not None and link.server is not None:
        await link.server.async_remove_charger(entry.data[CONF_CHARGE_POINT_ID])


async def _async_reload_on_update(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Apply changed settings without a Home Assistant restart.

    Tuning applies in place; anything else reloads the site (and so its chargers).
    """
    runtime = getattr(entry, "runtime_data", None)
    if isinstance(runtime, SmartChargingRuntimeData) and runtime.coordinator.async_apply_options():
        return
    hass.config_entries.async_schedule_reload(entry.entry_id)
