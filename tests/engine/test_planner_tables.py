"""Named planner scenarios: what the plan must look like, table by table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from benchmarks import planner_scenarios as sc
from benchmarks.planner_lp import Scenario, cheapest_slots
from custom_components.smart_charging.engine.planner import (
    ChargeNeed,
    Plan,
    PlannerSettings,
    PriceMode,
    PriceSlot,
    TimeWindow,
    Verdict,
    plan,
)

T0 = sc.T0
H = sc.hours


def run(s: Scenario, **changes: object) -> Plan:
    settings = replace(s.settings, **changes) if changes else s.settings
    return plan(s.slots, s.site_capacity, s.pv_forecast, s.needs, s.now, settings)


def powers(p: Plan, charger: str = "car") -> dict[datetime, float]:
    """Planned kW by slot start (UTC), only where the charger charges."""
    return {e.start: round(e.power_kw, 6) for e in p.charger(charger).schedule}


def test_flat_price_charges_in_the_latest_slots() -> None:
    p = run(sc.flat_price())
    car = p.charger("car")
    assert powers(p) == {T0 + H(13): 9.0, T0 + H(14): 11.0}
    assert car.next_start == T0 + H(13)
    assert car.finish == T0 + H(15)
    assert car.cost == pytest.approx(20 * 0.25)
    assert car.verdict is Verdict.ON_TARGET
    assert p.price_mode is PriceMode.KNOWN


def test_evening_peak_is_avoided_and_night_filled_late() -> None:
    p = run(sc.evening_peak())
    car = p.charger("car")
    assert {e.price for e in car.schedule} == {0.18}
    assert car.cost == pytest.approx(30 * 0.18)
    assert car.finish == T0 + H(13)  # 05:00, the end of the cheap night
    assert car.power_at(T0 + H(3)) == 0.0  # 19:00, in the peak
    assert car.energy_kwh == pytest.approx(30.0)


def test_negative_prices_are_used_and_minimum_power_costs_a_little() -> None:
    p = run(sc.negative_prices())
    start = T0 - H(4)
    assert powers(p) == {start + H(18): 4.14, start + H(19): 11.0, start + H(20): 9.86}
    assert p.continuous_cost == pytest.approx(-0.05 * 3 - 0.08 * 11 - 0.06 * 11)
    assert p.cost == pytest.approx(-0.05 * 4.14 - 0.08 * 11 - 0.06 * 9.86)
    assert p.min_power_gap == pytest.approx(1.14 * 0.01)


def test_two_cars_share_the_fuse_instead_of_both_taking_the_cheapest_hour() -> None:
    s = sc.two_cars_one_fuse()
    p = run(s)
    for slot in p.slots:
        assert slot.grid_kw <= 11.0 + 1e-9
    assert p.cost == pytest.approx(11 * 0.10 + 11 * 0.12)
    assert all(c.verdict is Verdict.ON_TARGET for c in p.chargers)
    alone = cheapest_slots(s, share_capacity=False)
    assert alone.meets_targets
    assert not alone.within_capacity  # each car alone would take 02:00-03:00


def test_pv_tomorrow_covers_the_need_so_nothing_is_bought_at_night() -> None:
    p = run(sc.pv_tomorrow())
    car = p.charger("car")
    assert all(slot.grid_kw == pytest.approx(0.0) for slot in p.slots)
    assert car.pv_share == pytest.approx(1.0)
    assert car.cost == pytest.approx(20 * 0.08)  # PV valued at the feed-in it replaces
    assert car.next_start is not None
    assert car.next_start >= T0 + H(17)


def test_pv_safety_factor_leaves_the_rest_to_the_cheap_night() -> None:
    p = run(sc.pv_tomorrow(), pv_safety_factor=0.25)  # 2 kW x 6 h = 12 kWh of PV
    car = p.charger("car")
    assert car.pv_kwh == pytest.approx(12.0)
    assert car.cost == pytest.approx(12 * 0.08 + 8 * 0.15)
    assert {e.price for e in car.schedule if e.pv_kw == 0} == {0.15}


def test_dst_spring_has_92_quarters_and_five_real_hours_before_six() -> None:
    s = sc.dst_spring()
    assert len(s.slots) == 92
    p = run(s)
    car = p.charger("car")
    assert all(slot.hours == pytest.approx(0.25) for slot in p.slots)
    assert car.energy_kwh == pytest.approx(55.0)
    assert car.verdict is Verdict.TARGET_UNREACHABLE
    assert car.finish == datetime(2025, 3, 30, 4, 0, tzinfo=UTC)  # 06:00 CEST


def test_dst_autumn_has_100_quarters_and_seven_real_hours_before_six() -> None:
    s = sc.dst_autumn()
    assert len(s.slots) == 100
    p = run(s)
    car = p.charger("car")
    assert car.energy_kwh == pytest.approx(60.0)
    assert car.verdict is Verdict.ON_TARGET
    assert car.cost == pytest.approx(60 * 0.15)
    assert car.finish == datetime(2025, 10, 26, 5, 0, tzinfo=UTC)  # 06:00 CET


def test_mixed_slot_lengths_keep_their_durations() -> None:
    p = run(sc.mixed_15_60())
    assert [slot.hours for slot in p.slots[:32]] == [0.25] * 32
    assert [slot.hours for slot in p.slots[32:]] == [1.0] * 8
    car = p.charger("car")
    assert car.energy_kwh == pytest.approx(24.0)
    assert all(e.power_kw >= 4.14 - 1e-9 for e in car.schedule)
    assert p.continuous_cost == pytest.approx(11 * 0.12 + 11 * 0.14 + 2 * 0.20)
    assert p.min_power_gap is not None
    assert 0 < p.min_power_gap <= 2.14 * 0.06 + 1e-9  # lifting the 0.20 hour, at worst


def test_deadline_in_the_past_is_unreachable_with_nothing_deliverable() -> None:
    p = run(sc.deadline_in_past())
    car = p.charger("car")
    assert car.verdict is Verdict.TARGET_UNREACHABLE
    assert car.energy_kwh == 0.0
    assert car.shortfall_kwh == pytest.approx(10.0)
    assert car.schedule == ()
    assert car.next_start is None
    assert car.finish is None
    assert car.pv_share == 0.0


def test_infeasible_target_reports_the_deliverable_energy() -> None:
    p = run(sc.infeasible_target())
    car = p.charger("car")
    assert car.verdict is Verdict.TARGET_UNREACHABLE
    assert car.energy_kwh == pytest.approx(33.0)
    assert list(powers(p).values()) == [11.0, 11.0, 11.0]


def test_price_limit_picks_the_cheapest_slots_not_the_first_cheap_one() -> None:
    p = run(sc.price_limit())
    assert powers(p) == {T0 + H(3): 11.0, T0 + H(5): 11.0}
    assert p.charger("car").power_at(T0) == 0.0  # 0.19 is below the limit but not cheapest
    assert p.charger("car").verdict is Verdict.ON_TARGET


def test_price_limit_without_deadline_stops_at_the_limit() -> None:
    s = sc.price_limit()
    s = replace(s, needs=(replace(s.needs[0], energy_kwh=50.0),))
    p = run(s)
    car = p.charger("car")
    assert sorted(e.price for e in car.schedule if e.price is not None) == [0.08, 0.11, 0.15, 0.19]
    assert car.energy_kwh == pytest.approx(44.0)
    assert car.verdict is Verdict.NOT_WITHIN_HORIZON


def test_deadline_beyond_known_prices_plans_the_known_part_first() -> None:
    p = run(sc.unknown_tail())
    assert p.price_mode is PriceMode.PARTIAL
    assert len(p.slots) == 15
    assert [s.price_known for s in p.slots[8:]] == [False] * 7
    assert {s.price for s in p.slots[8:]} == {0.30}
    car = p.charger("car")
    assert car.finish == T0 + H(8)
    assert car.cost == pytest.approx(11 * 0.19 + 11 * 0.20 + 11 * 0.21 + 7 * 0.22)


def test_unknown_prices_count_as_the_highest_known_and_lose_ties() -> None:
    s = sc.unknown_tail()
    p = run(replace(s, needs=(replace(s.needs[0], energy_kwh=100.0),)))
    car = p.charger("car")
    assert car.energy_kwh == pytest.approx(100.0)
    unknown = [e for e in car.schedule if e.price is None]
    assert sum(e.power_kw for e in unknown) == pytest.approx(12.0)
    assert car.power_at(T0) == pytest.approx(11.0)  # the known 0.30 hour wins the tie
    assert car.cost == pytest.approx(
        11 * (0.28 + 0.26 + 0.24 + 0.22 + 0.21 + 0.20 + 0.19) + 23 * 0.30
    )


def test_fleet_respects_feeder_windows_and_max_powers() -> None:
    s = sc.windows_and_fleet()
    p = run(s)
    window = s.needs[2].windows[0]
    for t, slot in enumerate(p.slots):
        assert sum(c.power_kw[t] for c in p.chargers) <= 22.0 + 1e-9
        if not window.start <= slot.start < window.end:
            assert p.charger("c").power_kw[t] == 0.0
    for need in s.needs:
        car = p.charger(need.charger_id)
        assert car.verdict is Verdict.ON_TARGET
        assert max(car.power_kw) <= need.max_power_kw + 1e-9
        assert all(v == 0 or v >= need.min_power_kw - 1e-9 for v in car.power_kw)


def test_no_prices_at_all_charges_from_now_except_what_pv_covers() -> None:
    slots = sc.grid(T0, [None] * 12)
    pv = tuple(5.0 if k >= 8 else 0.0 for k in range(12))
    need = ChargeNeed("car", 30.0, 11.0, ready_by=T0 + H(12), min_power_kw=4.14)
    p = plan(slots, 11.0, pv, (need,), T0, PlannerSettings(pv_safety_factor=1.0))
    car = p.charger("car")
    assert p.price_mode is PriceMode.NONE
    assert car.cost is None
    assert p.cost is None
    assert p.min_power_gap is None
    assert car.pv_kwh == pytest.approx(20.0)  # 4 sunny hours x 5 kW before the deadline
    assert car.next_start == T0
    assert car.power_at(T0) == pytest.approx(10.0)  # the 10 kWh PV cannot cover, at once


def test_no_slots_at_all_fills_the_horizon_up_to_the_deadline() -> None:
    need = ChargeNeed("car", 15.0, 11.0, ready_by=T0 + H(3) + timedelta(minutes=30))
    p = plan((), 11.0, None, (need,), T0 + timedelta(minutes=20), PlannerSettings())
    assert [s.hours for s in p.slots] == pytest.approx([40 / 60, 1.0, 1.0, 0.5])
    assert p.charger("car").next_start == T0 + timedelta(minutes=20)
    assert p.charger("car").energy_kwh == pytest.approx(15.0)


def test_deadline_inside_a_slot_splits_it() -> None:
    slots = sc.grid(T0, [0.3, 0.1, 0.2])
    need = ChargeNeed("car", 20.0, 11.0, ready_by=T0 + H(1.5))
    p = plan(slots, 11.0, None, (need,), T0, PlannerSettings())
    assert [(s.start, s.end) for s in p.slots[1:3]] == [
        (T0 + H(1), T0 + H(1.5)),
        (T0 + H(1.5), T0 + H(2)),
    ]
    assert powers(p) == {T0: 11.0, T0 + H(1): 11.0}
    assert p.charger("car").energy_kwh == pytest.approx(16.5)


def test_started_slot_is_planned_from_now() -> None:
    now = T0 + timedelta(minutes=45)
    need = ChargeNeed("car", 2.75, 11.0, ready_by=T0 + H(2))
    p = plan(sc.grid(T0, [0.1, 0.3]), 11.0, None, (need,), now, PlannerSettings())
    assert p.slots[0].start == now
    assert p.slots[0].hours == pytest.approx(0.25)
    assert powers(p) == {now: 11.0}


def test_feed_in_above_import_price_imports_first() -> None:
    slots = (PriceSlot(T0, T0 + H(1), 0.05, 0.10),)
    need = ChargeNeed("car", 8.0, 11.0, ready_by=T0 + H(1))
    p = plan(slots, 5.0, (6.0,), (need,), T0, PlannerSettings(pv_safety_factor=1.0))
    assert p.slots[0].grid_kw == pytest.approx(5.0)
    assert p.slots[0].pv_used_kw == pytest.approx(3.0)
    assert p.cost == pytest.approx(5 * 0.05 + 3 * 0.10)


def test_price_limited_charger_may_use_pv_where_import_is_too_dear() -> None:
    slots = sc.grid(T0, [0.40, 0.40], export=0.05)
    need = ChargeNeed("car", 10.0, 11.0, ready_by=T0 + H(2), min_power_kw=1.38, price_limit=0.2)
    p = plan(slots, 11.0, (4.0, 0.0), (need,), T0, PlannerSettings(pv_safety_factor=1.0))
    car = p.charger("car")
    assert powers(p) == {T0: 4.0}
    assert car.pv_share == pytest.approx(1.0)
    assert car.verdict is Verdict.TARGET_UNREACHABLE


def test_pv_below_the_minimum_power_is_no_use_to_a_price_limited_charger() -> None:
    slots = sc.grid(T0, [0.40], export=0.05)
    need = ChargeNeed("car", 10.0, 11.0, ready_by=T0 + H(1), min_power_kw=4.14, price_limit=0.2)
    p = plan(slots, 11.0, (3.0,), (need,), T0, PlannerSettings(pv_safety_factor=1.0))
    assert p.charger("car").energy_kwh == 0.0
    continuous = plan(
        slots, 11.0, (3.0,), (need,), T0, PlannerSettings(1.0, enforce_min_power=False)
    )
    assert continuous.charger("car").energy_kwh == pytest.approx(3.0)


def test_small_top_up_finishes_in_one_slot_below_the_minimum() -> None:
    need = ChargeNeed("car", 3.0, 11.0, ready_by=T0 + H(3), min_power_kw=4.14)
    p = plan(sc.grid(T0, [0.3, 0.1, 0.2]), 11.0, None, (need,), T0, PlannerSettings())
    car = p.charger("car")
    assert car.verdict is Verdict.ON_TARGET
    assert powers(p) == {T0 + H(1): 3.0}  # at 4.14 kW for 43 minutes, then full


def test_price_limited_charger_is_repaired_around_its_pv_slot() -> None:
    slots = sc.grid(T0, [0.40, 0.10, 0.12], export=0.05)
    need = ChargeNeed("car", 18.0, 11.0, ready_by=T0 + H(3), min_power_kw=4.14, price_limit=0.2)
    p = plan(slots, 11.0, (6.0, 0.0, 0.0), (need,), T0, PlannerSettings(pv_safety_factor=1.0))
    assert powers(p) == {T0: 6.0, T0 + H(1): 7.86, T0 + H(2): 4.14}
    assert p.cost == pytest.approx(6 * 0.05 + 7.86 * 0.10 + 4.14 * 0.12)


def test_a_sliver_the_other_charger_cannot_take_is_re_planned() -> None:
    needs = (
        ChargeNeed("a", 12.0, 11.0, ready_by=T0 + H(2), min_power_kw=4.14),
        ChargeNeed("b", 3.7, 3.7, ready_by=T0 + H(1), min_power_kw=1.38),
    )
    p = plan(sc.grid(T0, [0.1, 0.2]), 20.0, None, needs, T0, PlannerSettings())
    assert powers(p, "b") == {T0: 3.7}
    assert powers(p, "a") == {T0: pytest.approx(7.86), T0 + H(1): pytest.approx(4.14)}


def test_a_slot_with_less_room_than_the_minimum_is_skipped_by_the_repair() -> None:
    needs = (
        ChargeNeed("a", 12.0, 11.0, ready_by=T0 + H(3), min_power_kw=4.14),
        ChargeNeed("b", 9.0, 11.0, ready_by=T0 + H(2), windows=(TimeWindow(T0 + H(1), T0 + H(2)),)),
    )
    p = plan(sc.grid(T0, [0.1, 0.2, 0.3]), 11.0, None, needs, T0, PlannerSettings())
    assert powers(p, "b") == {T0 + H(1): 9.0}
    # 2 kW left beside b at 01:00 is below a's minimum: a lifts 02:00 instead
    assert powers(p, "a") == {T0: pytest.approx(7.86), T0 + H(2): pytest.approx(4.14)}
