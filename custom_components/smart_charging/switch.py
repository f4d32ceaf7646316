"""Switches of a charger: one per charging mode, and a "Charging" switch.

One switch per mode lets every voice assistant "turn on solar charging".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .charger import ChargerHandle
from .coordinator import ChargerRuntimeData, SiteCoordinator
from .engine.model import ChargerMode
from .entity import ChargerEntity

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ModeSwitchDescription(SwitchEntityDescription):
    """A switch that is on while its charger runs in ``mode``.

    ``mode`` None is the "Charging" switch: on in every mode but ``off``.
    """

    mode: ChargerMode | None


MODE_SWITCHES: tuple[ModeSwitchDescription, ...] = (
    ModeSwitchDescription(key="charging", translation_key="charging", mode=None),
    ModeSwitchDescription(key="mode_fast", translation_key="mode_fast", mode=ChargerMode.FAST),
    ModeSwitchDescription(key="mode_pv", translation_key="mode_pv", mode=ChargerMode.PV),
    ModeSwitchDescription(
        key="mode_min_pv", translation_key="mode_min_pv", mode=ChargerMode.MIN_PV
    ),
    ModeSwitchDescription(key="mode_smart", translation_key="mode_smart", mode=ChargerMode.SMART),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a charger's mode switches."""
    runtime: ChargerRuntimeData = entry.runtime_data
    async_add_entities(
        ModeSwitch(runtime.site.coordinator, runtime.handle, entry.title, description)
        for description in MODE_SWITCHES
    )


class ModeSwitch(ChargerEntity, SwitchEntity):
    """Turning a mode switch on selects its mode; turning it off turns charging off."""

    entity_description: ModeSwitchDescription

    def __init__(
        self,
        coordinator: SiteCoordinator,
        handle: ChargerHandle,
        title: str,
        description: ModeSwitchDescription,
    ) -> None:
        """Bind the switch to its charger."""
        super().__init__(coordinator, handle, title, description.key)
        self.entity_description = description

    @property
    def is_on(self) -> bool:
        """Return whether the charger runs in this switch's mode."""
        mode = self.entity_description.mode
        if mode is None:
            return self.handle.mode is not ChargerMode.OFF
        return self.handle.mode is mode

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Select this mode (the "Charging" switch returns to the last mode used)."""
        mode = self.entity_description.mode or self.handle.last_active_mode
        self.handle.set_mode(mode)
        await self.coordinator.async_refresh()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop charging, if this switch's mode is the one in use."""
        if self.is_on:
            self.handle.set_mode(ChargerMode.OFF)
            await self.coordinator.async_refresh()
