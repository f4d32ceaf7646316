"""Time entities of a charger: when the car must be ready."""

from __future__ import annotations

from datetime import time
from typing import Any

from homeassistant.components.time import TimeEntity, TimeEntityDescription
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .charger import ChargerHandle, next_occurrence
from .coordinator import ChargerRuntimeData, SiteCoordinator
from .entity import ChargerEntity

PARALLEL_UPDATES = 0

READY_BY = TimeEntityDescription(key="ready_by", translation_key="ready_by")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a charger's ready-by time."""
    runtime: ChargerRuntimeData = entry.runtime_data
    async_add_entities(
        [ReadyByTime(runtime.site.coordinator, runtime.handle, entry.title, READY_BY)]
    )


class ReadyByTime(ChargerEntity, TimeEntity):
    """The time of day the car must be ready by; the next such time is the deadline."""

    def __init__(
        self,
        coordinator: SiteCoordinator,
        handle: ChargerHandle,
        title: str,
        description: TimeEntityDescription,
    ) -> None:
        """Bind the entity to its charger."""
        super().__init__(coordinator, handle, title, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> time | None:
        """Return the local time of day of the deadline (also one set by an action)."""
        ready_by = self.handle.ready_by
        return None if ready_by is None else dt_util.as_local(ready_by).time()

    async def async_set_value(self, value: time) -> None:
        """Make the next occurrence of ``value`` the deadline."""
        self.handle.ready_by = next_occurrence(value, dt_util.now())
        await self.coordinator.async_refresh()
