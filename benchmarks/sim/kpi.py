"""The figures of one run: cost, PV, peak, limits, targets, oscillation, fairness.

Definitions (the same for every policy; the oracle is scored on its own interval grid):
- ``cost_eur``: what charging adds to the site's energy bill: (import x import price -
  export x export price) with the cars, minus the same without them. PV a car takes costs
  the feed-in it displaces.
- ``pv_to_ev_kwh``: per step, the car power covered by PV left after the house load.
  ``pv_share_pct`` = that / the cars' energy.
- ``peak_import_kw``: the highest 15-min mean grid import (as demand meters bill it).
- ``over_limit_s``: seconds in which any limit is exceeded by more than 0.05 A: a fuse
  phase, a circuit phase, the grid signal (cars' power), the maximum import (both
  converted to A per phase). ``over_beyond_lag_s``: of each such episode, the seconds
  beyond ``allowance_s`` = meter interval + the slowest car's lag + one step, the least a
  controller that measures needs to see and answer a change. ``max_overshoot_a``: the
  largest excess.
- ``targets_met`` / ``kwh_missing``: a car meets its target when it leaves at most 0.5 %
  of its capacity short (the car reports whole percent; controllers stop on that).
- ``starts_stops_per_ev_day``: commands crossing 6 A (a start or a stop), per car per
  day, worst car; ``current_changes_per_ev_h``: changed commands per car per plugged hour.
- ``jain``: Jain's index over cars of equal priority of their mean share (drawn / what
  they could take), over the steps where at least two of them want current.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .oracle import OracleResult
from .profiles import VOLTS, Array, BoolArray, IntArray
from .runner import Trace
from .scenario import Scenario

TOLERANCE_A = 0.05
TARGET_TOLERANCE_PCT = 0.5  # the car reports whole percent


def allowance_s(s: Scenario) -> float:
    """How long an overload may last before it counts as beyond one EV lag."""
    return s.meter_interval_s + max((bay.ev.lag_s for bay in s.bays), default=0.0) + s.step_s


def trace_kpis(trace: Trace) -> dict[str, Any]:
    """The KPIs of a simulated run."""
    s = trace.scenario
    series = s.series
    hours = s.step_s / 3600
    ev_w = trace.ev_w.sum(axis=1)
    house_w = series.house_w.sum(axis=1)
    figures = _energy(
        grid_w=trace.grid_w,
        base_w=house_w - series.pv_w,
        ev_w=ev_w,
        surplus_w=np.maximum(0.0, series.pv_w - house_w),
        prices=(series.import_price, series.export_price),
        hours=hours,
    )
    over = _overshoot(trace)
    exceeded = over > TOLERANCE_A
    durations = _episodes(exceeded) * s.step_s
    limit = allowance_s(s)
    delivered = [
        (soc - bay.ev.soc_pct) / 100 * bay.ev.capacity_kwh
        for soc, bay in zip(trace.departure_soc, s.bays, strict=True)
    ]
    figures.update(
        over_limit_s=float(durations.sum()),
        over_beyond_lag_s=float(np.maximum(0.0, durations - limit).sum()),
        max_overshoot_a=round(float(over.max(initial=0.0)), 2),
        **_targets(s, delivered),
        **_oscillation(trace),
        jain=_jain(trace),
        decisions=trace.decisions,
        run_s=round(trace.seconds, 1),
    )
    return figures


def oracle_kpis(s: Scenario, result: OracleResult) -> dict[str, Any]:
    """The KPIs of the oracle's schedule (limits hold on its interval averages)."""
    hours = result.step_s / 3600
    ev_w = result.power_kw.sum(axis=1) * 1000
    house_w = result.house_kw * 1000
    pv_w = result.pv_kw * 1000
    figures = _energy(
        grid_w=result.grid_kw * 1000,
        base_w=house_w - pv_w,
        ev_w=ev_w,
        surplus_w=np.maximum(0.0, pv_w - house_w),
        prices=(result.import_price, result.export_price),
        hours=hours,
    )
    figures.update(
        over_limit_s=None,
        over_beyond_lag_s=None,
        max_overshoot_a=None,
        **_targets(s, result.delivered_kwh),
        starts_stops_per_ev_day=None,
        current_changes_per_ev_h=None,
        jain=None,
        solver=result.status,
        relaxed_cost_eur=round(
            result.relaxed_cost
            - float(
                (
                    np.maximum(0.0, house_w - pv_w) * result.import_price
                    - np.maximum(0.0, pv_w - house_w) * result.export_price
                ).sum()
            )
            * hours
            / 1000,
            3,
        ),
        run_s=round(result.seconds, 1),
    )
    return figures


def compare(figures: dict[str, Any], oracle: dict[str, Any]) -> None:
    """Add the ratios to the oracle: PV share, PV energy, cost and cost per kWh (in %).

    The cost per kWh compares the same job when a policy charged less than the oracle
    (missed targets): its total cost alone would look cheaper for doing less.
    """
    share, pv, cost = oracle["pv_share_pct"], oracle["pv_to_ev_kwh"], oracle["cost_eur"]
    figures["pv_share_vs_oracle_pct"] = (
        round(100 * figures["pv_share_pct"] / share, 1) if share > 0.5 else None
    )
    figures["pv_energy_vs_oracle_pct"] = (
        round(100 * figures["pv_to_ev_kwh"] / pv, 1) if pv > 0.05 else None
    )
    figures["cost_vs_oracle_pct"] = round(100 * figures["cost_eur"] / cost, 1) if cost > 0 else None
    energy = oracle["ev_energy_kwh"]
    mine = figures["ev_energy_kwh"]
    figures["cost_per_kwh_vs_oracle_pct"] = (
        round(100 * (figures["cost_eur"] / mine) / (cost / energy), 1)
        if cost > 0 and energy > 0 and mine > 0
        else None
    )


def _energy(
    *,
    grid_w: Array,
    base_w: Array,
    ev_w: Array,
    surplus_w: Array,
    prices: tuple[Array, Array],
    hours: float,
) -> dict[str, Any]:
    imports, exports = prices

    def bill(net_w: Array) -> float:
        return float(
            (np.maximum(0.0, net_w) * imports - np.maximum(0.0, -net_w) * exports).sum()
            * hours
            / 1000
        )

    ev_kwh = float(ev_w.sum() * hours / 1000)
    pv_kwh = float(np.minimum(ev_w, surplus_w).sum() * hours / 1000)
    per_quarter = round(0.25 / hours)
    usable = len(grid_w) // per_quarter * per_quarter
    quarters = np.maximum(0.0, grid_w[:usable]).reshape(-1, per_quarter).mean(axis=1)
    return {
        "cost_eur": round(bill(grid_w) - bill(base_w), 3),
        "ev_energy_kwh": round(ev_kwh, 2),
        "pv_to_ev_kwh": round(pv_kwh, 2),
        "pv_share_pct": round(100 * pv_kwh / ev_kwh, 1) if ev_kwh > 0 else 0.0,
        "peak_import_kw": round(float(quarters.max(initial=0.0)) / 1000, 2),
    }


def _overshoot(trace: Trace) -> Array:
    """Per step, the largest excess over any limit (A; 0 or negative when none)."""
    s = trace.scenario
    over = np.abs(trace.phase_a).max(axis=1) - s.fuse_a
    for c, circuit in enumerate(s.circuits):
        over = np.maximum(over, trace.circuit_a[:, c, :].max(axis=1) - circuit.limit_a)
    signal = s.series.signal_w
    active = ~np.isnan(signal)
    if active.any():
        excess = (trace.ev_w.sum(axis=1) - np.where(active, signal, 0.0)) / (3 * VOLTS)
        over = np.maximum(over, np.where(active, excess, -np.inf))
    if s.max_import_w is not None:
        over = np.maximum(over, (trace.grid_w - s.max_import_w) / (3 * VOLTS))
    result: Array = over
    return result


def _episodes(flags: BoolArray) -> IntArray:
    """Lengths (in steps) of the runs of True."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.diff(padded)
    return np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)


def _targets(s: Scenario, delivered: list[float]) -> dict[str, Any]:
    missing = [max(0.0, bay.ev.need_kwh - got) for bay, got in zip(s.bays, delivered, strict=True)]
    slack = [bay.ev.capacity_kwh * TARGET_TOLERANCE_PCT / 100 for bay in s.bays]
    return {
        "targets_met": sum(1 for value, ok in zip(missing, slack, strict=True) if value <= ok),
        "targets_total": len(missing),
        "kwh_missing": round(sum(missing), 2),
        "missing_by_ev": [round(value, 2) for value in missing],
        "target_slack_kwh": [round(value, 2) for value in slack],
    }


def _oscillation(trace: Trace) -> dict[str, Any]:
    s = trace.scenario
    on = trace.offered_a >= 6.0 - 1e-9
    plugged = trace.plugged
    flips = (np.diff(on.astype(np.int8), axis=0) != 0) & plugged[1:] & plugged[:-1]
    changes = (np.abs(np.diff(trace.offered_a, axis=0)) > 0.05) & plugged[1:] & plugged[:-1]
    days = s.hours / 24
    plugged_h = plugged.sum() * s.step_s / 3600
    per_ev = flips.sum(axis=0) / days
    return {
        "starts_stops_per_ev_day": round(float(per_ev.max(initial=0.0))),
        "starts_stops_mean_per_ev_day": round(float(per_ev.mean()), 1),
        "current_changes_per_ev_h": round(float(changes.sum() / plugged_h), 1) if plugged_h else 0,
    }


def _jain(trace: Trace) -> float | None:
    s = trace.scenario
    priorities = {bay.charger.priority for bay in s.bays}
    best: float | None = None
    for priority in priorities:
        columns = [j for j, bay in enumerate(s.bays) if bay.charger.priority == priority]
        if len(columns) < 2:
            continue
        cap = trace.cap_a[:, columns]
        wanting = cap > 0.0
        contended = wanting.sum(axis=1) >= 2
        if not contended.any():
            continue
        share = np.where(
            wanting, np.minimum(1.0, trace.ev_a[:, columns] / np.where(wanting, cap, 1)), 0
        )
        means = [
            float(share[contended & wanting[:, i], i].mean())
            for i in range(len(columns))
            if (contended & wanting[:, i]).any()
        ]
        values = np.array(means)
        index = (
            float(values.sum() ** 2 / (len(values) * (values**2).sum())) if values.any() else 0.0
        )
        best = index if best is None else min(best, index)
    return None if best is None else round(best, 3)
