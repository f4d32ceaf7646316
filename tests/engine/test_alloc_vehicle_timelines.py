"""Timelines with idle cars and cars that take less than offered (closed loop).

Two chargers on one fuse; the simulator's EVs follow their limits after 5 s, sleep (full,
or waiting on their own timer) or take at most what their onboard charger allows. The
cycle runs every 5 s.
"""

from __future__ import annotations

from itertools import pairwise

from custom_components.smart_charging.engine.allocation import AllocationResult
from custom_components.smart_charging.engine.model import ChargerConfig, ChargerMode, Reason

from .alloc_helpers import SimulatedEv, calm, currents, simulate, wants

History = list[tuple[float, tuple[float, float, float], AllocationResult]]

A32, B32 = ChargerConfig("a", max_current_a=32), ChargerConfig("b", max_current_a=32)


def _rows(history: History, charger_id: str) -> list[tuple[float, float, Reason]]:
    out = []
    for seconds, _, result in history:
        decision = result.get(charger_id)
        assert decision is not None
        out.append((seconds, decision.current_a, decision.reason))
    return out


def _changes(history: History, charger_id: str) -> int:
    values = [current for _, current, _ in _rows(history, charger_id)]
    return sum(1 for old, new in pairwise(values) if new != old)


def _assert_under_fuse(history: History, fuse: float) -> None:
    for seconds, load, _ in history:
        assert max(load) <= fuse + 1e-6, (seconds, load)


def _asleep_then_awake(wake_s: float = 300.0) -> History:
    """Fuse 25 A, 3 A of house load: 22 A to share. A sleeps until ``wake_s``."""
    settings = calm(A32, B32, fuse=25.0, ramp_up_a=4.0)
    evs = [SimulatedEv(A32, lag_s=5.0, asleep=((0, wake_s),)), SimulatedEv(B32, lag_s=5.0)]
    return simulate(settings, [(0, (3.0, 3.0, 3.0))], evs, until_s=450, step_s=5.0)


def test_a_full_car_keeps_only_its_minimum_and_the_other_gets_the_rest() -> None:
    history = _asleep_then_awake()
    a, b = _rows(history, "a"), _rows(history, "b")
    # Fair shares first (11 A each); A has been offered current in vain since 5 s, so
    # at 80 s (settle 15 s + idle delay 60 s) it keeps its 6 A minimum, never less.
    assert (a[3][1], b[3][1]) == (11.0, 11.0)
    assert [r for _, _, r in a[:16]] == [Reason.SITE_FUSE] * 16
    assert a[16] == (80.0, 6.0, Reason.VEHICLE_IDLE)
    # B climbs to everything else: 22 - 6 = 16 A, bound by the fuse.
    assert b[19] == (95.0, 16.0, Reason.SITE_FUSE)
    asleep = [row for row in a if 80 <= row[0] < 300]
    assert {(c, r) for _, c, r in asleep} == {(6.0, Reason.VEHICLE_IDLE)}
    # No flapping while it sleeps: after their start at 10 A, A changed twice (11, 6),
    # B three times (11, 15, 16).
    quiet = [row for row in history if row[0] < 300]
    assert (_changes(quiet, "a"), _changes(quiet, "b")) == (2, 3)
    _assert_under_fuse(history, 25.0)


def test_a_car_that_wakes_gets_its_fair_share_back_without_exceeding_the_fuse() -> None:
    history = _asleep_then_awake(wake_s=300.0)
    a, b = _rows(history, "a"), _rows(history, "b")
    woke = [row for row in a if row[0] >= 300]
    # The first cycle it draws, A is no longer idle: B is cut to its fair share at once;
    # A's raise waits until B has followed, then ramps (4 A per settled step).
    assert woke[0] == (300.0, 6.0, Reason.SITE_FUSE)
    assert b[60] == (300.0, 11.0, Reason.SITE_FUSE)
    assert [c for _, c, _ in woke[:5]] == [6.0, 10.0, 10.0, 10.0, 11.0]
    assert (a[-1][1], b[-1][1]) == (11.0, 11.0)
    # The real load (house + what the EVs draw) never exceeds the fuse, even at 300 s,
    # when A suddenly draws its whole 6 A beside B's 16 A.
    _assert_under_fuse(history, 25.0)
    assert max(load[0] for t, load, _ in history if t == 300.0) == 25.0


def _limited(onboard: tuple[tuple[float, float], ...], until_s: float = 1000.0) -> History:
    """Fuse 32 A, no house load: 16 A each. A's onboard charger takes at most ``onboard``."""
    settings = calm(A32, B32, fuse=32.0, ramp_up_a=4.0)
    evs = [SimulatedEv(A32, lag_s=5.0, onboard=onboard), SimulatedEv(B32, lag_s=5.0)]
    return simulate(settings, [(0, (0.0, 0.0, 0.0))], evs, until_s=until_s)


def test_a_car_that_takes_10_of_16_a_leaves_the_rest_to_the_other() -> None:
    history = _limited(((0, 10.0),), until_s=300)
    a, b = _rows(history, "a"), _rows(history, "b")
    # A is offered 10 A (start), 14 A, then capped: it draws 10 A throughout. Once a
    # command has settled, A is capped at 10 A + 2 A headroom, and B gets the other 4 A
    # of A's fair share (16 + 4 = 20 A) through its ramp.
    assert a[6] == (30.0, 12.0, Reason.VEHICLE_LIMITED)
    assert b[-1] == (300.0, 20.0, Reason.SITE_FUSE)
    assert {(c, r) for t, c, r in a if t >= 30} == {(12.0, Reason.VEHICLE_LIMITED)}
    _assert_under_fuse(history, 32.0)


def test_a_limited_car_is_probed_every_five_minutes_and_gets_more_when_it_can() -> None:
    history = _limited(((0, 10.0), (900.0, 32.0)), until_s=1000)
    a = _rows(history, "a")
    probes = [t for (_, old, _), (t, c, _) in pairwise(a) if t > 60 and c == 14 != old]
    # The cap (12 A) rises by one step every 300 s; after the settle time A is capped
    # again at what it draws + 2 A. The other car dips by 2 A for 20 s each time.
    assert probes[:2] == [335.0, 655.0]
    assert [c for t, c, _ in a if 335 <= t <= 350] == [14.0, 14.0, 14.0, 12.0]
    b = [c for t, c, _ in _rows(history, "b") if 325 <= t <= 350]
    assert b == [20.0, 18.0, 18.0, 18.0, 18.0, 20.0]
    # From 900 s the car can take more: it takes all of its cap, which steps up every
    # settled cycle until A is back at its fair share.
    assert a[-1] == (1000.0, 16.0, Reason.SITE_FUSE)
    # A: start (10, 14), capped (12), two probes (14, 12 each), back up (14, 16).
    assert _changes(history, "a") == 8
    _assert_under_fuse(history, 32.0)


def test_a_tapering_car_hands_its_current_on_step_by_step() -> None:
    taper = tuple((float(t), max(0.0, 16.0 - t / 60.0)) for t in range(0, 1200, 20))
    history = _limited(taper, until_s=1200)
    a, b = _rows(history, "a"), _rows(history, "b")
    caps = [c for _, c, r in a if r is Reason.VEHICLE_LIMITED]
    assert caps == sorted(caps, reverse=True)  # only ever down while it tapers
    assert caps[-1] == 6.0
    assert a[-1][2] is Reason.VEHICLE_IDLE  # empty onboard charger: full
    assert b[-1][1] == 26.0
    # Each charger: two start steps, then one change per 0.5 A (the deadband) or more
    # of taper, from 16 A down to 6 A — 15 in all, none back and forth.
    assert (_changes(history, "a"), _changes(history, "b")) == (17, 17)
    _assert_under_fuse(history, 32.0)


def test_an_idle_car_yields_its_minimum_to_a_car_that_draws() -> None:
    # Room for one car only (10 A). A sleeps; once idle, B (plugged from the start but
    # waiting for room) starts, and A pauses: it takes no energy anyway.
    a, b = ChargerConfig("a", max_current_a=16), ChargerConfig("b", max_current_a=16)
    settings = calm(a, b, fuse=13.0, ramp_up_a=4.0)
    evs = [SimulatedEv(a, lag_s=5.0, asleep=((0, 1e9),)), SimulatedEv(b, lag_s=5.0)]
    history = simulate(settings, [(0, (3.0, 3.0, 3.0))], evs, until_s=600)
    assert _rows(history, "b")[0][2] is Reason.SITE_FUSE  # A, an equal, holds the room
    assert _rows(history, "a")[16] == (80.0, 0.0, Reason.VEHICLE_IDLE)
    assert _rows(history, "b")[-1] == (600.0, 10.0, Reason.SITE_FUSE)
    assert (_changes(history, "a"), _changes(history, "b")) == (1, 1)


def test_an_idle_pv_car_leaves_the_surplus_to_the_other() -> None:
    a, b = ChargerConfig("a", max_current_a=16), ChargerConfig("b", max_current_a=16)
    settings = calm(a, b, fuse=63.0, ramp_up_a=4.0, pv_enable_delay_s=0.0)
    evs = [SimulatedEv(a, lag_s=5.0, asleep=((0, 400),)), SimulatedEv(b, lag_s=5.0)]
    requests = [wants("a", ChargerMode.PV), wants("b", ChargerMode.PV)]
    history = simulate(
        settings, [(0, (0.0,) * 3)], evs, until_s=500, requests=requests, pv_w=13 * 690.0
    )
    a_rows, b_rows = _rows(history, "a"), _rows(history, "b")
    assert (a_rows[0][1], b_rows[0][1]) == (6.5, 6.5)
    # Idle, A is still offered its minimum but takes none of the 13 A of surplus.
    assert a_rows[79] == (395.0, 6.0, Reason.VEHICLE_IDLE)
    assert b_rows[79] == (395.0, 13.0, Reason.PV_SURPLUS)
    assert (a_rows[-1][1], b_rows[-1][1]) == (6.5, 6.5)


def test_an_idle_car_is_kept_idle_through_a_pause() -> None:
    # A sleeps; a house load of 20 A from 120 s pauses both, 150 s on there is room again.
    settings = calm(A32, B32, fuse=25.0, min_off_time_s=0.0)
    evs = [SimulatedEv(A32, lag_s=5.0, asleep=((0, 1e9),)), SimulatedEv(B32, lag_s=5.0)]
    house = [(0, (3.0,) * 3), (120, (20.0,) * 3), (150, (3.0,) * 3)]
    history = simulate(settings, house, evs, until_s=200)
    a = _rows(history, "a")
    assert [row for row in a if row[0] in (115, 125, 150)] == [
        (115.0, 6.0, Reason.VEHICLE_IDLE),
        (125.0, 0.0, Reason.SITE_FUSE),
        (150.0, 6.0, Reason.VEHICLE_IDLE),
    ]
    assert _rows(history, "b")[-1][1] == 16.0


def test_switched_off_the_allocator_behaves_as_before() -> None:
    settings = calm(A32, B32, fuse=25.0, idle_delay_s=None, vehicle_headroom_a=None)
    evs = [SimulatedEv(A32, lag_s=5.0, asleep=((0, 1e9),)), SimulatedEv(B32, lag_s=5.0)]
    history = simulate(settings, [(0, (3.0,) * 3)], evs, until_s=400)
    assert currents(history[-1][2]) == {"a": 11.0, "b": 11.0}
