"""Buttons of a charger: boost."""

from __future__ import annotations

from typing import Any

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .charger import ChargerHandle
from .coordinator import ChargerRuntimeData, SiteCoordinator
from .entity import ChargerEntity

PARALLEL_UPDATES = 0

BOOST = ButtonEntityDescription(key="boost", translation_key="boost")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a charger's boost button."""
    runtime: ChargerRuntimeData = entry.runtime_data
    async_add_entities([BoostButton(runtime.site.coordinator, runtime.handle, entry.title, BOOST)])


class BoostButton(ChargerEntity, ButtonEntity):
    """Charge at full power for the charger's boost duration, then back to its mode."""

    def __init__(
        self,
        coordinator: SiteCoordinator,
        handle: ChargerHandle,
        title: str,
        description: ButtonEntityDescription,
    ) -> None:
        """Bind the button to its charger."""
        super().__init__(coordinator, handle, title, description.key)
        self.entity_description = description

    async def async_press(self) -> None:
        """Start (or restart) a boost: the configured duration, or energy if that comes first."""
        handle = self.handle
        handle.start_boost(dt_util.now() + handle.boost_duration, handle.boost_energy_setting_kwh)
        await self.coordinator.async_refresh()
