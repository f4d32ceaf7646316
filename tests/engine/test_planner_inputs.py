"""Planner inputs and re-planning: validation, windows, stability, the running slot."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from benchmarks.planner_scenarios import grid, hours
from custom_components.smart_charging.engine.planner import (
    ChargeNeed,
    Plan,
    PlannerSettings,
    PriceSlot,
    daily_windows,
    plan,
)

T0 = datetime(2025, 1, 15, 16, 0, tzinfo=UTC)
H = hours
SETTINGS = PlannerSettings()
CAR = ChargeNeed("car", 11.0, 11.0, ready_by=T0 + H(4), min_power_kw=4.14)


def kw(p: Plan, charger: str = "car") -> dict[datetime, float]:
    return {e.start: round(e.power_kw, 6) for e in p.charger(charger).schedule}


@pytest.mark.parametrize(
    ("slots", "capacity", "pv", "needs", "now", "settings", "message"),
    [
        (grid(T0, [0.1]), 11.0, None, (CAR,), T0.replace(tzinfo=None), SETTINGS, "aware"),
        (
            (PriceSlot(T0.replace(tzinfo=None), T0 + H(1), 0.1),),
            11.0,
            None,
            (CAR,),
            T0,
            SETTINGS,
            "aware",
        ),
        ((PriceSlot(T0, T0, 0.1),), 11.0, None, (CAR,), T0, SETTINGS, "ends before"),
        (
            (PriceSlot(T0, T0 + H(1), 0.1), PriceSlot(T0 + H(0.5), T0 + H(2), 0.1)),
            11.0,
            None,
            (CAR,),
            T0,
            SETTINGS,
            "overlap",
        ),
        (grid(T0, [0.1, 0.2]), (11.0,), None, (CAR,), T0, SETTINGS, "site_capacity"),
        (grid(T0, [0.1, 0.2]), 11.0, (1.0,), (CAR,), T0, SETTINGS, "pv_forecast"),
        (grid(T0, [0.1]), 11.0, None, (CAR, CAR), T0, SETTINGS, "unique"),
        (
            grid(T0, [0.1]),
            11.0,
            None,
            (ChargeNeed("car", 5.0, 3.0, min_power_kw=4.14),),
            T0,
            SETTINGS,
            "minimum power above maximum",
        ),
        (
            grid(T0, [0.1]),
            11.0,
            None,
            (ChargeNeed("car", 5.0, -1.0),),
            T0,
            SETTINGS,
            "negative",
        ),
        (
            grid(T0, [0.1]),
            11.0,
            None,
            (CAR,),
            T0,
            PlannerSettings(fill_slot_minutes=0),
            "fill_slot_minutes",
        ),
    ],
)
def test_inconsistent_input_is_rejected(  # noqa: PLR0917 - parametrised columns
    slots: tuple[PriceSlot, ...],
    capacity: float | tuple[float, ...],
    pv: tuple[float, ...] | None,
    needs: tuple[ChargeNeed, ...],
    now: datetime,
    settings: PlannerSettings,
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        plan(slots, capacity, pv, needs, now, settings)


def test_daily_windows_follow_the_wall_clock_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    spring = daily_windows(time(1), time(5), date(2025, 3, 30), 1, berlin)
    assert spring[0].end - spring[0].start == H(3)  # 02:00-03:00 does not exist that night
    night = daily_windows(time(22), time(6), date(2025, 1, 15), 2, berlin)
    assert [w.start for w in night] == [T0 + H(5), T0 + H(29)]  # 22:00 CET = 21:00 UTC
    assert all(w.end - w.start == H(8) for w in night)


def test_windows_restrict_charging_to_the_night() -> None:
    night = daily_windows(time(22), time(6), date(2025, 1, 15), 1, ZoneInfo("Europe/Berlin"))
    prices = [0.1] * 4 + [0.3] * 10  # cheapest hours before the window opens
    need = ChargeNeed("car", 22.0, 11.0, ready_by=T0 + H(14), windows=night)
    p = plan(grid(T0, prices), 11.0, None, (need,), T0, SETTINGS)
    assert kw(p) == {T0 + H(11): 11.0, T0 + H(12): 11.0}  # the last two window hours


def test_slots_that_ended_are_dropped_and_gaps_filled() -> None:
    slots = (PriceSlot(T0 - H(2), T0 - H(1), 0.01), PriceSlot(T0 + H(2), T0 + H(3), 0.1))
    need = ChargeNeed("car", 5.0, 11.0, ready_by=T0 + H(3))
    p = plan(slots, (11.0, 5.0), None, (need,), T0, SETTINGS)
    assert [(s.start, s.price_known) for s in p.slots] == [
        (T0, False),
        (T0 + H(1), False),
        (T0 + H(2), True),
    ]
    assert [s.capacity_kw for s in p.slots] == [5.0, 5.0, 5.0]  # added slots: lowest given
    assert kw(p) == {T0 + H(2): 5.0}


def test_unknown_charger_has_no_plan() -> None:
    p = plan(grid(T0, [0.1]), 11.0, None, (), T0, SETTINGS)
    assert p.chargers == ()
    with pytest.raises(KeyError):
        p.charger("car")


def test_zero_need_plans_nothing_and_is_on_target() -> None:
    need = ChargeNeed("car", 0.0, 11.0, ready_by=T0 + H(2))
    car = plan(grid(T0, [0.1, 0.2]), 11.0, None, (need,), T0, SETTINGS).charger("car")
    assert car.schedule == ()
    assert car.verdict == "on_target"
    assert car.power_at(T0) == 0.0


def test_slight_price_changes_do_not_move_the_plan() -> None:
    first = plan(grid(T0, [0.20, 0.30, 0.21, 0.30]), 11.0, None, (CAR,), T0, SETTINGS)
    assert kw(first) == {T0: 11.0}
    nudged = grid(T0, [0.205, 0.30, 0.2, 0.30])  # hour 2 now 0.005 cheaper than hour 0
    assert kw(plan(nudged, 11.0, None, (CAR,), T0, SETTINGS)) == {T0 + H(2): 11.0}
    again = plan(nudged, 11.0, None, (CAR,), T0, SETTINGS, previous=first)
    assert kw(again) == {T0: 11.0}
    cheaper = grid(T0, [0.22, 0.30, 0.2, 0.30])  # 0.02 cheaper: worth moving
    assert kw(plan(cheaper, 11.0, None, (CAR,), T0, SETTINGS, previous=first)) == {T0 + H(2): 11.0}


def test_running_slot_is_kept_to_its_end() -> None:
    slots = grid(T0, [0.10, 0.30, 0.20, 0.30])
    first = plan(slots, 11.0, None, (CAR,), T0, SETTINGS)
    assert kw(first) == {T0: 11.0}
    later = T0 + timedelta(minutes=20)
    dearer = grid(T0, [0.40, 0.30, 0.20, 0.30])  # the running hour got expensive
    need = ChargeNeed("car", 11.0 * 40 / 60, 11.0, ready_by=T0 + H(4), min_power_kw=4.14)
    fresh = plan(dearer, 11.0, None, (need,), later, SETTINGS)
    assert kw(fresh) == {T0 + H(2): pytest.approx(11.0 * 40 / 60)}
    kept = plan(dearer, 11.0, None, (need,), later, SETTINGS, previous=first)
    assert kw(kept) == {later: 11.0}


def test_running_slot_is_kept_while_the_rest_is_repaired() -> None:
    slots = grid(T0, [0.10, 0.30, 0.20, 0.25])
    first = plan(slots, 11.0, None, (CAR,), T0, SETTINGS)
    later = T0 + timedelta(minutes=50)
    need = ChargeNeed("car", 11.0 / 6 + 11.0 + 1.0, 11.0, ready_by=T0 + H(4), min_power_kw=4.14)
    p = plan(slots, 11.0, None, (need,), later, SETTINGS, previous=first)
    plan_kw = kw(p)
    assert plan_kw[later] == 11.0
    assert p.charger("car").energy_kwh == pytest.approx(need.energy_kwh)
    assert all(v >= 4.14 for v in plan_kw.values())


def test_shared_slot_sliver_is_fixed_by_a_free_swap() -> None:
    slots = grid(T0, [0.1, 0.2, 0.3])
    needs = (
        ChargeNeed("a", 8.0, 7.4, ready_by=T0 + H(3), min_power_kw=1.38),
        ChargeNeed("b", 10.0, 7.4, ready_by=T0 + H(3), min_power_kw=1.38),
    )
    p = plan(slots, 11.0, None, needs, T0, SETTINGS)
    assert p.min_power_gap == pytest.approx(0.0)
    assert kw(p, "a") == {T0: pytest.approx(6.62), T0 + H(1): pytest.approx(1.38)}
    assert kw(p, "b") == {T0: pytest.approx(4.38), T0 + H(1): pytest.approx(5.62)}


def test_a_swap_never_touches_a_slot_an_earlier_swap_already_fixed() -> None:
    edges = [T0 + timedelta(minutes=15 * k) for k in range(8)] + [T0 + H(2.75)]
    slots = tuple(
        PriceSlot(a, b, -0.05 if k == 0 else None) for k, (a, b) in enumerate(pairwise(edges))
    )
    needs = (
        ChargeNeed("a", 1.0, 3.7),
        ChargeNeed("b", 1.0, 7.4, min_power_kw=1.38),
    )
    p = plan(slots, 4.0, None, needs, T0, PlannerSettings(0.5))
    assert [c.energy_kwh for c in p.chargers] == pytest.approx([1.0, 1.0])
    assert all(kw == 0 or kw >= 1.38 for kw in p.charger("b").power_kw)
    for t in range(len(p.slots)):
        assert sum(c.power_kw[t] for c in p.chargers) <= 4.0 + 1e-9
