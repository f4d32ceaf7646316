"""Rule 6: priorities, weighted fair share, pausing without flapping."""

from __future__ import annotations

import pytest

from custom_components.smart_charging.engine.model import (
    ChargerConfig,
    ChargerMode,
    ChargerState,
    PhaseValues,
    Reason,
)

from .alloc_helpers import (
    SimulatedEv,
    calm,
    currents,
    plugged,
    run,
    simulate,
    site_snapshot,
    timeline,
    wants,
)


def _all_plugged(*chargers: ChargerConfig) -> list[ChargerState]:
    return [plugged(c.id) for c in chargers]


@pytest.mark.parametrize(
    ("name", "chargers", "fuse", "expected"),
    [
        (
            "equal weights share equally",
            (ChargerConfig("a", max_current_a=32), ChargerConfig("b", max_current_a=32)),
            30.0,
            {"a": 15.0, "b": 15.0},
        ),
        (
            "weights 2:1",
            (
                ChargerConfig("a", max_current_a=32, weight=2.0),
                ChargerConfig("b", max_current_a=32),
            ),
            30.0,
            {"a": 20.0, "b": 10.0},
        ),
        (
            "a capped charger leaves the rest to the others",
            (
                ChargerConfig("a", max_current_a=8),
                ChargerConfig("b", max_current_a=32),
                ChargerConfig("c", max_current_a=32),
            ),
            40.0,
            {"a": 8.0, "b": 16.0, "c": 16.0},
        ),
        (
            "priority is served first, up to its maximum",
            (
                ChargerConfig("vip", max_current_a=16, priority=1),
                ChargerConfig("b", max_current_a=16),
            ),
            25.0,
            {"vip": 16.0, "b": 9.0},
        ),
        (
            "the lowest priority pauses when minimums do not fit",
            (
                ChargerConfig("vip", max_current_a=16, priority=2),
                ChargerConfig("mid", max_current_a=16, priority=1),
                ChargerConfig("low", max_current_a=16),
            ),
            27.0,
            {"vip": 16.0, "mid": 11.0, "low": 0.0},
        ),
        (
            "equal priority: as many minimums as fit, in order",
            (ChargerConfig("a"), ChargerConfig("b"), ChargerConfig("c")),
            13.0,
            {"a": 6.5, "b": 6.5, "c": 0.0},
        ),
    ],
)
def test_sharing(
    name: str, chargers: tuple[ChargerConfig, ...], fuse: float, expected: dict[str, float]
) -> None:
    result = run(site_snapshot(chargers=_all_plugged(*chargers)), calm(*chargers, fuse=fuse))
    assert currents(result) == pytest.approx(expected), name


def test_paused_for_priority_names_the_constraint() -> None:
    chargers = (ChargerConfig("vip", priority=1), ChargerConfig("low"))
    result = run(site_snapshot(chargers=_all_plugged(*chargers)), calm(*chargers, fuse=20.0))
    low = result.get("low")
    assert low is not None
    assert (low.current_a, low.reason, low.detail("phase")) == (
        0.0,
        Reason.PAUSED_FOR_PRIORITY,
        "l1",
    )


def test_a_charger_that_cannot_fit_alone_names_the_limit_not_priority() -> None:
    chargers = (ChargerConfig("a"),)
    result = run(site_snapshot((20.0, 0.0, 0.0), chargers=_all_plugged(*chargers)), calm(*chargers))
    a = result.get("a")
    assert a is not None
    assert (a.reason, a.detail("phase")) == (Reason.SITE_FUSE, "l1")


def test_priority_applies_across_modes() -> None:
    # A high-priority min_pv charger keeps its minimum; the fast one takes the rest.
    chargers = (ChargerConfig("pv", priority=1), ChargerConfig("fast", max_current_a=32))
    snapshot = site_snapshot(
        chargers=_all_plugged(*chargers),
        requests=[wants("pv", ChargerMode.MIN_PV), wants("fast")],
    )
    assert currents(run(snapshot, calm(*chargers, fuse=20.0))) == {"pv": 6.0, "fast": 14.0}


def test_running_session_keeps_its_place_against_a_newcomer() -> None:
    a, b = ChargerConfig("a"), ChargerConfig("b")
    settings = calm(a, b, fuse=10.0)
    only_a = site_snapshot(chargers=[plugged("a"), ChargerState("b")])
    both = site_snapshot(
        chargers=[plugged("a", currents_a=PhaseValues.uniform(10.0)), plugged("b")]
    )
    both_loaded = site_snapshot(
        (10.0, 10.0, 10.0),
        chargers=[plugged("a", currents_a=PhaseValues.uniform(10.0)), plugged("b")],
    )
    results = timeline(settings, [(0, only_a), (30, both), (60, both_loaded)])
    assert [currents(r) for r in results] == [{"a": 10.0, "b": 0.0}] * 3
    assert results[1].get("b") is not None
    # An equal-priority peer holds the capacity: the fuse is the reason, not a preference.
    assert [r.allocations[1].reason for r in results[1:]] == [Reason.SITE_FUSE] * 2


def test_a_higher_priority_arrival_pauses_the_lower_one_at_once() -> None:
    low, vip = ChargerConfig("low"), ChargerConfig("vip", priority=1)
    settings = calm(low, vip, fuse=10.0)
    steps = [
        (0, site_snapshot(chargers=[plugged("low"), ChargerState("vip")])),
        (30, site_snapshot(chargers=[plugged("low"), plugged("vip")])),
    ]
    results = timeline(settings, steps)
    assert currents(results[0]) == {"low": 10.0, "vip": 0.0}
    assert currents(results[1]) == {"low": 0.0, "vip": 10.0}
    assert results[1].allocations[0].reason is Reason.PAUSED_FOR_PRIORITY


def _starts(settings, seconds: int = 1200) -> dict[str, int]:
    """Sessions started per charger while the room wobbles around two minimums."""
    a, b = settings.chargers
    # 14 A of room for 100 s (both charge), then 12.5 A and 11.5 A alternating every 20 s.
    house = [(0, (11.0,) * 3)]
    house += [(t, (12.5 if (t // 20) % 2 else 13.5,) * 3) for t in range(100, seconds, 20)]
    evs = [SimulatedEv(a, lag_s=5.0), SimulatedEv(b, lag_s=5.0)]
    starts = {"a": 0, "b": 0}
    previous = {"a": 0.0, "b": 0.0}
    for _, _, result in simulate(settings, house, evs, until_s=seconds - 5):
        for decision in result.allocations:
            if decision.current_a > 0 and previous[decision.charger_id] == 0:
                starts[decision.charger_id] += 1
            previous[decision.charger_id] = decision.current_a
    return starts


def test_no_flapping_when_capacity_hovers_around_two_minimums() -> None:
    chargers = (ChargerConfig("a", max_current_a=16), ChargerConfig("b", max_current_a=16))
    # Defaults: 1 A start hysteresis and 120 s minimum off time.
    assert _starts(calm(*chargers, fuse=25.0, start_hysteresis_a=1.0)) == {"a": 1, "b": 1}


def test_without_hysteresis_the_same_site_would_flap() -> None:
    chargers = (ChargerConfig("a", max_current_a=16), ChargerConfig("b", max_current_a=16))
    settings = calm(*chargers, fuse=25.0, min_off_time_s=0.0)
    starts = _starts(settings)
    assert starts["a"] == 1
    assert starts["b"] > 10


def test_every_charger_is_re_evaluated_in_the_same_cycle() -> None:
    chargers = tuple(ChargerConfig(f"c{i}") for i in range(10))
    settings = calm(*chargers, fuse=200.0)
    free = site_snapshot(chargers=_all_plugged(*chargers))
    loaded = site_snapshot((140.0, 140.0, 140.0), chargers=_all_plugged(*chargers))
    results = timeline(settings, [(0, free), (5, loaded)])
    assert set(currents(results[0]).values()) == {16.0}
    assert set(currents(results[1]).values()) == {6.0}
