"""Value types of the ready-by planner: what goes in (slots, needs, settings) and the plan.

All datetimes must be timezone-aware. The planner works on absolute time (UTC) so that
slot durations are ``end - start`` in real elapsed time, also across a DST switch; every
datetime in a returned plan is in UTC (convert for display).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Verdict(StrEnum):
    """Whether a charger's target is met by the plan."""

    ON_TARGET = "on_target"
    """The planned energy meets the target (by the ready-by time, if one is set)."""

    TARGET_UNREACHABLE = "target_unreachable"
    """The target cannot be met by the ready-by time; the plan delivers what it can."""

    NOT_WITHIN_HORIZON = "not_within_horizon"
    """No ready-by time, and the known slots (or price limit) do not reach the target yet."""


class PriceMode(StrEnum):
    """How much price information the plan is based on."""

    KNOWN = "known"
    """Every slot of the planning horizon has an import price."""

    PARTIAL = "partial"
    """Some slots have no price; they are assumed to cost the highest known price."""

    NONE = "none"
    """No import price at all: readiness over cost (charge from now, PV first)."""


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """An absolute interval ``[start, end)`` in which a charger may charge."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class PriceSlot:
    """One tariff slot: absolute start and end, and prices per kWh.

    A price the source does not know yet is ``None``, never zero. Slots may be of any
    length (15, 30, 60 minutes, mixed); they must not overlap.
    """

    start: datetime
    end: datetime
    import_price: float | None = None
    export_price: float | None = None


@dataclass(frozen=True, slots=True)
class ChargeNeed:
    """What one charger has to deliver.

    ``energy_kwh`` is the energy still to be drawn from the site. ``min_power_kw`` is the
    lowest power the charger can run at (6 A x phases x voltage); it either charges at
    least that much in a slot or not at all. ``windows`` restrict charging to the given
    absolute intervals (empty: no restriction). ``ready_by`` ``None`` means no deadline:
    charge within the known slots. ``price_limit`` restricts grid charging to slots whose
    import price is known and at or below the limit (PV surplus is allowed where its
    opportunity cost, the export price, is at or below the limit); within that set the
    cheapest slots are used first.
    """

    charger_id: str
    energy_kwh: float
    max_power_kw: float
    ready_by: datetime | None = None
    min_power_kw: float = 0.0
    windows: tuple[TimeWindow, ...] = ()
    price_limit: float | None = None


@dataclass(frozen=True, slots=True)
class PlannerSettings:
    """Tuning of the planner.

    ``pv_safety_factor`` scales the PV surplus forecast (forecasts are optimistic).
    ``default_export_price`` values PV surplus in slots without an export price.
    ``replan_tolerance`` (currency per kWh) is the saving a new slot must offer before a
    re-plan moves energy away from the slots of the previous plan. ``fill_slot_minutes`` is
    the length of the price-less slots the planner adds up to a deadline beyond the known
    slots. ``enforce_min_power`` switches the minimum-power repair on (off: the exact
    continuous optimum, with powers below the minimum; for analysis and tests).
    """

    pv_safety_factor: float = 0.8
    default_export_price: float = 0.0
    replan_tolerance: float = 0.01
    fill_slot_minutes: int = 60
    enforce_min_power: bool = True


@dataclass(frozen=True, slots=True)
class PlanSlot:
    """One slot of the planning grid, with the site-level totals of the plan.

    ``price`` is the import price used for costing (the highest known price for a slot
    without one; ``None`` when no price is known at all); ``price_known`` says whether it
    came from the tariff. ``capacity_kw`` is the grid import available to the chargers,
    ``pv_kw`` the PV surplus after the safety factor; ``grid_kw`` and ``pv_used_kw`` are
    what the plan draws from each.
    """

    start: datetime
    end: datetime
    price: float | None
    price_known: bool
    export_price: float
    capacity_kw: float
    pv_kw: float
    grid_kw: float
    pv_used_kw: float

    @property
    def hours(self) -> float:
        """Length of the slot in hours."""
        return (self.end - self.start).total_seconds() / 3600.0


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """One planned charging interval of one charger, for display."""

    start: datetime
    end: datetime
    power_kw: float
    price: float | None
    pv_kw: float


@dataclass(frozen=True, slots=True)
class ChargerPlan:
    """The plan of one charger.

    ``power_kw`` is aligned with ``Plan.slots``. ``energy_kwh`` is the planned energy: the
    target when the verdict is ``on_target``, otherwise the deliverable energy.
    ``cost`` values PV surplus at its export price and is ``None`` when no price is known.
    """

    charger_id: str
    target_kwh: float
    energy_kwh: float
    pv_kwh: float
    cost: float | None
    verdict: Verdict
    next_start: datetime | None
    finish: datetime | None
    power_kw: tuple[float, ...]
    schedule: tuple[ScheduleEntry, ...]

    @property
    def shortfall_kwh(self) -> float:
        """Energy of the target the plan does not deliver."""
        return max(0.0, self.target_kwh - self.energy_kwh)

    @property
    def pv_share(self) -> float:
        """Fraction of the planned energy that comes from PV surplus (0 when none)."""
        return self.pv_kwh / self.energy_kwh if self.energy_kwh > 0 else 0.0

    def entry_at(self, when: datetime) -> ScheduleEntry | None:
        """The schedule entry running at an instant, if any."""
        starts = [entry.start for entry in self.schedule]
        index = bisect_right(starts, when) - 1
        if index >= 0 and when < self.schedule[index].end:
            return self.schedule[index]
        return None

    def power_at(self, when: datetime) -> float:
        """Planned power at an instant (0 outside the schedule)."""
        entry = self.entry_at(when)
        return entry.power_kw if entry is not None else 0.0


@dataclass(frozen=True, slots=True)
class Plan:
    """The joint plan of all chargers.

    ``cost`` is the expected cost of the plan as returned (after the minimum-power
    repair); ``continuous_cost`` the optimum of the continuous problem (minimum powers
    relaxed), a lower bound. Both value PV at its export price, assume the highest known
    price where a slot has none, and are ``None`` when no price is known at all.
    """

    now: datetime
    price_mode: PriceMode
    slots: tuple[PlanSlot, ...]
    chargers: tuple[ChargerPlan, ...]
    cost: float | None
    continuous_cost: float | None

    @property
    def min_power_gap(self) -> float | None:
        """What honouring the minimum powers costs over the continuous optimum."""
        if self.cost is None or self.continuous_cost is None:
            return None
        return self.cost - self.continuous_cost

    def charger(self, charger_id: str) -> ChargerPlan:
        """Return the plan of one charger (KeyError when it has none)."""
        for charger in self.chargers:
            if charger.charger_id == charger_id:
                return charger
        raise KeyError(charger_id)
