"""Switches: one per charging mode and "Charging" per charger; "Smart control" per site.

One switch per mode lets every voice assistant "turn on solar charging". The site's
"Smart control" switch is the master switch: off, every charger runs at its fallback
current within the static limits until it is turned on again (kept across restarts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import STATE_OFF
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .charger import ChargerHandle
from .coordinator import ChargerRuntimeData, SiteCoordinator
from .engine.model import ChargerMode
from .entity import ChargerEntity, SiteEntity

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
    """Add a charger's mode switches, or the site's master switch."""
    runtime = entry.runtime_data
    if not isinstance(runtime, ChargerRuntimeData):
        async_add_entities([SmartControlSwitch(runtime.coordinator)])
        return
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


class SmartControlSwitch(SiteEntity, SwitchEntity, RestoreEntity):
    """On: the site is smart-controlled. Off: every charger runs at its fallback current."""

    _attr_translation_key = "smart_control"

    def __init__(self, coordinator: SiteCoordinator) -> None:
        """Bind the switch to the site."""
        super().__init__(coordinator, "smart_control")

    async def async_added_to_hass(self) -> None:
        """Restore a pause that was in force before Home Assistant restarted."""
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        if last is not None and last.state == STATE_OFF and not self.coordinator.control_paused:
            self.coordinator.control_paused = True
            await self.coordinator.async_refresh()

    @property
    def is_on(self) -> bool:
        """Return whether smart control runs."""
        return not self.coordinator.control_paused

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Resume smart control."""
        await self._set_paused(paused=False)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Pause smart control: every charger falls back to its fallback current."""
        await self._set_paused(paused=True)

    async def _set_paused(self, *, paused: bool) -> None:
        self.coordinator.control_paused = paused
        await self.coordinator.async_refresh()
