"""Carry the allocator's decisions to the chargers, and notice those that do not follow."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Set as AbstractSet
from datetime import datetime, timedelta
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from .charger import ChargerHandle
from .const import DOMAIN, LOGGER
from .drivers.base import ChargerUnavailableError, DriverError
from .engine.allocation import AllocationMemory, AllocationResult
from .engine.model import ChargerState

# Drawn above its command before a charger is suspect: 1 A, plus 10 % for a limit in W
# converted at a voltage other than the grid's.
OVERDRAW_MARGIN_A: Final = 1.0
OVERDRAW_MARGIN: Final = 0.1


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
                except ChargerUnavailableError as err:
                    # Not (yet) connected, e.g. admitted but not booted again: its status
                    # says so; the newest limit is sent once it is back.
                    LOGGER.debug("Charger %s cannot take its limit now: %s", charger_id, err)
                except DriverError as err:
                    if charger_id not in self.failing:
                        LOGGER.warning("Charger %s did not take its limit: %s", charger_id, err)
                    self.failing.add(charger_id)
                else:
                    if handle.driver.reading.limit_rejected:
                        continue  # nothing new was sent: the last refusal still stands
                    if charger_id in self.failing:
                        LOGGER.info("Charger %s takes its limits again", charger_id)
                    self.failing.discard(charger_id)
        finally:
            if self._tasks.get(charger_id) is asyncio.current_task():
                del self._tasks[charger_id]


class OverdrawWatch:
    """Notices chargers that draw more than their last command for a settle time.

    The drivers' own checks compare what a charger says it offers; this one compares what
    it draws, for every driver. The allocator already counts the excess as load that is
    not ours, so the fuse holds; this is for telling the user (a repair issue).
    """

    def __init__(self) -> None:
        """Start with no charger under suspicion."""
        self._since: dict[str, datetime] = {}

    def check(
        self,
        states: Iterable[ChargerState],
        memory: AllocationMemory,
        now: datetime,
        *,
        online: AbstractSet[str],
        failing: AbstractSet[str],
        settle: timedelta,
    ) -> set[str]:
        """Return the chargers that have overdrawn for ``settle`` up to ``now``."""
        over: set[str] = set()
        for state in states:
            last = memory.get(state.id)
            if last is None or not state.connected or state.id not in online:
                self.forget(state.id)
                continue
            if state.id in failing:  # the command did not reach it: not its fault
                self.forget(state.id)
                continue
            allowed = last.current_a
            if last.changed_at is not None and now - last.changed_at < settle:
                allowed = max(allowed, last.previous_a)  # the car may still follow
            limit = allowed * (1 + OVERDRAW_MARGIN) + OVERDRAW_MARGIN_A
            if max(state.currents_a.as_tuple()) <= limit:
                self.forget(state.id)
                continue
            if now - self._since.setdefault(state.id, now) >= settle:
                over.add(state.id)
        return over

    def forget(self, charger_id: str) -> None:
        """Clear a charger's record (it follows again, went away or is not judged)."""
        self._since.pop(charger_id, None)
