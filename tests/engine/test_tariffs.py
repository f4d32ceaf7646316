"""Tariff parsing: every source's real shape, DST days, units, junk."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from itertools import pairwise
import math
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st
import pytest

from custom_components.smart_charging.engine.plan_model import PriceSlot
from custom_components.smart_charging.engine.tariffs import (
    HOUR,
    PriceSource,
    TariffError,
    TariffReason,
    currency_of,
    detect_source,
    fixed_price_slots,
    parse_prices,
    price_factor,
    time_of_use_slots,
    with_export,
)

BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")
SPRING = date(2025, 3, 30)  # Europe/Berlin: 23 h, 92 quarter-hours
AUTUMN = date(2025, 10, 26)  # Europe/Berlin and Europe/London: 25 h
PATTERN = (0.1234, -0.015, 0.0, 0.2871, -0.0032)  # negative prices included
Q = timedelta(minutes=15)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def naive(*args: int) -> datetime:
    return utc(*args).replace(tzinfo=None)


def local_day(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """Local midnight to local midnight, in UTC."""
    return (
        datetime.combine(day, time(), tz).astimezone(UTC),
        datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC),
    )


def grid(day: date, tz: tzinfo, step: timedelta) -> list[datetime]:
    """The starts (UTC) of every ``step`` of a local day, stepped in real time."""
    start, end = local_day(day, tz)
    return [start + k * step for k in range((end - start) // step)]


def price(index: int) -> float:
    return PATTERN[index % len(PATTERN)]


def assert_tiles(slots: tuple[PriceSlot, ...], start: datetime, end: datetime) -> None:
    assert slots[0].start == start
    assert slots[-1].end == end
    assert all(a.end == b.start for a, b in pairwise(slots))
    assert all(s.start.tzinfo is UTC and s.end.tzinfo is UTC for s in slots)


# --- real-shaped data, serialised the way each integration does it ------------------


def nordpool_attrs(day: date, *, as_text: bool) -> dict[str, object]:
    """custom-components/nordpool: datetimes via dt_utils.as_local (strings over REST)."""

    def stamp(at: datetime) -> object:
        return at.astimezone(BERLIN).isoformat() if as_text else at.astimezone(BERLIN)

    items = [
        {"start": stamp(at), "end": stamp(at + Q), "value": price(k)}
        for k, at in enumerate(grid(day, BERLIN, Q))
    ]
    return {"unit": "kWh", "currency": "EUR", "raw_today": items, "raw_tomorrow": []}


def nordpool_core_response(day: date) -> dict[str, object]:
    """Core nordpool.get_prices_for_date: per MWh, UTC isoformat, keyed by area."""
    return {
        area: [
            {"start": at.isoformat(), "end": (at + Q).isoformat(), "price": offset + 10 * k}
            for k, at in enumerate(grid(day, BERLIN, Q))
        ]
        for area, offset in (("SE3", -5.25), ("SE4", 12.5))
    }


def tibber_response(day: date) -> dict[str, object]:
    """Core tibber.get_prices: start_time with milliseconds and local offset, no end."""
    items = [
        {
            "start_time": at.astimezone(BERLIN).isoformat(timespec="milliseconds"),
            "price": price(k),
            "level": "NORMAL",
        }
        for k, at in enumerate(grid(day, BERLIN, Q))
    ]
    return {"prices": {"Zuhause": items}}


def entsoe_fixed_offset(day: date, hours: int, offset_h: int) -> list[dict[str, object]]:
    """JaccoR/hass-entso-e: {"time": str(datetime)}; one fixed offset for the whole day."""
    first = datetime.combine(day, time(), timezone(timedelta(hours=offset_h)))
    return [{"time": str(first + k * HOUR), "price": price(k)} for k in range(hours)]


def eds_attrs(day: date) -> dict[str, object]:
    """MTrab/energidataservice: {hour, price}, raw_tomorrow None until published."""
    today = [
        {"hour": at.astimezone(BERLIN), "price": price(k)}
        for k, at in enumerate(grid(day, BERLIN, HOUR))
    ]
    forecast_start = datetime.combine(day, time(20), BERLIN)
    forecast = [{"hour": forecast_start + k * HOUR, "price": 9.0 + k} for k in range(10)]
    return {"unit": "kWh", "raw_today": today, "raw_tomorrow": None, "forecast": forecast}


def octopus_attrs(day: date) -> dict[str, object]:
    """BottlecapDave Octopus Energy event entity: rates in GBP/kWh, UTC datetimes."""
    rates = [
        {"start": at, "end": at + 2 * Q, "value_inc_vat": price(k), "is_capped": False}
        for k, at in enumerate(grid(day, LONDON, 2 * Q))
    ]
    return {"event_type": "octopus_energy_electricity_current_day_rates", "rates": rates}


def epex_item(start: str, end: str, **prices: float) -> dict[str, object]:
    return {"start_time": start, "end_time": end, **prices}


EPEX_ATTRS = {  # mampfes/ha_epex_spot: equal-price runs merged, so 10:00-14:00 is one item
    "data": [
        epex_item("2025-06-01T09:00:00+02:00", "2025-06-01T10:00:00+02:00", price_per_kwh=0.0812),
        epex_item("2025-06-01T10:00:00+02:00", "2025-06-01T14:00:00+02:00", price_per_kwh=-0.0047),
        epex_item("2025-06-01T14:00:00+02:00", "2025-06-01T14:15:00+02:00", price_per_kwh=0.0311),
    ]
}


# --- detection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        (nordpool_attrs(AUTUMN, as_text=False), PriceSource.NORDPOOL),
        (nordpool_attrs(AUTUMN, as_text=True), PriceSource.NORDPOOL),
        (eds_attrs(AUTUMN), PriceSource.ENERGI_DATA_SERVICE),
        (
            {"raw_today": None, "forecast": [{"hour": "x", "price": 1}]},
            PriceSource.ENERGI_DATA_SERVICE,
        ),
        ({"prices_today": entsoe_fixed_offset(SPRING, 23, 1)}, PriceSource.ENTSOE),
        ({"prices": entsoe_fixed_offset(SPRING, 23, 1)}, PriceSource.ENTSOE),
        (octopus_attrs(AUTUMN), PriceSource.OCTOPUS),
        (EPEX_ATTRS, PriceSource.EPEX_SPOT),
        (
            {"data": [epex_item("a", "b", price_eur_per_mwh=1, price_ct_per_kwh=0.1)]},
            PriceSource.EPEX_SPOT,
        ),
        ({"prices": [{"start": "2025-01-01T00:00:00Z", "price": 0.2}]}, PriceSource.GENERIC),
        ({"forecast": [{"startsAt": "2025-01-01T00:00:00Z", "total": 0.2}]}, PriceSource.GENERIC),
        ({"data": [{"start_time": "2025-01-01T00:00:00Z", "value": 0.2}]}, PriceSource.GENERIC),
    ],
)
def test_detects_each_source(attributes: dict[str, object], expected: PriceSource) -> None:
    assert detect_source(attributes) is expected


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {"raw_today": [], "raw_tomorrow": None},  # nothing to look at yet
        {"raw_today": "unavailable"},
        {"rates": [{"start": "2025-01-01T00:00:00Z"}]},  # no price key
        {"data": [1, 2, 3]},
        {"detailedForecast": [{"period_start": "2025-01-01T00:00:00Z", "pv_estimate": 1.0}]},
        {"prices": [{"price": 0.2}]},  # no start
        {"friendly_name": "Electricity price", "unit_of_measurement": "EUR/kWh"},
    ],
)
def test_junk_is_not_detected(attributes: dict[str, object]) -> None:
    assert detect_source(attributes) is None


# --- each source ---------------------------------------------------------------------


@pytest.mark.parametrize("as_text", [False, True])
def test_nordpool_autumn_day_has_100_quarter_hours(as_text: bool) -> None:
    slots = parse_prices(
        PriceSource.NORDPOOL, nordpool_attrs(AUTUMN, as_text=as_text), tz=BERLIN, unit="EUR/kWh"
    )
    assert len(slots) == 100
    assert_tiles(slots, utc(2025, 10, 25, 22), utc(2025, 10, 26, 23))
    assert [s.import_price for s in slots] == [price(k) for k in range(100)]
    assert all(s.end - s.start == Q for s in slots)


def test_nordpool_skips_junk_values_and_converts_cents() -> None:
    attrs = nordpool_attrs(SPRING, as_text=True)
    items = attrs["raw_today"]
    assert isinstance(items, list)
    items[1]["value"] = None  # the integration's junk "inf"
    slots = parse_prices(PriceSource.NORDPOOL, attrs, tz=BERLIN, unit="Öre/kWh")
    assert len(slots) == 91
    assert slots[1].start == utc(2025, 3, 29, 23, 30)
    assert slots[0].import_price == pytest.approx(0.001234)


def test_nordpool_core_takes_the_requested_area_per_mwh() -> None:
    response = nordpool_core_response(AUTUMN)
    slots = parse_prices(
        PriceSource.NORDPOOL_CORE, response, tz=BERLIN, series="se4", unit="EUR/kWh"
    )
    assert len(slots) == 100
    assert_tiles(slots, utc(2025, 10, 25, 22), utc(2025, 10, 26, 23))
    assert slots[0].import_price == pytest.approx(0.0125)
    assert slots[99].import_price == pytest.approx(1.0025)
    only = parse_prices(PriceSource.NORDPOOL_CORE, {"SE3": response["SE3"]}, tz=UTC)
    assert only[0].import_price == pytest.approx(-0.00525)  # negative, kept


@pytest.mark.parametrize(
    ("response", "series", "reason"),
    [
        (nordpool_core_response(SPRING), None, TariffReason.UNKNOWN_SERIES),
        (nordpool_core_response(SPRING), "DK1", TariffReason.UNKNOWN_SERIES),
        ({"SE3": []}, None, TariffReason.EMPTY),  # no data published yet
        ({}, None, TariffReason.EMPTY),
        ({"SE3": "garbage"}, "SE3", TariffReason.UNRECOGNISED),
    ],
)
def test_nordpool_core_area_problems(
    response: dict[str, object], series: str | None, reason: TariffReason
) -> None:
    with pytest.raises(TariffError) as err:
        parse_prices(PriceSource.NORDPOOL_CORE, response, tz=UTC, series=series)
    assert err.value.reason is reason


def test_tibber_without_end_on_the_spring_day() -> None:
    slots = parse_prices(PriceSource.TIBBER, tibber_response(SPRING), tz=BERLIN)
    assert len(slots) == 92
    assert_tiles(slots, utc(2025, 3, 29, 23), utc(2025, 3, 30, 22))  # last: median spacing
    assert all(s.end - s.start == Q for s in slots)
    assert slots[9].import_price == price(9)


def test_tibber_home_selection() -> None:
    response = tibber_response(SPRING)
    prices = response["prices"]
    assert isinstance(prices, dict)
    two_homes = {"prices": {**prices, "Ferienhaus": prices["Zuhause"][:4]}}
    assert len(parse_prices(PriceSource.TIBBER, two_homes, tz=BERLIN, series="ferienhaus")) == 4
    with pytest.raises(TariffError) as err:
        parse_prices(PriceSource.TIBBER, two_homes, tz=BERLIN)
    assert err.value.reason is TariffReason.UNKNOWN_SERIES
    with pytest.raises(TariffError) as err:
        parse_prices(PriceSource.TIBBER, {"data": []}, tz=BERLIN)
    assert err.value.reason is TariffReason.UNRECOGNISED


@pytest.mark.parametrize(("day", "hours", "offset_h"), [(SPRING, 23, 1), (AUTUMN, 25, 2)])
def test_entsoe_trusts_the_offset_not_the_wall_clock(day: date, hours: int, offset_h: int) -> None:
    attrs = {"prices_today": entsoe_fixed_offset(day, hours, offset_h), "prices_tomorrow": []}
    assert attrs["prices_today"][0]["time"] == f"{day} 00:00:00+0{offset_h}:00"
    slots = parse_prices(PriceSource.ENTSOE, attrs, tz=BERLIN, unit="EUR/kWh")
    start, end = local_day(day, BERLIN)
    assert len(slots) == hours
    assert_tiles(slots, start, end)
    assert all(s.end - s.start == HOUR for s in slots)


def test_entsoe_prices_only_extend_the_day_lists() -> None:
    today = entsoe_fixed_offset(SPRING, 23, 1)
    yesterday = entsoe_fixed_offset(date(2025, 3, 29), 24, 1)
    tomorrow = [{"time": "2025-03-31 00:00:00+02:00", "price": 7.0}]
    attrs = {"prices_today": today, "prices_tomorrow": [], "prices": yesterday + today + tomorrow}
    slots = parse_prices(PriceSource.ENTSOE, attrs, tz=BERLIN)
    assert slots[0].start == utc(2025, 3, 29, 23)  # yesterday from `prices` is not used
    assert (slots[-1].start, slots[-1].import_price) == (utc(2025, 3, 30, 22), 7.0)
    restored = parse_prices(PriceSource.ENTSOE, {"prices": yesterday}, tz=BERLIN)
    assert len(restored) == 24


def test_energi_data_service_null_tomorrow_and_forecast_after_the_real_prices() -> None:
    slots = parse_prices(
        PriceSource.ENERGI_DATA_SERVICE, eds_attrs(AUTUMN), tz=BERLIN, unit="DKK/kWh"
    )
    real = [s for s in slots if s.start < utc(2025, 10, 26, 23)]
    assert len(real) == 25
    assert [s.import_price for s in real] == [price(k) for k in range(25)]
    forecast = slots[25:]
    assert forecast[0].start == utc(2025, 10, 26, 23)
    assert [s.import_price for s in forecast] == [13.0, 14.0, 15.0, 16.0, 17.0, 18.0]
    assert_tiles(slots, utc(2025, 10, 25, 22), utc(2025, 10, 27, 5))


def test_energi_data_service_without_any_price_yet() -> None:
    with pytest.raises(TariffError) as err:
        parse_prices(
            PriceSource.ENERGI_DATA_SERVICE, {"raw_today": None, "raw_tomorrow": None}, tz=BERLIN
        )
    assert err.value.reason is TariffReason.EMPTY


def test_octopus_rates_on_the_long_uk_day() -> None:
    slots = parse_prices(PriceSource.OCTOPUS, octopus_attrs(AUTUMN), tz=LONDON, unit="GBP/kWh")
    assert len(slots) == 50
    assert_tiles(slots, utc(2025, 10, 25, 23), utc(2025, 10, 27))
    assert slots[1].import_price == -0.015


def test_epex_merged_runs_keep_their_length() -> None:
    slots = parse_prices(PriceSource.EPEX_SPOT, EPEX_ATTRS, tz=BERLIN, unit="€/kWh")
    assert [(s.start, s.end, s.import_price) for s in slots] == [
        (utc(2025, 6, 1, 7), utc(2025, 6, 1, 8), 0.0812),
        (utc(2025, 6, 1, 8), utc(2025, 6, 1, 12), -0.0047),
        (utc(2025, 6, 1, 12), utc(2025, 6, 1, 12, 15), 0.0311),
    ]


@pytest.mark.parametrize(
    ("prices", "expected"),
    [
        ({"price_eur_per_mwh": 85.3, "price_ct_per_kwh": 8.53}, 0.0853),  # Price sensor
        ({"price_ct_per_kwh": 25.1}, 0.251),  # Net Price sensor
        ({"price_gbp_per_mwh": -12.0, "price_pence_per_kwh": -1.2}, -0.012),
        ({"price_pence_per_kwh": 30.0}, 0.30),
    ],
)
def test_epex_legacy_keys_carry_their_own_unit(prices: dict[str, float], expected: float) -> None:
    item = epex_item("2025-06-01T09:00:00+02:00", "2025-06-01T10:00:00+02:00", **prices)
    (slot,) = parse_prices(PriceSource.EPEX_SPOT, {"data": [item]}, tz=BERLIN, unit="EUR/MWh")
    assert slot.import_price == pytest.approx(expected)


def test_generic_spellings_naive_times_and_overlap() -> None:
    items = [
        {"startsAt": "2025-03-30T01:00:00", "total": 0.30},  # naive: Berlin wall time
        {"from": "2025-03-30T03:00:00+02:00", "to": "2025-03-30T05:00:00+02:00", "value": 0.25},
        {"start": utc(2025, 3, 30, 2), "end": utc(2025, 3, 30, 4), "price": "0.2"},
    ]
    slots = parse_prices(PriceSource.GENERIC, {"prices": items}, tz=BERLIN, unit="EUR/kWh")
    assert [(s.start, s.end, s.import_price) for s in slots] == [
        (utc(2025, 3, 30, 0), utc(2025, 3, 30, 1), 0.30),
        (utc(2025, 3, 30, 1), utc(2025, 3, 30, 2), 0.25),  # end cut at the next start
        (utc(2025, 3, 30, 2), utc(2025, 3, 30, 4), 0.2),
    ]


def test_timestamp_spellings_agree() -> None:
    spellings = [
        "2025-03-30T01:00:00+00:00",
        "2025-03-30 01:00:00+00:00",
        "2025-03-30T03:00:00.000+02:00",
        "2025-03-30T01:00:00Z",
        "2025-03-30T01:00:00.123Z",
        "2025-03-30T01:00:00+0000",
        " 2025-03-30T02:00:00 ",  # naive, in tz
        datetime(2025, 3, 30, 3, tzinfo=BERLIN),
        naive(2025, 3, 30, 2),  # naive, in tz
    ]
    for spelling in spellings:
        (slot,) = parse_prices(
            PriceSource.GENERIC, [{"start": spelling, "price": 1}], tz=timezone(HOUR)
        )
        assert slot.start.replace(microsecond=0) == utc(2025, 3, 30, 1), spelling
        assert slot.end - slot.start == HOUR  # a lone item without end: one hour


def test_duplicates_keep_the_first_item() -> None:
    items = [
        {"start": "2025-01-01T00:00:00Z", "price": 0.1},
        {"start": "2025-01-01T00:00:00+00:00", "price": 0.9},
        {"start": "2025-01-01T01:00:00Z", "price": 0.2},
    ]
    slots = parse_prices(PriceSource.GENERIC, items, tz=UTC)
    assert [s.import_price for s in slots] == [0.1, 0.2]


# --- malformed input -------------------------------------------------------------------

GOOD = {"start": "2025-01-01T00:00:00Z", "end": "2025-01-01T01:00:00Z", "price": -0.05}
JUNK: list[object] = [
    "2025-01-01T00:00:00Z",
    {"end": "2025-01-01T02:00:00Z", "price": 0.1},
    {"start": "yesterday", "price": 0.1},
    {"start": 1735689600, "price": 0.1},
    {"start": "2025-01-01T02:00:00Z", "price": True},
    {"start": "2025-01-01T02:00:00Z", "price": "cheap"},
    {"start": "2025-01-01T02:00:00Z", "price": {"amount": 1}},
    {"start": "2025-01-01T02:00:00Z", "end": "2025-01-01T01:00:00Z", "price": 0.1},
    {"start": "2025-01-01T02:00:00Z", "end": "later", "price": 0.1},
    {"start": "2025-01-01T02:00:00Z", "cost": 0.1},
]


def test_malformed_items_are_skipped() -> None:
    slots = parse_prices(PriceSource.GENERIC, {"prices": [*JUNK, GOOD]}, tz=UTC)
    assert slots == (PriceSlot(utc(2025, 1, 1), utc(2025, 1, 1, 1), -0.05),)


def test_missing_prices_are_skipped_but_time_the_neighbours() -> None:
    items = [
        {"start": "2025-01-01T00:00:00Z", "price": 0.1},
        {"start": "2025-01-01T01:00:00Z", "price": None},
        {"start": "2025-01-01T02:00:00Z", "price": math.nan},
        {"start": "2025-01-01T03:00:00Z", "price": "inf"},
        {"start": "2025-01-01T04:00:00Z", "price": 0.4},
    ]
    slots = parse_prices(PriceSource.GENERIC, items, tz=UTC)
    assert [(s.start, s.end) for s in slots] == [
        (utc(2025, 1, 1, 0), utc(2025, 1, 1, 1)),
        (utc(2025, 1, 1, 4), utc(2025, 1, 1, 5)),
    ]


@pytest.mark.parametrize(
    ("source", "data", "reason"),
    [
        (PriceSource.GENERIC, {"prices": JUNK}, TariffReason.UNRECOGNISED),
        (PriceSource.NORDPOOL, {"raw_today": "unavailable"}, TariffReason.UNRECOGNISED),
        (PriceSource.NORDPOOL, {"today": [0.1, 0.2]}, TariffReason.UNRECOGNISED),
        (PriceSource.OCTOPUS, "2025-01-01T00:00:00+00:00", TariffReason.UNRECOGNISED),
        (
            PriceSource.GENERIC,
            {"prices": [{"start": "2025-01-01T00:00:00Z", "price": None}]},
            TariffReason.EMPTY,
        ),
        (PriceSource.OCTOPUS, {"rates": []}, TariffReason.EMPTY),
        (PriceSource.TIBBER, [], TariffReason.EMPTY),
    ],
)
def test_nothing_usable_raises(source: PriceSource, data: object, reason: TariffReason) -> None:
    with pytest.raises(TariffError) as err:
        parse_prices(source, data, tz=UTC)
    assert err.value.reason is reason
    assert isinstance(err.value, ValueError)


# --- units -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "source", "factor"),
    [
        ("EUR/kWh", PriceSource.GENERIC, 1.0),
        ("€/kWh", PriceSource.EPEX_SPOT, 1.0),
        ("£/kWh", PriceSource.EPEX_SPOT, 1.0),
        ("SEK/kWh", PriceSource.NORDPOOL, 1.0),
        ("kr/kWh", PriceSource.NORDPOOL, 1.0),
        ("GBP/kWh", PriceSource.OCTOPUS, 1.0),
        ("ct/kWh", PriceSource.GENERIC, 0.01),
        ("c/kWh", PriceSource.NORDPOOL, 0.01),
        ("Öre/kWh", PriceSource.NORDPOOL, 0.01),
        ("øre/kWh", PriceSource.ENERGI_DATA_SERVICE, 0.01),
        ("p/kWh", PriceSource.GENERIC, 0.01),
        ("pence/kWh", PriceSource.EPEX_SPOT, 0.01),
        ("EUR/MWh", PriceSource.ENTSOE, 0.001),
        ("€/MWh", PriceSource.GENERIC, 0.001),
        ("/MWh", PriceSource.GENERIC, 0.001),
        (" NOK / MWh ", PriceSource.NORDPOOL, 0.001),
        ("EUR/Wh", PriceSource.GENERIC, 1000.0),
        (None, PriceSource.NORDPOOL_CORE, 0.001),
        ("EUR/kWh", PriceSource.NORDPOOL_CORE, 0.001),  # per MWh by definition
        (None, PriceSource.GENERIC, 1.0),
        ("EUR", PriceSource.GENERIC, 1.0),
        ("EUR/m³", PriceSource.GENERIC, 1.0),
    ],
)
def test_price_factor(unit: str | None, source: PriceSource, factor: float) -> None:
    assert price_factor(unit, source) == pytest.approx(factor)


@pytest.mark.parametrize(
    ("unit", "currency"),
    [
        ("EUR/kWh", "EUR"),
        ("sek/MWh", "SEK"),
        ("€/kWh", "EUR"),
        ("ct/kWh", "EUR"),
        ("£/kWh", "GBP"),
        ("p/kWh", "GBP"),
        ("Öre/kWh", "SEK"),
        ("kr/kWh", None),
        ("øre/kWh", None),
        ("c/kWh", None),
        (None, None),
        ("", None),
    ],
)
def test_currency_of(unit: str | None, currency: str | None) -> None:
    assert currency_of(unit) == currency


# --- export prices -------------------------------------------------------------------


def test_with_export_takes_the_export_slot_covering_the_start() -> None:
    start = utc(2025, 6, 1, 10)
    imports = tuple(PriceSlot(start + k * Q, start + (k + 1) * Q, 0.3) for k in range(6))
    exports = (
        PriceSlot(start + HOUR, start + 2 * HOUR, 0.07),
        PriceSlot(start, start + HOUR, 0.05),
    )
    merged = with_export(imports, exports)
    assert [s.export_price for s in merged] == [0.05, 0.05, 0.05, 0.05, 0.07, 0.07]
    assert [s.import_price for s in merged] == [0.3] * 6
    gap = (PriceSlot(start + Q, start + 2 * Q, 0.05),)
    assert [s.export_price for s in with_export(imports[:3], gap)] == [None, 0.05, None]


# --- fixed price and time of use ------------------------------------------------------


def test_fixed_price_is_cut_at_full_hours() -> None:
    slots = fixed_price_slots(0.31, utc(2025, 1, 15, 14, 7), utc(2025, 1, 15, 17, 30))
    assert [(s.start, s.end) for s in slots] == [
        (utc(2025, 1, 15, 14, 7), utc(2025, 1, 15, 15)),
        (utc(2025, 1, 15, 15), utc(2025, 1, 15, 16)),
        (utc(2025, 1, 15, 16), utc(2025, 1, 15, 17)),
        (utc(2025, 1, 15, 17), utc(2025, 1, 15, 17, 30)),
    ]
    assert {s.import_price for s in slots} == {0.31}
    single = fixed_price_slots(0.31, utc(2025, 1, 15, 14, 7), utc(2025, 1, 15, 17, 30), slot=None)
    assert single == (PriceSlot(utc(2025, 1, 15, 14, 7), utc(2025, 1, 15, 17, 30), 0.31),)


NIGHT_DAY = [(time(22), 0.20), (time(6), 0.35)]


@pytest.mark.parametrize(
    ("day", "night_hours", "quarters"),
    [(SPRING, 5, 92), (AUTUMN, 7, 100), (date(2025, 6, 1), 6, 96)],
)
def test_time_of_use_over_dst_days(day: date, night_hours: int, quarters: int) -> None:
    start, end = local_day(day, BERLIN)
    periods = time_of_use_slots(NIGHT_DAY, start, end, BERLIN, slot=None)
    assert [(s.end - s.start, s.import_price) for s in periods] == [
        (timedelta(hours=night_hours), 0.20),
        (timedelta(hours=16), 0.35),
        (timedelta(hours=2), 0.20),
    ]
    assert periods[1].start == datetime.combine(day, time(6), BERLIN)
    slots = time_of_use_slots(NIGHT_DAY, start, end, BERLIN, slot=Q)
    assert len(slots) == quarters
    assert_tiles(slots, start, end)


def test_time_of_use_boundaries_inside_the_dst_hour() -> None:
    schedule = [(time(0), 0.30), (time(2, 30), 0.10), (time(6), 0.25)]
    spring = time_of_use_slots(schedule, *local_day(SPRING, BERLIN), BERLIN, slot=None)
    assert spring[1].start == utc(2025, 3, 30, 1)  # 02:30 does not exist: at the 03:00 jump
    autumn = time_of_use_slots(schedule, *local_day(AUTUMN, BERLIN), BERLIN, slot=None)
    assert autumn[1].start == utc(2025, 10, 26, 0, 30)  # first 02:30 (CEST)
    assert autumn[1].end - autumn[1].start == timedelta(hours=4, minutes=30)
    both_skipped = [(time(0), 0.30), (time(2, 15), 0.10), (time(2, 45), 0.15)]
    spring = time_of_use_slots(both_skipped, *local_day(SPRING, BERLIN), BERLIN, slot=None)
    assert [(s.start, s.import_price) for s in spring] == [
        (utc(2025, 3, 29, 23), 0.30),
        (utc(2025, 3, 30, 1), 0.15),  # the later of two skipped times holds
    ]


@pytest.mark.parametrize(
    "schedule",
    [
        [],
        [(time(6), 0.2), (time(6), 0.3)],
        [(time(6), math.nan)],
        [(time(6), True)],
        [("06:00", 0.2)],
    ],
)
def test_bad_schedules(schedule: list[tuple[time, float]]) -> None:
    with pytest.raises(TariffError) as err:
        time_of_use_slots(schedule, utc(2025, 1, 1), utc(2025, 1, 2), BERLIN)
    assert err.value.reason is TariffReason.BAD_SCHEDULE


@pytest.mark.parametrize("value", [math.inf, True])
def test_bad_fixed_price(value: float) -> None:
    with pytest.raises(TariffError) as err:
        fixed_price_slots(value, utc(2025, 1, 1), utc(2025, 1, 2))
    assert err.value.reason is TariffReason.BAD_SCHEDULE


@pytest.mark.parametrize(
    ("start", "end", "slot"),
    [
        (naive(2025, 1, 1), utc(2025, 1, 2), HOUR),
        (utc(2025, 1, 1), naive(2025, 1, 2), HOUR),
        (utc(2025, 1, 2), utc(2025, 1, 1), HOUR),
        (utc(2025, 1, 1), utc(2025, 1, 1), HOUR),
        (utc(2025, 1, 1), utc(2025, 1, 2), timedelta(0)),
    ],
)
def test_bad_windows(start: datetime, end: datetime, slot: timedelta) -> None:
    for build in (
        lambda: fixed_price_slots(0.2, start, end, slot=slot),
        lambda: time_of_use_slots(NIGHT_DAY, start, end, BERLIN, slot=slot),
    ):
        with pytest.raises(TariffError) as err:
            build()
        assert err.value.reason is TariffReason.BAD_WINDOW


# --- properties ------------------------------------------------------------------------

T0 = datetime(2025, 10, 25, 20, tzinfo=UTC)
OFFSETS = st.sampled_from([UTC, timezone(HOUR), timezone(2 * HOUR), timezone(-5 * HOUR), BERLIN])


@st.composite
def generic_items(draw: st.DrawFn) -> list[object]:
    items: list[object] = []
    for _ in range(draw(st.integers(0, 12))):
        start = T0 + timedelta(minutes=15 * draw(st.integers(0, 40)))
        stamp = start.astimezone(draw(OFFSETS))
        item: dict[str, object] = {
            "start": stamp.isoformat() if draw(st.booleans()) else stamp,
            "price": draw(st.none() | st.floats(-1, 1) | st.sampled_from([math.nan, "0.1"])),
        }
        if draw(st.booleans()):
            item["end"] = (start + timedelta(minutes=15 * draw(st.integers(-1, 8)))).isoformat()
        items.append(item)
    return items


@given(generic_items())
def test_parsed_prices_are_sorted_aware_and_disjoint(items: list[object]) -> None:
    outcome: tuple[PriceSlot, ...] | TariffReason
    try:
        outcome = parse_prices(PriceSource.GENERIC, {"prices": items}, tz=BERLIN)
    except TariffError as err:
        outcome = err.reason
    if isinstance(outcome, TariffReason):
        assert outcome in (TariffReason.EMPTY, TariffReason.UNRECOGNISED)
        return
    slots = outcome
    assert all(s.start.utcoffset() == timedelta(0) and s.start < s.end for s in slots)
    assert all(a.end <= b.start for a, b in pairwise(slots))
    assert all(s.import_price is not None and math.isfinite(s.import_price) for s in slots)


SCHEDULE_TIMES = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@given(
    st.dictionaries(
        SCHEDULE_TIMES, st.sampled_from([0.1, 0.2, 0.3, -0.05]), min_size=1, max_size=5
    ),
    st.sampled_from([SPRING, AUTUMN]),
    st.integers(0, 40),
    st.integers(1, 80),
)
def test_time_of_use_follows_the_wall_clock(
    schedule: dict[time, float], day: date, skip: int, length: int
) -> None:
    start = local_day(day, BERLIN)[0] + skip * Q
    end = start + length * Q
    slots = time_of_use_slots(list(schedule.items()), start, end, BERLIN)
    assert_tiles(slots, start, end)
    assert all(s.end - s.start <= HOUR for s in slots)
    ordered = sorted(schedule)
    for slot in slots:
        wall = slot.start.astimezone(BERLIN)
        if wall.fold:  # the repeated hour: the price of its first pass holds
            continue
        current = max((at for at in ordered if at <= wall.time()), default=ordered[-1])
        assert slot.import_price == schedule[current]
