"""Benchmark the ready-by planner against the LP/MILP optimum and an evcc-style baseline.

Run: ``.venv/bin/python -m benchmarks.bench_planner`` (or ``scripts/bench planner``).
Prints a table and writes ``benchmarks/out/planner.json``.

Gaps are in % of the energy's value: (plan cost - reference cost) divided by the delivered
kWh times the mean absolute import price of the horizon. The cost itself is a poor
denominator here: with free PV or negative prices it is near zero or below.

- ``gap_vs_lp_pct``: the continuous plan (minimum power off) against HiGHS' LP optimum.
- ``gap_after_min_power_pct``: the plan as returned (minimum power honoured) against the
  same LP optimum, i.e. what honouring the minimum power costs in total. Part of that is
  unavoidable (the LP may use a 1 kW PV surplus that no 4.14 kW charger can use);
  ``gap_after_min_power_vs_milp_pct`` compares with the exact MILP optimum instead, which
  isolates what the repair heuristic leaves on the table (scenarios small enough for the
  MILP to finish within its time limit); ``min_power_inherent_gap_pct`` is the MILP
  optimum against the LP optimum, the part no repair can recover.
- ``saving_vs_cheapest_slots_pct``: against a sequential per-vehicle cheapest-slots plan
  (evcc-like: each vehicle takes its cheapest slots at full power, ties to later slots,
  within what the vehicles before it left), over scenarios where both meet every target.
- ``time_ms``: median wall time of ``plan()`` (minimum power on) for chargers x slots.
"""

from __future__ import annotations

from dataclasses import replace
import json
from pathlib import Path
import statistics
import time

from benchmarks.planner_lp import (
    Scenario,
    cheapest_slots,
    instance,
    lp_reference,
    milp_reference,
)
from benchmarks.planner_scenarios import NAMED, random_scenario
from custom_components.smart_charging.engine.plan_model import Plan
from custom_components.smart_charging.engine.planner import plan

RANDOM = 240
OUT = Path(__file__).parent / "out" / "planner.json"
TOL_KWH = 1e-6


def run(s: Scenario, *, min_power: bool = True) -> Plan:
    """Plan a scenario."""
    settings = replace(s.settings, enforce_min_power=min_power)
    return plan(s.slots, s.site_capacity, s.pv_forecast, s.needs, s.now, settings)


def delivered(p: Plan) -> float:
    """Total planned energy."""
    return sum(c.energy_kwh for c in p.chargers)


def value_scale(s: Scenario, kwh: float) -> float:
    """Delivered energy valued at the horizon's mean absolute import price."""
    prices = instance(s).grid_price
    return kwh * statistics.mean(abs(p) for p in prices) if prices else 0.0


def evaluate(s: Scenario) -> dict[str, float | bool | None]:
    """All figures of one scenario."""
    row: dict[str, float | bool | None] = {}
    continuous, full = run(s, min_power=False), run(s)
    lp = lp_reference(s)
    scale = value_scale(s, lp.delivered)
    row["energy_ok"] = abs(delivered(continuous) - lp.delivered) <= TOL_KWH * max(1, lp.delivered)
    row["gap_lp"] = 100 * ((continuous.cost or 0.0) - lp.cost) / scale if scale else 0.0
    row["short_after_min"] = lp.delivered - delivered(full)
    row["gap_min"] = None
    if scale and abs(delivered(full) - lp.delivered) <= 1e-3:
        row["gap_min"] = 100 * ((full.cost or 0.0) - lp.cost) / scale
    row["gap_milp"] = row["inherent"] = row["short_vs_milp"] = None
    milp = milp_reference(s, time_limit=10.0) if len(s.needs) * len(s.slots) <= 600 else None
    if milp is not None:
        row["short_vs_milp"] = milp.delivered - delivered(full)
        if scale and abs(delivered(full) - milp.delivered) <= 1e-3:
            row["gap_milp"] = 100 * ((full.cost or 0.0) - milp.cost) / scale
        if scale and abs(lp.delivered - milp.delivered) <= 1e-3:
            row["inherent"] = 100 * (milp.cost - lp.cost) / scale
    base = cheapest_slots(s, share_capacity=True)
    row["saving"] = None
    all_met = all(c.shortfall_kwh <= 1e-6 for c in full.chargers)
    if base.feasible and all_met and base.cost:
        row["saving"] = 100 * (base.cost - (full.cost or 0.0)) / abs(base.cost)
    return row


def timing(chargers: int, slots: int, repeats: int = 7) -> float:
    """Median ms of plan() over a few random scenarios of the given size."""
    samples = []
    for seed in range(repeats):
        s = random_scenario(10_000 + seed, chargers, slots)
        start = time.perf_counter()
        run(s)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _stats(values: list[float]) -> dict[str, float]:
    return {"mean": statistics.mean(values), "max": max(values)} if values else {}


def main() -> None:
    """Run every scenario, print the table, write the JSON."""
    scenarios = [make() for make in NAMED] + [random_scenario(seed) for seed in range(RANDOM)]
    rows = []
    print(f"{'scenario':32} {'gap LP %':>10} {'gap min %':>10} {'vs MILP %':>10} {'saving %':>9}")
    for s in scenarios:
        row = evaluate(s)
        rows.append(row)
        if s.name.startswith("random") and int(s.name.split()[1]) >= 10:
            continue
        cells = [row["gap_lp"], row["gap_min"], row["gap_milp"]]
        text = " ".join(f"{c:10.4f}" if isinstance(c, float) else f"{'-':>10}" for c in cells)
        saving = row["saving"]
        print(f"{s.name:32} {text} {saving:9.2f}" if saving is not None else f"{s.name:32} {text}")
    print(f"... ({RANDOM - 10} more random scenarios)")

    def column(key: str) -> list[float]:
        return [v for r in rows if isinstance(v := r[key], float)]

    result = {
        "scenarios": {"named": len(NAMED), "random": RANDOM},
        "gap_vs_lp_pct": _stats(column("gap_lp")),
        "energy_matches_lp": all(bool(r["energy_ok"]) for r in rows),
        "gap_after_min_power_pct": _stats(column("gap_min")),
        "gap_after_min_power_vs_milp_pct": {
            **_stats(column("gap_milp")),
            "scenarios": len(column("gap_milp")),
        },
        "min_power_inherent_gap_pct": {
            **_stats(column("inherent")),
            "scenarios": len(column("inherent")),
        },
        "min_power_shortfall_kwh": {
            "vs_lp": _stats([max(0.0, v) for v in column("short_after_min")]),
            "vs_milp": _stats([max(0.0, v) for v in column("short_vs_milp")]),
        },
        "saving_vs_cheapest_slots_pct": {
            "mean": statistics.mean(column("saving")),
            "scenarios": len(column("saving")),
        },
        "time_ms": {
            "1x96": timing(1, 96),
            "4x192": timing(4, 192),
            "20x192": timing(20, 192),
        },
    }
    print(json.dumps(result, indent=2))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
