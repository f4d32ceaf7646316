"""The demo's car: what it accepts, how it follows an offer, how cars come and go."""

from __future__ import annotations

import math

import pytest

from demo.ev import (
    Car,
    Driveway,
    EvState,
    Visits,
    acceptance_a,
    arrive,
    is_full,
    park,
    power_w,
    step,
    wanted_a,
)

CAR = Car(capacity_kwh=60.0, max_current_a=16.0, target_soc_pct=90.0, taper_start_pct=80.0)


@pytest.mark.parametrize(
    ("soc", "expected"),
    [
        (10.0, 16.0),  # below the taper: the onboard charger's maximum
        (80.0, 16.0),
        (85.0, 12.0),  # 16 A * (100 - 85) / (100 - 80)
        (89.9, 16.0 * 10.1 / 20),
        (90.0, 0.0),  # the car's own limit
        (95.0, 0.0),
    ],
)
def test_acceptance_tapers_and_stops_at_the_target(soc: float, expected: float) -> None:
    assert acceptance_a(CAR, soc) == pytest.approx(expected)


def test_a_tapering_car_keeps_a_floor_until_full() -> None:
    car = Car(capacity_kwh=60.0, taper_start_pct=80.0)
    assert acceptance_a(car, 99.99) == 1.0
    assert acceptance_a(car, 100.0) == 0.0


@pytest.mark.parametrize(
    ("offered", "expected"),
    [(0.0, 0.0), (5.9, 0.0), (6.0, 6.0), (10.0, 10.0), (32.0, 16.0)],
)
def test_the_car_takes_the_offer_up_to_its_maximum_and_nothing_below_6_a(
    offered: float, expected: float
) -> None:
    assert wanted_a(CAR, 50.0, offered) == expected


def test_a_higher_offer_is_followed_with_a_first_order_lag() -> None:
    state = EvState(soc_pct=50.0)
    after_tau = step(CAR, state, 16.0, CAR.rise_s)
    assert after_tau.current_a == pytest.approx(16.0 * (1 - math.exp(-1)), rel=1e-6)
    settled = state
    for _ in range(40):
        settled = step(CAR, settled, 16.0, 1.0)
    assert settled.current_a == 16.0


def test_a_lower_offer_is_followed_faster_than_a_higher_one() -> None:
    charging = EvState(soc_pct=50.0, current_a=16.0)
    down = step(CAR, charging, 6.0, 1.0)
    up = step(CAR, EvState(soc_pct=50.0, current_a=6.0), 16.0, 1.0)
    assert 16.0 - down.current_a > up.current_a - 6.0


def test_below_6_a_the_car_stops_drawing() -> None:
    state = step(CAR, EvState(soc_pct=50.0, current_a=16.0), 5.0, 30.0)
    assert state.current_a == 0.0


def test_energy_and_state_of_charge_add_up() -> None:
    state = EvState(soc_pct=50.0, current_a=16.0)
    hour = step(CAR, state, 16.0, 3600.0)
    expected_kwh = 16.0 * 3 * 230.0 / 1000  # 11.04 kWh in an hour at a steady 16 A
    assert hour.session_kwh == pytest.approx(expected_kwh)
    assert hour.soc_pct == pytest.approx(50.0 + expected_kwh * 0.9 / 60.0 * 100)
    assert power_w(CAR, hour) == pytest.approx(11040.0)


def test_the_car_stops_at_its_target_and_says_it_is_full() -> None:
    state = EvState(soc_pct=89.99, current_a=2.0)
    full = step(CAR, state, 16.0, 600.0)
    assert full.soc_pct >= 90.0
    assert full.current_a == 0.0
    assert is_full(CAR, full)


def test_no_time_changes_nothing() -> None:
    state = EvState(soc_pct=50.0, current_a=3.0)
    assert step(CAR, state, 16.0, 0.0) is state


VISITS = Visits(arrival_socs=(30.0, 60.0), linger_s=100.0, away_s=50.0)


def test_a_driveway_sees_cars_come_charge_linger_leave_and_return() -> None:
    driveway = arrive(VISITS, 0, 0.0)
    assert driveway.ev == EvState(soc_pct=30.0)
    almost = Driveway(ev=EvState(soc_pct=89.999, current_a=1.0), since_s=0.0)
    full = park(CAR, VISITS, almost, now_s=10.0, offered_a=16.0, dt_s=60.0)
    assert full.full
    assert full.since_s == 10.0
    still = park(CAR, VISITS, full, now_s=109.0, offered_a=16.0, dt_s=1.0)
    assert still.ev is not None
    gone = park(CAR, VISITS, still, now_s=110.0, offered_a=16.0, dt_s=1.0)
    assert gone.ev is None
    assert gone.since_s == 110.0
    waiting = park(CAR, VISITS, gone, now_s=159.0, offered_a=16.0, dt_s=1.0)
    assert waiting.ev is None
    back = park(CAR, VISITS, waiting, now_s=160.0, offered_a=16.0, dt_s=1.0)
    assert back.ev == EvState(soc_pct=60.0)
    assert back.visit == 1


def test_arrivals_cycle_through_the_list() -> None:
    assert arrive(VISITS, 2, 0.0).ev == EvState(soc_pct=30.0)
