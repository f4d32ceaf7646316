"""Carry the allocator's decisions to the chargers without letting one block another."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from .charger import ChargerHandle
from .const import DOMAIN, LOGGER
from .drivers.base import DriverError
from .engine.allocation import AllocationResult


class CommandDispatcher:
    """Sends each charger its latest command in a task of its own.

    Drivers send only what changed (plus the refresh that keeps fallbacks armed), so the
    command is handed over every cycle. A charger that is still busy with the previous
    command gets the newest one when it is done; intermediate ones are dropped. A driver
    error is logged once per episode and never reaches the event loop.
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Bind the dispatcher to the site entry that owns its tasks."""
        self._hass = hass
        self._entry = entry
        self._latest: dict[str, tuple[ChargerHandle, float, int]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.failing: set[str] = set()

    @callback
    def async_dispatch(
        self, handles: Mapping[str, ChargerHandle], result: AllocationResult
    ) -> None:
        """Hand this cycle's command to every online charger."""
        for allocation in result.allocations:
            handle = handles.get(allocation.charger_id)
            if handle is None:
                continue
            charger_id = handle.charger_id
            self._latest[charger_id] = (handle, allocation.current_a, allocation.phases)
            running = self._tasks.get(charger_id)
            if running is not None and not running.done():
                continue  # the running task picks the newest command up when it is done
            task = self._entry.async_create_background_task(
                self._hass, self._run(charger_id), f"{DOMAIN} apply {charger_id}"
            )
            # A driver with nothing to send finishes within the eager start already.
            if not task.done():
                self._tasks[charger_id] = task

    @callback
    def async_forget(self, charger_id: str) -> None:
        """Stop sending to a charger that is no longer controlled."""
        self._latest.pop(charger_id, None)
        if task := self._tasks.pop(charger_id, None):
            task.cancel()

    async def _run(self, charger_id: str) -> None:
        try:
            while (latest := self._latest.pop(charger_id, None)) is not None:
                handle, current_a, phases = latest
                try:
                    await handle.driver.async_apply(current_a, phases)
                except DriverError as err:
                    if charger_id not in self.failing:
                        LOGGER.warning("Charger %s did not take its limit: %s", charger_id, err)
                    self.failing.add(charger_id)
                else:
                    if charger_id in self.failing:
                        LOGGER.info("Charger %s takes its limits again", charger_id)
                    self.failing.discard(charger_id)
        finally:
            if self._tasks.get(charger_id) is asyncio.current_task():
                del self._tasks[charger_id]
