"""Session outcomes: energy, cost, solar share, saving, lifetime energy, and restarts."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import AsyncMock, PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.smart_charging.charger_settings import storage_key
from custom_components.smart_charging.const import (
    CONF_EXPORT_PRICE,
    CONF_FIXED_PRICE,
    CONF_PRICE,
    CONF_PRICE_SOURCE,
)
from custom_components.smart_charging.coordinator import input_specs_from_entry
from custom_components.smart_charging.drivers.base import ChargerReading, ChargerStatus
from custom_components.smart_charging.drivers.ocpp import OcppCharger
from custom_components.smart_charging.inputs import price_per_kwh, read_price
from custom_components.smart_charging.session import Sample, SessionAccount, surplus_share_w

from .conftest import GRID, PRICE, set_power
from .test_ocpp import charger_entry

T0 = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # on a quarter hour
FULL_W = 11_000.0
CHARGING = ChargerStatus.CHARGING

SENSOR = "sensor.acme_wallbox_11_cp1_{}"
SESSION_ENERGY = SENSOR.format("session_energy")
SESSION_COST = SENSOR.format("session_cost")
PV_SHARE = SENSOR.format("session_solar_share")
SAVING = SENSOR.format("session_saving")
LIFETIME = SENSOR.format("lifetime_energy")
ENERGY = SENSOR.format("energy")


def sample(minutes: float, status: ChargerStatus = CHARGING, **values: Any) -> Sample:
    """A cycle ``minutes`` after T0."""
    values.setdefault("full_power_w", FULL_W)
    return Sample(at=T0 + timedelta(minutes=minutes), status=status, **values)


def run(*samples: Sample) -> SessionAccount:
    """An account fed with ``samples``, after a plug-in at T0."""
    account = SessionAccount()
    account.update(sample(0, ChargerStatus.AVAILABLE))
    for item in samples:
        account.update(item)
    return account


def every_minute(
    start: float, end: float, **values: Any
) -> list[Sample]:  # cycles at start, start+1, … end-1
    return [sample(minute, **values) for minute in range(int(start), int(end))]


# -- the accounting, as plain tables ---------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        # The charger's session counter wins over the register and the power.
        ({"session_kwh": 1.0, "energy_kwh": 100.0}, {"session_kwh": 1.5, "energy_kwh": 109.0}, 0.5),
        ({"energy_kwh": 100.0, "power_w": 6000.0}, {"energy_kwh": 100.2}, 0.2),
        ({"power_w": 6000.0}, {}, 0.1),  # 6 kW for a minute
        ({"session_kwh": 3.0}, {"session_kwh": 0.25}, 0.25),  # counts from 0 again
        ({"session_kwh": 0.5740000000000001}, {"session_kwh": 0.574}, 0.0),  # rounding
        ({"energy_kwh": 100.0}, {"energy_kwh": 5.0}, 0.0),  # a new register: nothing known
        ({}, {}, 0.0),
    ],
)
def test_energy_comes_from_the_best_source(
    first: dict[str, Any], second: dict[str, Any], expected: float
) -> None:
    """Counter deltas first, then the register, then power by time."""
    account = run(sample(1, **first), sample(2, **second))
    assert account.energy_kwh == pytest.approx(expected)
    assert account.lifetime_kwh == pytest.approx(expected)


def test_a_session_runs_from_plug_in_to_unplug() -> None:
    """Offline keeps a session; available ends it; its figures stay until the next."""
    account = SessionAccount()
    account.update(sample(0, ChargerStatus.AVAILABLE, power_w=0.0))
    assert account.started is None
    account.update(sample(1, ChargerStatus.PREPARING, power_w=6000.0))
    assert account.active
    assert account.started == T0 + timedelta(minutes=1)
    account.update(sample(2, ChargerStatus.OFFLINE))  # counted: 6 kW held for a minute
    account.update(sample(3, CHARGING, power_w=6000.0))
    assert account.active
    account.update(sample(4, ChargerStatus.AVAILABLE))
    assert not account.active
    assert account.ended == T0 + timedelta(minutes=4)
    assert account.energy_kwh == pytest.approx(0.2)
    account.update(sample(10, ChargerStatus.AVAILABLE, power_w=5000.0))
    assert account.energy_kwh == pytest.approx(0.2)  # nothing counted without a car
    account.update(sample(11, ChargerStatus.PREPARING, power_w=3000.0))
    account.update(sample(12, CHARGING))
    assert account.started == T0 + timedelta(minutes=11)
    assert account.energy_kwh == pytest.approx(0.05)
    assert account.lifetime_kwh == pytest.approx(0.25)


def test_a_new_transaction_is_a_new_session() -> None:
    """An OCPP transaction id that changes while plugged in starts a new session."""
    account = run(
        sample(1, transaction_id=None, power_w=6000.0),
        sample(2, transaction_id=7, power_w=6000.0),
        sample(3, transaction_id=7, power_w=6000.0),
    )
    assert (account.started, account.transaction_id) == (T0 + timedelta(minutes=1), 7)
    account.update(sample(4, transaction_id=8))
    assert (account.started, account.transaction_id) == (T0 + timedelta(minutes=4), 8)
    assert account.energy_kwh == 0


def test_solar_share_and_cost() -> None:
    """6 kW for an hour with 4 kW of surplus at 0.30/kWh: two thirds solar, 2 kWh paid."""
    account = run(*every_minute(1, 62, power_w=6000.0, surplus_w=4000.0, price=0.30))
    assert account.energy_kwh == pytest.approx(6.0)
    assert account.pv_energy_kwh == pytest.approx(4.0)
    assert account.pv_share_pct == pytest.approx(200 / 3)
    assert account.session_cost == pytest.approx(0.60)


def test_surplus_costs_the_feed_in_it_did_not_earn() -> None:
    """With a feed-in price the solar part is not free: 4 kWh at 0.08 add 0.32."""
    account = run(
        *every_minute(1, 62, power_w=6000.0, surplus_w=4000.0, price=0.30, export_price=0.08)
    )
    assert account.pv_cost == pytest.approx(0.32)
    assert account.session_cost == pytest.approx(0.60 + 0.32)
    negative = run(*every_minute(1, 62, power_w=6000.0, surplus_w=6000.0, export_price=-0.05))
    assert negative.session_cost == pytest.approx(-0.30)  # exporting would have cost money


def test_a_missing_feed_in_price_holds_the_last_one() -> None:
    """Like the import price, a feed-in price that drops out holds within the session."""
    account = run(
        sample(1, power_w=6000.0, surplus_w=6000.0, export_price=0.10),
        sample(2, power_w=6000.0, surplus_w=6000.0),
        sample(3, power_w=6000.0, surplus_w=6000.0, export_price=0.20),
        sample(4),
    )
    assert account.pv_cost == pytest.approx(0.1 * 0.10 * 2 + 0.1 * 0.20)


def test_a_missing_price_holds_the_last_one() -> None:
    """Prices are steps: a sensor that drops out keeps the last price in the session."""
    account = run(
        sample(1, power_w=6000.0, price=0.30),
        sample(2, power_w=6000.0, price=None),
        sample(3, power_w=6000.0, price=0.10),
        sample(4),
    )
    assert account.session_cost == pytest.approx(0.1 * 0.30 + 0.1 * 0.30 + 0.1 * 0.10)


def test_without_any_price_the_cost_is_unknown() -> None:
    """Grid energy that never had a price leaves the cost (and the saving) unknown."""
    account = run(sample(1, power_w=6000.0), sample(2))
    assert account.unpriced_kwh == pytest.approx(0.1)
    assert account.session_cost is None
    assert account.saving is None
    solar = run(sample(1, power_w=6000.0, surplus_w=7000.0), sample(2))
    assert solar.session_cost == 0  # all surplus: nothing to pay, price or not


def test_gaps_are_counted_but_not_priced() -> None:
    """After Home Assistant was down the register delta counts, unpriced and not solar."""
    account = run(
        sample(1, energy_kwh=10.0, power_w=6000.0, surplus_w=9000.0, price=0.3),
        sample(31, energy_kwh=13.0, price=0.3),  # 30 minutes later
    )
    assert account.energy_kwh == pytest.approx(3.0)
    assert (account.pv_energy_kwh, account.unpriced_kwh) == (0, pytest.approx(3.0))
    assert account.session_cost is None
    powered = run(sample(1, power_w=6000.0, price=0.3), sample(31, power_w=6000.0))
    assert powered.energy_kwh == 0  # power is not integrated over a gap


def test_a_counter_catching_up_is_a_gap() -> None:
    """A register that jumps by more than the charger could deliver is not priced."""
    account = run(
        sample(1, energy_kwh=10.0, power_w=0.0, price=0.3),
        sample(2, energy_kwh=15.0, price=0.3),  # 5 kWh in a minute
    )
    assert account.energy_kwh == pytest.approx(5.0)
    assert account.unpriced_kwh == pytest.approx(5.0)


def test_a_register_that_steps_slower_than_the_cycles() -> None:
    """Cycles every second, a register stepping every 10 s: each step's energy was drawn
    over the whole span since the last one, at the span's prices and surplus."""
    power, account = 6900.0, SessionAccount()
    account.update(sample(0, ChargerStatus.AVAILABLE))
    register = 100.0
    for second in range(1, 122):
        if second % 10 == 1 and second > 1:
            register += power * 10 / 3_600_000
        price = 0.20 if second <= 61 else 0.40
        surplus = 2300.0 if second <= 61 else 0.0
        account.update(
            sample(
                second / 60,
                power_w=power,
                energy_kwh=register,
                price=price,
                surplus_w=surplus,
            )
        )
    energy = 12 * power * 10 / 3_600_000  # 12 steps of 10 s
    assert account.energy_kwh == pytest.approx(energy)
    assert account.unpriced_kwh == 0
    # The first minute: a third from surplus, the rest at 0.20; the second at 0.40.
    first, second = energy / 2, energy / 2
    assert account.pv_energy_kwh == pytest.approx(first / 3, rel=0.1)
    expected = first * 2 / 3 * 0.20 + second * 0.40
    assert account.session_cost == pytest.approx(expected, rel=0.05)


def test_a_still_register_while_idle_starts_no_span() -> None:
    """A register that does not move while the car draws nothing carries no old surplus."""
    account = run(
        sample(1, energy_kwh=10.0, power_w=0.0, surplus_w=9000.0, price=0.3),
        sample(31 / 2 + 1, energy_kwh=10.0, power_w=0.0, surplus_w=9000.0, price=0.3),
        sample(17, energy_kwh=10.0, power_w=6000.0, surplus_w=0.0, price=0.3),
        sample(18, energy_kwh=10.1, power_w=6000.0, price=0.3),
    )
    assert account.energy_kwh == pytest.approx(0.1)
    assert account.pv_energy_kwh == 0  # the surplus of the idle minutes is not this energy
    assert account.session_cost == pytest.approx(0.03)


def test_saving_against_charging_at_once() -> None:
    """Waiting two hours for a cheaper price saves the difference.

    Plugged in at 12:00 at 0.40/kWh, the price drops to 0.10 at 14:00; the car takes
    5.5 kW from 14:00 to 16:00 (11 kWh for 1.10). Charged at once at 11 kW it would have
    had those 11 kWh by 13:00 at 0.40: 4.40. Saving: 3.30.
    """
    account = run(
        *every_minute(0, 120, power_w=0.0, price=0.40),
        *[sample(m, power_w=5500.0, price=0.10) for m in range(120, 240)],
        sample(240, ChargerStatus.AVAILABLE),
    )
    assert account.energy_kwh == pytest.approx(11.0)
    assert account.session_cost == pytest.approx(1.10)
    assert account.immediate_cost == pytest.approx(4.40)
    assert account.saving == pytest.approx(3.30)


def test_saving_counts_the_surplus_both_ways() -> None:
    """Fast charging at once saves nothing, however much of it was solar."""
    account = run(
        *every_minute(0, 60, power_w=FULL_W, surplus_w=4000.0, site_surplus_w=4000.0, price=0.3)
    )
    assert account.saving == pytest.approx(0.0, abs=1e-9)
    assert account.pv_share_pct == pytest.approx(400 / 11)


def test_the_comparison_values_its_surplus_at_the_feed_in_price() -> None:
    """Charging at once from the same surplus gives up the same feed-in: no saving."""
    account = run(
        *every_minute(
            0,
            60,
            power_w=FULL_W,
            surplus_w=4000.0,
            site_surplus_w=4000.0,
            price=0.3,
            export_price=0.1,
        )
    )
    assert account.pv_cost == pytest.approx(0.4 * 59 / 60)
    assert account.immediate_cost == pytest.approx(account.session_cost)
    assert account.saving == pytest.approx(0.0, abs=1e-9)


def test_saving_edge_cases() -> None:
    """More energy than full power allows costs the last price; no price: no saving."""
    faster = run(*every_minute(0, 15, power_w=2 * FULL_W, price=0.2), sample(15, price=0.2))
    assert faster.immediate_cost == pytest.approx(faster.session_cost)
    all_solar = run(*every_minute(0, 30, power_w=6000.0, surplus_w=9000.0), sample(30))
    assert all_solar.session_cost == 0
    assert all_solar.saving is None  # charging at once would have needed unpriced grid energy


def test_the_comparison_keeps_at_most_a_week_of_bins() -> None:
    """A car left plugged in for weeks does not grow the stored session without bound."""
    with patch("custom_components.smart_charging.session.MAX_BINS", 2):
        account = run(*every_minute(0, 60, power_w=6000.0, price=0.3))
    assert len(account.bins) == 2
    assert account.energy_kwh == pytest.approx(5.9)


def test_the_account_survives_a_round_trip() -> None:
    """Everything the sensors show comes back from the stored form."""
    account = run(*every_minute(1, 40, power_w=6000.0, surplus_w=2000.0, price=0.3))
    restored = SessionAccount.from_dict(account.as_dict())
    restored.revision = account.revision
    assert restored == account
    priced = run(*every_minute(1, 40, power_w=6000.0, surplus_w=2000.0, export_price=0.1))
    assert SessionAccount.from_dict(priced.as_dict()).immediate_cost == priced.immediate_cost


@pytest.mark.parametrize(
    ("key", "value"), [("price", "junk"), ("export_price", float("nan")), ("power_w", [1])]
)
def test_a_damaged_stored_sample_fails_at_load(key: str, value: Any) -> None:
    """Junk in the store is refused when loading (the caller starts afresh), not later."""
    stored = run(*every_minute(1, 5, power_w=6000.0, price=0.3)).as_dict()
    stored["last"][key] = value
    with pytest.raises((TypeError, ValueError)):
        SessionAccount.from_dict(stored)


def test_an_account_stored_before_feed_in_prices_loads() -> None:
    """Stored sessions from before the feed-in price (no pv_cost, 5-field bins) still load."""
    stored = run(*every_minute(1, 40, power_w=6000.0, surplus_w=2000.0, price=0.3)).as_dict()
    stored.pop("pv_cost")
    stored["bins"] = [b[:5] for b in stored["bins"]]
    stored["last"].pop("export_price")
    restored = SessionAccount.from_dict(stored)
    assert restored.pv_cost == 0
    assert restored.session_cost == pytest.approx(stored["cost"])
    assert restored.bins[0].export_price == 0


@pytest.mark.parametrize(
    ("surplus", "power", "ev_power", "expected"),
    [
        (None, 6000.0, 6000.0, 0.0),
        (-500.0, 6000.0, 6000.0, 0.0),
        (4000.0, 6000.0, 6000.0, 4000.0),
        (4000.0, 3000.0, 12000.0, 1000.0),  # its pro-rata part
        (4000.0, 0.0, 0.0, 4000.0),
    ],
)
def test_surplus_share(
    surplus: float | None, power: float, ev_power: float, expected: float
) -> None:
    """A charger gets the surplus in proportion to what it draws."""
    assert surplus_share_w(surplus, power, ev_power) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "unit", "currency", "expected"),
    [
        (0.25, "EUR/kWh", "EUR", 0.25),
        (25.0, "ct/kWh", "EUR", 0.25),
        (250.0, "EUR/MWh", "EUR", 0.25),
        (0.00025, "€/Wh", "EUR", 0.25),
        (24.5, "p/kWh", "GBP", 0.245),
        (1.2, "SEK/kWh", "SEK", 1.2),
        (1.2, "SEK/kWh", "EUR", None),
        (0.25, "EUR", "EUR", None),
        (0.25, None, "EUR", None),
        (0.25, "EUR/m³", "EUR", None),
    ],
)
def test_price_units(value: float, unit: str | None, currency: str, expected: float | None) -> None:
    """Prices in minor units or per Wh/MWh become the currency per kWh; others are unknown."""
    result = price_per_kwh(value, unit, currency)
    assert result == (None if expected is None else pytest.approx(expected))


async def test_read_price(hass: HomeAssistant) -> None:
    """The price sensor is read from the state machine; unusable states give None."""
    specs = input_specs_from_entry({CONF_PRICE: PRICE})
    assert read_price(hass, specs, "EUR") is None  # no such entity
    for state, expected in (("unknown", None), ("nan", None), ("12.5", 0.125)):
        hass.states.async_set(PRICE, state, {"unit_of_measurement": "ct/kWh"})
        assert read_price(hass, specs, "EUR") == expected
    assert read_price(hass, (), "EUR") is None


# -- in Home Assistant -----------------------------------------------------------------------


@pytest.fixture
def priced_site(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> MockConfigEntry:
    """The test site with a price sensor in ct/kWh."""
    hass.states.async_set(PRICE, "30", {"unit_of_measurement": "ct/kWh"})
    hass.config_entries.async_update_entry(site_entry, data={**site_entry.data, CONF_PRICE: PRICE})
    return site_entry


type Cycle = Callable[..., Awaitable[None]]


@pytest.fixture
async def drive(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> AsyncGenerator[Callable[[MockConfigEntry], Cycle]]:
    """Run control cycles with a scripted charger reading, one minute apart."""
    freezer.move_to(T0 - timedelta(minutes=2))  # the car plugs in at T0
    reading = PropertyMock(return_value=ChargerReading(status=ChargerStatus.AVAILABLE))
    with (
        patch.object(OcppCharger, "reading", reading),
        patch.object(OcppCharger, "async_apply", AsyncMock()),
    ):

        def bind(entry: MockConfigEntry) -> Cycle:
            async def cycle(grid_w: float = 0.0, **values: Any) -> None:
                freezer.tick(timedelta(minutes=1))
                set_power(hass, GRID, grid_w)  # fresh, so the surplus is known
                reading.return_value = ChargerReading(**values)
                await entry.runtime_data.site.coordinator.async_refresh()
                await hass.async_block_till_done()

            return cycle

        yield bind


async def _charge_for(cycle: Cycle, minutes: int) -> None:
    """6 kW with 2 kW imported: 4 kW of it is surplus."""
    for _ in range(minutes):
        await cycle(grid_w=2000.0, status=CHARGING, power_w=6000.0)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_session_sensors(
    hass: HomeAssistant,
    priced_site: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """A charger without an energy register, at a priced site, has every outcome sensor."""
    entry = charger_entry(hass)
    with (
        patch("custom_components.smart_charging.CHARGER_PLATFORMS", [Platform.SENSOR]),
        patch("custom_components.smart_charging.SITE_PLATFORMS", []),
        patch("custom_components.smart_charging.has_energy_register", return_value=False),
    ):
        assert await hass.config_entries.async_setup(priced_site.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_a_session_in_home_assistant(
    hass: HomeAssistant,
    priced_site: MockConfigEntry,
    drive: Callable[[MockConfigEntry], Cycle],
) -> None:
    """An hour at 6 kW, 4 kW of it surplus, at 30 ct/kWh; then the car leaves."""
    entry = charger_entry(hass)
    assert await hass.config_entries.async_setup(priced_site.entry_id)
    await hass.async_block_till_done()
    cycle = drive(entry)
    await cycle(status=ChargerStatus.AVAILABLE)
    assert hass.states.get(SESSION_ENERGY).state == "unknown"
    await cycle(grid_w=-4000.0, status=ChargerStatus.PREPARING)
    await _charge_for(cycle, 60)
    await cycle(status=ChargerStatus.AVAILABLE)
    energy = hass.states.get(SESSION_ENERGY)
    assert float(energy.state) == pytest.approx(6.0)
    assert energy.attributes["ended"] is not None
    cost = hass.states.get(SESSION_COST)
    assert float(cost.state) == pytest.approx(0.60)  # 2 kWh from the grid at 0.30 EUR
    assert cost.attributes["unit_of_measurement"] == "EUR"
    assert cost.attributes["unpriced_energy"] == 0
    assert float(hass.states.get(PV_SHARE).state) == pytest.approx(66.7)
    # At once at 11.04 kW: 6 kWh in 32.6 minutes, 1 kWh per quarter hour from surplus:
    # 3.52 kWh from the grid, 1.056 EUR.
    saving = hass.states.get(SAVING)
    assert saving.attributes["immediate_cost"] == pytest.approx(1.056)
    assert float(saving.state) == pytest.approx(0.456)
    # The figures stay until the next car plugs in.
    await cycle(status=ChargerStatus.AVAILABLE)
    assert float(hass.states.get(SESSION_ENERGY).state) == pytest.approx(6.0)
    await cycle(status=ChargerStatus.PREPARING)
    assert float(hass.states.get(SESSION_ENERGY).state) == 0


async def test_a_fixed_price_and_feed_in_price_the_session(
    hass: HomeAssistant,
    site_inputs: None,
    site_entry: MockConfigEntry,
    drive: Callable[[MockConfigEntry], Cycle],
) -> None:
    """No price sensor: the *Prices* options' fixed price and feed-in price the session."""
    hass.config_entries.async_update_entry(
        site_entry,
        options={
            **site_entry.options,
            CONF_PRICE_SOURCE: "fixed",
            CONF_FIXED_PRICE: 0.25,
            CONF_EXPORT_PRICE: 0.07,
        },
    )
    entry = charger_entry(hass)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    cycle = drive(entry)
    await cycle(grid_w=-4000.0, status=ChargerStatus.PREPARING)
    await _charge_for(cycle, 60)
    await cycle(status=ChargerStatus.AVAILABLE)
    cost = hass.states.get(SESSION_COST)
    # 2 kWh from the grid at 0.25, 4 kWh of surplus that would have earned 0.07 each.
    assert float(cost.state) == pytest.approx(0.50 + 0.28)
    assert cost.attributes["solar_cost"] == pytest.approx(0.28)
    # At once at 11.04 kW from plug-in (a 1-minute bin, then quarter hours with 1 kWh of
    # surplus each): 3.6373 kWh from the grid at 0.25 and 2.3627 kWh of surplus at 0.07.
    saving = hass.states.get(SAVING)
    assert saving.attributes["immediate_cost"] == pytest.approx(1.0747, abs=1e-4)
    assert float(saving.state) == pytest.approx(1.0747 - 0.78, abs=1e-4)


async def test_a_price_sensor_that_drops_out_holds_its_price(
    hass: HomeAssistant, priced_site: MockConfigEntry, drive: Callable[[MockConfigEntry], Cycle]
) -> None:
    """With a price sensor, its last price holds; the Prices source does not step in."""
    hass.config_entries.async_update_entry(
        priced_site,
        options={**priced_site.options, CONF_PRICE_SOURCE: "fixed", CONF_FIXED_PRICE: 0.05},
    )
    entry = charger_entry(hass)
    assert await hass.config_entries.async_setup(priced_site.entry_id)
    await hass.async_block_till_done()
    cycle = drive(entry)
    await cycle(status=ChargerStatus.PREPARING)
    await _charge_for(cycle, 30)
    hass.states.async_set(PRICE, "unavailable")
    await _charge_for(cycle, 30)
    await cycle(status=ChargerStatus.AVAILABLE)
    assert float(hass.states.get(SESSION_COST).state) == pytest.approx(0.60)  # all at 0.30


async def test_without_any_price_source_there_is_no_cost_sensor(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> None:
    """A site with neither a price sensor nor prices in its options shows no cost."""
    charger_entry(hass)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(SESSION_ENERGY) is not None
    assert hass.states.get(SESSION_COST) is None
    assert hass.states.get(SAVING) is None


async def test_a_session_survives_a_restart(
    hass: HomeAssistant,
    priced_site: MockConfigEntry,
    drive: Callable[[MockConfigEntry], Cycle],
    hass_storage: dict[str, Any],
) -> None:
    """The counters are saved while charging and continue after a restart."""
    entry = charger_entry(hass)
    assert await hass.config_entries.async_setup(priced_site.entry_id)
    await hass.async_block_till_done()
    cycle = drive(entry)
    await cycle(status=ChargerStatus.PREPARING)
    await _charge_for(cycle, 30)
    async_fire_time_changed(hass)  # the throttled save (once a minute) is due
    await hass.async_block_till_done()
    saved = hass_storage[storage_key(entry.entry_id)]["data"]["session"]
    assert saved["energy_kwh"] > 2.5
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    session = entry.runtime_data.handle.session
    assert session.energy_kwh == pytest.approx(2.9)  # the 30th minute counts at the next cycle
    cycle = drive(entry)
    await _charge_for(cycle, 30)
    await cycle(status=ChargerStatus.AVAILABLE)
    assert float(hass.states.get(SESSION_ENERGY).state) == pytest.approx(6.0)
    assert float(hass.states.get(SESSION_COST).state) == pytest.approx(0.60)
    assert session.started == T0 - timedelta(minutes=1)


async def test_lifetime_energy_without_a_register(
    hass: HomeAssistant,
    priced_site: MockConfigEntry,
    drive: Callable[[MockConfigEntry], Cycle],
    entity_registry: er.EntityRegistry,
) -> None:
    """A charger without a meter gets a counted lifetime energy instead of *Energy*."""
    entry = charger_entry(hass)
    with patch("custom_components.smart_charging.has_energy_register", return_value=False):
        assert await hass.config_entries.async_setup(priced_site.entry_id)
        await hass.async_block_till_done()
    assert entity_registry.async_get(ENERGY) is None
    lifetime = hass.states.get(LIFETIME)
    assert lifetime.attributes["state_class"] == "total_increasing"
    assert lifetime.attributes["device_class"] == "energy"
    cycle = drive(entry)
    for _ in range(2):
        await cycle(status=ChargerStatus.PREPARING)
        await _charge_for(cycle, 10)
        await cycle(status=ChargerStatus.AVAILABLE)
    assert float(hass.states.get(LIFETIME).state) == pytest.approx(2.0)
    assert float(hass.states.get(SESSION_ENERGY).state) == pytest.approx(1.0)


async def test_session_energy_reaches_the_engine(
    hass: HomeAssistant,
    priced_site: MockConfigEntry,
    drive: Callable[[MockConfigEntry], Cycle],
) -> None:
    """A charger without a session counter still stops at an energy target."""
    entry = charger_entry(hass)
    assert await hass.config_entries.async_setup(priced_site.entry_id)
    await hass.async_block_till_done()
    handle = entry.runtime_data.handle
    handle.target_energy_kwh = 1.0
    cycle = drive(entry)
    await cycle(status=ChargerStatus.PREPARING)
    await _charge_for(cycle, 13)  # a cycle decides on the energy counted up to the last one
    assert handle.state(230).session_energy_kwh == pytest.approx(1.2)
    allocation = entry.runtime_data.site.coordinator.data.allocation.get(handle.charger_id)
    assert allocation is not None
    assert allocation.reason == "target_reached"
