"""Builders and a small site simulator shared by the allocator tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from custom_components.smart_charging.engine.allocation import (
    AllocationMemory,
    AllocationResult,
)
from custom_components.smart_charging.engine.allocator import allocate
from custom_components.smart_charging.engine.model import (
    ChargerConfig,
    ChargerMode,
    ChargerRequest,
    ChargerState,
    Phase,
    PhaseValues,
    SiteConfig,
    SiteSnapshot,
)
from custom_components.smart_charging.engine.settings import AllocatorSettings

T0 = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
VOLTS = 230.0


def at(seconds: float) -> datetime:
    """A moment ``seconds`` after the tests' reference time."""
    return T0 + timedelta(seconds=seconds)


def calm(*chargers: ChargerConfig, fuse: float = 25.0, **overrides: Any) -> AllocatorSettings:
    """Settings without margin, ramp or start hysteresis: one cycle shows the target."""
    values: dict[str, Any] = {
        "site": SiteConfig(fuse_a=fuse),
        "chargers": chargers,
        "margin_a": 0.0,
        "ramp_up_a": None,
        "start_hysteresis_a": 0.0,
    }
    values.update(overrides)
    return AllocatorSettings(**values)


def plugged(charger_id: str, **fields: Any) -> ChargerState:
    """A connected charger's reading."""
    return ChargerState(charger_id, connected=True, **fields)


def wants(charger_id: str, mode: ChargerMode = ChargerMode.FAST, **fields: Any) -> ChargerRequest:
    """A charger's request."""
    return ChargerRequest(charger_id, mode=mode, **fields)


def site_snapshot(
    load: tuple[float, float, float] = (0.0, 0.0, 0.0),
    *,
    chargers: Iterable[ChargerState] = (),
    requests: Iterable[ChargerRequest] = (),
    grid_w: float | None = None,
    **fields: Any,
) -> SiteSnapshot:
    """A snapshot with per-phase grid currents ``load`` (A) and a matching grid power."""
    grid = sum(load) * VOLTS if grid_w is None else grid_w
    return SiteSnapshot(
        grid_power_w=grid,
        phase_currents_a=PhaseValues(*load),
        chargers=tuple(chargers),
        requests=tuple(requests),
        **fields,
    )


def run(
    snapshot: SiteSnapshot,
    settings: AllocatorSettings,
    memory: AllocationMemory | None = None,
    now: datetime = T0,
) -> AllocationResult:
    """One allocation cycle."""
    return allocate(snapshot, settings, memory or AllocationMemory(), now)


def currents(result: AllocationResult) -> dict[str, float]:
    """Allocated current per charger id."""
    return {a.charger_id: a.current_a for a in result.allocations}


def reasons(result: AllocationResult) -> dict[str, str]:
    """Reason code per charger id."""
    return {a.charger_id: a.reason.value for a in result.allocations}


def timeline(
    settings: AllocatorSettings,
    steps: Sequence[tuple[float, SiteSnapshot]],
    memory: AllocationMemory | None = None,
) -> list[AllocationResult]:
    """Run cycles at the given times, carrying the memory along."""
    results: list[AllocationResult] = []
    current = memory or AllocationMemory()
    for seconds, snapshot in steps:
        result = allocate(snapshot, settings, current, at(seconds))
        results.append(result)
        current = result.memory
    return results


@dataclass
class SimulatedEv:
    """An EV behind a charger: follows a new limit ``lag_s`` seconds after it was sent.

    ``asleep`` lists (from, until) seconds in which the car takes nothing (full, or waiting
    on its own timer); when it wakes it draws its limit at once. ``onboard`` lists (from
    seconds, A) steps of the most its onboard charger takes per phase.
    """

    config: ChargerConfig
    lag_s: float = 10.0
    draw_a: float = 0.0
    phases: int = 3
    pending: list[tuple[float, float, int]] = field(default_factory=list)
    asleep: Sequence[tuple[float, float]] = ()
    onboard: Sequence[tuple[float, float]] = ()
    now_s: float = 0.0

    def command(self, now_s: float, current_a: float, phases: int) -> None:
        """Receive a command; it takes effect after the lag (a pause at once for switches)."""
        if phases != self.phases:
            self.draw_a = 0.0
        self.pending.append((now_s + self.lag_s, current_a, phases))

    def advance(self, now_s: float) -> None:
        """Apply the commands whose lag has passed."""
        self.now_s = now_s
        due = [p for p in self.pending if p[0] <= now_s]
        self.pending = [p for p in self.pending if p[0] > now_s]
        for _, current, phases in due:
            self.draw_a = current
            self.phases = phases

    def drawing(self) -> float:
        """What the car takes per phase now: its limit, unless asleep or held by its charger."""
        if any(start <= self.now_s < end for start, end in self.asleep):
            return 0.0
        steps = [a for start, a in self.onboard if start <= self.now_s]
        return min(self.draw_a, steps[-1]) if steps else self.draw_a

    def per_phase(self) -> tuple[float, float, float]:
        """What the EV draws on each site phase."""
        drawn = self.drawing()
        if self.phases == 3 and self.config.phases == 3:
            return (drawn, drawn, drawn)
        values = [0.0, 0.0, 0.0]
        values[[Phase.L1, Phase.L2, Phase.L3].index(self.config.phase)] = drawn
        return (values[0], values[1], values[2])


def simulate(
    settings: AllocatorSettings,
    house: Sequence[tuple[float, tuple[float, float, float]]],
    evs: Sequence[SimulatedEv],
    *,
    until_s: float,
    step_s: float = 5.0,
    requests: Iterable[ChargerRequest] = (),
    pv_w: float = 0.0,
) -> list[tuple[float, tuple[float, float, float], AllocationResult]]:
    """Closed loop: house load + EVs that lag behind the commands; returns the real loads."""
    memory = AllocationMemory()
    history: list[tuple[float, tuple[float, float, float], AllocationResult]] = []
    request_tuple = tuple(requests)
    now_s = 0.0
    while now_s <= until_s:
        base = next(load for start, load in reversed(house) if start <= now_s)
        for ev in evs:
            ev.advance(now_s)
        draws = [ev.per_phase() for ev in evs]
        load = tuple(base[p] + sum(d[p] for d in draws) for p in range(3))
        states = tuple(
            plugged(
                ev.config.id,
                currents_a=PhaseValues(*d),
                active_phases=None,
                charging=ev.drawing() > 0.0,
            )
            for ev, d in zip(evs, draws, strict=True)
        )
        snapshot = site_snapshot(
            (load[0], load[1], load[2]),
            chargers=states,
            requests=request_tuple,
            grid_w=sum(load) * VOLTS - pv_w,
        )
        result = allocate(snapshot, settings, memory, at(now_s))
        memory = result.memory
        for ev in evs:
            decision = result.get(ev.config.id)
            assert decision is not None
            ev.command(now_s, decision.current_a, decision.phases)
        history.append((now_s, (load[0], load[1], load[2]), result))
        now_s += step_s
    return history


def with_memory_current(
    memory: AllocationMemory, charger_id: str, **fields: Any
) -> AllocationMemory:
    """Return ``memory`` with one charger's entry changed."""
    return AllocationMemory(
        tuple(replace(m, **fields) if m.charger_id == charger_id else m for m in memory.chargers)
    )
