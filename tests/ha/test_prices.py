"""Prices and PV forecasts from other integrations reach the smart-mode plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.smart_charging.const import (
    CONF_EXPORT_PRICE,
    CONF_EXPORT_PRICE_ENTITY,
    CONF_PRICE,
    CONF_PRICE_SOURCE,
)
from custom_components.smart_charging.engine.plan_model import PriceSlot
from custom_components.smart_charging.prices import PriceFeed, hourly_profile
from tests.drivers.ocpp_helpers import ClientFactory

from .conftest import PRICE
from .test_smart import smart_charger

PLAN = "sensor.acme_wallbox_11_cp1_plan"
EXPORT = "sensor.feed_in"
OCTOPUS = "event.octopus_energy_electricity_1_2_current_day_rates"
OCTOPUS_NEXT_DAY = "event.octopus_energy_electricity_1_2_next_day_rates"
SOLCAST = "sensor.solcast_forecast_today"
HIGH, LOW = 0.30, 0.05


@pytest.fixture(autouse=True)
def _fixed_time(freezer: FrozenDateTimeFactory) -> None:
    """The plans here start 40 min into an hour: the slot running now is a third of one.

    Only a frozen clock makes them repeatable: a re-plan keeps the running slot's power
    only for a charger whose planned charging started before the re-plan.
    """
    freezer.move_to(datetime(2026, 3, 10, 17, 40, tzinfo=UTC))


def _hour(offset: int = 0) -> datetime:
    """A full local hour relative to now (the plan's slots are relative to it too)."""
    return dt_util.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=offset)


def nordpool(cheap: set[int], hours: int = 12) -> dict[str, Any]:
    """Nord Pool (HACS) attributes: hourly prices from this hour on, ``cheap`` offsets low."""
    raw = [
        {"start": _hour(i), "end": _hour(i + 1), "value": LOW if i in cheap else HIGH}
        for i in range(hours)
    ]
    return {
        "unit_of_measurement": "EUR/kWh",
        "currency": "EUR",
        "raw_today": raw,
        "raw_tomorrow": [],
    }


async def _smart_charger(
    hass: HomeAssistant,
    site: MockConfigEntry,
    clients: ClientFactory,
    options: dict[str, Any],
    *,
    energy_kwh: float = 14.0,
) -> MockConfigEntry:
    """A site with a price entity and ``options``; a plugged-in car that wants energy."""
    hass.config_entries.async_update_entry(
        site, data={**site.data, CONF_PRICE: PRICE}, options={**site.options, **options}
    )
    entry = await smart_charger(hass, site, clients, energy_kwh=energy_kwh, ready_by=_hour(12))
    await site.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    return entry


def _charging_hours(hass: HomeAssistant) -> set[int]:
    """Offsets (hours from this hour) of the plan's charging intervals."""
    state = hass.states.get(PLAN)
    assert state is not None
    base = _hour().astimezone(UTC)
    hours: set[int] = set()
    for entry in state.attributes["schedule"]:
        if entry["kw"] <= 0:
            continue
        start = datetime.fromisoformat(entry["start"])
        end = datetime.fromisoformat(entry["end"])
        first = int((start - base).total_seconds() // 3600)
        last = int(((end - base).total_seconds() - 1) // 3600)
        hours.update(range(first, last + 1))
    return hours


def _issues(hass: HomeAssistant) -> list[ir.IssueEntry]:
    registry = ir.async_get(hass)
    return [i for i in registry.issues.values() if i.translation_key.startswith("price_data_")]


@pytest.mark.usefixtures("site_inputs")
async def test_plan_follows_the_cheapest_slots_of_a_price_entity(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """Nord Pool attributes are detected; new prices move the plan to the new cheap hours."""
    hass.states.async_set(PRICE, str(HIGH), nordpool({5, 6}))
    await _smart_charger(hass, site_entry, clients, {})
    assert _charging_hours(hass) == {5, 6}
    plan = site_entry.runtime_data.coordinator.smart.plan
    assert plan is not None
    assert plan.price_mode == "known"

    # The price integration publishes new prices: the plan moves without any other input.
    hass.states.async_set(PRICE, str(HIGH), nordpool({8, 9}))
    await hass.async_block_till_done()
    assert _charging_hours(hass) == {8, 9}
    assert not _issues(hass)


@pytest.mark.usefixtures("site_inputs")
async def test_the_plan_reads_prices_a_week_ahead_at_most(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """A list of ten days' prices: the planner's work stays bounded by its seven days."""
    hass.states.async_set(PRICE, str(HIGH), nordpool({5, 6}, hours=240))
    await _smart_charger(hass, site_entry, clients, {})
    plan = site_entry.runtime_data.coordinator.smart.plan
    assert plan is not None
    assert max(slot.end for slot in plan.slots) <= _hour(7 * 24 + 1)
    assert _charging_hours(hass) == {5, 6}


@pytest.mark.usefixtures("site_inputs")
async def test_prices_in_another_currency_are_not_used(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """A price list in SEK while Home Assistant counts in EUR: a repair, readiness plan.

    The price limit and the session costs are in Home Assistant's currency; comparing
    them with prices in another one would be wrong.
    """
    assert hass.config.currency == "EUR"
    hass.states.async_set(PRICE, str(HIGH), {**nordpool({5, 6}), "unit_of_measurement": "SEK/kWh"})
    await _smart_charger(hass, site_entry, clients, {})
    plan = site_entry.runtime_data.coordinator.smart.plan
    assert plan is not None
    assert plan.price_mode == "none"
    (issue,) = _issues(hass)
    assert issue.translation_key == "price_data_other_currency"
    assert issue.translation_placeholders == {"source": PRICE, "reason": "other_currency"}
    hass.states.async_set(PRICE, str(HIGH), nordpool({5, 6}))  # back in EUR
    await hass.async_block_till_done()
    assert not _issues(hass)
    assert _charging_hours(hass) == {5, 6}  # at the same instant: nothing had started


@pytest.mark.usefixtures("site_inputs")
async def test_unrecognised_price_data_raises_a_repair_and_falls_back(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    clients: ClientFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An entity chosen as the source without a known price list: repair, readiness plan."""
    hass.states.async_set(PRICE, "0.25", {"unit_of_measurement": "EUR/kWh", "rates": "soon"})
    await _smart_charger(hass, site_entry, clients, {"price_source": "entity"})
    plan = site_entry.runtime_data.coordinator.smart.plan
    assert plan is not None
    assert plan.price_mode == "none"
    assert 0 in _charging_hours(hass)  # readiness first: it charges now
    (issue,) = _issues(hass)
    assert issue.translation_key == "price_data_unrecognised"
    assert issue.translation_placeholders == {"source": PRICE, "reason": "unrecognised"}
    assert issue.severity is ir.IssueSeverity.WARNING

    freezer.tick(timedelta(minutes=1))
    hass.states.async_set(PRICE, str(HIGH), nordpool({5, 6}))
    await hass.async_block_till_done()
    assert not _issues(hass)
    # The charging that started a minute ago keeps its power to the end of this hour;
    # the rest moves to the cheap hours.
    assert _charging_hours(hass) == {0, 5, 6}


@pytest.mark.usefixtures("site_inputs")
async def test_a_plain_price_sensor_is_not_a_problem(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """Without a chosen source, a sensor with only the current price is used for costs only."""
    await _smart_charger(hass, site_entry, clients, {})
    plan = site_entry.runtime_data.coordinator.smart.plan
    assert plan is not None
    assert plan.price_mode == "none"
    assert not _issues(hass)


def _register(
    hass: HomeAssistant,
    domain: str,
    service: str,
    respond: Callable[[ServiceCall], Any],
    schema: vol.Schema,
) -> list[ServiceCall]:
    """A stand-in for another integration's price action: its schema, its answer's shape."""
    calls: list[ServiceCall] = []

    async def handler(call: ServiceCall) -> Any:
        calls.append(call)
        return respond(call)

    hass.services.async_register(
        domain, service, handler, schema=schema, supports_response=SupportsResponse.ONLY
    )
    return calls


# The actions' schemas as Home Assistant declares them (nordpool/services.py and
# tibber/services.py): Nord Pool takes its areas as one of its area codes.
NORDPOOL_SCHEMA = vol.Schema(
    {
        vol.Required("config_entry"): str,
        vol.Required("date"): cv.date,
        vol.Optional("areas"): vol.All(vol.In(["SE3", "SE4", "FI"]), cv.ensure_list, [str]),
        vol.Optional("currency"): vol.All(cv.string, vol.In(["EUR", "SEK", "NOK", "DKK"])),
    }
)
TIBBER_SCHEMA = vol.Schema({vol.Optional("start"): str, vol.Optional("end"): str})


@pytest.mark.usefixtures("site_inputs")
async def test_nord_pool_action_prices_per_mwh(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """Core Nord Pool: an action per day, per MWh; tomorrow not yet published is fine."""
    today = dt_util.now().date()

    def respond(call: ServiceCall) -> dict[str, Any]:
        if call.data["date"] != today:
            raise ServiceValidationError("empty response")
        return {
            "SE3": [
                {
                    "start": _hour(i).astimezone(UTC).isoformat(),
                    "end": _hour(i + 1).astimezone(UTC).isoformat(),
                    "price": (LOW if i in (3, 4) else HIGH) * 1000,
                }
                for i in range(-2, 12)
            ]
        }

    calls = _register(hass, "nordpool", "get_prices_for_date", respond, NORDPOOL_SCHEMA)
    options = {"price_source": "nordpool_core", "price_config_entry": "np", "price_area": "se3"}
    await _smart_charger(hass, site_entry, clients, options)
    await hass.async_block_till_done()
    assert calls[0].data == {
        "config_entry": "np",
        "date": today,
        "areas": ["SE3"],
        "currency": "EUR",
    }
    assert _charging_hours(hass) == {3, 4}
    plan = site_entry.runtime_data.coordinator.smart.plan
    assert plan is not None
    assert {slot.price for slot in plan.slots} >= {LOW, HIGH}  # converted to EUR/kWh
    assert not _issues(hass)


@pytest.mark.usefixtures("site_inputs")
async def test_tibber_action_prices(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """Core Tibber: today's and tomorrow's prices; a failing action raises the repair."""
    failing = {"on": False}
    # Tibber holds today's prices and, from the afternoon, tomorrow's; the action gives
    # those from ``start`` (default: today's midnight) to ``end`` (default: a day later).
    held = [
        {
            "start_time": (dt_util.start_of_local_day() + timedelta(hours=i)).isoformat(),
            "price": LOW if i in (7 + dt_util.now().hour, 8 + dt_util.now().hour) else HIGH,
            "level": "NORMAL",
        }
        for i in range(48)
    ]

    def respond(call: ServiceCall) -> dict[str, Any]:
        if failing["on"]:
            raise ServiceValidationError("no connection")
        start = datetime.fromisoformat(call.data.get("start", held[0]["start_time"]))
        end = datetime.fromisoformat(call.data.get("end", held[24]["start_time"]))
        return {
            "prices": {
                "Home": [p for p in held if start <= datetime.fromisoformat(p["start_time"]) < end]
            }
        }

    _register(hass, "tibber", "get_prices", respond, TIBBER_SCHEMA)
    await _smart_charger(hass, site_entry, clients, {"price_source": "tibber"})
    await hass.async_block_till_done()
    assert _charging_hours(hass) == {7, 8}
    coordinator = site_entry.runtime_data.coordinator
    slots = coordinator.prices.prices(dt_util.utcnow())
    assert slots[-1].end == dt_util.start_of_local_day() + timedelta(days=2)  # tomorrow too

    failing["on"] = True
    coordinator.prices._fetched_at = None  # the hourly refresh is due
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    await coordinator.async_refresh()
    (issue,) = _issues(hass)
    assert issue.translation_key == "price_data_unavailable"
    assert issue.translation_placeholders == {"source": "tibber", "reason": "unavailable"}
    assert _charging_hours(hass) == {7, 8}  # the last prices still hold


@pytest.mark.usefixtures("site_inputs")
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"price_source": "fixed", "fixed_price": 0.3}, {0.3}),
        ({"price_source": "time_of_use", "tou_schedule": "00:00=0.2; 12:00=0.4"}, {0.2, 0.4}),
    ],
)
async def test_fixed_and_time_of_use_prices(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    clients: ClientFactory,
    options: dict[str, Any],
    expected: set[float],
) -> None:
    """Prices entered in the UI give a priced plan (time of use over two days)."""
    await _smart_charger(hass, site_entry, clients, options)
    plan = site_entry.runtime_data.coordinator.smart.plan
    assert plan is not None
    assert plan.price_mode == "known"
    assert {slot.price for slot in plan.slots if slot.price_known} == expected


@pytest.mark.usefixtures("site_inputs")
async def test_export_price_values_solar(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """A fixed feed-in price fills slots the feed-in entity does not cover."""
    hass.states.async_set(PRICE, str(HIGH), nordpool({5, 6}))
    export = nordpool(set(), hours=2) | {"raw_today": nordpool(set(), 2)["raw_today"]}
    for item in export["raw_today"]:
        item["value"] = 0.12
    hass.states.async_set(EXPORT, "0.12", export)
    options = {"export_price": 0.08, "export_price_entity": EXPORT}
    await _smart_charger(hass, site_entry, clients, options)
    plan = site_entry.runtime_data.coordinator.smart.plan
    assert plan is not None
    exports = [slot.export_price for slot in plan.slots if slot.price_known]
    assert exports[:2] == [0.12, 0.12]
    assert set(exports[2:]) == {0.08}


def _solcast(peak_kw: float) -> dict[str, Any]:
    """Solcast attributes: 30-minute periods of average kW, from this hour on."""
    periods = [
        {"period_start": _hour() + timedelta(minutes=30 * i), "pv_estimate": peak_kw}
        for i in range(24)
    ]
    return {"unit_of_measurement": "kWh", "detailedForecast": periods}


@pytest.mark.usefixtures("site_inputs")
async def test_solcast_forecast_becomes_surplus(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """The forecast less the house load is the plan's PV per slot."""
    hass.states.async_set(SOLCAST, "20", _solcast(3.0))
    options = {"pv_forecast": "solcast", "solcast_entities": [SOLCAST], "house_load": 1000}
    await _smart_charger(hass, site_entry, clients, options)
    plan = site_entry.runtime_data.coordinator.smart.plan
    assert plan is not None
    future = [slot for slot in plan.slots if slot.start >= _hour(1)]
    # 3 kW forecast - 1 kW house load, times the planner's safety factor 0.8.
    assert {round(slot.pv_kw, 3) for slot in future[:8]} == {1.6}


@pytest.mark.usefixtures("site_inputs")
async def test_forecast_solar_through_the_energy_platform(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """Forecast.Solar's energy-platform forecast (Wh per period ending at its key)."""
    wh = {_hour(i).astimezone(UTC).isoformat(): 2000 for i in range(1, 13)}
    with patch(
        "custom_components.smart_charging.prices.solar_forecast",
        return_value={"wh_hours": wh},
    ) as fetch:
        options = {"pv_forecast": "forecast_solar", "forecast_solar_entry": "fs", "house_load": 0}
        await _smart_charger(hass, site_entry, clients, options)
        await hass.async_block_till_done()
        await site_entry.runtime_data.coordinator.async_refresh()
    assert fetch.call_args.args[1] == "fs"
    plan = site_entry.runtime_data.coordinator.smart.plan
    assert plan is not None
    window = [slot for slot in plan.slots if _hour(1) <= slot.start < _hour(11)]
    assert window
    assert {round(slot.pv_kw, 3) for slot in window} == {1.6}  # 2 kWh/h * 0.8


def test_hourly_profile_means_per_local_hour() -> None:
    """Recorder rows (epoch or datetime starts) average per local hour; gaps are skipped."""
    first = dt_util.start_of_local_day()
    rows = [
        {"start": first.timestamp(), "mean": 400.0},
        {"start": first + timedelta(days=1), "mean": 600.0},
        {"start": first + timedelta(hours=18), "mean": 2000.0},
        {"start": first + timedelta(hours=19), "mean": None},
    ]
    assert hourly_profile(rows) == {0: 500.0, 18: 2000.0}


@pytest.mark.usefixtures("site_inputs")
async def test_price_options_are_validated(
    hass: HomeAssistant, site_entry: MockConfigEntry
) -> None:
    """Each source asks for what it needs; the forecast's entities must exist."""
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()

    async def open_step(step: str) -> dict[str, Any]:
        result = await hass.config_entries.options.async_init(site_entry.entry_id)
        return dict(
            await hass.config_entries.options.async_configure(
                result["flow_id"], {"next_step_id": step}
            )
        )

    MockConfigEntry(domain="nordpool", entry_id="np", data={"areas": ["SE3"]}).add_to_hass(hass)
    result = await open_step("prices")
    for form, errors in (
        ({"price_source": "entity"}, {"price_source": "no_price_entity"}),
        (
            {"price_source": "nordpool_core"},
            {"price_config_entry": "required_for_source", "price_area": "required_for_source"},
        ),
        (
            {"price_source": "nordpool_core", "price_config_entry": "np", "price_area": "SE4"},
            {"price_area": "area_not_in_entry"},
        ),
        ({"price_source": "tibber"}, {"price_source": "integration_missing"}),
        (
            {"price_source": "entity", "price_list_entity": "event.nope"},
            {"price_list_entity": "entity_not_found"},
        ),
        ({"price_source": "fixed"}, {"fixed_price": "required_for_source"}),
        (
            {"price_source": "time_of_use", "tou_schedule": "7=0.3"},
            {"tou_schedule": "schedule_invalid"},
        ),
        (
            {"price_source": "time_of_use", "tou_schedule": "07:00=0.3; 07:00=0.2"},
            {"tou_schedule": "schedule_invalid"},
        ),
        (
            {"price_source": "none", "export_price_entity": "sensor.nope"},
            {"export_price_entity": "entity_not_found"},
        ),
    ):
        result = dict(await hass.config_entries.options.async_configure(result["flow_id"], form))
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors, form
    result = dict(
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {"price_source": "time_of_use", "tou_schedule": "22:00=0.2; 06:00=0.35"},
        )
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert site_entry.options["tou_schedule"] == "22:00=0.2; 06:00=0.35"

    result = await open_step("forecast")
    for form, errors in (
        ({"pv_forecast": "forecast_solar"}, {"forecast_solar_entry": "required_for_source"}),
        ({"pv_forecast": "solcast"}, {"solcast_entities": "required_for_source"}),
        (
            {"pv_forecast": "solcast", "solcast_entities": ["sensor.nope"]},
            {"solcast_entities": "entity_not_found"},
        ),
        (
            {"pv_forecast": "none", "house_load_entity": "sensor.nope"},
            {"house_load_entity": "entity_not_found"},
        ),
    ):
        result = dict(
            await hass.config_entries.options.async_configure(
                result["flow_id"], {"house_load": 500, **form}
            )
        )
        assert result["errors"] == errors, form
    hass.states.async_set(SOLCAST, "20", _solcast(1.0))
    result = dict(
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {"pv_forecast": "solcast", "solcast_entities": [SOLCAST], "house_load": 750.0},
        )
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert site_entry.options["house_load"] == 750
    assert site_entry.options["tou_schedule"] == "22:00=0.2; 06:00=0.35"  # the other group kept


@pytest.mark.usefixtures("site_inputs")
async def test_forecast_solar_not_installed_or_not_loaded(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """An entry that is not loaded yet is asked again; a missing library is a repair."""
    options = {"pv_forecast": "forecast_solar", "forecast_solar_entry": "fs"}
    with patch("custom_components.smart_charging.prices.solar_forecast", return_value=None):
        await _smart_charger(hass, site_entry, clients, options)
        await hass.async_block_till_done()
    feed = site_entry.runtime_data.coordinator.prices
    assert feed._forecast_at is None  # not loaded: due again on the next cycle
    assert feed.pv_forecast() == ()
    await site_entry.runtime_data.coordinator.async_refresh()  # the real import fails here
    await hass.async_block_till_done()
    await site_entry.runtime_data.coordinator.async_refresh()
    (issue,) = _issues(hass)
    assert issue.translation_placeholders == {"source": "Forecast.Solar", "reason": "unavailable"}


@pytest.mark.usefixtures("site_inputs")
async def test_broken_solcast_attributes_raise_a_repair(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """Solcast periods that cannot be read name the entity in a repair issue."""
    hass.states.async_set(SOLCAST, "20", {"detailedForecast": [{"period_start": "x"}]})
    options = {"pv_forecast": "solcast", "solcast_entities": [SOLCAST]}
    await _smart_charger(hass, site_entry, clients, options)
    (issue,) = _issues(hass)
    assert issue.translation_placeholders["source"] == SOLCAST


async def test_nord_pool_needs_a_currency_it_quotes(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """Home Assistant counting in pounds: the form says so; a stored choice raises a repair."""
    hass.config.currency = "GBP"
    result = await hass.config_entries.options.async_init(site_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "prices"}
    )
    form = {"price_source": "nordpool_core", "price_config_entry": "np", "price_area": "SE3"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    assert result["errors"] == {"price_source": "currency_not_quoted"}

    calls = _register(hass, "nordpool", "get_prices_for_date", lambda _c: {}, NORDPOOL_SCHEMA)
    await _smart_charger(hass, site_entry, clients, form)
    await hass.async_block_till_done()
    await site_entry.runtime_data.coordinator.async_refresh()
    assert not calls  # not asked for prices it cannot give in pounds
    (issue,) = _issues(hass)
    assert issue.translation_key == "price_data_other_currency"


def test_tomorrows_prices_are_asked_for_from_noon() -> None:
    """Hourly refreshes; every 15 minutes from noon while tomorrow is missing."""
    morning = dt_util.start_of_local_day() + timedelta(hours=9)
    afternoon = morning + timedelta(hours=5)
    today_only = (
        PriceSlot(afternoon - timedelta(hours=1), dt_util.start_of_local_day() + timedelta(days=1)),
    )
    with_tomorrow = (PriceSlot(afternoon, afternoon + timedelta(days=1)),)
    assert PriceFeed._has_tomorrow(today_only, morning)
    assert not PriceFeed._has_tomorrow(today_only, afternoon)
    assert PriceFeed._has_tomorrow(with_tomorrow, afternoon)
    assert PriceFeed._due(None, afternoon, complete=True)
    assert not PriceFeed._due(afternoon, afternoon + timedelta(minutes=30), complete=True)
    assert PriceFeed._due(afternoon, afternoon + timedelta(minutes=15), complete=False)


@pytest.mark.usefixtures("site_inputs")
async def test_octopus_rates_event_as_the_price_list(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """An Octopus Energy rates event (state: when it fired) carries the half-hour rates."""
    rates = [
        {
            "start": (_hour() + timedelta(minutes=30 * i)).isoformat(),
            "end": (_hour() + timedelta(minutes=30 * (i + 1))).isoformat(),
            "value_inc_vat": 0.07 if 10 <= i < 14 else 0.28,
            "is_capped": False,
        }
        for i in range(24)
    ]
    hass.states.async_set(OCTOPUS, dt_util.utcnow().isoformat(), {"rates": rates[:20]})
    options = {"price_source": "entity", "price_list_entity": OCTOPUS}
    await _smart_charger(hass, site_entry, clients, options)
    assert _charging_hours(hass) == {5, 6}  # half hours 10..13
    assert not _issues(hass)  # tomorrow's event has not fired yet: no problem

    # Tomorrow's rates arrive on their own event entity: the plan takes them in.
    cheaper = [{**rate, "value_inc_vat": 0.01} for rate in rates[20:]]
    hass.states.async_set(OCTOPUS_NEXT_DAY, dt_util.utcnow().isoformat(), {"rates": cheaper})
    await hass.async_block_till_done()
    feed = site_entry.runtime_data.coordinator.prices
    assert feed.prices(dt_util.utcnow())[-1].end == datetime.fromisoformat(rates[-1]["end"])
    assert _charging_hours(hass) == {10, 11}  # half hours 20..23

    # Tomorrow's event turns unusable: today's rates still count, and no repair.
    unusable = {"rates": cheaper, "unit_of_measurement": "SEK/kWh"}
    hass.states.async_set(OCTOPUS_NEXT_DAY, dt_util.utcnow().isoformat(), unusable)
    await site_entry.runtime_data.coordinator.async_refresh()  # (the clock stands still)
    assert feed.prices(dt_util.utcnow())[-1].end == datetime.fromisoformat(rates[19]["end"])
    assert _charging_hours(hass) == {5, 6}
    assert not _issues(hass)


def test_session_prices_come_from_the_series_unless_the_sensor_prices_them(
    hass: HomeAssistant,
) -> None:
    """Session costs take the current slot's prices; the entity source's sensor its own."""
    now = datetime(2025, 6, 2, 12, 30, tzinfo=UTC)
    half = timedelta(minutes=30)
    slots = (
        PriceSlot(now - half, now + half, 0.20, 0.05),
        PriceSlot(now + half, now + 3 * half, 0.40, None),
    )
    tou = PriceFeed(hass, {CONF_PRICE_SOURCE: "time_of_use"}, None, lambda: None)
    assert tou.prices_sessions
    assert tou.session_prices(slots, now) == (0.20, 0.05)
    assert tou.session_prices(slots, now + 2 * half) == (0.40, None)
    entity = PriceFeed(hass, {CONF_EXPORT_PRICE: 0.06}, PRICE, lambda: None)
    assert not entity.prices_sessions
    assert entity.session_prices(slots, now) == (None, 0.05)  # the slot's feed-in first
    assert entity.session_prices(slots, now + 2 * half) == (None, 0.06)
    assert entity.session_prices((), now) == (None, 0.06)
    # Nord Pool's market price lacks VAT and fees: it plans, but does not price sessions.
    nord_pool = PriceFeed(hass, {CONF_PRICE_SOURCE: "nordpool_core"}, None, lambda: None)
    assert not nord_pool.prices_sessions
    assert nord_pool.session_prices(slots, now) == (None, 0.05)
    # A plain feed-in sensor (no list) gives the current feed-in price, in minor units too.
    hass.states.async_set(EXPORT, "7.5", {"unit_of_measurement": "ct/kWh"})
    plain = PriceFeed(
        hass, {CONF_EXPORT_PRICE_ENTITY: EXPORT, CONF_EXPORT_PRICE: 0.06}, PRICE, lambda: None
    )
    assert plain.session_prices((), now) == (None, pytest.approx(0.075))
    hass.states.async_set(EXPORT, "unavailable")
    assert plain.session_prices((), now) == (None, 0.06)  # then the fixed one
