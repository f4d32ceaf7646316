"""A simulated Modbus TCP charger on a real pymodbus server (loopback), for tests and demos.

``FakeCharger`` is a small charger model: a vehicle that draws what it is offered, a
setpoint, an enable switch and a watchdog that applies the failsafe current when the
controller stays quiet past the timeout. A ``VendorMap`` (``modbus_vendors.py``) lays the
model out in one vendor's registers, written independently of the driver's profiles so
that the tests compare two readings of the vendor documents. ``FakeModbusServer``
(``modbus_fake_server.py``) serves it with pymodbus 3.8 through 3.16.

Depends on pymodbus only (not on the integration), so the demo can reuse it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import struct
from typing import Any

T0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
WAIT = 10.0  # a safety net for awaited events, never a sleep

READ_TABLES = {1: "coil", 2: "discrete", 3: "holding", 4: "input"}
WRITE_TABLES = {5: "coil", 15: "coil", 6: "holding", 16: "holding"}

ILLEGAL_FUNCTION = 1
ILLEGAL_ADDRESS = 2
ILLEGAL_VALUE = 3
DEVICE_BUSY = 6


# ---- words (an implementation of its own: the driver's codec is what is tested) ----


def u32(value: float, *, little: bool = False) -> list[int]:
    words = list(struct.unpack(">HH", struct.pack(">I", int(value))))
    return words[::-1] if little else words


def s32(value: float, *, little: bool = False) -> list[int]:
    words = list(struct.unpack(">HH", struct.pack(">i", int(value))))
    return words[::-1] if little else words


def u64(value: float, *, little: bool = False) -> list[int]:
    words = list(struct.unpack(">HHHH", struct.pack(">Q", int(value))))
    return words[::-1] if little else words


def f32(value: float) -> list[int]:
    return list(struct.unpack(">HH", struct.pack(">f", value)))


def f64(value: float) -> list[int]:
    return list(struct.unpack(">HHHH", struct.pack(">d", value)))


def from_f32(words: list[int]) -> float:
    return float(struct.unpack(">f", struct.pack(">HH", *words))[0])


def text(value: str, words: int) -> list[int]:
    raw = value.encode("ascii").ljust(words * 2, b"\x00")[: words * 2]
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]


# ---- time ----------------------------------------------------------------------------


class FakeClock:
    """Monotonic and UTC time moved by hand; ``sleep`` waits until ``advance`` passes it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.start = self.now = start
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []
        self._changed = asyncio.Event()
        self.requested: list[float] = []  # every sleep asked for, in order

    def monotonic(self) -> float:
        return self.now

    def utcnow(self) -> datetime:
        return T0 + timedelta(seconds=self.now - self.start)

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self.now + seconds, future)
        self.requested.append(seconds)
        self._sleepers.append(entry)
        self._notify()
        try:
            await future
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)
                self._notify()

    @property
    def sleepers(self) -> int:
        return sum(1 for _, future in self._sleepers if not future.done())

    def advance(self, seconds: float) -> None:
        """Move time; every sleep that ends by then wakes."""
        self.now += seconds
        for deadline, future in list(self._sleepers):
            if deadline <= self.now + 1e-9 and not future.done():
                future.set_result(None)
        self._notify()

    async def wait_sleepers(self, count: int) -> None:
        """Wait until ``count`` tasks sleep (the driver is idle again)."""
        await wait_until(lambda: self.sleepers >= count, lambda: self._changed)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


async def wait_until(predicate: Callable[[], bool], event: Callable[[], asyncio.Event]) -> None:
    """Wait until ``predicate`` holds, re-checking whenever ``event()`` fires."""

    async def wait() -> None:
        while not predicate():
            await event().wait()

    await asyncio.wait_for(wait(), WAIT)


# ---- the charger model --------------------------------------------------------------


@dataclass
class Vehicle:
    plugged: bool = False
    wants: bool = True  # the vehicle asks for energy
    max_a: float = 32.0
    phases: int = 3


@dataclass
class Access:
    function: int
    table: str
    address: int
    values: list[int]
    time: float


@dataclass
class FakeCharger:
    """The charger's physics; a vendor map turns them into registers."""

    vendor: Any  # a VendorMap
    now: Callable[[], float]
    vehicle: Vehicle = field(default_factory=Vehicle)
    voltage_v: float = 230.0
    fault: bool = False
    energy_wh: float = 1_234_567.0
    session_wh: float = 4_321.0
    phases: int = 3  # the phase switch's position
    overrides: dict[tuple[str, int], int] = field(default_factory=dict)
    rejects: dict[tuple[str, int], int] = field(default_factory=dict)  # injected errors
    log: list[Access] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.setpoint_a: float = self.vendor.boot_setpoint_a
        self.enabled = True
        self.failsafe_a: float = self.vendor.boot_failsafe_a
        self.timeout_s: float | None = self.vendor.boot_timeout_s
        self.last_contact = self.now()
        self._changed = asyncio.Event()

    # the model

    def contact(self) -> None:
        """The controller showed it is alive (what counts is the vendor's business)."""
        self.last_contact = self.now()

    @property
    def expired(self) -> bool:
        return self.timeout_s is not None and self.now() - self.last_contact > self.timeout_s

    @property
    def limit_a(self) -> float:
        """What the charger offers the vehicle now."""
        if not self.enabled:
            return 0.0
        limit = self.failsafe_a if self.expired else self.setpoint_a
        return limit if limit >= 6.0 else 0.0

    @property
    def charging(self) -> bool:
        vehicle = self.vehicle
        return vehicle.plugged and vehicle.wants and self.limit_a >= 6.0 and not self.fault

    @property
    def current_a(self) -> float:
        return min(self.limit_a, self.vehicle.max_a) if self.charging else 0.0

    def currents(self) -> tuple[float, float, float]:
        live = min(self.vehicle.phases, self.phases)
        current = self.current_a
        l1, l2, l3 = (current if n < live else 0.0 for n in range(3))
        return (l1, l2, l3)

    @property
    def power_w(self) -> float:
        return sum(self.currents()) * self.voltage_v

    def mode3(self) -> str:
        """The IEC 61851 state: A, B1, B2, C1, C2, F."""
        if not self.vehicle.plugged:
            return "A"
        if self.fault:
            return "F"
        offering = "2" if self.limit_a >= 6.0 else "1"
        return ("C" if self.vehicle.wants else "B") + offering

    # register access (pymodbus adapters call these)

    def read(self, function: int, address: int, count: int) -> list[int] | int:
        table = READ_TABLES[function]
        self._record(function, table, address, [])
        if self.vendor.contact_on_any_request:
            self.contact()
        if (code := self._rejected(table, address, count)) is not None:
            return code
        if (code := self.vendor.check_read(table, address, count)) is not None:
            return code
        image = self.vendor.render(self)
        image.update(self.overrides)
        words = [image.get((table, a)) for a in range(address, address + count)]
        if any(word is None for word in words):
            return ILLEGAL_ADDRESS
        return [int(word) for word in words if word is not None]

    def write(self, function: int, address: int, values: list[int]) -> int | None:
        table = WRITE_TABLES[function]
        self._record(function, table, address, list(values))
        if self.vendor.contact_on_any_request:
            self.contact()
        if (code := self._rejected(table, address, len(values))) is not None:
            return code
        if function not in self.vendor.write_functions:
            return ILLEGAL_FUNCTION
        handler = self.vendor.handlers().get((table, address))
        if handler is None:
            return ILLEGAL_ADDRESS
        count, apply = handler
        if count != len(values):
            return ILLEGAL_ADDRESS
        result: int | None = apply(self, list(values))
        return result

    def _rejected(self, table: str, address: int, count: int) -> int | None:
        for (rtable, raddress), code in self.rejects.items():
            if rtable == table and address <= raddress < address + count:
                return code
        return None

    def _record(self, function: int, table: str, address: int, values: list[int]) -> None:
        self.log.append(Access(function, table, address, values, self.now()))
        self._changed.set()
        self._changed = asyncio.Event()

    # for tests

    def writes(self, table: str, address: int) -> list[Access]:
        return [a for a in self.log if a.table == table and a.address == address and a.values]

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait (event-driven) until ``predicate`` holds after some request."""
        await wait_until(predicate, lambda: self._changed)

    async def wait_writes(self, table: str, address: int, count: int) -> None:
        await self.wait_for(lambda: len(self.writes(table, address)) >= count)
