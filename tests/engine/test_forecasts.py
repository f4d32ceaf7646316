"""PV-forecast parsing (Solcast, Forecast.Solar) and the per-slot PV surplus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from custom_components.smart_charging.engine.forecasts import (
    ForecastSlot,
    parse_forecast_solar,
    parse_solcast,
    surplus_forecast,
)
from custom_components.smart_charging.engine.plan_model import PriceSlot
from custom_components.smart_charging.engine.tariffs import HOUR, TariffError, TariffReason

BERLIN = ZoneInfo("Europe/Berlin")
Q = timedelta(minutes=15)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def naive(*args: int) -> datetime:
    return utc(*args).replace(tzinfo=None)


# --- Solcast ---------------------------------------------------------------------------

SOLCAST = [  # BJReplay/ha-solcast-solar detailedForecast: kW average per 30 minutes
    {
        "period_start": datetime(2025, 6, 1, 14, tzinfo=BERLIN),
        "pv_estimate": 2.0,
        "pv_estimate10": 1.0,
    },
    {"period_start": "2025-06-01T14:30:00+02:00", "pv_estimate": 4.0, "pv_estimate10": 2.0},
    {"period_start": "2025-06-01T15:00:00+02:00", "pv_estimate": 3.0, "pv_estimate10": 1.5},
]


def test_solcast_is_average_power_per_half_hour() -> None:
    forecast = parse_solcast(SOLCAST, tz=BERLIN)
    assert forecast == (
        ForecastSlot(utc(2025, 6, 1, 12), utc(2025, 6, 1, 12, 30), 2.0),
        ForecastSlot(utc(2025, 6, 1, 12, 30), utc(2025, 6, 1, 13), 4.0),
        ForecastSlot(utc(2025, 6, 1, 13), utc(2025, 6, 1, 13, 30), 3.0),
    )


def test_solcast_gaps_stay_uncovered_and_junk_is_skipped() -> None:
    items = [
        SOLCAST[0],
        {"period_start": "2025-06-01T14:30:00+02:00", "pv_estimate": None},
        "junk",
        {"period_start": "noon", "pv_estimate": 1.0},
        {"period_start": "2025-06-01T18:00:00+02:00", "pv_estimate": 0.5},
    ]
    forecast = parse_solcast(items, tz=BERLIN)
    assert [(f.start, f.end, f.power_kw) for f in forecast] == [
        (utc(2025, 6, 1, 12), utc(2025, 6, 1, 12, 30), 2.0),
        (utc(2025, 6, 1, 16), utc(2025, 6, 1, 16, 30), 0.5),
    ]
    (single,) = parse_solcast([{"period_start": "2025-06-01T12:00:00", "pv_estimate": 1}], tz=UTC)
    assert single.end - single.start == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("items", "reason"),
    [
        ({"detailedForecast": []}, TariffReason.UNRECOGNISED),
        (["junk"], TariffReason.UNRECOGNISED),
        ([{"period_start": "2025-06-01T12:00:00Z", "pv_estimate": None}], TariffReason.EMPTY),
        ([], TariffReason.EMPTY),
    ],
)
def test_solcast_nothing_usable(items: object, reason: TariffReason) -> None:
    with pytest.raises(TariffError) as err:
        parse_solcast(items, tz=UTC)
    assert err.value.reason is reason


# --- Forecast.Solar --------------------------------------------------------------------

FORECAST_SOLAR = {  # core forecast_solar energy platform: Wh of the period ENDING at the key
    "2025-06-01T05:12:34+02:00": 0,
    "2025-06-01T06:00:00+02:00": 600,
    "2025-06-01T07:00:00+02:00": 1800,
    "2025-06-01T08:00:00+02:00": 3000,
    "2025-06-01T20:00:00+02:00": 900,
    "2025-06-01T20:55:12+02:00": 110,
}


def test_forecast_solar_periods_end_at_their_keys() -> None:
    forecast = parse_forecast_solar(FORECAST_SOLAR)
    assert [(f.start, f.end) for f in forecast] == [
        (utc(2025, 6, 1, 3), utc(2025, 6, 1, 3, 12, 34)),
        (utc(2025, 6, 1, 3, 12, 34), utc(2025, 6, 1, 4)),
        (utc(2025, 6, 1, 4), utc(2025, 6, 1, 5)),
        (utc(2025, 6, 1, 5), utc(2025, 6, 1, 6)),
        (utc(2025, 6, 1, 17), utc(2025, 6, 1, 18)),  # not stretched over the day
        (utc(2025, 6, 1, 18), utc(2025, 6, 1, 18, 55, 12)),
    ]
    assert [round(f.power_kw, 6) for f in forecast] == [
        0.0,
        round(0.6 / (2846 / 3600), 6),
        1.8,
        3.0,
        0.9,
        round(0.11 / (3312 / 3600), 6),
    ]


def test_forecast_solar_half_hours_naive_keys_and_junk() -> None:
    wh = {
        naive(2025, 6, 1, 12): 1000,  # naive: in tz; the first key covers its own period
        "2025-06-01T12:30:00": 1500,
        "2025-06-01T13:00:00": None,
        "2025-06-01T13:30:00": 500,
        "soon": 100,
        "2025-06-01T11:00:00+00:00": 7,  # the same instant as the naive 12:00 in UTC+1
    }
    forecast = parse_forecast_solar(wh, tz=timezone(HOUR))
    assert [(f.start, f.end, f.power_kw) for f in forecast] == [
        (utc(2025, 6, 1, 10, 30), utc(2025, 6, 1, 11), 2.0),
        (utc(2025, 6, 1, 11), utc(2025, 6, 1, 11, 30), 3.0),
        (utc(2025, 6, 1, 12), utc(2025, 6, 1, 12, 30), 1.0),
    ]


@pytest.mark.parametrize(
    ("wh", "reason"), [({}, TariffReason.EMPTY), ({"x": 1}, TariffReason.UNRECOGNISED)]
)
def test_forecast_solar_nothing_usable(wh: dict[str, object], reason: TariffReason) -> None:
    with pytest.raises(TariffError) as err:
        parse_forecast_solar(wh)
    assert err.value.reason is reason


# --- PV surplus ------------------------------------------------------------------------


def test_surplus_averages_over_mixed_slot_lengths() -> None:
    solcast = parse_solcast(SOLCAST, tz=BERLIN)  # 12:00 2 kW, 12:30 4 kW, 13:00 3 kW
    t = utc(2025, 6, 1, 12)
    slots = [
        PriceSlot(t, t + Q),
        PriceSlot(t + Q, t + 2 * Q),
        PriceSlot(t + 2 * Q, t + 4 * Q),
        PriceSlot(t + 4 * Q, t + 7 * Q),  # 13:00-13:45: 30 min at 3 kW, 15 without forecast
        PriceSlot(t - HOUR, t),
        PriceSlot(t, t),
    ]
    assert surplus_forecast(slots, solcast, 0.5) == pytest.approx((1.5, 1.5, 3.5, 1.5, 0.0, 0.0))
    hourly = (PriceSlot(t, t + HOUR),)
    assert surplus_forecast(hourly, solcast, 0.5) == pytest.approx((2.5,))
    assert surplus_forecast(hourly, solcast, 5.0) == (0.0,)


def test_surplus_from_forecast_solar_on_a_quarter_hour_grid() -> None:
    forecast = parse_forecast_solar(FORECAST_SOLAR)
    start = utc(2025, 6, 1, 3, 45)
    quarters = [PriceSlot(start + k * Q, start + (k + 1) * Q) for k in range(6)]
    surplus = surplus_forecast(quarters, forecast, 0.3)
    assert surplus == pytest.approx((0.6 / (2846 / 3600) - 0.3, 1.5, 1.5, 1.5, 1.5, 2.7))
