"""What the allocator returns: per-charger decisions, and the memory for the next cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .model import ChargerMode, PhaseValues, Reason

Details = tuple[tuple[str, str], ...]
"""Reason details as (key, value) pairs, e.g. (("phase", "l2"),) or (("circuit", "garage"),)."""


@dataclass(frozen=True, slots=True)
class ChargerAllocation:
    """The decision for one charger: current per phase (0 = paused), phases and why.

    ``details`` name the binding constraint: ``phase`` (l1/l2/l3), ``circuit`` (its id);
    ``target_a`` when the current is still ramping towards a higher share; ``until`` (ISO
    time) for a restart held back by the minimum off time; ``inputs`` in failsafe.
    """

    charger_id: str
    current_a: float
    phases: int
    reason: Reason
    details: Details = ()

    @property
    def paused(self) -> bool:
        """Return whether the charger is told not to charge."""
        return self.current_a <= 0.0

    def detail(self, key: str) -> str | None:
        """Return one detail by key, or None."""
        for name, value in self.details:
            if name == key:
                return value
        return None


@dataclass(frozen=True, slots=True)
class ChargerMemory:
    """What the allocator remembers about one charger between cycles.

    ``current_a`` is the last command; ``previous_a`` the one before ``changed_at``.
    ``active`` is true while a session runs (charging, or pausing for a phase switch);
    ``restart_after`` holds a paused session back (minimum off time).
    ``vehicle_idle``: the car takes no energy (it keeps only its minimum);
    ``quiet_since``: since when it has been offered current without drawing any;
    ``vehicle_limit_a``: the cap on its share while it draws less than offered, last
    set or raised at ``vehicle_limit_at``.
    ``readings``: the charger's last reported currents with their times, oldest first
    (see ``limits.seen_by_meter``).
    """

    charger_id: str
    current_a: float = 0.0
    phases: int = 3
    previous_a: float = 0.0
    changed_at: datetime | None = None
    active: bool = False
    started_at: datetime | None = None
    restart_after: datetime | None = None
    pause_reason: Reason | None = None
    surplus_since: datetime | None = None
    deficit_since: datetime | None = None
    phase_candidate: int | None = None
    phase_candidate_since: datetime | None = None
    phase_switched_at: datetime | None = None
    mode: ChargerMode | None = None
    connected: bool = False
    vehicle_idle: bool = False
    quiet_since: datetime | None = None
    vehicle_limit_a: float | None = None
    vehicle_limit_at: datetime | None = None
    readings: tuple[tuple[datetime, PhaseValues], ...] = ()


@dataclass(frozen=True, slots=True)
class AllocationMemory:
    """The allocator's state carried from one cycle to the next (start with the default)."""

    chargers: tuple[ChargerMemory, ...] = ()

    def get(self, charger_id: str) -> ChargerMemory | None:
        """Return the memory of one charger, or None."""
        for item in self.chargers:
            if item.charger_id == charger_id:
                return item
        return None


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """One cycle's outcome: a decision per configured charger, in settings order.

    ``surplus_w`` is the PV surplus the cycle worked with, ``headroom_a`` the room per
    phase under the main fuse (after margin and non-EV load; None in failsafe) and
    ``external_limit_w`` the grid-signal limit in force, if any.
    """

    allocations: tuple[ChargerAllocation, ...]
    memory: AllocationMemory
    failsafe: bool = False
    surplus_w: float = 0.0
    headroom_a: PhaseValues | None = None
    external_limit_w: float | None = None

    def get(self, charger_id: str) -> ChargerAllocation | None:
        """Return the decision for one charger, or None."""
        for item in self.allocations:
            if item.charger_id == charger_id:
                return item
        return None
