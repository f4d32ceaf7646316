"""Hypothesis properties with cars that sleep, wake up at once, or take less than offered.

Random sites (see ``test_alloc_properties``) start at rest and run for many cycles, long
enough for cars to be judged idle or limited and to be probed. Each car behaves in one
of four ways: it follows its limit; it sleeps and then wakes drawing its whole limit at
once; it sleeps throughout; its onboard charger takes at most some current. Besides the
usual checks on the commands, every cycle must hold the worst case of the transition
that follows it: each car at the larger of what it draws now and its new command, on
every phase of the main fuse and of every circuit, and in power against the import
limit and the grid signal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from hypothesis import given, settings, strategies as st

from custom_components.smart_charging.engine.allocation import (
    AllocationMemory,
    AllocationResult,
)
from custom_components.smart_charging.engine.allocator import allocate
from custom_components.smart_charging.engine.model import ALL_PHASES, PhaseValues

from .alloc_helpers import T0
from .test_alloc_properties import (
    VOLTS,
    Case,
    _assert_currents_valid,
    _assert_within_limits,
    _followed,
    _loaded_phases,
    cases,
)

TOL = 1e-6
GAPS = st.sampled_from([5, 10, 20, 45, 90, 200, 400])


@dataclass(frozen=True)
class Car:
    """How one car treats its limit: ``wake`` is the cycle it wakes up (None: never
    sleeps, -1: sleeps throughout); ``onboard`` the most it takes per phase."""

    wake: int | None = None
    onboard: float | None = None

    def fraction(self, cycle: int, command: float) -> float:
        """The part of ``command`` the car draws after ``cycle``."""
        if self.wake is not None and (self.wake < 0 or cycle < self.wake):
            return 0.0
        if self.onboard is None or command <= 0.0:
            return 1.0
        return min(1.0, self.onboard / command)


CARS = st.one_of(
    st.just(Car()),
    st.builds(Car, wake=st.integers(2, 12)),
    st.just(Car(wake=-1)),
    st.builds(Car, onboard=st.sampled_from([0.5, 4.0, 7.0, 10.0, 13.0])),
)


def _vectors(case: Case, result: AllocationResult) -> list[tuple[list[float], list[float]]]:
    """Per charger: (what it draws now, its new command) per site phase."""
    site = case.settings.site
    out = []
    for config, state, decision in zip(
        case.settings.chargers, case.snapshot.chargers, result.allocations, strict=True
    ):
        loaded = _loaded_phases(config, site, decision.phases)
        command = [decision.current_a if p in loaded else 0.0 for p in ALL_PHASES]
        out.append((list(state.currents_a.as_tuple()), command))
    return out


def _assert_transition_holds(case: Case, result: AllocationResult) -> None:
    """Each car at max(draw now, new command): every limit still holds."""
    settings_, snapshot = case.settings, case.snapshot
    site = settings_.site
    parents = {c.id: c.parent_id for c in settings_.circuits}
    totals: dict[str | None, list[float]] = {None: [0.0, 0.0, 0.0]}
    totals.update({c.id: [0.0, 0.0, 0.0] for c in settings_.circuits})
    power = 0.0
    for config, (drawn, command) in zip(settings_.chargers, _vectors(case, result), strict=True):
        worst = [max(d, c) for d, c in zip(drawn, command, strict=True)]
        power += max(sum(drawn), sum(command)) * VOLTS
        node = config.circuit_id
        for i in range(3):
            totals[None][i] += worst[i]
        while node is not None:
            for i in range(3):
                totals[node][i] += worst[i]
            node = parents[node]
    for i, phase in enumerate(ALL_PHASES):
        room = site.fuse_a - settings_.margin_a - case.house[i]
        if phase in site.active_phases:
            assert totals[None][i] <= max(0.0, room) + TOL, ("fuse", phase)
    readings = {c.id: c for c in snapshot.circuits}
    for circuit in settings_.circuits:
        reading = readings[circuit.id]
        limit = circuit.limit_a
        if circuit.derating is not None:
            limit *= circuit.derating.factor(reading.temperature_c)
        if reading.currents_a is not None:
            limit -= settings_.margin_a
        for i in range(3):
            room = limit - case.circuit_house[circuit.id][i]
            assert totals[circuit.id][i] <= max(0.0, room) + TOL, ("circuit", circuit.id)
    if site.max_import_w is not None and snapshot.grid_power_w is not None:
        ev_w = sum(sum(s.currents_a.as_tuple()) for s in snapshot.chargers) * VOLTS
        non_ev = snapshot.grid_power_w - ev_w
        assert power <= max(0.0, site.max_import_w - settings_.margin_w - non_ev) + 1e-3
    if snapshot.external_limit is not None:
        assert power <= snapshot.external_limit.effective_w(T0) + 1e-3


def _at_rest(case: Case, pv_w: float) -> Case:
    """The site before any car draws: meters show the house load only."""
    snapshot = case.snapshot
    idle = tuple(replace(s, currents_a=PhaseValues()) for s in snapshot.chargers)
    circuits = tuple(
        replace(r, currents_a=PhaseValues(*case.circuit_house[r.id]))
        if r.currents_a is not None
        else r
        for r in snapshot.circuits
    )
    return replace(
        case,
        snapshot=replace(
            snapshot,
            chargers=idle,
            circuits=circuits,
            phase_currents_a=PhaseValues(*case.house),
            grid_power_w=sum(case.house) * VOLTS - pv_w,
        ),
    )


@settings(max_examples=150, deadline=None)
@given(
    cases(max_chargers=12),
    st.lists(GAPS, min_size=6, max_size=16),
    st.floats(0.0, 30000.0),
    st.data(),
)
def test_sleeping_waking_and_limited_cars_never_break_a_limit(
    case: Case, gaps: list[int], pv_w: float, data: st.DataObject
) -> None:
    cars = [data.draw(CARS) for _ in case.settings.chargers]
    case = _at_rest(case, pv_w)
    memory = AllocationMemory()
    now = T0
    for cycle, gap in enumerate(gaps):
        result = allocate(case.snapshot, case.settings, memory, now)
        _assert_within_limits(case, result)
        _assert_currents_valid(case, result)
        _assert_transition_holds(case, result)
        memory = result.memory
        now += timedelta(seconds=gap)
        fractions = [
            car.fraction(cycle, decision.current_a)
            for car, decision in zip(cars, result.allocations, strict=True)
        ]
        case = _followed(case, result, fractions, pv_w)
