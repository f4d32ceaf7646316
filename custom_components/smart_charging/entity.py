"""Base entity for Smart Charging."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import SiteCoordinator


class SiteEntity(CoordinatorEntity[SiteCoordinator]):
    """An entity of the site device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: SiteCoordinator, key: str) -> None:
        """Attach the entity to the site device; its id never depends on a name."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Smart Charging",
            model="Charging site",
        )
