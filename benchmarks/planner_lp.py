"""Reference solutions for the planner: the LP optimum (scipy HiGHS) and evcc-style baselines.

Shared by ``tests/engine/test_planner_properties.py`` and ``benchmarks/bench_planner.py``.
Everything here is built from the planner's *raw* inputs, independently of the planner's
own grid code, so it also checks how the planner reads its inputs. Scope: slot edges,
deadlines and windows on slot boundaries (``now`` may fall inside a slot); a deadline
inside a slot raises ValueError. scipy is a test/benchmark dependency only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from custom_components.smart_charging.engine.plan_model import (
    ChargeNeed,
    PlannerSettings,
    PriceSlot,
)


@dataclass(frozen=True)
class Scenario:
    """One planner input set, with a name for tables."""

    name: str
    slots: tuple[PriceSlot, ...]
    site_capacity: float | tuple[float, ...]
    pv_forecast: tuple[float, ...] | None
    needs: tuple[ChargeNeed, ...]
    now: datetime
    settings: PlannerSettings = field(default_factory=PlannerSettings)


@dataclass(frozen=True)
class Instance:
    """The continuous problem read from a scenario: per slot and per (charger, slot)."""

    hours: list[float]
    pv_cap: list[float]  # kWh
    grid_cap: list[float]  # kWh
    pv_price: list[float]
    grid_price: list[float]
    kind: list[list[int]]  # 0 none, 1 full, 2 PV only
    arc_cap: list[list[float]]  # kWh
    demand: list[float]


@dataclass(frozen=True)
class Reference:
    """LP optimum: the most energy deliverable and the least cost to deliver it."""

    delivered: float
    cost: float
    cost_volume: float  # sum of |price| x kWh, the denominator of relative gaps
    energy: list[list[float]]


@dataclass(frozen=True)
class Baseline:
    """A per-vehicle cheapest-slots plan and how it fares."""

    energy: list[list[float]]
    cost: float
    meets_targets: bool
    within_capacity: bool

    @property
    def feasible(self) -> bool:
        """Every target met without overloading a slot."""
        return self.meets_targets and self.within_capacity


def instance(s: Scenario) -> Instance:
    """Read a scenario the way the issue describes the problem (see module scope)."""
    now = s.now.astimezone(UTC)
    rows = []
    for index, slot in enumerate(s.slots):
        start, end = slot.start.astimezone(UTC), slot.end.astimezone(UTC)
        if end > now:
            rows.append((max(start, now), end, index, slot))
    rows.sort(key=lambda row: row[0])
    known = [row[3].import_price for row in rows if row[3].import_price is not None]
    if not known:
        raise ValueError("the reference needs at least one known import price")
    highest = max(known)
    hours, pv_cap, grid_cap, pv_price, grid_price = [], [], [], [], []
    for start, end, index, slot in rows:
        h = (end - start).total_seconds() / 3600
        cap = s.site_capacity if isinstance(s.site_capacity, float) else s.site_capacity[index]
        pv = s.pv_forecast[index] if s.pv_forecast is not None else 0.0
        hours.append(h)
        grid_cap.append(max(0.0, cap) * h)
        pv_cap.append(max(0.0, pv) * s.settings.pv_safety_factor * h)
        export = slot.export_price
        pv_price.append(s.settings.default_export_price if export is None else export)
        grid_price.append(highest if slot.import_price is None else slot.import_price)
    kind, arc_cap = [], []
    for need in s.needs:
        kinds, caps = [], []
        for t, (start, end, _, slot) in enumerate(rows):
            k = _kind(need, start, end, slot, pv=pv_cap[t], export=pv_price[t])
            kinds.append(k)
            caps.append(need.max_power_kw * hours[t] if k else 0.0)
        kind.append(kinds)
        arc_cap.append(caps)
    demand = [max(0.0, need.energy_kwh) for need in s.needs]
    return Instance(hours, pv_cap, grid_cap, pv_price, grid_price, kind, arc_cap, demand)


def _kind(
    need: ChargeNeed, start: datetime, end: datetime, slot: PriceSlot, *, pv: float, export: float
) -> int:
    if need.ready_by is not None:
        deadline = need.ready_by.astimezone(UTC)
        if start < deadline < end:
            raise ValueError("the reference needs deadlines on slot boundaries")
        if end > deadline:
            return 0
    if need.windows and not any(
        w.start.astimezone(UTC) <= start and end <= w.end.astimezone(UTC) for w in need.windows
    ):
        return 0
    if need.max_power_kw <= 0:
        return 0
    limit = need.price_limit
    if limit is None or (slot.import_price is not None and slot.import_price <= limit):
        return 1
    return 2 if pv > 0 and export <= limit else 0


def lp_reference(s: Scenario) -> Reference:
    """Solve the continuous problem with HiGHS: max energy first, then min cost."""
    inst = instance(s)
    n, count = len(inst.demand), len(inst.hours)
    arcs = [(i, t) for i in range(n) for t in range(count) if inst.kind[i][t]]
    nx = len(arcs)
    size = nx + 2 * count  # arcs, then PV per slot, then grid per slot
    bounds = [(0.0, inst.arc_cap[i][t]) for i, t in arcs]
    bounds += [(0.0, cap) for cap in inst.pv_cap] + [(0.0, cap) for cap in inst.grid_cap]
    eq = np.zeros((count, size))
    ub = np.zeros((count + n, size))
    for k, (i, t) in enumerate(arcs):
        eq[t, k] = 1.0
        if inst.kind[i][t] == 2:
            ub[t, k] = 1.0
        ub[count + i, k] = 1.0
    for t in range(count):
        eq[t, nx + t] = eq[t, nx + count + t] = -1.0
        ub[t, nx + t] = -1.0
    b_ub = np.concatenate([np.zeros(count), np.array(inst.demand)])
    b_eq = np.zeros(count)
    if nx == 0:
        return Reference(0.0, 0.0, 0.0, [[0.0] * count for _ in range(n)])
    most = np.zeros(size)
    most[:nx] = -1.0
    first = linprog(most, A_ub=ub, b_ub=b_ub, A_eq=eq, b_eq=b_eq, bounds=bounds, method="highs")
    if first.status != 0:  # pragma: no cover - HiGHS failing is a test failure
        raise RuntimeError(first.message)
    delivered = -float(first.fun)
    price = np.zeros(size)
    price[nx : nx + count] = inst.pv_price
    price[nx + count :] = inst.grid_price
    floor = np.zeros((1, size))
    floor[0, :nx] = -1.0
    second = linprog(
        price,
        A_ub=np.vstack([ub, floor]),
        b_ub=np.concatenate([b_ub, [-(delivered - 1e-9 * max(1.0, delivered))]]),
        A_eq=eq,
        b_eq=b_eq,
        bounds=bounds,
        method="highs",
    )
    if second.status != 0:  # pragma: no cover
        raise RuntimeError(second.message)
    energy = [[0.0] * count for _ in range(n)]
    for k, (i, t) in enumerate(arcs):
        energy[i][t] = float(second.x[k])
    volume = float(np.abs(price) @ second.x)
    return Reference(delivered, float(second.fun), volume, energy)


def evaluate(inst: Instance, energy: Sequence[Sequence[float]]) -> tuple[float, bool]:
    """Cost of a plan given as energy per (charger, slot), and whether it fits the site.

    PV-only energy takes PV; the rest takes the cheaper supply first.
    """
    cost, fits = 0.0, True
    for t in range(len(inst.hours)):
        only = sum(row[t] for i, row in enumerate(energy) if inst.kind[i][t] == 2)
        full = sum(row[t] for i, row in enumerate(energy) if inst.kind[i][t] != 2)
        pv_cap, grid_cap = inst.pv_cap[t], inst.grid_cap[t]
        if inst.pv_price[t] <= inst.grid_price[t]:
            pv_full = min(full, max(0.0, pv_cap - only))
            grid = full - pv_full
        else:
            grid = min(full, grid_cap)
            pv_full = full - grid
        fits = fits and only <= pv_cap + 1e-6 and grid <= grid_cap + 1e-6
        fits = fits and pv_full + only <= pv_cap + 1e-6
        cost += (only + pv_full) * inst.pv_price[t] + grid * inst.grid_price[t]
    return cost, fits


def cheapest_slots(s: Scenario, *, share_capacity: bool) -> Baseline:
    """evcc-style plan: each vehicle alone takes its cheapest slots at full power.

    Slots sorted by import price, ties to later slots, PV ignored when choosing (it is
    still credited in the cost). ``share_capacity``: vehicles plan one after the other,
    each within what the previous ones left (a sequential planner); otherwise each plans
    as if alone and the result may overload a slot.
    """
    inst = instance(s)
    count = len(inst.hours)
    left = [inst.pv_cap[t] + inst.grid_cap[t] for t in range(count)]
    energy = []
    met = True
    for i, need in enumerate(inst.demand):
        row = [0.0] * count
        want = need
        for t in sorted(range(count), key=lambda t: (inst.grid_price[t], -t)):
            if want <= 1e-9 or inst.kind[i][t] != 1:
                continue
            take = min(want, inst.arc_cap[i][t], left[t] if share_capacity else want)
            row[t] = take
            want -= take
            if share_capacity:
                left[t] -= take
        met = met and want <= 1e-6
        energy.append(row)
    cost, fits = evaluate(inst, energy)
    return Baseline(energy, cost, met, fits)


def milp_reference(s: Scenario, time_limit: float = 20.0) -> Reference | None:
    """Best plan that honours the minimum powers (HiGHS MILP), or None on time-out.

    A charger draws 0 or between its minimum and maximum power in each slot. Same two
    stages as ``lp_reference``: most energy first, then least cost.
    """
    inst = instance(s)
    n, count = len(inst.demand), len(inst.hours)
    arcs = [(i, t) for i in range(n) for t in range(count) if inst.kind[i][t]]
    nx = len(arcs)
    if nx == 0:
        return Reference(0.0, 0.0, 0.0, [[0.0] * count for _ in range(n)])
    size = 2 * nx + 2 * count  # arcs, on/off per arc, PV per slot, grid per slot
    lower = np.zeros(size)
    upper = np.concatenate(
        [[inst.arc_cap[i][t] for i, t in arcs], np.ones(nx), inst.pv_cap, inst.grid_cap]
    )
    rows: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []
    for t in range(count):
        row = np.zeros(size)
        only = np.zeros(size)
        for k, (i, u) in enumerate(arcs):
            if u == t:
                row[k] = 1.0
                if inst.kind[i][t] == 2:
                    only[k] = 1.0
        row[2 * nx + t] = row[2 * nx + count + t] = -1.0
        only[2 * nx + t] = -1.0
        rows += [row, only]
        lo += [0.0, -np.inf]
        hi += [0.0, 0.0]
    for i in range(n):
        row = np.zeros(size)
        for k, (j, _) in enumerate(arcs):
            if j == i:
                row[k] = 1.0
        rows.append(row)
        lo.append(0.0)
        hi.append(inst.demand[i])
    for k, (i, t) in enumerate(arcs):
        minimum = s.needs[i].min_power_kw * inst.hours[t]
        on = np.zeros(size)
        on[k], on[nx + k] = 1.0, -inst.arc_cap[i][t]
        off = np.zeros(size)
        off[k], off[nx + k] = 1.0, -minimum
        rows += [on, off]
        lo += [-np.inf, 0.0]
        hi += [0.0, np.inf]
    integrality = np.concatenate([np.zeros(nx), np.ones(nx), np.zeros(2 * count)])
    options = {"time_limit": time_limit, "mip_rel_gap": 1e-7}
    most = np.zeros(size)
    most[:nx] = -1.0
    a = np.array(rows)
    first = milp(
        most,
        constraints=LinearConstraint(a, lo, hi),
        integrality=integrality,
        bounds=Bounds(lower, upper),
        options=options,
    )
    if first.status != 0:
        return None
    delivered = -float(first.fun)
    price = np.zeros(size)
    price[2 * nx : 2 * nx + count] = inst.pv_price
    price[2 * nx + count :] = inst.grid_price
    floor = np.zeros(size)
    floor[:nx] = 1.0
    second = milp(
        price,
        constraints=[
            LinearConstraint(a, lo, hi),
            LinearConstraint(floor[None, :], delivered - 1e-6 * max(1.0, delivered), np.inf),
        ],
        integrality=integrality,
        bounds=Bounds(lower, upper),
        options=options,
    )
    if second.status != 0:
        return None
    energy = [[0.0] * count for _ in range(n)]
    for k, (i, t) in enumerate(arcs):
        energy[i][t] = float(second.x[k])
    volume = float(np.abs(price) @ second.x)
    return Reference(float(floor @ second.x), float(second.fun), volume, energy)
