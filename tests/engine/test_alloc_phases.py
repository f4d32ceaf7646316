"""Rule 5 timelines: automatic and forced 1p/3p switching, with delays and pauses."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from custom_components.smart_charging.engine.allocation import AllocationMemory
from custom_components.smart_charging.engine.allocator import allocate
from custom_components.smart_charging.engine.model import (
    ChargerConfig,
    ChargerMode,
    ChargerRequest,
    DeratingCurve,
    Phase,
    PhaseMode,
    PhaseValues,
    Reason,
    SiteConfig,
    SiteSnapshot,
)
from custom_components.smart_charging.engine.settings import AllocatorSettings

from .alloc_helpers import at, plugged, wants

SWITCHER = ChargerConfig("a", max_current_a=16, can_switch_phases=True, phase=Phase.L2)
SETTINGS = AllocatorSettings(site=SiteConfig(fuse_a=35.0), chargers=(SWITCHER,), margin_a=0.0)


def _drawn(current: float, phases: int) -> PhaseValues:
    return PhaseValues.uniform(current) if phases == 3 else PhaseValues(0.0, current, 0.0)


def _run(
    steps: Sequence[tuple[float, float]],
    *,
    settings: AllocatorSettings = SETTINGS,
    request: ChargerRequest | None = None,
    memory: AllocationMemory | None = None,
    house: tuple[float, float, float] = (0.0, 0.0, 0.0),
    active_phases: int | None = None,
) -> list[tuple[float, int, Reason]]:
    """(seconds, surplus W) steps; the EV follows each command at once."""
    memory = memory or AllocationMemory()
    current, phases = 0.0, 3
    out: list[tuple[float, int, Reason]] = []
    for seconds, surplus_w in steps:
        drawn = _drawn(current, phases)
        ev_w = sum(drawn.as_tuple()) * 230.0
        load = tuple(h + d for h, d in zip(house, drawn.as_tuple(), strict=True))
        snapshot = SiteSnapshot(
            grid_power_w=sum(house) * 230.0 + ev_w - surplus_w,
            phase_currents_a=PhaseValues(*load),
            chargers=(plugged("a", currents_a=drawn, active_phases=active_phases),),
            requests=(request or wants("a", ChargerMode.PV),),
        )
        result = allocate(snapshot, settings, memory, at(seconds))
        memory = result.memory
        decision = result.allocations[0]
        current, phases = decision.current_a, decision.phases
        out.append((decision.current_a, decision.phases, decision.reason))
    return out


P, E, SW, W = (
    Reason.PV_SURPLUS,
    Reason.SURPLUS_ENDING,
    Reason.PHASE_SWITCHING,
    Reason.WAITING_FOR_SURPLUS,
)


def test_three_to_one_phase_when_surplus_cannot_hold_three_phases() -> None:
    got = _run(
        [
            (0, 6000.0),
            (60, 6000.0),
            (100, 2500.0),
            (200, 2500.0),
            (280, 2500.0),
            (290, 2500.0),
            (310, 2500.0),
            (330, 2500.0),
        ]
    )
    assert got == [
        (0.0, 3, W),
        (8.6, 3, P),
        (6.0, 3, E),
        (6.0, 3, E),
        (0.0, 1, SW),  # 180 s after the surplus fell: pause and switch
        (0.0, 1, SW),  # the switch pause lasts 30 s
        (10.0, 1, P),  # resumes on one phase as a running session (no enable delay)
        (10.8, 1, P),
    ]


def test_one_to_three_phases_when_one_phase_would_exceed_its_maximum() -> None:
    steps = [(0, 6000.0), (60, 6000.0), (100, 2500.0), (280, 2500.0), (310, 2500.0)]
    steps += [(400, 9000.0), (420, 9000.0), (460, 9000.0), (579, 9000.0), (580, 9000.0)]
    steps += [(600, 9000.0), (610, 9000.0), (630, 9000.0)]
    got = _run(steps)
    assert got[4] == (10.0, 1, P)
    assert got[5:] == [
        (14.0, 1, P),
        (16.0, 1, P),  # one phase at its maximum: 1p -> 3p is due after 60 s ...
        (16.0, 1, P),  # ... but switches are spaced 300 s apart (last one at 280 s)
        (16.0, 1, P),
        (0.0, 3, SW),
        (0.0, 3, SW),
        (10.0, 3, P),
        (13.0, 3, P),
    ]


def test_paused_charger_switches_without_becoming_a_running_session() -> None:
    got = _run([(0, 2500.0), (179, 2500.0), (180, 2500.0), (210, 2500.0), (270, 2500.0)])
    assert got == [
        (0.0, 3, W),
        (0.0, 3, W),
        (0.0, 1, SW),
        (0.0, 1, W),  # after the pause, the PV enable delay still applies
        (10.0, 1, P),
    ]


def test_charger_that_cannot_switch_waits_on_three_phases() -> None:
    settings = AllocatorSettings(
        site=SiteConfig(fuse_a=35.0),
        chargers=(ChargerConfig("a", max_current_a=16, phase=Phase.L2),),
        margin_a=0.0,
    )
    got = _run([(0, 2500.0), (200, 2500.0), (400, 2500.0)], settings=settings)
    assert got == [(0.0, 3, W)] * 3


def test_single_phase_vehicle_on_a_three_phase_charger_is_not_switched() -> None:
    got = _run([(0, 2500.0), (60, 2500.0), (300, 2500.0)], active_phases=1)
    # The car only uses one phase: the allocator counts it on its wired phase (L2).
    assert got == [(0.0, 3, W), (10.0, 3, P), (10.8, 3, P)]


@pytest.mark.parametrize(
    ("name", "mode", "expected"),
    [
        ("forced 1p", PhaseMode.ONE, [(0.0, 1, SW), (0.0, 1, SW), (10.0, 1, Reason.FAST)]),
        (
            "forced 3p on a 3p charger changes nothing",
            PhaseMode.THREE,
            [(10.0, 3, Reason.FAST), (14.0, 3, Reason.FAST), (14.0, 3, Reason.FAST)],
        ),
    ],
)
def test_forced_phase_mode(name: str, mode: PhaseMode, expected) -> None:
    got = _run([(0, 0.0), (20, 0.0), (30, 0.0)], request=wants("a", phase_mode=mode))
    assert got == expected, name


def test_fast_mode_switches_to_one_phase_when_a_phase_is_full() -> None:
    # L3 carries 32 A of house load: three phases at 6 A do not fit, L2 alone does.
    got = _run(
        [(0, 0.0), (179, 0.0), (180, 0.0), (210, 0.0)],
        request=wants("a"),
        house=(0.0, 0.0, 32.0),
    )
    assert got == [
        (0.0, 3, Reason.SITE_FUSE),
        (0.0, 3, Reason.SITE_FUSE),
        (0.0, 1, SW),
        (10.0, 1, Reason.FAST),
    ]


def test_phase_timer_resets_when_the_condition_goes_away() -> None:
    steps = [(0, 2500.0), (100, 6000.0), (170, 2500.0), (300, 2500.0), (350, 2500.0)]
    got = _run(steps)
    # 2.5 kW at 0 s starts the 3p->1p timer; 6 kW at 100 s clears it; it restarts at 170 s.
    assert [p for _, p, _ in got] == [3, 3, 3, 3, 1]


def test_no_switch_for_a_charger_paused_by_its_temperature() -> None:
    hot = ChargerConfig(
        "a", can_switch_phases=True, derating=DeratingCurve(40.0, 60.0, 0.25), phase=Phase.L2
    )
    settings = AllocatorSettings(site=SiteConfig(fuse_a=35.0), chargers=(hot,), margin_a=0.0)
    snapshot = SiteSnapshot(
        grid_power_w=0.0, chargers=(plugged("a", temperature_c=90.0),), requests=(wants("a"),)
    )
    memory = AllocationMemory()
    for seconds in (0, 200, 400):
        result = allocate(snapshot, settings, memory, at(seconds))
        memory = result.memory
        assert [(a.phases, a.reason) for a in result.allocations] == [
            (3, Reason.TEMPERATURE_DERATING)
        ]
