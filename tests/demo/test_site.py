"""The demo site's curves: sun, house, grid meter and day-ahead prices."""

from __future__ import annotations

from datetime import date, datetime, timedelta
import itertools
from zoneinfo import ZoneInfo

import pytest

from demo.site import (
    HOUSE_SPLIT,
    SiteModel,
    clear_sky_w,
    cloud_factor,
    day_length_h,
    day_slots,
    grid,
    house_phases_w,
    house_w,
    price_at,
    price_sensor,
    raw_prices,
    slot_start,
    solar_w,
)

BERLIN = ZoneInfo("Europe/Berlin")
MODEL = SiteModel()


def at(hour: int, minute: int = 0, day: date = date(2025, 6, 21)) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def test_days_are_long_in_summer_and_short_in_winter() -> None:
    assert day_length_h(date(2025, 6, 21)) == pytest.approx(16.0, abs=0.01)
    assert day_length_h(date(2025, 12, 21)) == pytest.approx(8.0, abs=0.05)


@pytest.mark.parametrize("hour", [0, 3, 4, 22, 23])
def test_no_sun_at_night(hour: int) -> None:
    assert solar_w(MODEL, at(hour)) == 0.0


def test_the_sun_peaks_around_one_oclock_at_the_rated_power_in_summer() -> None:
    noon = clear_sky_w(MODEL, at(13))
    assert noon == pytest.approx(MODEL.solar_peak_w)
    assert clear_sky_w(MODEL, at(9)) < clear_sky_w(MODEL, at(11)) < noon
    assert clear_sky_w(MODEL, at(17)) < clear_sky_w(MODEL, at(15)) < noon


def test_winter_gives_less_sun() -> None:
    winter = date(2025, 12, 21)
    assert clear_sky_w(MODEL, at(13, day=winter)) < 0.5 * clear_sky_w(MODEL, at(13))


def test_clouds_dim_but_never_black_out() -> None:
    factors = [cloud_factor(at(13) + timedelta(minutes=m)) for m in range(0, 600, 7)]
    assert min(factors) >= 0.55
    assert max(factors) <= 1.0
    assert max(factors) - min(factors) > 0.1


def test_no_solar_when_the_site_has_none() -> None:
    assert solar_w(SiteModel(solar_peak_w=0.0), at(13)) == 0.0


def test_the_house_peaks_in_the_evening() -> None:
    night, evening = house_w(MODEL, at(3, 10)), house_w(MODEL, at(19, 30))
    assert 350.0 <= night < 500.0
    assert evening > 1300.0


def test_the_oven_loads_every_phase_evenly() -> None:
    moment = at(12, 10)
    off = house_phases_w(MODEL, moment, oven=False)
    on = house_phases_w(MODEL, moment, oven=True)
    assert sum(off) == pytest.approx(house_w(MODEL, moment))
    assert [b / sum(off) for b in off] == pytest.approx(list(HOUSE_SPLIT))
    assert [b - a for a, b in zip(off, on, strict=True)] == pytest.approx([2000.0] * 3)


def test_the_meter_adds_the_chargers_and_subtracts_the_sun() -> None:
    reading = grid((460.0, 230.0, 230.0), (16.0, 16.0, 16.0), solar_w=690.0)
    assert reading.power_w == pytest.approx(460 + 230 + 230 + 3 * 16 * 230 - 690)
    assert reading.currents_a == (pytest.approx(17.0), pytest.approx(16.0), pytest.approx(16.0))


def test_export_reads_negative_power_but_positive_currents() -> None:
    reading = grid((230.0, 230.0, 230.0), (0.0, 0.0, 0.0), solar_w=3450.0)
    assert reading.power_w == -2760.0
    assert reading.currents_a == (4.0, 4.0, 4.0)


def test_a_day_has_96_quarter_hours_and_dst_days_92_or_100() -> None:
    assert len(day_slots(date(2025, 6, 21), BERLIN)) == 96
    assert len(day_slots(date(2025, 3, 30), BERLIN)) == 92
    assert len(day_slots(date(2025, 10, 26), BERLIN)) == 100


def test_raw_prices_are_contiguous_local_slots() -> None:
    raw = raw_prices(MODEL, date(2025, 10, 26), BERLIN)
    assert raw[0]["start"] == "2025-10-26T00:00:00+02:00"
    assert raw[-1]["end"] == "2025-10-27T00:00:00+01:00"
    for earlier, later in itertools.pairwise(raw):
        assert earlier["end"] == later["start"]
    assert all(isinstance(slot["value"], float) for slot in raw)


def test_prices_are_dear_in_the_evening_and_cheap_at_noon_and_at_night() -> None:
    evening, noon, night = (price_at(MODEL, at(h)) for h in (19, 13, 3))
    assert evening > noon
    assert evening > night
    assert evening - noon > 0.1


def test_prices_differ_from_day_to_day_but_repeat_for_the_same_slot() -> None:
    assert price_at(MODEL, at(19)) == price_at(MODEL, at(19))
    days = {price_at(MODEL, at(19, day=date(2025, 6, d))) for d in range(1, 15)}
    assert len(days) > 3


def test_slot_start_rounds_down_to_the_quarter_hour() -> None:
    assert slot_start(at(10, 44) + timedelta(seconds=59)) == at(10, 30)


def test_the_price_sensor_looks_like_nord_pool_before_13_oclock() -> None:
    sensor = price_sensor(MODEL, at(12, 59))
    attributes = sensor["attributes"]
    assert float(sensor["state"]) == price_at(MODEL, at(12, 45))
    assert attributes["unit_of_measurement"] == "EUR/kWh"
    assert attributes["currency"] == "EUR"
    assert len(attributes["raw_today"]) == 96
    assert attributes["raw_tomorrow"] == []
    assert attributes["tomorrow_valid"] is False
    assert set(attributes["raw_today"][0]) == {"start", "end", "value"}


def test_tomorrows_prices_appear_at_13_oclock() -> None:
    attributes = price_sensor(MODEL, at(13), currency="SEK")["attributes"]
    assert attributes["tomorrow_valid"] is True
    assert attributes["raw_tomorrow"][0]["start"] == "2025-06-22T00:00:00+02:00"
    assert attributes["unit_of_measurement"] == "SEK/kWh"
