"""Reference (c): the perfect-foresight optimum of a scenario (HiGHS MILP via scipy).

It knows every minute of house load, PV and price in advance and plans every car at
once. Per interval of ``Scenario.oracle_step_s`` it chooses each plugged car's power,
either 0 or between its minimum (6 A on the fewest phases the charger can use) and its
maximum (semi-continuous variables), and minimises the site's energy cost (import at the
import price, less export at the export price) plus 10 EUR per kWh of target missed.
Constraints: every phase of the main fuse (house load, cars, PV feeding back, all as
interval averages; the full rating, no margin), every circuit, the grid signal, the
maximum import, each car's own charge limit and its taper above ``taper_from_pct``
(linear in the energy charged so far).

It is a bound, not a controller: interval averages hide spikes within an interval, there
is no EV lag, no meter noise, no hysteresis, and a switchable charger running on one
phase is counted as spreading its current over three. Its cost is the floor for the
cost KPI and its PV energy the ceiling for the PV KPI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from .ev import PHASE_INDEX, Bay
from .profiles import VOLTS, Array
from .scenario import Scenario

Adder = Callable[[list[tuple[int, float]], float, float], None]
PENALTY = 10.0  # EUR per kWh of target missed
EARLIER = 1e-5  # EUR per kWh and hour of delay: breaks ties towards charging early
TIME_LIMIT_S = 60.0


@dataclass(frozen=True)
class OracleResult:
    """The oracle's schedule and the figures the KPIs need."""

    step_s: float
    power_kw: Array  # (K, m) per car
    grid_kw: Array  # (K,) import minus export
    house_kw: Array  # (K,)
    pv_kw: Array  # (K,)
    import_price: Array  # (K,)
    export_price: Array  # (K,)
    delivered_kwh: list[float]  # into each battery
    status: str  # "optimal", "time limit (gap x %)" or "relaxed"
    gap_pct: float
    relaxed_cost: float  # the LP relaxation (no minimum power): a lower bound
    seconds: float


def car_phases(bay: Bay) -> int:
    """Phases the car loads at full power."""
    if bay.charger.phases == 1 or bay.ev.onboard_phases == 1:
        return 1
    return 3


def power_range_kw(bay: Bay) -> tuple[float, float]:
    """(minimum, maximum) power of a car at its charger."""
    phases = car_phases(bay)
    low = 1 if bay.charger.can_switch_phases else phases
    top = min(bay.charger.max_a, bay.ev.onboard_max_a) * phases * VOLTS / 1000
    return bay.charger.min_a * low * VOLTS / 1000, top


def _averages(s: Scenario, step: float) -> dict[str, Array]:
    series = s.series
    per = round(step / s.step_s)
    count = s.steps // per

    def avg(values: Array) -> Array:
        trimmed = values[: count * per]
        result: Array = trimmed.reshape(count, per, *values.shape[1:]).mean(axis=1)
        return result

    signal = np.where(np.isnan(series.signal_w), np.inf, series.signal_w)
    signal = signal[: count * per].reshape(count, per).min(axis=1)
    return {
        "house": avg(series.house_w),  # (K, 3) W
        "pv": avg(series.pv_w),
        "imp": avg(series.import_price),
        "exp": avg(series.export_price),
        "signal": signal,
    }


def solve(s: Scenario, *, time_limit_s: float = TIME_LIMIT_S) -> OracleResult:
    """Solve the scenario's MILP (and its relaxation for the bound)."""
    began = time.perf_counter()
    step = s.oracle_step_s
    hours = step / 3600
    data = _averages(s, step)
    count, m = len(data["pv"]), len(s.bays)
    house_kw = data["house"].sum(axis=1) / 1000
    pv_kw = data["pv"] / 1000
    # variable layout: car powers (only plugged intervals), import, export, shortfalls
    index: list[tuple[int, int]] = []
    for j, bay in enumerate(s.bays):
        first = int(np.ceil(bay.ev.arrival_h * 3600 / step - 1e-9))
        last = int(np.floor(bay.ev.departure_h * 3600 / step + 1e-9))
        index.extend((j, k) for k in range(first, min(last, count)))
    nx = len(index)
    g0, x0, s0 = nx, nx + count, nx + 2 * count
    by_interval: list[list[int]] = [[] for _ in range(count)]
    by_car: list[list[int]] = [[] for _ in range(m)]
    for v, (j, k) in enumerate(index):
        by_interval[k].append(v)
        by_car[j].append(v)
    # energy stored so far, per interval of a car that may reach its taper
    stored: dict[int, int] = {}
    for j, bay in enumerate(s.bays):
        if bay.ev.target_soc_pct > bay.ev.taper_from_pct:
            for v in by_car[j]:
                stored[v] = s0 + m + len(stored)
    size = s0 + m + len(stored)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lower: list[float] = []
    upper: list[float] = []

    def constraint(entries: list[tuple[int, float]], lo: float, hi: float) -> None:
        row = len(lower)
        for col, value in entries:
            rows.append(row)
            cols.append(col)
            vals.append(value)
        lower.append(lo)
        upper.append(hi)

    amps = [_amps_per_kw(bay) for bay in s.bays]
    for k in range(count):
        members = by_interval[k]
        balance = [(v, -1.0) for v in members] + [(g0 + k, 1.0), (x0 + k, -1.0)]
        constraint(balance, house_kw[k] - pv_kw[k], house_kw[k] - pv_kw[k])
        for p in range(3):
            room = s.fuse_a - (data["house"][k, p] - data["pv"][k] / 3) / VOLTS
            entries = [(v, amps[index[v][0]][p]) for v in members if amps[index[v][0]][p]]
            if entries:
                constraint(entries, -np.inf, room)
            for circuit in s.circuits:
                inside = [
                    (v, amps[index[v][0]][p])
                    for v in members
                    if amps[index[v][0]][p] and _on(s, s.bays[index[v][0]], circuit.id)
                ]
                if inside:
                    constraint(inside, -np.inf, circuit.limit_a)
        if np.isfinite(data["signal"][k]) and members:
            constraint([(v, 1.0) for v in members], -np.inf, data["signal"][k] / 1000)
    for j, bay in enumerate(s.bays):
        spec = bay.ev
        need = spec.need_kwh
        charge = [(v, spec.efficiency * hours) for v in by_car[j]]
        constraint([*charge, (s0 + j, 1.0)], need, np.inf)
        if charge:
            constraint(charge, -np.inf, need)
        if by_car[j] and by_car[j][0] in stored:
            _taper(bay, by_car[j], stored, hours, constraint)
    a = coo_matrix((vals, (rows, cols)), shape=(len(lower), size)).tocsr()
    cost = np.zeros(size)
    cost[g0 : g0 + count] = data["imp"] * hours
    cost[x0 : x0 + count] = -data["exp"] * hours
    cost[s0 : s0 + m] = PENALTY
    # Among equally cheap plans, charge earlier (as "fast" would): a negligible nudge.
    for v, (_, k) in enumerate(index):
        cost[v] = EARLIER * k * hours * hours
    lo = np.zeros(size)
    hi = np.full(size, np.inf)
    for v, (j, _) in enumerate(index):
        lo[v], hi[v] = power_range_kw(s.bays[j])
    for j in range(m):
        if by_car[j] and by_car[j][0] in stored:
            hi[stored[by_car[j][0]]] = 0.0  # nothing stored yet on arrival
    if s.max_import_w is not None:
        hi[g0 : g0 + count] = s.max_import_w / 1000
    integrality = np.zeros(size)
    integrality[:nx] = 2  # semi-continuous: 0 or within [lo, hi]
    constraints = LinearConstraint(a, np.array(lower), np.array(upper))
    relaxed_lo = lo.copy()
    relaxed_lo[:nx] = 0.0
    relaxed = milp(cost, constraints=constraints, bounds=Bounds(relaxed_lo, hi))
    options = {"time_limit": time_limit_s, "mip_rel_gap": 1e-4}
    result = milp(
        cost,
        constraints=constraints,
        bounds=Bounds(lo, hi),
        integrality=integrality,
        options=options,
    )
    status, gap = "optimal", 0.0
    x = result.x
    if x is None:
        x, status = relaxed.x, "relaxed"
    elif result.status != 0:
        gap = 100 * float(getattr(result, "mip_gap", np.nan))
        status = f"time limit (gap {gap:.2f} %)"
    power = np.zeros((count, m))
    for v, (j, k) in enumerate(index):
        power[k, j] = max(0.0, x[v])
    delivered = [float(power[:, j].sum() * hours * s.bays[j].ev.efficiency) for j in range(m)]
    return OracleResult(
        step_s=step,
        power_kw=power,
        grid_kw=x[g0 : g0 + count] - x[x0 : x0 + count],
        house_kw=house_kw,
        pv_kw=pv_kw,
        import_price=data["imp"],
        export_price=data["exp"],
        delivered_kwh=delivered,
        status=status,
        gap_pct=gap,
        relaxed_cost=float(relaxed.fun) if relaxed.x is not None else float("nan"),
        seconds=time.perf_counter() - began,
    )


def _amps_per_kw(bay: Bay) -> tuple[float, float, float]:
    """Current per phase per kW of the car's power."""
    phases = car_phases(bay)
    if phases == 3:
        value = 1000 / (3 * VOLTS)
        return (value, value, value)
    amps = [0.0, 0.0, 0.0]
    amps[PHASE_INDEX[bay.charger.phase]] = 1000 / VOLTS
    return (amps[0], amps[1], amps[2])


def _on(s: Scenario, bay: Bay, circuit: str) -> bool:
    parents = {c.id: c.parent_id for c in s.circuits}
    node = bay.charger.circuit
    while node is not None:
        if node == circuit:
            return True
        node = parents[node]
    return False


def _taper(bay: Bay, columns: list[int], stored: dict[int, int], hours: float, add: Adder) -> None:
    """p_k <= P_max x (E_full - E_k) / (E_full x (1 - taper share)), E_k the energy so far.

    ``stored[v]`` is the column of the energy stored before interval ``v``:
    ``E_next = E + efficiency x hours x p``.
    """
    spec = bay.ev
    _, top = power_range_kw(bay)
    span = spec.capacity_kwh * (1 - spec.taper_from_pct / 100)
    rhs = top * (spec.capacity_kwh - spec.capacity_kwh * spec.soc_pct / 100) / span
    for position, column in enumerate(columns):
        add([(column, 1.0), (stored[column], top / span)], -np.inf, rhs)
        if position:
            before = columns[position - 1]
            step = [
                (stored[column], 1.0),
                (stored[before], -1.0),
                (before, -spec.efficiency * hours),
            ]
            add(step, 0.0, 0.0)
