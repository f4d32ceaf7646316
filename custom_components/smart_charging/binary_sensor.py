"""Binary sensors of the charging site."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SiteCoordinator, SmartChargingConfigEntry
from .entity import SiteEntity

PARALLEL_UPDATES = 0

FAILSAFE = BinarySensorEntityDescription(
    key="failsafe",
    translation_key="failsafe",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartChargingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the site's binary sensors."""
    async_add_entities([FailsafeSensor(entry.runtime_data.coordinator, FAILSAFE)])


class FailsafeSensor(SiteEntity, BinarySensorEntity):
    """On while the site cannot guard its fuse from live measurements."""

    def __init__(
        self, coordinator: SiteCoordinator, description: BinarySensorEntityDescription
    ) -> None:
        """Bind the description to the site."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def is_on(self) -> bool:
        """Return whether failsafe limits apply."""
        return self.coordinator.data.failsafe

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Say why: the worst input problem and every unusable safety input."""
        bad = self.coordinator.data.snapshot.failsafe_inputs
        return {
            "reason": bad[0].status.value if bad else None,
            "entities": [reading.entity_id for reading in bad],
        }
