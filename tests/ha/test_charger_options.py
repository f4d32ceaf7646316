"""A charger's options: its groups, their validation, and their effect on control."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import (
    CONF_CAN_SWITCH_PHASES,
    CONF_CHARGER_PHASES,
    CONF_DERATE_END,
    CONF_DERATE_MIN,
    CONF_DERATE_START,
    CONF_FALLBACK_CURRENT,
    CONF_FOLLOW_UP_READINGS,
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_OCPP_PASSWORD,
    CONF_PHASE_WIRING,
    CONF_SAFE_CURRENT,
    CONF_SOC_ENTITY,
    CONF_TEMPERATURE_ENTITY,
    CONF_WINDOW_END,
    CONF_WINDOW_START,
)
from custom_components.smart_charging.engine.model import (
    ChargerMode,
    DeratingCurve,
    Phase,
    PhaseMode,
    TimeWindow,
)
from custom_components.smart_charging.flow_charger import DEFAULT_CHARGER_OPTIONS
from custom_components.smart_charging.smart import absolute_windows
from tests.drivers.ocpp_helpers import ClientFactory, is_ready, sampled, wait_until

from .test_ocpp import CP, charger_entry, server_port

SOC = "sensor.car_battery"
TEMPERATURE = "sensor.wallbox_temperature"
REASON = "sensor.acme_wallbox_11_cp1_reason"
PHASE_MODE = "select.acme_wallbox_11_cp1_phase_mode"
CURVE = {
    CONF_TEMPERATURE_ENTITY: TEMPERATURE,
    CONF_DERATE_START: 40.0,
    CONF_DERATE_END: 60.0,
    CONF_DERATE_MIN: 0.5,
}


@pytest.fixture
def car_sensors(hass: HomeAssistant) -> None:
    """The car's SoC sensor and a temperature sensor at the wallbox."""
    hass.states.async_set(SOC, "70", {"unit_of_measurement": "%"})
    hass.states.async_set(TEMPERATURE, "25", {"unit_of_measurement": "°C"})


async def _setup(hass: HomeAssistant, site: MockConfigEntry, **options: Any) -> MockConfigEntry:
    entry = charger_entry(hass, **options)
    assert await hass.config_entries.async_setup(site.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def _step(hass: HomeAssistant, entry: MockConfigEntry, step: str) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["charger", "vehicle", "temperature", "schedule"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": step}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step
    return dict(result)


async def _submit_each(
    hass: HomeAssistant, result: dict[str, Any], cases: list[tuple[dict[str, Any], dict[str, str]]]
) -> dict[str, Any]:
    """Submit every wrong form, expect its field errors; return the open form."""
    for form, errors in cases:
        result = dict(await hass.config_entries.options.async_configure(result["flow_id"], form))
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors, form
    return result


async def _done(hass: HomeAssistant, result: dict[str, Any], form: dict[str, Any]) -> None:
    result = dict(await hass.config_entries.options.async_configure(result["flow_id"], form))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


@pytest.mark.usefixtures("site_inputs", "car_sensors")
async def test_charger_settings(hass: HomeAssistant, site_entry: MockConfigEntry) -> None:
    """Wiring and currents are validated per field, keep the other groups, and reload."""
    entry = await _setup(hass, site_entry, **{CONF_SOC_ENTITY: SOC})
    result = await _step(hass, entry, "charger")
    form = {**DEFAULT_CHARGER_OPTIONS, CONF_CHARGER_PHASES: "1", CONF_PHASE_WIRING: "l2"}
    result = await _submit_each(
        hass,
        result,
        [
            (
                {**form, CONF_MIN_CURRENT: 20, CONF_MAX_CURRENT: 16},
                {CONF_MIN_CURRENT: "min_above_max"},
            ),
            ({**form, CONF_FALLBACK_CURRENT: 3}, {CONF_FALLBACK_CURRENT: "fallback_below_min"}),
            ({**form, CONF_FALLBACK_CURRENT: 20}, {CONF_FALLBACK_CURRENT: "above_max"}),
            ({**form, CONF_SAFE_CURRENT: 4}, {CONF_SAFE_CURRENT: "safe_below_6"}),
            ({**form, CONF_SAFE_CURRENT: 20}, {CONF_SAFE_CURRENT: "above_max"}),
            ({**form, CONF_OCPP_PASSWORD: "short"}, {CONF_OCPP_PASSWORD: "password_length"}),
        ],
    )
    await _done(
        hass,
        result,
        {
            **form,
            CONF_FALLBACK_CURRENT: 0,
            CONF_MAX_CURRENT: 32,
            CONF_OCPP_PASSWORD: "this-charger-0123456",
        },
    )
    assert entry.state is ConfigEntryState.LOADED
    config = entry.runtime_data.handle.config
    assert (config.phases, config.phase, config.max_current_a) == (1, Phase.L2, 32.0)
    assert config.fallback_current_a == 0.0
    assert entry.options[CONF_SOC_ENTITY] == SOC  # the car's group is kept
    assert entry.options[CONF_OCPP_PASSWORD] == "this-charger-0123456"


@pytest.mark.usefixtures("site_inputs", "car_sensors")
async def test_vehicle_soc_sensor(hass: HomeAssistant, site_entry: MockConfigEntry) -> None:
    """The car's SoC sensor must exist and report percent; empty removes it."""
    hass.states.async_set("sensor.car_energy", "40", {"unit_of_measurement": "kWh"})
    entry = await _setup(hass, site_entry)
    result = await _submit_each(
        hass,
        await _step(hass, entry, "vehicle"),
        [
            ({CONF_SOC_ENTITY: "sensor.nope"}, {CONF_SOC_ENTITY: "entity_not_found"}),
            ({CONF_SOC_ENTITY: "sensor.car_energy"}, {CONF_SOC_ENTITY: "unit_not_percent"}),
        ],
    )
    await _done(hass, result, {CONF_SOC_ENTITY: SOC})
    assert entry.runtime_data.handle.sensors.soc_entity == SOC
    await _done(hass, await _step(hass, entry, "vehicle"), {})
    assert CONF_SOC_ENTITY not in entry.options
    assert entry.runtime_data.handle.sensors.soc_entity is None


@pytest.mark.usefixtures("site_inputs", "car_sensors")
async def test_temperature_derating_settings(
    hass: HomeAssistant, site_entry: MockConfigEntry
) -> None:
    """A curve needs a °C sensor and a start below its end."""
    hass.states.async_set("sensor.fahrenheit", "80", {"unit_of_measurement": "°F"})
    entry = await _setup(hass, site_entry)
    result = await _submit_each(
        hass,
        await _step(hass, entry, "temperature"),
        [
            (
                {CONF_DERATE_START: 40, CONF_DERATE_END: 60},
                {CONF_TEMPERATURE_ENTITY: "derating_without_entity"},
            ),
            (
                {**CURVE, CONF_TEMPERATURE_ENTITY: "sensor.nope"},
                {CONF_TEMPERATURE_ENTITY: "entity_not_found"},
            ),
            (
                {**CURVE, CONF_TEMPERATURE_ENTITY: "sensor.fahrenheit"},
                {CONF_TEMPERATURE_ENTITY: "unit_not_celsius"},
            ),
            (
                {CONF_TEMPERATURE_ENTITY: TEMPERATURE, CONF_DERATE_END: 60},
                {CONF_DERATE_START: "derating_incomplete"},
            ),
            ({**CURVE, CONF_DERATE_END: 40}, {CONF_DERATE_END: "derating_order"}),
        ],
    )
    await _done(hass, result, CURVE)
    handle = entry.runtime_data.handle
    assert handle.config.derating == DeratingCurve(40.0, 60.0, 0.5)
    assert handle.sensors.temperature_entity == TEMPERATURE


@pytest.mark.usefixtures("site_inputs")
async def test_schedule_settings(hass: HomeAssistant, site_entry: MockConfigEntry) -> None:
    """A window needs both ends, and they must differ."""
    entry = await _setup(hass, site_entry)
    result = await _submit_each(
        hass,
        await _step(hass, entry, "schedule"),
        [
            ({CONF_WINDOW_START: "22:00:00"}, {CONF_WINDOW_END: "window_incomplete"}),
            ({CONF_WINDOW_END: "06:00:00"}, {CONF_WINDOW_START: "window_incomplete"}),
            (
                {CONF_WINDOW_START: "06:00:00", CONF_WINDOW_END: "06:00:00"},
                {CONF_WINDOW_END: "window_empty"},
            ),
        ],
    )
    await _done(hass, result, {CONF_WINDOW_START: "22:00:00", CONF_WINDOW_END: "06:00:00"})
    assert entry.runtime_data.handle.windows == (TimeWindow(time(22), time(6)),)


async def _connected(
    hass: HomeAssistant, site: MockConfigEntry, clients: ClientFactory, **options: Any
) -> MockConfigEntry:
    """A charger with a car plugged in that reports 40 % itself."""
    entry = await _setup(hass, site, **options)
    client = await clients.connect(server_port(site), CP)
    await client.cp.boot()
    await wait_until(entry.runtime_data.handle.driver, is_ready)
    await client.cp.status("Charging")
    await client.cp.meter([sampled("SoC", 40, "Percent")])
    await hass.async_block_till_done()
    return entry


@pytest.mark.usefixtures("site_inputs", "car_sensors")
async def test_car_soc_sensor_drives_the_plan(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """The car's own SoC wins over the charger's; an unusable reading falls back to it."""
    entry = await _connected(hass, site_entry, clients, **{CONF_SOC_ENTITY: SOC})
    handle = entry.runtime_data.handle
    coordinator = entry.runtime_data.site.coordinator
    handle.set_mode(ChargerMode.SMART)
    handle.target_soc_pct = 80
    handle.battery_capacity_kwh = 60
    await coordinator.async_refresh()
    plan = coordinator.smart.plan
    assert plan is not None
    assert plan.charger(CP).target_kwh == pytest.approx(6 / 0.9)  # 80 % - 70 % of 60 kWh
    for bad in ("unavailable", "abc", "140"):
        hass.states.async_set(SOC, bad, {"unit_of_measurement": "%"})
        await coordinator.async_refresh()
        plan = coordinator.smart.plan
        assert plan is not None
        assert plan.charger(CP).target_kwh == pytest.approx(24 / 0.9), bad  # the charger's 40 %


@pytest.mark.usefixtures("site_inputs", "car_sensors")
async def test_temperature_derates_the_charger(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """Hot: the maximum current shrinks along the curve; unknown: the minimum fraction."""
    options = {**CURVE, CONF_MAX_CURRENT: 16.0, CONF_DERATE_MIN: 0.5}
    entry = await _connected(hass, site_entry, clients, **options)
    coordinator = entry.runtime_data.site.coordinator

    def limit() -> float:
        allocation = coordinator.data.allocation.get(CP)
        assert allocation is not None
        return allocation.current_a

    await coordinator.async_refresh()
    assert limit() > 8.0  # cool: the import limit binds, above the hot limit
    for state in ("70", "unavailable"):
        hass.states.async_set(TEMPERATURE, state, {"unit_of_measurement": "°C"})
        await coordinator.async_refresh()
        # 50 % of 16 A at the end of the curve, and while the temperature is unknown.
        assert limit() == pytest.approx(8.0), state
        assert hass.states.get(REASON).state == "temperature_derating"
    hass.states.async_set(TEMPERATURE, "25", {"unit_of_measurement": "°C"})
    await coordinator.async_refresh()
    assert hass.states.get(REASON).state != "temperature_derating"


@pytest.mark.usefixtures("site_inputs")
async def test_outside_the_window_the_charger_pauses(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """A daily window that starts in two hours keeps the charger paused now."""
    local = dt_util.now()
    start = (local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=3)).time().replace(second=0, microsecond=0)
    window = {CONF_WINDOW_START: start.isoformat(), CONF_WINDOW_END: end.isoformat()}
    entry = await _connected(hass, site_entry, clients, **window)
    coordinator = entry.runtime_data.site.coordinator
    await coordinator.async_refresh()
    assert hass.states.get(REASON).state == "outside_window"
    allocation = coordinator.data.allocation.get(CP)
    assert allocation is not None
    assert allocation.current_a == 0.0


def test_absolute_windows_cover_the_horizon() -> None:
    """Daily windows become absolute intervals from now, also across midnight."""
    tz = dt_util.get_time_zone("Europe/Berlin")
    assert tz is not None
    now = datetime(2026, 3, 28, 23, 30, tzinfo=tz)
    until = now + timedelta(hours=30)
    night = absolute_windows([TimeWindow(time(22), time(6))], now, until)
    # Saturday 22:00 to Sunday 06:00 is running (it starts now); Sunday 22:00 to Monday 06:00.
    assert [(w.start.astimezone(tz), w.end.astimezone(tz)) for w in night] == [
        (now, datetime(2026, 3, 29, 6, tzinfo=tz)),
        (datetime(2026, 3, 29, 22, tzinfo=tz), datetime(2026, 3, 30, 6, tzinfo=tz)),
    ]
    # The DST night is an hour shorter in absolute time.
    assert night[0].end - night[0].start == timedelta(hours=5, minutes=30)
    assert absolute_windows([TimeWindow(time(6), time(6))], now, until) == ()


@pytest.mark.usefixtures("site_inputs")
async def test_phase_mode_select(hass: HomeAssistant, site_entry: MockConfigEntry) -> None:
    """Only a charger that can switch phases offers it; the choice reaches the engine and
    survives a reload."""
    entry = await _setup(hass, site_entry, **{CONF_CAN_SWITCH_PHASES: True})
    assert hass.states.get(PHASE_MODE).state == "auto"
    await hass.services.async_call(
        "select", "select_option", {"entity_id": PHASE_MODE, "option": "1p"}, blocking=True
    )
    assert hass.states.get(PHASE_MODE).state == "1p"
    assert entry.runtime_data.handle.request().phase_mode is PhaseMode.ONE
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.handle.phase_mode is PhaseMode.ONE
    assert hass.states.get(PHASE_MODE).state == "1p"

    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_CAN_SWITCH_PHASES: False}
    )
    await hass.async_block_till_done()
    gone = hass.states.get(PHASE_MODE)
    assert gone is not None
    assert (gone.state, gone.attributes.get("restored")) == ("unavailable", True)


@pytest.mark.usefixtures("site_inputs")
async def test_follow_up_readings_can_be_turned_off(
    hass: HomeAssistant, site_entry: MockConfigEntry
) -> None:
    """On by default (TriggerMessage after a raise); off for firmware that dislikes it."""
    default = charger_entry(hass)
    quiet = charger_entry(hass, "CP2", **{CONF_FOLLOW_UP_READINGS: False})
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert default.runtime_data.handle.driver.options.follow_up_s == (3.0, 6.0, 9.0, 12.0)
    assert quiet.runtime_data.handle.driver.options.follow_up_s == ()
