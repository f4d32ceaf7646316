"""The command dispatcher: one task per charger, newest command wins, no blocking."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.charger import ChargerHandle
from custom_components.smart_charging.control import CommandDispatcher
from custom_components.smart_charging.drivers.base import (
    ChargerCapabilities,
    ChargerInfo,
    ChargerReading,
    ChargerStatus,
)
from custom_components.smart_charging.engine.allocation import (
    AllocationMemory,
    AllocationResult,
    ChargerAllocation,
)
from custom_components.smart_charging.engine.model import ChargerConfig, Reason


class GatedDriver:
    """A driver whose commands wait for the test to let them through."""

    def __init__(self, charger_id: str) -> None:
        self.charger_id = charger_id
        self.info = ChargerInfo()
        self.capabilities = ChargerCapabilities()
        self.reading = ChargerReading(status=ChargerStatus.CHARGING)
        self.gate = asyncio.Event()
        self.applied: list[tuple[float, int]] = []

    async def async_apply(self, current_a: float, phases: int) -> None:
        await self.gate.wait()
        self.applied.append((current_a, phases))

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        return lambda: None


def _result(*commands: tuple[str, float]) -> AllocationResult:
    return AllocationResult(
        allocations=tuple(
            ChargerAllocation(cid, current, 3, Reason.FAST) for cid, current in commands
        ),
        memory=AllocationMemory(),
    )


def _handle(driver: GatedDriver) -> ChargerHandle:
    return ChargerHandle(
        entry_id="e",
        charger_id=driver.charger_id,
        unique_id=f"test:{driver.charger_id}",
        driver=driver,
        config=ChargerConfig(driver.charger_id),
    )


async def test_newest_command_wins_and_chargers_do_not_wait_for_each_other(
    hass: HomeAssistant,
) -> None:
    entry = MockConfigEntry(domain="smart_charging")
    entry.add_to_hass(hass)
    slow, fast = GatedDriver("slow"), GatedDriver("fast")
    fast.gate.set()
    handles = {"slow": _handle(slow), "fast": _handle(fast)}
    dispatcher = CommandDispatcher(hass, entry)

    dispatcher.async_dispatch(handles, _result(("slow", 16), ("fast", 16)))
    dispatcher.async_dispatch(handles, _result(("slow", 12), ("fast", 12)))
    dispatcher.async_dispatch(handles, _result(("slow", 8), ("fast", 8)))
    await hass.async_block_till_done()
    # The fast charger got every command although the slow one is stuck.
    assert fast.applied == [(16, 3), (12, 3), (8, 3)]
    assert slow.applied == []

    slow.gate.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    # The stuck command went through, then only the newest one.
    assert slow.applied == [(16, 3), (8, 3)]

    dispatcher.async_dispatch(handles, _result(("slow", 6), ("unknown", 6)))
    dispatcher.async_forget("fast")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert slow.applied[-1] == (6, 3)
