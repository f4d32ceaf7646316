"""Smart mode: the planner's power for the current slot drives the charger."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.charger import next_occurrence
from custom_components.smart_charging.const import (
    CONF_CIRCUIT,
    CONF_CIRCUIT_LIMIT,
    CONF_CIRCUIT_NAME,
    CONF_CIRCUIT_PARENT,
    CONF_CIRCUITS,
)
from custom_components.smart_charging.engine.model import ChargerMode, SiteConfig
from custom_components.smart_charging.engine.settings import AllocatorSettings
from custom_components.smart_charging.smart import site_capacity_kw
from tests.drivers.ocpp_helpers import ClientFactory, is_ready, sampled, wait_until

from .test_ocpp import CP, charger_entry, server_port

PLAN = "sensor.acme_wallbox_11_cp1_plan"
NEXT_START = "sensor.acme_wallbox_11_cp1_next_planned_start"
FINISH = "sensor.acme_wallbox_11_cp1_projected_finish"
REASON = "sensor.acme_wallbox_11_cp1_reason"
READY_BY = "time.acme_wallbox_11_cp1_ready_by"


@pytest.fixture(autouse=True)
def _fixed_time(freezer: FrozenDateTimeFactory) -> None:
    """Plans start at a fixed instant: the running slot's length, and so its power, is exact."""
    freezer.move_to(datetime(2026, 3, 10, 17, 40, tzinfo=UTC))


async def smart_charger(
    hass: HomeAssistant,
    site: MockConfigEntry,
    clients: ClientFactory,
    *,
    energy_kwh: float,
    ready_by: datetime,
    **charger_options: Any,
) -> MockConfigEntry:
    """Set up the site with a charger; a car plugs in, in smart mode, with a target."""
    entry = charger_entry(hass, **charger_options)
    assert await hass.config_entries.async_setup(site.entry_id)
    await hass.async_block_till_done()
    client = await clients.connect(server_port(site), CP)
    await client.cp.boot()
    await wait_until(entry.runtime_data.handle.driver, is_ready)
    await client.cp.status("Preparing")
    handle = entry.runtime_data.handle
    handle.set_mode(ChargerMode.SMART)
    handle.target_energy_kwh = energy_kwh
    handle.ready_by = ready_by
    return entry


@pytest.fixture
async def plugged(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry, clients: ClientFactory
) -> MockConfigEntry:
    """A charger with a car plugged in, in smart mode."""
    entry = charger_entry(hass)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    client = await clients.connect(server_port(site_entry), CP)
    await client.cp.boot()
    await wait_until(entry.runtime_data.handle.driver, is_ready)
    await client.cp.status("Preparing")
    await client.cp.meter([sampled("SoC", 40, "Percent")])
    entry.runtime_data.handle.set_mode(ChargerMode.SMART)
    await hass.async_block_till_done()
    return entry


async def test_smart_without_target_waits_for_surplus(
    hass: HomeAssistant, plugged: MockConfigEntry
) -> None:
    """With nothing to plan, smart charges from surplus only and says so."""
    coordinator = plugged.runtime_data.site.coordinator
    await coordinator.async_refresh()
    assert hass.states.get(PLAN).state == "unknown"
    assert plugged.runtime_data.handle.planned_power_w == 0


async def test_smart_plans_for_the_target(hass: HomeAssistant, plugged: MockConfigEntry) -> None:
    """A target and a ready-by time give a plan; its current slot's power is charged."""
    handle = plugged.runtime_data.handle
    coordinator = plugged.runtime_data.site.coordinator
    handle.target_energy_kwh = 10.0
    handle.ready_by = dt_util.now() + timedelta(hours=8)
    await coordinator.async_refresh()
    assert hass.states.get(PLAN).state == "on_target"
    schedule = hass.states.get(PLAN).attributes["schedule"]
    assert sum(e["kw"] for e in schedule) > 0
    # Without prices the plan charges for readiness: from now, not at the last moment.
    assert handle.planned_power_w > 0
    assert hass.states.get(NEXT_START).state != "unknown"
    assert hass.states.get(FINISH).state != "unknown"
    # The plan asks for all the site can give: the import limit (11 kW less the 1150 W
    # house load) binds.
    assert hass.states.get(REASON).state == "import_limit"
    allocation = coordinator.data.allocation.get(CP)
    assert allocation is not None
    assert 0 < allocation.current_a <= (11000 - 1150) / (3 * 230)  # ramping up to it

    # Too little time left: the plan says so and delivers what it can.
    handle.target_energy_kwh = 200.0
    handle.ready_by = dt_util.now() + timedelta(hours=1)
    await coordinator.async_refresh()
    assert hass.states.get(PLAN).state == "target_unreachable"


async def test_a_passed_ready_by_holds_again_the_next_day(
    hass: HomeAssistant, plugged: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Ready by 07:00 is daily: once 07:00 passes, tomorrow's 07:00 is planned for."""
    freezer.move_to(datetime(2026, 3, 10, 13, 30, tzinfo=UTC))  # 06:30 in US/Pacific
    handle = plugged.runtime_data.handle
    coordinator = plugged.runtime_data.site.coordinator
    handle.target_energy_kwh = 10.0
    handle.ready_by = next_occurrence(time(7), dt_util.now())
    await coordinator.async_refresh()
    first = handle.ready_by
    freezer.tick(timedelta(hours=1))  # 07:30: the deadline passed, the car is not full
    await coordinator.async_refresh()
    assert handle.ready_by == first + timedelta(days=1)
    assert dt_util.as_local(handle.ready_by).time() == time(7)
    assert hass.states.get(READY_BY).state == "07:00:00"
    assert hass.states.get(PLAN).state == "on_target"
    assert handle.planned_power_w > 0


async def test_a_ready_by_far_ahead_is_planned_within_a_week(
    hass: HomeAssistant, plugged: MockConfigEntry
) -> None:
    """The planner's work grows with its horizon: it looks at most seven days ahead."""
    handle = plugged.runtime_data.handle
    coordinator = plugged.runtime_data.site.coordinator
    handle.target_energy_kwh = 10.0
    handle.ready_by = dt_util.now() + timedelta(days=3650)  # from an older version's store
    await coordinator.async_refresh()
    plan = coordinator.smart.plan
    assert plan is not None
    last = max(slot.end for slot in plan.slots)
    assert last <= dt_util.now() + timedelta(days=7, minutes=15)  # (its 15-min slot)
    assert hass.states.get(PLAN).state == "on_target"


async def test_smart_target_from_soc(hass: HomeAssistant, plugged: MockConfigEntry) -> None:
    """A SoC target needs the battery capacity; the car's SoC gives the energy."""
    handle = plugged.runtime_data.handle
    coordinator = plugged.runtime_data.site.coordinator
    handle.target_soc_pct = 80
    await coordinator.async_refresh()
    assert coordinator.smart.plan is None  # no capacity known yet
    assert hass.states.get(PLAN).state == "needs_battery_capacity"  # and it says so
    handle.battery_capacity_kwh = 60
    await coordinator.async_refresh()
    assert hass.states.get(PLAN).state == "on_target"
    plan = coordinator.smart.plan
    assert plan is not None
    # (80 % - 40 %) of 60 kWh at 90 % charging efficiency.
    assert plan.charger(CP).target_kwh == pytest.approx(24 / 0.9)


async def test_a_soc_target_without_the_cars_soc_says_so(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """A charger that reports no SoC, and no SoC sensor: the Plan sensor says what is missing."""
    entry = await smart_charger(hass, site_entry, clients, energy_kwh=0.0, ready_by=_soon())
    handle = entry.runtime_data.handle
    handle.target_energy_kwh = None
    handle.target_soc_pct = 80
    handle.battery_capacity_kwh = 60
    await site_entry.runtime_data.coordinator.async_refresh()
    assert hass.states.get(PLAN).state == "needs_state_of_charge"


def _soon() -> datetime:
    return dt_util.now() + timedelta(hours=8)


async def test_smart_plans_within_the_chargers_circuit(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """On a 10 A circuit the plan counts on 10 A (6.9 kW), not the charger's 16 A."""
    carport = {
        "id": "carport",
        CONF_CIRCUIT_NAME: "Carport",
        CONF_CIRCUIT_LIMIT: 10.0,
        CONF_CIRCUIT_PARENT: None,
    }
    hass.config_entries.async_update_entry(
        site_entry, options={**site_entry.options, CONF_CIRCUITS: [carport]}
    )
    entry = await smart_charger(
        hass,
        site_entry,
        clients,
        energy_kwh=30.0,
        ready_by=dt_util.now() + timedelta(hours=12),
        **{CONF_CIRCUIT: "carport"},
    )
    handle = entry.runtime_data.handle
    coordinator = site_entry.runtime_data.coordinator
    await coordinator.async_refresh()
    plan = coordinator.smart.plan
    assert plan is not None
    assert max(e.power_kw for e in plan.charger(CP).schedule) == pytest.approx(10 * 3 * 230 / 1000)
    assert handle.planned_power_w == pytest.approx(6900)


def test_site_capacity(hass: HomeAssistant) -> None:
    """Capacity is the fuse less margin and house load, within the import limit."""
    settings = AllocatorSettings(site=SiteConfig(fuse_a=25, max_import_w=11000))
    assert site_capacity_kw(settings, 2000) == pytest.approx(9.0)
    settings = AllocatorSettings(site=SiteConfig(fuse_a=16))
    assert site_capacity_kw(settings, 2000) == pytest.approx((14 * 690 - 2000) / 1000)
    assert site_capacity_kw(settings, 50000) == 0
