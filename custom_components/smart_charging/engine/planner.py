"""Ready-by planner: all chargers jointly, at the lowest cost, tariff- and PV-aware.

``plan(slots, site_capacity, pv_forecast, needs, now, settings)`` returns per charger and
slot the power to charge, with cost, PV share, next start, projected finish and a verdict.

Modelling choices
-----------------
- **Energy balance per slot**: the chargers' load is served by PV surplus and grid import.
  ``site_capacity`` (fuse or import limit minus the expected house load) caps the *grid
  import* only: PV surplus used on site does not pass the main fuse, so it comes on top.
  Both the capacity and the surplus are net of the house load, which makes their sum a
  conservative bound (never above what the fuse allows).
- **Prices**: grid energy costs the import price; PV surplus costs its export price (the
  feed-in the site gives up), so PV is used first whenever it is the cheaper supply. A
  slot without an import price is assumed to cost the highest known one (the plan never
  counts on luck) and loses ties against known slots; the caller re-plans when prices
  arrive. Without any price the planner puts readiness over cost: PV surplus before the
  deadline first (earliest first), then grid energy from now on.
- **Optimal**: the continuous problem is a min-cost flow (chargers -> allowed slots ->
  PV and grid supply per slot) solved exactly by ``flow.solve``; when the targets cannot
  all be met it delivers the most energy possible and, among those plans, the cheapest.
  Ties go to later slots (and to known prices, and to PV). The minimum power is then
  enforced by ``plan_repair`` and the cost of doing so is ``Plan.min_power_gap``. With the
  minimum enforced, slots where a charger could never reach it (PV-only surplus or site
  room below the minimum) are left out of the continuous problem too. One exception to
  the minimum, as a last resort: a target smaller than every slot's minimum energy may
  finish in one slot below the minimum average power (the car runs at its minimum for
  part of the slot and stops when full).
- **Stability**: pass the previous plan as ``previous``. Slots it charged in get a bonus of
  ``settings.replan_tolerance`` per kWh, so small price changes do not move the plan, and
  a charger whose planned slot started before ``now`` keeps that power to the end of the
  running slot.
- **Price limit**: a charger with a limit may import only in slots priced at or below it
  (PV surplus wherever the export price is at or below it); cheapest first, not first
  come. Without ``ready_by`` it plans within the known slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from .flow import EPS, GRID, PV, solve
from .plan_grid import Access, GridSlot, PlanProblem, build_problem, daily_windows
from .plan_model import (
    ChargeNeed,
    ChargerPlan,
    Plan,
    PlannerSettings,
    PlanSlot,
    PriceMode,
    PriceSlot,
    ScheduleEntry,
    TimeWindow,
    Verdict,
)
from .plan_repair import RepairProblem, repair, slot_split

__all__ = [
    "ChargeNeed",
    "ChargerPlan",
    "Plan",
    "PlanSlot",
    "PlannerSettings",
    "PriceMode",
    "PriceSlot",
    "ScheduleEntry",
    "TimeWindow",
    "Verdict",
    "daily_windows",
    "plan",
]

TARGET_TOL = 1e-6
"""kWh short of the target that still counts as on target."""


def plan(  # noqa: PLR0917 - the interface of issue 4
    slots: Sequence[PriceSlot],
    site_capacity: float | Sequence[float],
    pv_forecast: Sequence[float] | None,
    needs: Sequence[ChargeNeed],
    now: datetime,
    settings: PlannerSettings,
    *,
    previous: Plan | None = None,
) -> Plan:
    """Plan every charger's charging from ``now`` on.

    ``site_capacity`` (kW available for charging from the grid) and ``pv_forecast`` (kW
    of expected PV surplus) are constants or one value per entry of ``slots``. The same
    inputs always give the same plan; ``now`` is the only clock. Raises ValueError on
    inconsistent input (naive datetimes, overlapping slots, min power above max power).
    """
    problem = build_problem(slots, site_capacity, pv_forecast, needs, now, settings)
    grid = problem.slots
    n, count = len(problem.needs), len(grid)
    hours = [slot.hours for slot in grid]
    pv_cap = [slot.pv_kw * h for slot, h in zip(grid, hours, strict=True)]
    grid_cap = [slot.capacity_kw * h for slot, h in zip(grid, hours, strict=True)]
    pv_price, grid_price = _decision_prices(problem, previous, settings, now.astimezone(UTC))
    pv_first = [pv_price[t] <= grid_price[t] for t in range(count)]
    arc_cap = [
        [
            need.max_power_kw * h if _usable(need, slot, a, settings) else 0.0
            for slot, a, h in zip(grid, row, hours, strict=True)
        ]
        for need, row in zip(problem.needs, problem.access, strict=True)
    ]
    pv_only = [[a is Access.PV_ONLY for a in row] for row in problem.access]
    order = sorted(
        range(n),
        key=lambda i: (problem.needs[i].ready_by is None, problem.needs[i].ready_by or now, i),
    )
    demand = [max(0.0, need.energy_kwh) for need in problem.needs]
    supply = (list(pv_cap), list(grid_cap))
    lock = _lock_running_slot(
        problem,
        previous,
        now,
        order=order,
        arc_cap=arc_cap,
        pv_only=pv_only,
        pv_first=pv_first,
        supply=supply,
    )
    # equal prices: known before unknown, PV before grid, later before earlier
    tie = [count * int(slot.import_price is None) + count - 1 - t for t, slot in enumerate(grid)]
    elements = sorted(
        [(pv_price[t], 0, -t, t, PV) for t in range(count) if supply[PV][t] > EPS]
        + [(grid_price[t], 1, tie[t], t, GRID) for t in range(count) if supply[GRID][t] > EPS]
    )
    result = solve(
        [d - sum(row) for d, row in zip(demand, lock, strict=True)],
        [[c - k for c, k in zip(*rows, strict=True)] for rows in zip(arc_cap, lock, strict=True)],
        pv_only,
        supply,
        [(key[3], key[4]) for key in elements],
        order,
    )
    energy = [
        [value + k for value, k in zip(*rows, strict=True)]
        for rows in zip(result.energy, lock, strict=True)
    ]
    continuous = [list(row) for row in energy]
    if settings.enforce_min_power:
        repair(
            RepairProblem(
                pv_cap=pv_cap,
                grid_cap=grid_cap,
                pv_price=pv_price,
                grid_price=grid_price,
                arc_cap=arc_cap,
                pv_only=pv_only,
                min_energy=[[need.min_power_kw * h for h in hours] for need in problem.needs],
                locked=[[k > 0 for k in row] for row in lock],
                demand=demand,
                tie=tie,
                energy=energy,
            ),
            order,
        )
    return _assemble(
        problem,
        now,
        energy=energy,
        continuous=continuous,
        pv_first=pv_first,
        pv_only=pv_only,
    )


def _usable(need: ChargeNeed, slot: GridSlot, access: Access, settings: PlannerSettings) -> bool:
    """Whether a charger may use a slot; with the minimum power enforced, only if it fits."""
    if access is Access.NONE:
        return False
    if not settings.enforce_min_power:
        return True
    room = slot.pv_kw if access is Access.PV_ONLY else slot.pv_kw + slot.capacity_kw
    return room >= need.min_power_kw


def _lock_running_slot(
    problem: PlanProblem,
    previous: Plan | None,
    now: datetime,
    *,
    order: list[int],
    arc_cap: list[list[float]],
    pv_only: list[list[bool]],
    pv_first: list[bool],
    supply: tuple[list[float], list[float]],
) -> list[list[float]]:
    """Energy kept in the running slot for chargers the previous plan had start before now.

    Takes that energy off ``supply``; returns it per charger and slot (only slot 0).
    """
    lock = [[0.0] * len(problem.slots) for _ in problem.needs]
    if previous is None or not problem.slots:
        return lock
    hours = problem.slots[0].hours
    powers = {}
    for charger in previous.chargers:
        entry = charger.entry_at(now)
        if entry is not None and entry.start < now:  # started before now: keep it
            powers[charger.charger_id] = entry.power_kw
    for i in order:
        need = problem.needs[i]
        power = powers.get(need.charger_id, 0.0)
        want = min(power * hours, arc_cap[i][0], max(0.0, need.energy_kwh))
        sources = (PV,) if pv_only[i][0] else (PV, GRID) if pv_first[0] else (GRID, PV)
        for source in sources:
            take = max(0.0, min(want - lock[i][0], supply[source][0]))
            supply[source][0] -= take
            lock[i][0] += take
    return lock


def _decision_prices(
    problem: PlanProblem, previous: Plan | None, settings: PlannerSettings, now: datetime
) -> tuple[list[float], list[float]]:
    """Per-kWh prices the optimiser minimises: PV and grid per slot.

    With prices: the tariff, less the re-plan bonus in slots the previous plan used.
    Without: a stand-in that makes PV cheaper than any grid energy and earlier cheaper
    than later (readiness over cost).
    """
    grid = problem.slots
    if problem.price_mode is PriceMode.NONE:
        elapsed = [(slot.start - now).total_seconds() / 3600.0 for slot in grid]
        span = elapsed[-1] + 1.0 if elapsed else 1.0
        return elapsed, [span + e for e in elapsed]
    bonus = [0.0] * len(grid)
    if previous is not None:
        for t, slot in enumerate(grid):
            middle = slot.start + (slot.end - slot.start) / 2
            if any(c.power_at(middle) > EPS for c in previous.chargers):
                bonus[t] = settings.replan_tolerance
    pv = [slot.export_price - b for slot, b in zip(grid, bonus, strict=True)]
    cost = [price - b for price, b in zip(_known(problem.cost_price), bonus, strict=True)]
    return pv, cost


def _known(prices: Sequence[float | None]) -> list[float]:
    return [0.0 if price is None else price for price in prices]


def _assemble(
    problem: PlanProblem,
    now: datetime,
    *,
    energy: list[list[float]],
    continuous: list[list[float]],
    pv_first: list[bool],
    pv_only: list[list[bool]],
) -> Plan:
    grid = problem.slots
    priced = problem.price_mode is not PriceMode.NONE
    export = [slot.export_price for slot in grid]
    cost_price = _known(problem.cost_price)
    shares, slot_pv, slot_grid = _pv_shares(problem, energy, pv_first, pv_only)
    cont_shares, _, _ = _pv_shares(problem, continuous, pv_first, pv_only)

    def cost(rows: list[list[float]], pv_rows: list[list[float]], i: int) -> float:
        return sum(
            pv * export[t] + (rows[i][t] - pv) * cost_price[t] for t, pv in enumerate(pv_rows[i])
        )

    chargers = []
    for i, need in enumerate(problem.needs):
        schedule = tuple(
            ScheduleEntry(
                slot.start,
                slot.end,
                value / slot.hours,
                slot.import_price,
                shares[i][t] / slot.hours,
            )
            for t, (slot, value) in enumerate(zip(grid, energy[i], strict=True))
            if value > EPS
        )
        planned = sum(energy[i])
        target = max(0.0, need.energy_kwh)
        if planned >= target - TARGET_TOL:
            verdict = Verdict.ON_TARGET
        elif need.ready_by is None:
            verdict = Verdict.NOT_WITHIN_HORIZON
        else:
            verdict = Verdict.TARGET_UNREACHABLE
        chargers.append(
            ChargerPlan(
                charger_id=need.charger_id,
                target_kwh=target,
                energy_kwh=planned,
                pv_kwh=sum(shares[i]),
                cost=cost(energy, shares, i) if priced else None,
                verdict=verdict,
                next_start=schedule[0].start if schedule else None,
                finish=schedule[-1].end if schedule else None,
                power_kw=tuple(
                    value / slot.hours for value, slot in zip(energy[i], grid, strict=True)
                ),
                schedule=schedule,
            )
        )
    plan_slots = tuple(
        PlanSlot(
            start=slot.start,
            end=slot.end,
            price=problem.cost_price[t],
            price_known=slot.import_price is not None,
            export_price=slot.export_price,
            capacity_kw=slot.capacity_kw,
            pv_kw=slot.pv_kw,
            grid_kw=slot_grid[t] / slot.hours,
            pv_used_kw=slot_pv[t] / slot.hours,
        )
        for t, slot in enumerate(grid)
    )
    total = sum(c.cost for c in chargers if c.cost is not None)
    total_continuous = sum(cost(continuous, cont_shares, i) for i in range(len(chargers)))
    return Plan(
        now=now.astimezone(UTC),
        price_mode=problem.price_mode,
        slots=plan_slots,
        chargers=tuple(chargers),
        cost=total if priced else None,
        continuous_cost=total_continuous if priced else None,
    )


def _pv_shares(
    problem: PlanProblem,
    energy: list[list[float]],
    pv_first: list[bool],
    pv_only: list[list[bool]],
) -> tuple[list[list[float]], list[float], list[float]]:
    """PV energy per charger and slot, and per slot the PV and grid energy used.

    PV-only load takes PV; the rest of the slot's PV use is shared pro rata.
    """
    n = len(energy)
    shares = [[0.0] * len(problem.slots) for _ in range(n)]
    slot_pv, slot_grid = [], []
    for t, slot in enumerate(problem.slots):
        full = sum(energy[i][t] for i in range(n) if not pv_only[i][t])
        only = sum(energy[i][t] for i in range(n) if pv_only[i][t])
        pv, grid = slot_split(
            full, only, slot.pv_kw * slot.hours, slot.capacity_kw * slot.hours, pv_first[t]
        )
        slot_pv.append(pv)
        slot_grid.append(grid)
        for i in range(n):
            if pv_only[i][t]:
                shares[i][t] = energy[i][t]
            elif full > EPS:
                shares[i][t] = energy[i][t] * (pv - only) / full
    return shares, slot_pv, slot_grid
