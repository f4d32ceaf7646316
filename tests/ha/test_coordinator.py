"""Tests for the site coordinator: event-driven refresh, failsafe, staleness, unload."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.smart_charging.const import (
    CONF_BATTERY_POWER,
    CONF_BATTERY_SIGN,
    CONF_BATTERY_SOC,
    CONF_GRID_CURRENT_L1,
    CONF_GRID_CURRENT_L2,
    CONF_GRID_CURRENT_L3,
    CONF_GRID_SIGN,
    CONF_PRICE,
    DOMAIN,
)
from custom_components.smart_charging.diagnostics import async_get_config_entry_diagnostics
from custom_components.smart_charging.inputs import ReportRhythm

from .conftest import (
    BATTERY,
    BATTERY_SOC,
    GRID,
    L1,
    L2,
    L3,
    PRICE,
    PV,
    SITE_DATA,
    set_current,
    set_power,
)

SURPLUS = "sensor.home_solar_surplus"
GRID_SENSOR = "sensor.home_grid_power"
HEADROOM = "sensor.home_headroom"
IMPORT_HEADROOM = "sensor.home_import_headroom"
FAILSAFE = "binary_sensor.home_failsafe"
HEALTH = "sensor.home_input_health"


@pytest.fixture(autouse=True)
def _fixed_time(freezer: FrozenDateTimeFactory) -> None:
    """A frozen clock from before the site is set up: report intervals are exact."""
    freezer.move_to(datetime(2026, 3, 10, 17, 40, tzinfo=UTC))


async def test_state_change_updates_without_waiting_for_tick(
    hass: HomeAssistant, loaded_site: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A grid sensor change is acted on at once; a burst is folded into one more run."""
    assert hass.states.get(GRID_SENSOR).state == "1150.0"
    assert hass.states.get(SURPLUS).state == "0.0"
    assert float(hass.states.get(HEADROOM).state) == pytest.approx(25 - 1150 / 690, abs=0.01)
    assert float(hass.states.get(IMPORT_HEADROOM).state) == pytest.approx(11000 - 1150)

    set_power(hass, GRID, -3000)
    await hass.async_block_till_done()
    assert hass.states.get(SURPLUS).state == "3000.0"
    assert hass.states.get(HEADROOM).state == "25.0"

    # A second change inside the cooldown waits for the cooldown, not for the tick.
    set_power(hass, GRID, -4000)
    await hass.async_block_till_done()
    assert hass.states.get(SURPLUS).state == "3000.0"
    freezer.tick(timedelta(seconds=0.6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(SURPLUS).state == "4000.0"


@pytest.mark.parametrize("bad_state", [STATE_UNAVAILABLE, "unknown", "not a number", "nan", "inf"])
async def test_unusable_grid_reading_enters_failsafe(
    hass: HomeAssistant,
    loaded_site: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    bad_state: str,
) -> None:
    """Unavailable or non-numeric grid readings turn failsafe on; a good one turns it off."""
    assert hass.states.get(FAILSAFE).state == STATE_OFF
    assert hass.states.get(HEALTH).state == "ok"
    set_power(hass, GRID, bad_state)
    await hass.async_block_till_done()
    failsafe = hass.states.get(FAILSAFE)
    assert failsafe.state == STATE_ON
    expected = "unavailable" if bad_state in (STATE_UNAVAILABLE, "unknown") else "non_numeric"
    assert failsafe.attributes["reason"] == expected
    assert failsafe.attributes["entities"] == [GRID]
    assert hass.states.get(HEALTH).state == "failsafe"
    assert hass.states.get(HEADROOM).state == "unknown"

    set_power(hass, GRID, 500)
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(FAILSAFE).state == STATE_OFF
    assert hass.states.get(HEALTH).state == "ok"


async def test_wrong_unit_enters_failsafe(
    hass: HomeAssistant, loaded_site: MockConfigEntry
) -> None:
    """A meter whose unit changes to something unconvertible is not trusted."""
    set_power(hass, GRID, 100, "VA")
    await hass.async_block_till_done()
    assert hass.states.get(FAILSAFE).attributes["reason"] == "bad_unit"


async def _report_every(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    seconds: float,
    times: int,
) -> None:
    """The grid meter repeats its value every ``seconds``; a cycle sees each report."""
    for _ in range(times):
        freezer.tick(timedelta(seconds=seconds))
        set_power(hass, GRID, 1150)
        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done()


async def _after(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory, seconds: float
) -> str:
    """The failsafe state a cycle finds after ``seconds`` more of silence."""
    freezer.tick(timedelta(seconds=seconds))
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    return hass.states.get(FAILSAFE).state


@pytest.fixture
def quick_learning() -> Iterator[None]:
    """Learn an input's rhythm after 30 s of reports instead of 10 minutes."""
    with patch.object(ReportRhythm, "LEARN", timedelta(seconds=30)):
        yield


@pytest.mark.usefixtures("quick_learning")
async def test_a_fast_meter_that_falls_silent_is_stale_sooner(
    hass: HomeAssistant, loaded_site: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A meter that reports every 2 s is stale after 15 s of silence, not after 60 s."""
    await _report_every(hass, loaded_site, freezer, 2, 20)
    assert await _after(hass, loaded_site, freezer, 13) == STATE_OFF
    assert await _after(hass, loaded_site, freezer, 4) == STATE_ON
    assert hass.states.get(FAILSAFE).attributes["reason"] == "stale"
    rhythms = (await async_get_config_entry_diagnostics(hass, loaded_site))["input_rhythms"]
    assert rhythms[GRID]["longest_interval_s"] == 2.0
    assert rhythms[GRID]["max_age_s"] == 15.0
    # Back after 17 s: that silence is an interval of the window now, so the meter is
    # given 3 x 17 s = 51 s before it is stale again (no flapping failsafe).
    await _report_every(hass, loaded_site, freezer, 0, 1)
    assert hass.states.get(FAILSAFE).state == STATE_OFF
    assert await _after(hass, loaded_site, freezer, 48) == STATE_OFF
    assert await _after(hass, loaded_site, freezer, 6) == STATE_ON


@pytest.mark.usefixtures("quick_learning")
async def test_a_meter_that_reports_on_change_keeps_its_quiet_spells(
    hass: HomeAssistant, loaded_site: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Fast while the load moves, 40 s apart while it is steady: never stale at 40 s."""
    await _report_every(hass, loaded_site, freezer, 1, 20)
    await _report_every(hass, loaded_site, freezer, 40, 1)
    await _report_every(hass, loaded_site, freezer, 1, 600)
    assert await _after(hass, loaded_site, freezer, 40) == STATE_OFF


async def test_a_slow_meter_keeps_the_configured_age(
    hass: HomeAssistant, loaded_site: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A meter that reports every 30 s is judged by the configured 60 s, never later."""
    await _report_every(hass, loaded_site, freezer, 30, 25)
    assert await _after(hass, loaded_site, freezer, 57) == STATE_OFF  # 3 x 30 s > 60 s
    assert await _after(hass, loaded_site, freezer, 4) == STATE_ON


async def test_the_snapshot_carries_when_the_meter_reported(
    hass: HomeAssistant, loaded_site: MockConfigEntry
) -> None:
    """The engine gets the meter's report time (to line charger readings up with it)."""
    snapshot = loaded_site.runtime_data.coordinator.data.snapshot
    grid = hass.states.get(GRID)
    assert snapshot.meter_at == grid.last_reported
    assert {r.entity_id: r.reported_at for r in snapshot.inputs}[GRID] == grid.last_reported


def test_report_rhythm() -> None:
    """3 x the longest interval of the last hour, within 15 s and the setting."""
    configured = timedelta(seconds=60)
    rhythm = ReportRhythm()
    start = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)

    def at(seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    assert rhythm.longest_interval is None
    for second in range(0, 599, 2):  # 2 s apart for just under 10 minutes
        rhythm.observe(at(second))
    rhythm.observe(at(598))  # the same report seen twice counts once
    rhythm.observe(at(100))  # an older one changes nothing
    assert rhythm.longest_interval is None  # still learning
    assert rhythm.max_age(configured) == configured
    rhythm.observe(at(600))
    assert rhythm.longest_interval == timedelta(seconds=2)
    assert rhythm.max_age(configured) == timedelta(seconds=15)  # the floor
    rhythm.observe(at(610))  # one 10 s gap
    for second in range(611, 3600 + 611):  # 1 s apart until an hour after the gap
        rhythm.observe(at(second))
    assert rhythm.max_age(configured) == timedelta(seconds=30)  # 3 x 10 s, for an hour
    assert rhythm.max_age(timedelta(seconds=20)) == timedelta(seconds=20)  # never later
    rhythm.observe(at(3600 + 611))  # the gap has left the window
    assert rhythm.longest_interval == timedelta(seconds=1)
    assert rhythm.max_age(configured) == timedelta(seconds=15)


async def test_silent_meter_goes_stale_repeated_value_does_not(
    hass: HomeAssistant, loaded_site: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Staleness follows last_reported: a repeated value keeps the meter alive."""
    for _ in range(4):
        freezer.tick(timedelta(seconds=20))
        set_power(hass, GRID, 1150)  # same value: only last_reported moves
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert hass.states.get(FAILSAFE).state == STATE_OFF

    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(FAILSAFE).state == STATE_ON
    assert hass.states.get(FAILSAFE).attributes["reason"] == "stale"

    set_power(hass, GRID, 1150)
    freezer.tick(timedelta(seconds=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(FAILSAFE).state == STATE_OFF


async def test_optional_input_problem_degrades_without_failsafe(
    hass: HomeAssistant, loaded_site: MockConfigEntry
) -> None:
    """A broken PV sensor is reported but the fuse is still guarded."""
    set_power(hass, "sensor.pv_power", STATE_UNAVAILABLE)
    await hass.async_block_till_done()
    health = hass.states.get(HEALTH)
    assert health.state == "degraded"
    assert health.attributes["pv_power"] == "unavailable"
    assert hass.states.get(FAILSAFE).state == STATE_OFF


async def test_missing_meter_raises_repair_issue(
    hass: HomeAssistant,
    loaded_site: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A meter entity that disappears raises a repair issue until it is back."""
    hass.states.async_remove(GRID)
    await hass.async_block_till_done()
    issue_id = f"input_missing_{loaded_site.entry_id}_{GRID}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "input_missing"
    assert issue.translation_placeholders == {"entity_id": GRID, "site": "Home"}
    assert hass.states.get(FAILSAFE).attributes["reason"] == "missing"

    set_power(hass, GRID, 100)
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_meter_unavailable_for_long_raises_a_repair_issue(
    hass: HomeAssistant,
    loaded_site: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The grid meter unavailable for 15 min: a repair issue. PV unavailable (night): none."""
    coordinator = loaded_site.runtime_data.coordinator
    issue_id = f"input_unavailable_{loaded_site.entry_id}_{GRID}"
    hass.states.async_set(GRID, "unavailable")
    hass.states.async_set(PV, "unavailable")
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=14))
    await coordinator.async_refresh()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None  # a short outage
    freezer.tick(timedelta(minutes=1))
    await coordinator.async_refresh()
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "input_unavailable"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {"entity_id": GRID, "site": "Home", "minutes": "15"}
    issues = {i.translation_key for i in issue_registry.issues.values() if i.domain == DOMAIN}
    assert issues == {"input_unavailable"}  # not for the PV sensor

    set_power(hass, GRID, 100)
    await hass.async_block_till_done()
    await coordinator.async_refresh()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_unload_removes_listeners_and_issues(
    hass: HomeAssistant,
    site_inputs: None,
    site_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Unloading stops following the inputs and withdraws the site's repair issues."""
    before = hass.bus.async_listeners().get(EVENT_STATE_CHANGED, 0)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.bus.async_listeners()[EVENT_STATE_CHANGED] > before
    hass.states.async_remove("sensor.pv_power")
    await hass.async_block_till_done()
    assert len(issue_registry.issues) == 1
    coordinator = site_entry.runtime_data.coordinator
    runs = 0

    async def count_runs() -> None:
        nonlocal runs
        runs += 1

    assert await hass.config_entries.async_unload(site_entry.entry_id)
    await hass.async_block_till_done()
    assert site_entry.state is ConfigEntryState.NOT_LOADED
    assert hass.bus.async_listeners().get(EVENT_STATE_CHANGED, 0) == before
    assert len(issue_registry.issues) == 0
    coordinator.async_request_refresh = count_runs  # type: ignore[method-assign]
    set_power(hass, GRID, -5000)
    await hass.async_block_till_done()
    assert runs == 0


async def test_phase_currents_give_per_phase_headroom(
    hass: HomeAssistant, site_inputs: None, freezer: FrozenDateTimeFactory
) -> None:
    """With clamp meters the fuse is guarded per phase; battery and sign options apply."""
    data = {
        **SITE_DATA,
        CONF_GRID_SIGN: "export_positive",
        CONF_GRID_CURRENT_L1: L1,
        CONF_GRID_CURRENT_L2: L2,
        CONF_GRID_CURRENT_L3: L3,
        CONF_BATTERY_POWER: BATTERY,
        CONF_BATTERY_SIGN: "discharge_positive",
        CONF_BATTERY_SOC: BATTERY_SOC,
        CONF_PRICE: PRICE,
    }
    entry = MockConfigEntry(domain=DOMAIN, title="Home", unique_id=GRID, data=data)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # Headroom is the worst phase: L3 carries 10 A of 25 A.
    assert hass.states.get(HEADROOM).state == "15.0"
    # Grid power is export-positive: 1150 W export; the battery charges 500 W (reported
    # as -500 W discharge) at 80 % SoC, which counts as surplus.
    assert hass.states.get(SURPLUS).state == "1650.0"
    snapshot = entry.runtime_data.coordinator.data.snapshot
    assert snapshot.grid_power_w == -1150
    assert snapshot.battery_power_w == 500
    assert snapshot.battery_soc_pct == 80

    set_current(hass, L2, 24000, "mA")
    await hass.async_block_till_done()
    assert hass.states.get(HEADROOM).state == "1.0"
    assert hass.states.get("binary_sensor.home_failsafe").state == STATE_OFF

    hass.states.async_set(BATTERY_SOC, "12", {"unit_of_measurement": "kWh"})
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(HEALTH).attributes["battery_soc"] == "bad_unit"
    assert hass.states.get(HEALTH).state == "degraded"

    set_current(hass, L2, STATE_UNAVAILABLE)
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(FAILSAFE).state == STATE_ON
    assert hass.states.get(HEADROOM).state == "unknown"
