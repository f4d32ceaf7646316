"""Smart Charging: Home Assistant as a local smart-charging controller for EV chargers."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from .coordinator import SiteCoordinator, SmartChargingConfigEntry, SmartChargingRuntimeData

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: SmartChargingConfigEntry) -> bool:
    """Set up a site from a config entry."""
    coordinator = SiteCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = SmartChargingRuntimeData(coordinator=coordinator)
    entry.async_on_unload(coordinator.async_start())
    entry.async_on_unload(coordinator.async_clear_issues)
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_update))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SmartChargingConfigEntry) -> bool:
    """Unload a site; every listener registered with async_on_unload is removed."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def _async_reload_on_update(hass: HomeAssistant, entry: SmartChargingConfigEntry) -> None:
    """Apply changed settings without a Home Assistant restart."""
    hass.config_entries.async_schedule_reload(entry.entry_id)
