"""Selects of a charger device: its charging mode, and its phase mode where it can switch."""

from __future__ import annotations

from typing import Any

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .charger import ChargerHandle
from .coordinator import ChargerRuntimeData, SiteCoordinator
from .engine.model import ChargerMode, PhaseMode
from .entity import ChargerEntity

PARALLEL_UPDATES = 0

MODE = SelectEntityDescription(
    key="mode",
    translation_key="mode",
    options=[mode.value for mode in ChargerMode],
)
PHASE_MODE = SelectEntityDescription(
    key="phase_mode",
    translation_key="phase_mode",
    options=[mode.value for mode in PhaseMode],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a charger's selects."""
    runtime: ChargerRuntimeData = entry.runtime_data
    coordinator, handle = runtime.site.coordinator, runtime.handle
    selects: list[SelectEntity] = [ModeSelect(coordinator, handle, entry.title, MODE)]
    if handle.config.can_switch_phases:
        selects.append(PhaseModeSelect(coordinator, handle, entry.title, PHASE_MODE))
    async_add_entities(selects)


class ChargerSelect(ChargerEntity, SelectEntity):
    """A select of one charger, described by its entity description."""

    def __init__(
        self,
        coordinator: SiteCoordinator,
        handle: ChargerHandle,
        title: str,
        description: SelectEntityDescription,
    ) -> None:
        """Bind the select to its charger."""
        super().__init__(coordinator, handle, title, description.key)
        self.entity_description = description


class ModeSelect(ChargerSelect, RestoreEntity):
    """The charger's mode; it survives restarts."""

    async def async_added_to_hass(self) -> None:
        """Restore the mode the user chose before a restart.

        The charger's store keeps it (with the mode "Charging: on" returns to); this
        entity's last state stands in only where the store has none (older versions).
        """
        await super().async_added_to_hass()
        if self.handle.mode_restored:
            return
        last = await self.async_get_last_state()
        if last is not None and last.state in self.options:
            self.handle.set_mode(ChargerMode(last.state))

    @property
    def current_option(self) -> str:
        """Return the charger's mode."""
        return self.handle.mode.value

    async def async_select_option(self, option: str) -> None:
        """Switch mode and act on it at once."""
        self.handle.set_mode(ChargerMode(option))
        self.async_write_ha_state()
        await self.coordinator.async_refresh()


class PhaseModeSelect(ChargerSelect):
    """One phase, three phases, or automatic switching (kept by the charger's store)."""

    @property
    def current_option(self) -> str:
        """Return the charger's phase mode."""
        return self.handle.phase_mode.value

    async def async_select_option(self, option: str) -> None:
        """Switch (the engine keeps its switching delays) and act on it at once."""
        self.handle.phase_mode = PhaseMode(option)
        self.async_write_ha_state()
        await self.coordinator.async_refresh()
