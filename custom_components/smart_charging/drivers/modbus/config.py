"""The settings of one Modbus charger connection, and the clock the driver runs on."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
import time
from typing import Final, Protocol

DEFAULT_PORT: Final = 502


@dataclass(frozen=True, slots=True, kw_only=True)
class ModbusConfig:
    """How to reach one charger and how to drive it (defaults suit a home charger)."""

    host: str
    port: int = DEFAULT_PORT
    unit_id: int | None = None  # None: the profile's default unit
    poll_interval_s: float = 10.0  # state and measurements
    timeout_s: float = 3.0  # per request attempt
    retries: int = 1  # per request, on no answer
    failsafe_current_a: float = 6.0  # what the charger falls back to by itself; 0 pauses
    failsafe_timeout_s: float = 60.0  # after this long without us (clamped per charger)
    backoff_initial_s: float = 2.0  # first reconnect delay, doubled up to the maximum
    backoff_max_s: float = 120.0
    settle_s: float = 30.0  # after a change, before judging what the charger offers
    charger_id: str | None = None  # None: "host:port/unit"

    def __post_init__(self) -> None:
        """Reject values no charger connection could use."""
        if not self.host:
            raise ValueError("host is required")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port out of range: {self.port}")
        if self.unit_id is not None and not 0 <= self.unit_id <= 255:
            raise ValueError(f"unit id out of range: {self.unit_id}")
        if self.poll_interval_s <= 0 or self.timeout_s <= 0 or self.retries < 0:
            raise ValueError("poll_interval_s and timeout_s must be positive, retries >= 0")
        if not 0 <= self.failsafe_current_a <= 80 or self.failsafe_timeout_s <= 0:
            raise ValueError("failsafe current 0-80 A and a positive failsafe timeout")
        if not 0 < self.backoff_initial_s <= self.backoff_max_s or self.settle_s < 0:
            raise ValueError("backoff 0 < initial <= max, settle_s >= 0")


class Clock(Protocol):
    """Time as the driver sees it (tests inject one they move by hand)."""

    def monotonic(self) -> float:
        """Return seconds on a clock that never goes back."""

    def utcnow(self) -> datetime:
        """Return the current time (for ``ChargerReading.updated``)."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        """Return ``time.monotonic()``."""
        return time.monotonic()

    def utcnow(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """Wait with ``asyncio.sleep``."""
        await asyncio.sleep(seconds)
