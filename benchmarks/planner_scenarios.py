"""Planner scenarios: named tables (also used by the tests) and a random generator.

Deadlines and windows fall on slot boundaries so that ``planner_lp`` can check them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import random
from zoneinfo import ZoneInfo

from benchmarks.planner_lp import Scenario
from custom_components.smart_charging.engine.plan_model import (
    ChargeNeed,
    PlannerSettings,
    PriceSlot,
    TimeWindow,
)

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2025, 1, 15, 16, 0, tzinfo=UTC)


def grid(
    start: datetime,
    prices: list[float | None],
    minutes: int = 60,
    export: float | None = None,
) -> tuple[PriceSlot, ...]:
    """Consecutive slots of equal length from ``start`` with the given import prices."""
    step = timedelta(minutes=minutes)
    return tuple(
        PriceSlot(start + k * step, start + (k + 1) * step, price, export)
        for k, price in enumerate(prices)
    )


def hours(n: float) -> timedelta:
    """Shorthand for a timedelta of ``n`` hours."""
    return timedelta(hours=n)


def flat_price() -> Scenario:
    """One car, one price all night: ties go to the latest slots before the deadline."""
    return Scenario(
        "flat price",
        grid(T0, [0.25] * 24),
        11.0,
        None,
        (ChargeNeed("car", 20.0, 11.0, ready_by=T0 + hours(15), min_power_kw=4.14),),
        T0,
    )


def evening_peak() -> Scenario:
    """15-min slots: an evening peak (17-21 h), a cheap night, a dearer morning."""
    prices: list[float | None] = []
    for quarter in range(24 * 4):
        hour = (16 + quarter // 4) % 24
        prices.append(0.45 if 17 <= hour < 21 else 0.18 if hour < 5 or hour >= 23 else 0.28)
    needs = (ChargeNeed("car", 30.0, 11.0, ready_by=T0 + hours(15), min_power_kw=4.14),)
    return Scenario("evening peak", grid(T0, prices, 15), 11.0, None, needs, T0)


def negative_prices() -> Scenario:
    """Negative prices at noon (solar glut): the car charges exactly then."""
    prices: list[float | None] = [0.30] * 18 + [-0.05, -0.08, -0.06] + [0.30] * 5
    start = T0 - hours(4)
    needs = (ChargeNeed("car", 25.0, 11.0, ready_by=start + hours(26), min_power_kw=4.14),)
    return Scenario("negative prices", grid(start, prices), 11.0, None, needs, start)


def two_cars_one_fuse() -> Scenario:
    """Two 11 kW cars and 11 kW of room: they share the two cheap hours, not both at once."""
    prices: list[float | None] = [0.40, 0.40, 0.10, 0.12, 0.30, 0.35, 0.40, 0.40]
    needs = (
        ChargeNeed("a", 11.0, 11.0, ready_by=T0 + hours(8), min_power_kw=4.14),
        ChargeNeed("b", 11.0, 11.0, ready_by=T0 + hours(8), min_power_kw=4.14),
    )
    return Scenario("two cars one fuse", grid(T0, prices), 11.0, None, needs, T0)


def pv_tomorrow() -> Scenario:
    """Cheap night, sunny tomorrow: the forecast surplus covers the need, buy nothing."""
    prices: list[float | None] = [0.32] * 6 + [0.15] * 8 + [0.28] * 10
    pv = tuple(8.0 if 17 <= k < 23 else 0.0 for k in range(24))
    needs = (ChargeNeed("car", 20.0, 11.0, ready_by=T0 + hours(24), min_power_kw=1.38),)
    return Scenario("PV tomorrow", grid(T0, prices, export=0.08), 11.0, pv, needs, T0)


def _local_day(day: datetime) -> tuple[PriceSlot, ...]:
    start = day.astimezone(UTC)
    end = (day + timedelta(days=1)).replace(hour=0).astimezone(UTC)
    slots = []
    cursor = start
    while cursor < end:
        local = cursor.astimezone(BERLIN)
        price = 0.15 if local.hour < 6 else 0.30
        nxt = cursor + timedelta(minutes=15)
        slots.append(PriceSlot(local, nxt.astimezone(BERLIN), price))
        cursor = nxt
    return tuple(slots)


def dst_spring() -> Scenario:
    """Europe/Berlin spring forward: 92 quarter-hours; 00:00-06:00 local is 5 real hours."""
    day = datetime(2025, 3, 30, tzinfo=BERLIN)
    needs = (ChargeNeed("car", 60.0, 11.0, ready_by=day.replace(hour=6), min_power_kw=4.14),)
    return Scenario("DST spring", _local_day(day), 11.0, None, needs, day)


def dst_autumn() -> Scenario:
    """Europe/Berlin fall back: 100 quarter-hours; 00:00-06:00 local is 7 real hours."""
    day = datetime(2025, 10, 26, tzinfo=BERLIN)
    needs = (ChargeNeed("car", 60.0, 11.0, ready_by=day.replace(hour=6), min_power_kw=4.14),)
    return Scenario("DST autumn", _local_day(day), 11.0, None, needs, day)


def mixed_15_60() -> Scenario:
    """Quarter-hours today, hours tomorrow (a tariff that switches resolution)."""
    quarters = grid(T0, [0.30 - 0.001 * k for k in range(32)], 15)
    tail = grid(T0 + hours(8), [0.20, 0.12, 0.14, 0.22, 0.26, 0.31, 0.33, 0.35], 60)
    needs = (ChargeNeed("car", 24.0, 11.0, ready_by=T0 + hours(16), min_power_kw=4.14),)
    return Scenario("15/60-min mix", quarters + tail, 11.0, None, needs, T0)


def deadline_in_past() -> Scenario:
    """The ready-by time has passed: nothing deliverable, the verdict says so."""
    needs = (ChargeNeed("car", 10.0, 11.0, ready_by=T0 - hours(1), min_power_kw=4.14),)
    return Scenario("deadline in the past", grid(T0, [0.2] * 8), 11.0, None, needs, T0)


def infeasible_target() -> Scenario:
    """60 kWh in three hours at 11 kW: deliver 33 kWh and say the target is unreachable."""
    needs = (ChargeNeed("car", 60.0, 11.0, ready_by=T0 + hours(3), min_power_kw=4.14),)
    return Scenario("infeasible target", grid(T0, [0.3, 0.2, 0.25, 0.1]), 22.0, None, needs, T0)


def price_limit() -> Scenario:
    """Limit 0.20: the first cheap slot (0.19) is not the cheapest; 0.08 and 0.11 are."""
    prices: list[float | None] = [0.19, 0.30, 0.25, 0.11, 0.35, 0.08, 0.21, 0.15]
    needs = (ChargeNeed("car", 22.0, 11.0, min_power_kw=4.14, price_limit=0.20),)
    return Scenario("price limit picks cheapest", grid(T0, prices), 11.0, None, needs, T0)


def unknown_tail() -> Scenario:
    """Prices known until 00:00, deadline 07:00: the unknown hours cost the highest price."""
    prices: list[float | None] = [0.30, 0.28, 0.26, 0.24, 0.22, 0.21, 0.20, 0.19]
    needs = (ChargeNeed("car", 40.0, 11.0, ready_by=T0 + hours(15), min_power_kw=4.14),)
    return Scenario("deadline beyond prices", grid(T0, prices), 11.0, None, needs, T0)


def windows_and_fleet() -> Scenario:
    """Four cars, a 22 kW feeder, one car restricted to a night window."""
    prices: list[float | None] = [0.35, 0.33, 0.30, 0.22, 0.18, 0.16, 0.15, 0.17, 0.20, 0.26]
    window = TimeWindow(T0 + hours(4), T0 + hours(8))
    needs = (
        ChargeNeed("a", 30.0, 11.0, ready_by=T0 + hours(10), min_power_kw=4.14),
        ChargeNeed("b", 20.0, 11.0, ready_by=T0 + hours(8), min_power_kw=4.14),
        ChargeNeed("c", 15.0, 7.4, ready_by=T0 + hours(10), min_power_kw=1.38, windows=(window,)),
        ChargeNeed("d", 10.0, 3.7, ready_by=T0 + hours(6), min_power_kw=1.38),
    )
    return Scenario("fleet with windows", grid(T0, prices), 22.0, None, needs, T0)


NAMED: tuple[Callable[[], Scenario], ...] = (
    flat_price,
    evening_peak,
    negative_prices,
    two_cars_one_fuse,
    pv_tomorrow,
    dst_spring,
    dst_autumn,
    mixed_15_60,
    deadline_in_past,
    infeasible_target,
    price_limit,
    unknown_tail,
    windows_and_fleet,
)
"""Named scenarios, in table order."""


POWERS = ((3.7, 1.38), (7.4, 1.38), (11.0, 4.14), (22.0, 4.14))
"""(max, min) power of common chargers (1p 16 A, 1p 32 A, 3p 16 A, 3p 32 A)."""


def random_scenario(seed: int, chargers: int | None = None, slots: int | None = None) -> Scenario:
    """A plausible home or depot: day-ahead prices, PV, house load, a few cars."""
    rng = random.Random(seed)
    n = chargers if chargers is not None else rng.randint(1, 4)
    count = slots if slots is not None else rng.choice((48, 96, 120))
    pattern = rng.choice(("15", "60", "mix")) if slots is None else "15"
    start = datetime(2025, 6, 1, 12, tzinfo=UTC) + timedelta(days=rng.randint(0, 200))
    lengths = [
        15 if pattern == "15" or (pattern == "mix" and k < count // 2) else 60 for k in range(count)
    ]
    sunny = rng.random() < 0.6
    peak_pv = rng.uniform(2.0, 10.0) if sunny else rng.uniform(0.0, 2.0)
    export = rng.choice((0.08, 0.0, None))
    unknown_from = count if rng.random() < 0.7 else int(count * rng.uniform(0.6, 0.9))
    fuse = rng.choice((11.0, 16.0, 22.0, 30.0, 40.0)) * (1 + n // 3)
    varying = rng.random() < 0.5
    price_list, pv, capacity = [], [], []
    cursor = start
    boundaries = [start]
    for k, minutes in enumerate(lengths):
        hour = (cursor.hour + cursor.minute / 60 + 2) % 24  # local time, UTC+2
        price = 0.22 + 0.12 * (17 <= hour < 21) - 0.06 * (hour < 5) + rng.uniform(-0.03, 0.03)
        sun = max(0.0, 1 - abs(hour - 13) / 6)
        if sunny and sun > 0.6:
            price -= rng.uniform(0.0, 0.3)
        price_list.append(round(price, 3) if k < unknown_from else None)
        pv.append(round(peak_pv * sun * rng.uniform(0.7, 1.0), 2))
        house = 0.4 + 1.5 * (17 <= hour < 22) + rng.uniform(0.0, 0.8)
        capacity.append(round(max(0.0, fuse - house), 2))
        cursor += timedelta(minutes=minutes)
        boundaries.append(cursor)
    slot_tuple = tuple(
        PriceSlot(boundaries[k], boundaries[k + 1], price_list[k], export) for k in range(count)
    )
    known = sorted(p for p in price_list if p is not None)
    needs = []
    for i in range(n):
        max_kw, min_kw = rng.choice(POWERS)
        deadline = rng.randint(count // 4, count)
        windows: tuple[TimeWindow, ...] = ()
        if rng.random() < 0.2:
            a = rng.randint(0, deadline - 1)
            b = rng.randint(a + 1, deadline)
            windows = (TimeWindow(boundaries[a], boundaries[b]),)
        limit = None
        if rng.random() < 0.15 and known:
            limit = known[int(len(known) * rng.uniform(0.2, 0.8))]
        needs.append(
            ChargeNeed(
                f"ev{i}",
                round(rng.uniform(4.0, 60.0), 1),
                max_kw,
                ready_by=boundaries[deadline] if rng.random() < 0.9 else None,
                min_power_kw=min_kw,
                windows=windows,
                price_limit=limit,
            )
        )
    now = start + timedelta(minutes=rng.choice((0, 0, 5, 7)))
    return Scenario(
        f"random {seed}",
        slot_tuple,
        tuple(capacity) if varying else fuse,
        tuple(pv) if rng.random() < 0.8 else None,
        tuple(needs),
        now,
        PlannerSettings(pv_safety_factor=rng.choice((0.7, 0.8, 1.0))),
    )
