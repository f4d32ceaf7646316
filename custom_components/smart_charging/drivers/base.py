"""The common charger driver interface and its error hierarchy.

A driver hides one charger protocol (OCPP, Modbus) behind a small interface: the latest
known state, one command to apply a limit and phase count, and a listener for pushes.
Drivers never import Home Assistant; every protocol or transport failure surfaces as a
``DriverError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
import logging
from typing import Protocol

_LOGGER = logging.getLogger(__name__)


class DriverError(Exception):
    """A charger could not be read or commanded."""


class ChargerUnavailableError(DriverError):
    """The charger is not connected (or the connection was lost)."""


class ChargerTimeoutError(DriverError):
    """The charger did not answer in time."""


class CommandRejectedError(DriverError):
    """The charger answered, but refused the command."""


class ChargerProtocolError(DriverError):
    """The charger answered with something the protocol does not allow."""


class ServerStartError(DriverError):
    """A server the drivers need (the OCPP central system) could not be started."""


class PortInUseError(ServerStartError):
    """The server's port is already taken by another program."""


class ChargerStatus(StrEnum):
    """A charger's state, common to every protocol."""

    AVAILABLE = "available"  # no vehicle
    PREPARING = "preparing"  # vehicle plugged in, not charging yet
    CHARGING = "charging"
    SUSPENDED_EV = "suspended_ev"  # the vehicle does not take energy (full, or waiting)
    SUSPENDED_EVSE = "suspended_evse"  # the charger offers no current (paused by us)
    FINISHING = "finishing"
    RESERVED = "reserved"
    UNAVAILABLE = "unavailable"
    FAULTED = "faulted"
    OFFLINE = "offline"  # no connection to the charger

    @property
    def vehicle_connected(self) -> bool:
        """Return whether a vehicle is plugged in."""
        return self in _PLUGGED


_PLUGGED = frozenset(
    {
        ChargerStatus.PREPARING,
        ChargerStatus.CHARGING,
        ChargerStatus.SUSPENDED_EV,
        ChargerStatus.SUSPENDED_EVSE,
        ChargerStatus.FINISHING,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargerInfo:
    """What a charger says about itself."""

    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargerCapabilities:
    """What a charger can do, detected at runtime or configured."""

    can_switch_phases: bool = False
    min_current_a: float = 6.0
    max_current_a: float = 32.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargerReading:
    """The latest known state of one charger (one connector)."""

    status: ChargerStatus = ChargerStatus.OFFLINE
    power_w: float | None = None
    currents_a: tuple[float, float, float] | None = None
    voltage_v: float | None = None
    energy_kwh: float | None = None  # the charger's energy register
    session_energy_kwh: float | None = None
    offered_current_a: float | None = None  # what the charger says it offers the vehicle
    soc_pct: float | None = None
    temperature_c: float | None = None
    active_phases: int | None = None
    transaction_id: int | None = None
    updated: datetime | None = None
    errors: tuple[str, ...] = field(default_factory=tuple)
    # The charger keeps offering a current other than the limit it accepted (a stale or
    # foreign profile caps it, or it ignores ours); raise a repair issue.
    limit_mismatch: bool = False
    # The charger refused the last limit (or the safe fallback) it was sent.
    limit_rejected: bool = False


class ChargerDriver(Protocol):
    """One charger, as the coordinator sees it."""

    @property
    def charger_id(self) -> str:
        """Return the charger's stable identity (charge point id, host:unit)."""

    @property
    def info(self) -> ChargerInfo:
        """Return what the charger says about itself."""

    @property
    def capabilities(self) -> ChargerCapabilities:
        """Return what the charger can do."""

    @property
    def reading(self) -> ChargerReading:
        """Return the latest known state (cached; no I/O)."""

    async def async_apply(self, current_a: float, phases: int) -> None:
        """Offer at most ``current_a`` per phase on ``phases`` phases; 0 pauses.

        Raises ``DriverError`` when the charger cannot be commanded.
        """

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` whenever the reading changes; return the remover."""


_COMPARED = tuple(f.name for f in fields(ChargerReading) if f.name != "updated")


def same_reading(old: ChargerReading, new: ChargerReading) -> bool:
    """Return whether two readings differ only in their ``updated`` time."""
    return all(getattr(old, name) == getattr(new, name) for name in _COMPARED)


class Listeners:
    """The change listeners of one driver; a failing listener is logged, never raised."""

    def __init__(self, owner: str) -> None:
        """Name the driver in log messages."""
        self._owner = owner
        self._listeners: list[Callable[[], None]] = []

    def add(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` on every change; return the remover."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def notify(self) -> None:
        """Call every listener."""
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                _LOGGER.exception("%s: listener failed", self._owner)
