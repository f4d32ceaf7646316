"""Base entities for Smart Charging: the site device and charger devices."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .charger import ChargerHandle
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


class ChargerEntity(CoordinatorEntity[SiteCoordinator]):
    """An entity of a charger device, updated by its site's control cycle."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: SiteCoordinator, handle: ChargerHandle, title: str, key: str
    ) -> None:
        """Attach the entity to the charger's device (stable across reconnects)."""
        super().__init__(coordinator)
        self.handle = handle
        device_id = handle.unique_id
        info = handle.driver.info
        self._attr_unique_id = f"{device_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, device_id)},
            name=title,
            manufacturer=info.vendor,
            model=info.model,
            serial_number=info.serial_number,
            sw_version=info.firmware_version,
            via_device=(DOMAIN, coordinator.config_entry.entry_id),
        )
