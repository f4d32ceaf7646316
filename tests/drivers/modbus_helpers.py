"""Test rigs for the Modbus driver: a fake charger on loopback, a driver on a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from custom_components.smart_charging.drivers.base import ChargerReading, ChargerStatus
from custom_components.smart_charging.drivers.modbus import (
    ChargerProfile,
    ModbusCharger,
    ModbusConfig,
)

from .modbus_fake import WAIT, FakeCharger, FakeClock
from .modbus_fake_server import FakeModbusServer
from .modbus_vendors import VendorMap

# short real timeouts for the transport; everything else runs on the fake clock
CONFIG: dict[str, Any] = {
    "timeout_s": 0.5,
    "retries": 0,
    "poll_interval_s": 10.0,
    "failsafe_current_a": 8.0,
    "failsafe_timeout_s": 30.0,
    "backoff_initial_s": 2.0,
    "backoff_max_s": 16.0,
    "settle_s": 20.0,
}


@dataclass
class Rig:
    clock: FakeClock
    fake: FakeCharger
    server: FakeModbusServer
    charger: ModbusCharger
    poll_interval_s: float

    @property
    def reading(self) -> ChargerReading:
        return self.charger.reading

    async def wait_reading(self, predicate: Callable[[ChargerReading], bool]) -> ChargerReading:
        """Wait (listener-driven) until the reading satisfies ``predicate``."""
        await wait_reading(self.charger, predicate)
        return self.charger.reading

    async def idle(self) -> None:
        """Wait until the driver sleeps again: supervisor and heartbeat when connected."""
        busy = self.charger.connected and self.charger.diagnostics()["heartbeat_period_s"]
        await self.clock.wait_sleepers(2 if busy else 1)

    async def tick(self, seconds: float) -> None:
        """Move the clock and wait for what woke up to finish."""
        self.clock.advance(seconds)
        await asyncio.sleep(0)
        await self.idle()

    async def poll(self) -> ChargerReading:
        """Advance one poll interval and return the new reading."""
        await self.tick(self.poll_interval_s)
        return self.charger.reading


async def wait_reading(charger: ModbusCharger, predicate: Callable[[ChargerReading], bool]) -> None:
    changed = asyncio.Event()
    remove = charger.add_listener(changed.set)
    try:
        async with asyncio.timeout(WAIT):
            while not predicate(charger.reading):
                changed.clear()
                await changed.wait()
    finally:
        remove()


def online(reading: ChargerReading) -> bool:
    return reading.status is not ChargerStatus.OFFLINE


@asynccontextmanager
async def rig(
    vendor: VendorMap,
    profile: ChargerProfile,
    *,
    start: bool = True,
    switch_phases: bool = False,
    unit: int | None = None,
    unknown_unit: str = "gateway",
    **config: Any,
) -> AsyncIterator[Rig]:
    """A fake charger served on 127.0.0.1 and a driver for it (stopped afterwards)."""
    clock = FakeClock()
    fake = FakeCharger(vendor, now=clock.monotonic)
    server = FakeModbusServer(fake, unknown_unit=unknown_unit)
    await server.start()
    settings = {**CONFIG, **config}
    charger = ModbusCharger(
        ModbusConfig(host="127.0.0.1", port=server.port, unit_id=unit, **settings),
        profile,
        switch_phases=switch_phases,
        clock=clock,
    )
    test_rig = Rig(clock, fake, server, charger, settings["poll_interval_s"])
    try:
        if start:
            await charger.async_start()
            await test_rig.wait_reading(online)
            await test_rig.idle()
        yield test_rig
    finally:
        await charger.async_stop()
        await server.stop()
