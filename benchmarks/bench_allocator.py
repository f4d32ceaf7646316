"""Benchmark one allocation cycle for growing sites.

Run: ``.venv/bin/python -m benchmarks.bench_allocator`` (or ``scripts/bench allocator``).
Prints a table and writes ``benchmarks/out/allocator.json`` as
``{"cycle_us": {"1": ..., "3": ..., "10": ..., "50": ..., "100": ..., "500": ...},
"growth_500_over_50": ...}``.

Times are the median CPU time of the calling thread per cycle (the wall time is printed
beside it). Each site is in steady state: the chargers are warmed up over a few cycles (their EVs
draw what they were commanded), then one more cycle is timed many times with the same
inputs. Chargers mix 1p (on all three phases) and 3p, fast, pv, min_pv and smart modes,
two priorities and a few phase-switching ones, so every stage of the cycle does work.
Sites of 50 chargers and more sit on a three-level circuit tree (feeders > sub-feeders >
rows of five chargers) with metered feeders. Targets: 3 chargers < 1 ms, 500 < 50 ms,
growth 500/50 close to linear (10).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import statistics
import time

from custom_components.smart_charging.engine.allocation import AllocationMemory
from custom_components.smart_charging.engine.allocator import allocate
from custom_components.smart_charging.engine.model import (
    ALL_PHASES,
    ChargerConfig,
    ChargerMode,
    ChargerRequest,
    ChargerState,
    CircuitConfig,
    CircuitState,
    PhaseValues,
    SiteConfig,
    SiteSnapshot,
)
from custom_components.smart_charging.engine.settings import AllocatorSettings

SIZES = (1, 3, 10, 50, 100, 500)
OUT = Path(__file__).parent / "out" / "allocator.json"
T0 = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
MODES = (ChargerMode.FAST, ChargerMode.PV, ChargerMode.MIN_PV, ChargerMode.SMART)
VOLTS = 230.0


def tree(chargers: int) -> tuple[tuple[CircuitConfig, ...], list[str]]:
    """A three-level tree with rows of five chargers; returns circuits and row ids."""
    rows = max(1, chargers // 5)
    feeders = max(1, round(rows ** (1 / 3)))
    subs = max(1, round((rows / feeders) ** 0.5))
    circuits: list[CircuitConfig] = []
    row_ids: list[str] = []
    per_row_limit = 5 * 16.0 * 0.6
    for f in range(feeders):
        circuits.append(CircuitConfig(f"f{f}", per_row_limit * rows / feeders * 0.8))
        circuits.extend(
            CircuitConfig(f"f{f}s{s}", per_row_limit * rows / feeders / subs, f"f{f}")
            for s in range(subs)
        )
    for r in range(rows):
        parent = f"f{r % feeders}s{(r // feeders) % subs}"
        circuits.append(CircuitConfig(f"r{r}", per_row_limit, parent))
        row_ids.append(f"r{r}")
    return tuple(circuits), row_ids


def site(size: int) -> tuple[AllocatorSettings, list[ChargerRequest], list[str]]:
    """Settings and requests for a site with ``size`` chargers."""
    circuits, rows = tree(size) if size >= 50 else ((), [])
    chargers = tuple(
        ChargerConfig(
            f"c{i}",
            phases=1 if i % 4 == 3 else 3,
            phase=ALL_PHASES[i % 3],
            max_current_a=16.0 if i % 2 else 32.0,
            priority=1 if i % 7 == 0 else 0,
            weight=2.0 if i % 5 == 0 else 1.0,
            circuit_id=rows[i // 5 % len(rows)] if rows else None,
            can_switch_phases=i % 6 == 1,
        )
        for i in range(size)
    )
    fuse = max(35.0, 9.0 * size)
    settings = AllocatorSettings(
        site=SiteConfig(fuse_a=fuse, max_import_w=fuse * 3 * VOLTS * 0.8),
        chargers=chargers,
        circuits=circuits,
        unbalance_limit_a=20.0 * max(1, size // 10),
    )
    requests = [
        ChargerRequest(c.id, mode=MODES[i % len(MODES)], planned_power_w=7000.0)
        for i, c in enumerate(chargers)
    ]
    return settings, requests, [c.id for c in circuits if c.parent_id is None]


def snapshot(
    settings: AllocatorSettings,
    requests: list[ChargerRequest],
    feeders: list[str],
    commands: dict[str, tuple[float, int]],
) -> SiteSnapshot:
    """The site's readings when every EV draws what it was last commanded."""
    house = (8.0, 12.0, 10.0)
    load = list(house)
    states: list[ChargerState] = []
    for config in settings.chargers:
        current, phases = commands.get(config.id, (0.0, config.phases))
        if config.phases == 3 and phases == 3:
            drawn = PhaseValues.uniform(current)
        else:
            drawn = PhaseValues.from_fn(lambda p, c=config, a=current: a if p is c.phase else 0.0)
        for i, value in enumerate(drawn.as_tuple()):
            load[i] += value
        states.append(ChargerState(config.id, connected=True, currents_a=drawn, soc_pct=50.0))
    pv_w = 4000.0 + 900.0 * len(settings.chargers)
    return SiteSnapshot(
        grid_power_w=sum(load) * VOLTS - pv_w,
        phase_currents_a=PhaseValues(*load),
        chargers=tuple(states),
        circuits=tuple(CircuitState(f, PhaseValues.uniform(20.0)) for f in feeders),
        requests=tuple(requests),
    )


Cycle = tuple[SiteSnapshot, AllocatorSettings, AllocationMemory, datetime]


def warm(size: int) -> Cycle:
    """Run a site for a few cycles; return the inputs of its next, steady-state cycle."""
    settings, requests, feeders = site(size)
    memory = AllocationMemory()
    commands: dict[str, tuple[float, int]] = {}
    now = T0
    for _ in range(12):
        result = allocate(snapshot(settings, requests, feeders, commands), settings, memory, now)
        memory = result.memory
        commands = {a.charger_id: (a.current_a, a.phases) for a in result.allocations}
        now += timedelta(seconds=20)
    return snapshot(settings, requests, feeders, commands), settings, memory, now


def measure(cycles: dict[int, Cycle], rounds: int = 7) -> dict[int, tuple[float, float]]:
    """Median microseconds per cycle and size: (CPU time of this thread, wall time).

    Sizes take turns so that background load spreads over all of them alike. The CPU
    time is the figure reported: on a shared machine, wall time also counts the moments
    the scheduler gave the core to someone else.
    """
    cpu: dict[int, list[float]] = {size: [] for size in cycles}
    wall: dict[int, list[float]] = {size: [] for size in cycles}
    for _ in range(rounds):
        for size, (readings, settings, memory, now) in cycles.items():
            for _ in range(max(3, 600 // size)):
                start_cpu, start_wall = time.thread_time(), time.perf_counter()
                allocate(readings, settings, memory, now)
                cpu[size].append(time.thread_time() - start_cpu)
                wall[size].append(time.perf_counter() - start_wall)
    return {
        size: (statistics.median(cpu[size]) * 1e6, statistics.median(wall[size]) * 1e6)
        for size in cycles
    }


def main() -> None:
    """Measure every size, print a table, write the JSON figures."""
    timings = measure({size: warm(size) for size in SIZES})
    figures = {str(size): round(timings[size][0], 1) for size in SIZES}
    growth = figures["500"] / figures["50"]
    print(f"{'chargers':>8}  {'cycle (us)':>11}  {'us/charger':>10}  {'wall (us)':>10}")
    for size in SIZES:
        value, wall = timings[size]
        print(f"{size:>8}  {value:>11.1f}  {value / size:>10.1f}  {wall:>10.1f}")
    print(f"growth 500/50: {growth:.2f} (linear = 10); cycle = median CPU time of one call")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps({"cycle_us": figures, "growth_500_over_50": round(growth, 2)}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
