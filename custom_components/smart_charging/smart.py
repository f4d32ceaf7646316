"""Feed the ``smart`` mode: plan the chargers jointly with the engine's planner.

Every cycle (planning is cheap: milliseconds), the chargers in ``smart`` mode with a car
plugged in and a target become needs for ``engine.planner.plan``; each charger's planned
power for the current slot goes into its request. The previous plan is passed back so that
small input changes do not flip it.

Prices come from the site's price source (``prices.py``): the plan uses the known slots
(and price-less slots the planner adds up to a later deadline). Without prices it charges
for readiness (from now, at the power the shared site capacity allows), never at the last
moment. A PV forecast, less the expected house load, becomes the surplus per slot. Each
charger's planned power is capped at its share of the circuits it hangs on
(``engine.plan_circuits``): the plan shares the site's capacity, not the circuits'.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from .charger import ChargerHandle
from .engine.forecasts import ForecastSlot, surplus_forecast
from .engine.model import ChargerMode, SiteConfig, TimeWindow as DailyWindow
from .engine.plan_circuits import within_circuits
from .engine.plan_model import ChargeNeed, Plan, PlannerSettings, PriceSlot, TimeWindow
from .engine.planner import plan
from .engine.settings import AllocatorSettings

SLOT: Final = timedelta(minutes=15)
DEFAULT_HORIZON: Final = timedelta(hours=24)
MAX_HORIZON: Final = timedelta(days=7)
"""The furthest the plan looks ahead (a ready-by time further out is planned as if then):
the planner's work grows with the number of slots it fills."""
CHARGE_EFFICIENCY: Final = 0.9  # energy into the battery per energy from the grid
SETTINGS: Final = PlannerSettings()


def energy_needed(handle: ChargerHandle) -> float | None:
    """Energy still to charge (kWh) for the charger's target, or None without one."""
    if handle.target_energy_kwh:
        return max(0.0, handle.target_energy_kwh - handle.session_energy_kwh)
    soc = handle.soc_pct
    if handle.target_soc_pct and handle.battery_capacity_kwh and soc is not None:
        missing = (handle.target_soc_pct - soc) / 100 * handle.battery_capacity_kwh
        return max(0.0, missing / CHARGE_EFFICIENCY)
    return None


PLAN_BLOCKERS: Final = ("needs_battery_capacity", "needs_state_of_charge")
"""Why a ``smart`` charger with a state-of-charge target has no plan (the Plan sensor says)."""


def plan_blocker(handle: ChargerHandle) -> str | None:
    """What a state-of-charge target lacks before it can be planned, if anything."""
    if handle.mode is not ChargerMode.SMART or handle.target_energy_kwh:
        return None
    if not handle.target_soc_pct:
        return None
    if not handle.battery_capacity_kwh:
        return PLAN_BLOCKERS[0]
    if handle.soc_pct is None and handle.driver.reading.status.vehicle_connected:
        return PLAN_BLOCKERS[1]
    return None


def absolute_windows(
    windows: Sequence[DailyWindow], now: datetime, until: datetime
) -> tuple[TimeWindow, ...]:
    """Daily wall-clock windows as absolute intervals covering ``now`` .. ``until``.

    ``now`` carries the local time zone; each day's window is placed on that day's wall
    clock, so a window over a DST switch is an hour shorter or longer in real time.
    Intervals are in UTC.
    """
    intervals: list[TimeWindow] = []
    day = now.date() - timedelta(days=1)
    while day <= until.date():
        for window in windows:
            if window.start == window.end:
                return ()  # the whole day: no restriction
            start = datetime.combine(day, window.start, tzinfo=now.tzinfo).astimezone(UTC)
            end_day = day if window.end > window.start else day + timedelta(days=1)
            end = datetime.combine(end_day, window.end, tzinfo=now.tzinfo).astimezone(UTC)
            if end > now and start < until:
                intervals.append(TimeWindow(start=max(start, now.astimezone(UTC)), end=end))
        day += timedelta(days=1)
    return tuple(intervals)


def charge_need(
    handle: ChargerHandle, voltage_v: float, now: datetime, until: datetime
) -> ChargeNeed | None:
    """The planner's view of one charger in ``smart`` mode, or None."""
    if handle.mode is not ChargerMode.SMART or handle.boosting:
        return None
    if not handle.driver.reading.status.vehicle_connected:
        return None
    energy = energy_needed(handle)
    if energy is None:
        return None
    config = handle.config
    per_amp_kw = config.phases * voltage_v / 1000
    return ChargeNeed(
        charger_id=handle.charger_id,
        energy_kwh=energy,
        max_power_kw=config.max_current_a * per_amp_kw,
        ready_by=None if handle.ready_by is None else min(handle.ready_by, until),
        min_power_kw=config.min_current_a * per_amp_kw,
        windows=absolute_windows(handle.windows, now, until),
        price_limit=handle.price_limit,
    )


def site_capacity_kw(settings: AllocatorSettings, non_ev_w: float) -> float:
    """Power available to charging from the grid now (kW), after the margin and house load."""
    site: SiteConfig = settings.site
    fuse_w = max(0.0, site.fuse_a - settings.margin_a) * site.phases * site.voltage_v
    available = fuse_w - max(0.0, non_ev_w)
    if site.max_import_w is not None:
        available = min(available, site.max_import_w - max(0.0, non_ev_w))
    return max(0.0, available) / 1000


def _slots(now: datetime, until: datetime) -> list[PriceSlot]:
    start = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    slots: list[PriceSlot] = []
    while start < until or not slots:
        slots.append(PriceSlot(start=start, end=start + SLOT))
        start += SLOT
    return slots


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """What the planner gets beyond the chargers: prices, PV forecast and house load."""

    prices: Sequence[PriceSlot] = ()
    forecast: Sequence[ForecastSlot] = ()
    house_load_kw: Callable[[datetime], float] = lambda _when: 0.0

    def surplus_kw(self, slots: Sequence[PriceSlot]) -> list[float] | None:
        """Expected PV surplus per slot (PV less the house load), None without a forecast."""
        if not self.forecast:
            return None
        return [
            surplus_forecast([slot], self.forecast, self.house_load_kw(slot.start))[0]
            for slot in slots
        ]


class SmartPlanner:
    """Keeps the joint plan of a site's ``smart`` chargers from cycle to cycle."""

    def __init__(self) -> None:
        """Start without a plan."""
        self.plan: Plan | None = None

    def update(
        self,
        now: datetime,
        chargers: Mapping[str, ChargerHandle],
        settings: AllocatorSettings,
        non_ev_w: float,
        inputs: PlanInputs | None = None,
    ) -> None:
        """Re-plan and hand each smart charger its power for the current slot."""
        inputs = inputs or PlanInputs()
        voltage = settings.site.voltage_v
        deadlines = [
            h.ready_by for h in chargers.values() if h.mode is ChargerMode.SMART and h.ready_by
        ]
        prices = [
            slot for slot in inputs.prices if now < slot.end and slot.start < now + MAX_HORIZON
        ]
        default = prices[-1].end if prices else now + DEFAULT_HORIZON
        horizon = min(max(deadlines, default=default), now + MAX_HORIZON)
        needs = [need for h in chargers.values() if (need := charge_need(h, voltage, now, horizon))]
        plugged = {
            cid
            for cid, h in chargers.items()
            if h.mode is not ChargerMode.OFF and h.driver.reading.status.vehicle_connected
        }
        needs = within_circuits(settings, needs, plugged)
        for handle in chargers.values():
            handle.planned_power_w = 0.0
        if not needs:
            self.plan = None
            return
        slots = prices or _slots(now, max(horizon, now + SLOT))
        self.plan = plan(
            slots,
            site_capacity_kw(settings, non_ev_w),
            inputs.surplus_kw(slots),
            needs,
            now,
            SETTINGS,
            previous=self._previous(needs),
        )
        for need in needs:
            chargers[need.charger_id].planned_power_w = (
                self.plan.charger(need.charger_id).power_at(now) * 1000
            )

    def _previous(self, needs: list[ChargeNeed]) -> Plan | None:
        """The last plan, when it was made for the same chargers."""
        if self.plan is None:
            return None
        planned = {c.charger_id for c in self.plan.chargers}
        return self.plan if planned == {n.charger_id for n in needs} else None
