"""Rule 4 timelines: PV enable/disable delays, minimum on/off, deadband, ramp, settle.

Each step gives (seconds, PV surplus in W before the EV); the EV follows the previous
command at once, so the meter shows surplus - EV power as export.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from custom_components.smart_charging.engine.allocation import AllocationMemory, ChargerMemory
from custom_components.smart_charging.engine.allocator import allocate
from custom_components.smart_charging.engine.model import (
    ChargerConfig,
    ChargerMode,
    ChargerState,
    CircuitConfig,
    PhaseValues,
    Reason,
    SiteConfig,
    SiteSnapshot,
)
from custom_components.smart_charging.engine.settings import AllocatorSettings

from .alloc_helpers import at, plugged, site_snapshot, wants

CHARGER = ChargerConfig("a", max_current_a=16)


def _pv_settings(**overrides: float) -> AllocatorSettings:
    return AllocatorSettings(
        site=SiteConfig(fuse_a=63.0), chargers=(CHARGER,), margin_a=0.0, **overrides
    )


def _pv_timeline(
    settings: AllocatorSettings,
    steps: Sequence[tuple[float, float]],
    mode: ChargerMode = ChargerMode.PV,
) -> list[tuple[float, float, Reason]]:
    memory = AllocationMemory()
    drawn = 0.0
    out: list[tuple[float, float, Reason]] = []
    for seconds, surplus_w in steps:
        ev_w = drawn * 3 * 230.0
        snapshot = SiteSnapshot(
            grid_power_w=ev_w - surplus_w,
            phase_currents_a=PhaseValues.uniform(drawn),
            chargers=(plugged("a", currents_a=PhaseValues.uniform(drawn)),),
            requests=(wants("a", mode),),
        )
        result = allocate(snapshot, settings, memory, at(seconds))
        memory = result.memory
        decision = result.allocations[0]
        drawn = decision.current_a
        out.append((seconds, decision.current_a, decision.reason))
    return out


W, E, P, S = (
    Reason.WAITING_FOR_SURPLUS,
    Reason.SURPLUS_ENDING,
    Reason.PV_SURPLUS,
    Reason.MIN_CURRENT,
)
KW5 = 4968.0  # 7.2 A x 3 x 230 V
KW1 = 1000.0


@pytest.mark.parametrize(
    ("name", "overrides", "steps", "expected"),
    [
        (
            "enable after 1 min of enough surplus",
            {},
            [(0, KW5), (30, KW5), (59, KW5), (60, KW5), (80, KW5)],
            [(0, W), (0, W), (0, W), (7.2, P), (7.2, P)],
        ),
        (
            "a dip restarts the enable timer",
            {},
            [(0, KW5), (30, KW1), (40, KW5), (60, KW5), (99, KW5), (100, KW5)],
            [(0, W), (0, W), (0, W), (0, W), (0, W), (7.2, P)],
        ),
        (
            "disable after 3 min of too little, at minimum meanwhile",
            {"pv_enable_delay_s": 0},
            [(0, KW5), (100, KW1), (200, KW1), (279, KW1), (280, KW1), (290, KW1)],
            [(7.2, P), (6.0, E), (6.0, E), (6.0, E), (0, W), (0, W)],
        ),
        (
            "surplus back in time keeps the session",
            {"pv_enable_delay_s": 0},
            [(0, KW5), (100, KW1), (200, KW1), (250, KW5), (300, KW1), (479, KW1)],
            [(7.2, P), (6.0, E), (6.0, E), (7.2, P), (6.0, E), (6.0, E)],
        ),
        (
            "restart waits for the minimum off time",
            {"pv_enable_delay_s": 0, "pv_disable_delay_s": 0, "min_on_time_s": 0},
            [(0, KW5), (10, KW1), (20, KW5), (129, KW5), (130, KW5)],
            [(7.2, P), (0, W), (0, W), (0, W), (7.2, P)],
        ),
        (
            "minimum on time holds a fresh session",
            {"pv_enable_delay_s": 0, "pv_disable_delay_s": 0, "min_on_time_s": 60},
            [(0, KW5), (10, KW1), (59, KW1), (60, KW1)],
            [(7.2, P), (6.0, E), (6.0, E), (0, W)],
        ),
        (
            "enable threshold asks for more than the minimum",
            {"pv_enable_delay_s": 0, "pv_enable_threshold_w": 1000},
            [(0, 4500.0), (60, 4500.0), (120, 5200.0)],
            [(0, W), (0, W), (7.5, P)],
        ),
        (
            "disable threshold tolerates some import",
            {"pv_enable_delay_s": 0, "pv_disable_delay_s": 0, "pv_disable_threshold_w": 500},
            [(0, KW5), (70, 3700.0), (80, 3500.0)],
            [(7.2, P), (6.0, P), (0, W)],
        ),
    ],
)
def test_pv_hysteresis(
    name: str,
    overrides: dict[str, float],
    steps: list[tuple[float, float]],
    expected: list[tuple[float, Reason]],
) -> None:
    got = _pv_timeline(_pv_settings(**overrides), steps)
    assert [(pytest.approx(c, abs=0.05), r) for c, r in expected] == [(c, r) for _, c, r in got], (
        name
    )


def test_min_pv_keeps_minimum_and_adds_surplus_without_delay() -> None:
    got = _pv_timeline(
        _pv_settings(),
        [(0, 0.0), (20, KW5), (40, 0.0), (60, 9000.0), (80, 9000.0)],
        ChargerMode.MIN_PV,
    )
    assert [(c, r) for _, c, r in got] == [
        (6.0, S),
        (7.2, P),
        (6.0, S),
        (10.0, P),
        (13.0, P),
    ]


@pytest.mark.parametrize(
    ("name", "surplus_w", "expected"),
    [
        ("a cut smaller than the deadband is held", 9.7 * 690, 10.0),
        ("a larger cut applies at once", 9.4 * 690, 9.4),
        ("a raise smaller than the deadband is skipped", 10.3 * 690, 10.0),
        ("a larger raise applies", 10.6 * 690, 10.6),
    ],
)
def test_deadband(name: str, surplus_w: float, expected: float) -> None:
    settings = _pv_settings(pv_enable_delay_s=0)
    got = _pv_timeline(settings, [(0, 10.0 * 690), (60, surplus_w)])
    assert got[0][1] == 10.0
    assert got[1][1] == pytest.approx(expected), name


def test_ramp_and_settle_raise_slowly_but_cut_at_once() -> None:
    settings = AllocatorSettings(
        site=SiteConfig(fuse_a=40.0), chargers=(ChargerConfig("a", max_current_a=32),), margin_a=0
    )

    def step(seconds: float, house: float, drawn: float):
        load = (house + drawn,) * 3
        snapshot = site_snapshot(
            load, chargers=[plugged("a", currents_a=PhaseValues.uniform(drawn))]
        )
        return snapshot, seconds

    memory = AllocationMemory()
    drawn = 0.0
    seen: list[tuple[float, Reason]] = []
    for seconds, house in [(0, 0), (5, 0), (15, 0), (20, 0), (30, 0), (45, 0), (50, 25), (55, 0)]:
        snapshot, when = step(seconds, house, drawn)
        result = allocate(snapshot, settings, memory, at(when))
        memory = result.memory
        drawn = result.allocations[0].current_a
        seen.append((drawn, result.allocations[0].reason))
    assert [c for c, _ in seen] == [10.0, 10.0, 14.0, 14.0, 18.0, 22.0, 15.0, 15.0]
    assert seen[-2] == (15.0, Reason.SITE_FUSE)
    # The cut at 50 s happened inside the settle time of the raise at 45 s; the raise
    # after it waits until 65 s.
    snapshot, _ = step(70, 0, 15.0)
    assert allocate(snapshot, settings, memory, at(70)).allocations[0].current_a == 19.0


def test_ramp_can_be_disabled() -> None:
    settings = AllocatorSettings(
        site=SiteConfig(fuse_a=40.0),
        chargers=(ChargerConfig("a", max_current_a=32),),
        margin_a=0,
        ramp_up_a=None,
    )
    result = allocate(site_snapshot(chargers=[plugged("a")]), settings, AllocationMemory(), at(0))
    assert result.allocations[0].current_a == 32.0


def test_deadband_hold_gives_way_to_a_hard_limit() -> None:
    # The PV charger would hold 10 A inside the deadband (target 9.7 A), but its circuit
    # has 19.8 A and the fast charger already has 10 A of it: the cut is carried out.
    # A third charger elsewhere on the site is not touched.
    pv = ChargerConfig("pv", max_current_a=16, circuit_id="garage")
    fast = ChargerConfig("fast", max_current_a=10, circuit_id="garage")
    other = ChargerConfig("other")
    settings = AllocatorSettings(
        site=SiteConfig(fuse_a=63.0),
        chargers=(pv, fast, other),
        circuits=(CircuitConfig("garage", 19.8),),
        margin_a=0.0,
        ramp_up_a=None,
    )
    memory = AllocationMemory(
        tuple(
            ChargerMemory(
                c, current_a=10.0, changed_at=at(-60), active=True, mode=m, connected=True
            )
            for c, m in (("pv", ChargerMode.PV), ("fast", ChargerMode.FAST))
        )
    )
    drawn = PhaseValues.uniform(10.0)
    snapshot = SiteSnapshot(
        grid_power_w=20 * 690.0 - 9.7 * 690.0 - 10 * 690.0,
        phase_currents_a=PhaseValues.uniform(20.0),
        chargers=(plugged("pv", currents_a=drawn), plugged("fast", currents_a=drawn)),
        requests=(wants("pv", ChargerMode.PV), wants("fast")),
    )
    result = allocate(snapshot, settings, memory, at(0))
    assert [(a.current_a, a.reason) for a in result.allocations] == [
        (9.7, Reason.PV_SURPLUS),
        (10.0, Reason.FAST),
        (0.0, Reason.NOT_CONNECTED),
    ]


def _stopped_pv_session() -> tuple[AllocatorSettings, AllocationMemory]:
    """A PV session that the engine paused at 20 s for lack of surplus (restart at 140 s)."""
    settings = _pv_settings(pv_enable_delay_s=0, pv_disable_delay_s=0, min_on_time_s=0)
    memory = AllocationMemory()
    for seconds, surplus in ((0, KW5), (20, KW1)):
        snapshot = SiteSnapshot(
            grid_power_w=-surplus,
            chargers=(plugged("a"),),
            requests=(wants("a", ChargerMode.PV),),
        )
        memory = allocate(snapshot, settings, memory, at(seconds)).memory
    return settings, memory


def test_held_back_restart_names_its_reason_and_time() -> None:
    settings, memory = _stopped_pv_session()
    snapshot = SiteSnapshot(
        grid_power_w=-KW5, chargers=(plugged("a"),), requests=(wants("a", ChargerMode.PV),)
    )
    decision = allocate(snapshot, settings, memory, at(30)).allocations[0]
    assert (decision.current_a, decision.reason) == (0.0, Reason.WAITING_FOR_SURPLUS)
    assert decision.detail("until") == at(140).isoformat()


@pytest.mark.parametrize(
    ("name", "state", "request_"),
    [
        ("a new mode", plugged("a"), wants("a", ChargerMode.FAST)),
        ("a new plug-in", plugged("a"), wants("a", ChargerMode.PV)),
    ],
)
def test_user_action_ends_the_hold_off(name: str, state, request_) -> None:
    settings, memory = _stopped_pv_session()
    if name == "a new plug-in":
        unplugged = SiteSnapshot(
            grid_power_w=-KW5, chargers=(ChargerState("a"),), requests=(request_,)
        )
        memory = allocate(unplugged, settings, memory, at(25)).memory
    snapshot = SiteSnapshot(grid_power_w=-KW5, chargers=(state,), requests=(request_,))
    decision = allocate(snapshot, settings, memory, at(30)).allocations[0]
    assert decision.current_a > 0, name
