"""A charger driver that draws what a test says, for coordinator-level fuzzing and faults.

It implements the ``ChargerDriver`` protocol without any I/O, so a hypothesis example
costs one control cycle, not a websocket handshake. Chargers are registered with the
site coordinator directly (``attach``), the way a charger entry does it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from custom_components.smart_charging.charger import (
    ChargerHandle,
    VehicleSensors,
    charger_config,
)
from custom_components.smart_charging.coordinator import SiteCoordinator
from custom_components.smart_charging.drivers.base import (
    ChargerCapabilities,
    ChargerInfo,
    ChargerReading,
    ChargerStatus,
    Listeners,
)
from custom_components.smart_charging.flow_charger import DEFAULT_CHARGER_OPTIONS


class StubDriver:
    """A charger that reports ``reading`` and records every command it is given."""

    def __init__(self, charger_id: str, reading: ChargerReading | None = None) -> None:
        self._id = charger_id
        self._reading = reading or ChargerReading(
            status=ChargerStatus.CHARGING, currents_a=(6.0, 6.0, 6.0), power_w=4140.0
        )
        self._listeners = Listeners(charger_id)
        self.applied: list[tuple[float, int]] = []

    @property
    def charger_id(self) -> str:
        return self._id

    @property
    def info(self) -> ChargerInfo:
        return ChargerInfo(vendor="Stub", model="Stub")

    @property
    def capabilities(self) -> ChargerCapabilities:
        return ChargerCapabilities()

    @property
    def reading(self) -> ChargerReading:
        return self._reading

    def set_reading(self, **changes: Any) -> None:
        """Change what the charger reports and tell the listeners."""
        self._reading = replace(self._reading, **changes)
        self._listeners.notify()

    async def async_apply(self, current_a: float, phases: int) -> None:
        self.applied.append((current_a, phases))

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self._listeners.add(listener)


def attach(
    coordinator: SiteCoordinator,
    charger_id: str,
    options: Mapping[str, Any] | None = None,
    reading: ChargerReading | None = None,
) -> tuple[ChargerHandle, StubDriver, Callable[[], None]]:
    """Register a stub charger with the site; return its handle, driver and remover."""
    values = {**DEFAULT_CHARGER_OPTIONS, **(options or {})}
    driver = StubDriver(charger_id, reading)
    handle = ChargerHandle(
        entry_id=f"stub_{charger_id}",
        charger_id=charger_id,
        unique_id=f"stub:{charger_id}",
        driver=driver,
        config=charger_config(charger_id, values),
        sensors=VehicleSensors.from_options(values),
    )
    remove = coordinator.async_add_charger(handle)
    return handle, driver, remove
