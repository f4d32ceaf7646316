"""Charger settings entities (numbers, ready-by, boost) and the site's grid limit number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import AsyncMock, PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.smart_charging.charger_settings import storage_key
from custom_components.smart_charging.const import (
    CONF_FALLBACK_CURRENT,
    CONF_MAX_CURRENT,
    CONF_SAFE_CURRENT,
    DOMAIN,
)
from custom_components.smart_charging.drivers.base import ChargerReading, ChargerStatus
from custom_components.smart_charging.drivers.ocpp import OcppCharger
from custom_components.smart_charging.engine.model import ChargerMode

from .test_ocpp import charger_entry

NUMBER = "number.acme_wallbox_11_cp1_{}"
MIN = NUMBER.format("minimum_current")
MAX = NUMBER.format("maximum_current")
TARGET_SOC = NUMBER.format("target_state_of_charge")
TARGET_ENERGY = NUMBER.format("target_energy")
PRICE_LIMIT = NUMBER.format("price_limit")
CAPACITY = NUMBER.format("vehicle_battery_capacity")
BOOST_DURATION = NUMBER.format("boost_duration")
READY_BY = "time.acme_wallbox_11_cp1_ready_by"
MODE_SELECT = "select.acme_wallbox_11_cp1_mode"
CHARGING_SWITCH = "switch.acme_wallbox_11_cp1_charging"
BOOST = "button.acme_wallbox_11_cp1_boost"
BOOST_ENERGY = "number.acme_wallbox_11_cp1_boost_energy"
GRID_LIMIT = "number.home_grid_limit"
EV_POWER = "sensor.home_total_ev_power"
CAPACITY_W = 25 * 3 * 230  # the test site: 25 A main fuse, 3 phases, 230 V


async def _setup(
    hass: HomeAssistant, site_entry: MockConfigEntry, **options: Any
) -> MockConfigEntry:
    entry = charger_entry(hass, **options)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.fixture
async def charger(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> MockConfigEntry:
    """A loaded charger (not connected) of the loaded test site."""
    return await _setup(hass, site_entry)


async def _set(hass: HomeAssistant, entity_id: str, value: float) -> None:
    await hass.services.async_call(
        "number", "set_value", {"entity_id": entity_id, "value": value}, blocking=True
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "site_inputs")
@pytest.mark.parametrize("platform", [Platform.NUMBER, Platform.TIME, Platform.BUTTON])
async def test_settings_entities(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """A charger's settings entities match the snapshot."""
    entry = charger_entry(hass)
    with (
        patch("custom_components.smart_charging.CHARGER_PLATFORMS", [platform]),
        patch("custom_components.smart_charging.SITE_PLATFORMS", []),
    ):
        assert await hass.config_entries.async_setup(site_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.usefixtures("site_inputs")
async def test_site_number_entities(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The site's grid limit number matches the snapshot."""
    with patch("custom_components.smart_charging.SITE_PLATFORMS", [Platform.NUMBER]):
        assert await hass.config_entries.async_setup(site_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, site_entry.entry_id)


async def test_current_numbers_change_the_engine_config_live(
    hass: HomeAssistant, charger: MockConfigEntry
) -> None:
    """Minimum and maximum current reach the engine at once, without a reload."""
    handle = charger.runtime_data.handle
    coordinator = charger.runtime_data.site.coordinator
    assert coordinator.allocator_settings().chargers[0].max_current_a == 16
    await _set(hass, MAX, 10)
    await _set(hass, MIN, 8)
    assert (handle.config.min_current_a, handle.config.max_current_a) == (8, 10)
    engine = coordinator.allocator_settings().chargers[0]
    assert (engine.min_current_a, engine.max_current_a) == (8, 10)
    assert hass.states.get(MAX).state == "10.0"
    assert hass.states.get(MIN).state == "8.0"
    assert charger.state is ConfigEntryState.LOADED
    assert charger.options[CONF_MAX_CURRENT] == 16  # a live setting, not an option


@pytest.mark.parametrize(
    ("options", "entity_id", "value", "key", "text"),
    [
        ({}, MIN, 20, "min_current_above_max", "cannot be above the maximum current (16 A)"),
        (
            {CONF_FALLBACK_CURRENT: 12.0},
            MAX,
            10,
            "fallback_outside_current_range",
            "fallback current (12 A) must be 0 or between",
        ),
        (
            {CONF_SAFE_CURRENT: 10.0},
            MAX,
            8,
            "safe_current_above_max",
            "safe current (10 A) is above the maximum current (8 A)",
        ),
    ],
)
async def test_current_range_is_checked(
    hass: HomeAssistant,
    *,
    site_inputs: None,
    site_entry: MockConfigEntry,
    options: dict[str, Any],
    entity_id: str,
    value: float,
    key: str,
    text: str,
) -> None:
    """A range the charger's other settings do not allow is refused, translated."""
    entry = await _setup(hass, site_entry, **options)
    config = entry.runtime_data.handle.config
    with pytest.raises(ServiceValidationError) as err:
        await _set(hass, entity_id, value)
    assert err.value.translation_key == key
    assert text in str(err.value)
    assert entry.runtime_data.handle.config == config


async def test_targets_price_limit_and_capacity(
    hass: HomeAssistant, charger: MockConfigEntry
) -> None:
    """Targets go to the engine's request (0: none); the rest is kept on the handle."""
    handle = charger.runtime_data.handle
    assert hass.states.get(TARGET_SOC).state == "0.0"
    assert hass.states.get(PRICE_LIMIT).state == "1000.0"  # its maximum: no limit
    await _set(hass, TARGET_SOC, 80)
    await _set(hass, TARGET_ENERGY, 12.5)
    assert handle.request().target_soc_pct == 80
    assert handle.request().target_energy_kwh == 12.5
    await _set(hass, TARGET_SOC, 0)
    assert handle.target_soc_pct is None
    assert hass.states.get(TARGET_SOC).state == "0.0"
    await _set(hass, PRICE_LIMIT, 0.2)
    await _set(hass, CAPACITY, 77)
    assert (handle.price_limit, handle.battery_capacity_kwh) == (0.2, 77)
    price = hass.states.get(PRICE_LIMIT)
    assert price.state == "0.2"
    assert price.attributes["unit_of_measurement"] == "EUR/kWh"
    await _set(hass, PRICE_LIMIT, 1000)  # set back to its maximum: the limit is gone
    assert handle.price_limit is None


async def test_ready_by_time(
    hass: HomeAssistant, charger: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A time of day becomes the next such time; one set by the action shows too."""
    freezer.move_to(
        dt_util.as_utc(datetime(2025, 6, 2, 8, 0, tzinfo=dt_util.get_default_time_zone()))
    )
    handle = charger.runtime_data.handle
    await hass.services.async_call(
        "time", "set_value", {"entity_id": READY_BY, "time": "07:30:00"}, blocking=True
    )
    assert handle.ready_by is not None
    local = dt_util.as_local(handle.ready_by)
    assert (local.day, local.hour, local.minute) == (3, 7, 30)  # 07:30 has passed today
    assert hass.states.get(READY_BY).state == "07:30:00"
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "ocpp:CP1")})
    assert device is not None
    await hass.services.async_call(
        DOMAIN,
        "set_target",
        {"device_id": device.id, "soc": 90, "ready_by": "18:15:00"},
        blocking=True,
    )
    assert hass.states.get(READY_BY).state == "18:15:00"
    assert hass.states.get(TARGET_SOC).state == "90.0"


async def test_boost_button_uses_the_boost_duration(
    hass: HomeAssistant, charger: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The button boosts for the configured duration; so does the action without one."""
    handle = charger.runtime_data.handle
    assert hass.states.get(BOOST_DURATION).state == "60.0"
    await hass.services.async_call("button", "press", {"entity_id": BOOST}, blocking=True)
    assert handle.boosting
    assert handle.boost_until == dt_util.now() + timedelta(hours=1)
    assert handle.request().mode == "fast"
    await _set(hass, BOOST_DURATION, 30)
    await hass.services.async_call("button", "press", {"entity_id": BOOST}, blocking=True)
    assert handle.boost_until == dt_util.now() + timedelta(minutes=30)
    handle.set_mode(handle.mode)  # ends the boost
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, "ocpp:CP1")})
    assert device is not None
    await hass.services.async_call(DOMAIN, "boost", {"device_id": device.id}, blocking=True)
    assert handle.boost_until == dt_util.now() + timedelta(minutes=30)


async def test_boost_button_by_energy(hass: HomeAssistant, charger: MockConfigEntry) -> None:
    """With a boost energy set, the button's boost also ends once that much is charged."""
    handle = charger.runtime_data.handle
    assert hass.states.get(BOOST_ENERGY).state == "0.0"  # by time only
    await _set(hass, BOOST_ENERGY, 5)
    await hass.services.async_call("button", "press", {"entity_id": BOOST}, blocking=True)
    assert handle.boost_energy_kwh == pytest.approx(handle.session_energy_kwh + 5)
    with patch.object(
        type(handle), "session_energy_kwh", PropertyMock(return_value=handle.boost_energy_kwh)
    ):
        assert handle.expire_boost(dt_util.now())  # 5 kWh in: back to the mode before
    assert not handle.boosting


async def test_settings_survive_a_restart(
    hass: HomeAssistant, charger: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Settings are stored, and back on the handle before the charger is controlled."""
    await _set(hass, MAX, 10)
    await _set(hass, TARGET_SOC, 80)
    await _set(hass, TARGET_ENERGY, 20)
    await _set(hass, PRICE_LIMIT, 0.15)
    await _set(hass, CAPACITY, 60)
    await _set(hass, BOOST_DURATION, 45)
    await hass.services.async_call(
        "time", "set_value", {"entity_id": READY_BY, "time": "06:45:00"}, blocking=True
    )
    assert await hass.config_entries.async_reload(charger.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[storage_key(charger.entry_id)]["data"]["settings"]
    assert stored["currents"] == {"min": 6.0, "max": 10.0, "options": [6.0, 16.0]}
    handle = charger.runtime_data.handle
    assert handle.config.max_current_a == 10
    assert (
        charger.runtime_data.site.coordinator.allocator_settings().chargers[0].max_current_a == 10
    )
    assert (handle.target_soc_pct, handle.target_energy_kwh) == (80, 20)
    assert (handle.price_limit, handle.battery_capacity_kwh) == (0.15, 60)
    assert handle.boost_duration == timedelta(minutes=45)
    for entity_id, state in (
        (MAX, "10.0"),
        (TARGET_SOC, "80.0"),
        (BOOST_DURATION, "45.0"),
        (READY_BY, "06:45:00"),
    ):
        assert hass.states.get(entity_id).state == state


async def test_settings_are_saved_while_running(
    hass: HomeAssistant,
    charger: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A change is written a few seconds later, without waiting for a shutdown."""
    await _set(hass, TARGET_ENERGY, 15)
    assert storage_key(charger.entry_id) not in hass_storage
    freezer.tick(timedelta(seconds=6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    stored = hass_storage[storage_key(charger.entry_id)]["data"]["settings"]
    assert stored["target_energy"] == 15


async def _start_with_stored(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    entry: MockConfigEntry,
    **settings: Any,
) -> None:
    """Start the site as after a restart, with ``settings`` in the charger's store."""
    hass_storage[storage_key(entry.entry_id)] = _stored(entry.entry_id, **settings)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()


def _stored(entry_id: str, **settings: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "minor_version": 1,
        "key": storage_key(entry_id),
        "data": {"settings": settings},
    }


@pytest.mark.parametrize(
    ("options", "currents", "expected"),
    [
        # Options unchanged since the live change: the live range holds.
        ({}, {"min": 8.0, "max": 10.0, "options": [6.0, 16.0]}, (8, 10)),
        # Changed under Configure since: the options win.
        ({CONF_MAX_CURRENT: 20.0}, {"min": 8.0, "max": 10.0, "options": [6.0, 16.0]}, (6, 20)),
        # The live range no longer fits the other options: dropped.
        (
            {CONF_FALLBACK_CURRENT: 12.0},
            {"min": 8.0, "max": 10.0, "options": [6.0, 16.0]},
            (6, 16),
        ),
    ],
)
async def test_stored_settings_after_a_restart(
    hass: HomeAssistant,
    *,
    site_inputs: None,
    site_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    options: dict[str, Any],
    currents: dict[str, Any],
    expected: tuple[float, float],
) -> None:
    """Stored settings are loaded; a ready-by time that passed moves to the next day."""
    freezer.move_to(datetime(2025, 6, 2, 15, 0, tzinfo=UTC))  # no DST change in reach
    entry = charger_entry(hass, **options)
    passed = (dt_util.now() - timedelta(hours=2)).replace(microsecond=0)
    await _start_with_stored(
        hass,
        site_entry,
        hass_storage,
        entry,
        currents=currents,
        ready_by=passed.isoformat(),
        target_soc=70,
    )
    handle = entry.runtime_data.handle
    assert (handle.config.min_current_a, handle.config.max_current_a) == expected
    assert handle.ready_by == passed + timedelta(days=1)
    assert handle.target_soc_pct == 70


@pytest.mark.parametrize("select_enabled", [True, False])
async def test_the_modes_come_back_from_the_store(
    hass: HomeAssistant,
    *,
    site_inputs: None,
    site_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    entity_registry: er.EntityRegistry,
    select_enabled: bool,
) -> None:
    """Off after a restart; "Charging: on" returns to solar, not to fast charging.

    The store keeps both modes, so a disabled mode select changes nothing.
    """
    entry = charger_entry(hass)
    if not select_enabled:
        entity_registry.async_get_or_create(
            "select",
            DOMAIN,
            f"{entry.unique_id}_mode",
            config_entry=entry,
            suggested_object_id="acme_wallbox_11_cp1_mode",
            disabled_by=er.RegistryEntryDisabler.USER,
        )
    await _start_with_stored(
        hass, site_entry, hass_storage, entry, mode="off", last_active_mode="pv"
    )
    handle = entry.runtime_data.handle
    assert handle.mode is ChargerMode.OFF
    assert (hass.states.get(MODE_SELECT) is not None) is select_enabled
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": CHARGING_SWITCH}, blocking=True
    )
    assert handle.mode is ChargerMode.PV


async def test_unusable_stored_data_is_ignored(
    hass: HomeAssistant,
    site_inputs: None,
    site_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Broken stored settings or session do not stop the charger from loading."""
    entry = charger_entry(hass)
    stored = _stored(entry.entry_id, boost_minutes="soon")
    stored["data"]["session"] = {"started": "x"}
    hass_storage[storage_key(entry.entry_id)] = stored
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert "Stored settings of CP1 are unusable" in caplog.text
    assert "Stored session of CP1 is unusable" in caplog.text
    assert entry.runtime_data.handle.session.started is None


async def test_an_unknown_stored_mode_leaves_the_rest(
    hass: HomeAssistant,
    site_inputs: None,
    site_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A mode a newer version wrote is skipped; the other settings still come back."""
    entry = charger_entry(hass)
    await _start_with_stored(
        hass, site_entry, hass_storage, entry, mode="turbo", target_soc=70, boost_minutes=15
    )
    handle = entry.runtime_data.handle
    assert "Stored mode of CP1 is unknown: turbo" in caplog.text
    assert handle.mode is ChargerMode.FAST
    assert handle.target_soc_pct == 70
    assert handle.boost_duration == timedelta(minutes=15)


async def test_odd_stored_values_cost_only_themselves(
    hass: HomeAssistant,
    site_inputs: None,
    site_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """An unknown phase mode, a ready-by years ahead, a zero boost energy: the rest holds."""
    freezer.move_to(datetime(2026, 3, 10, 17, 40, tzinfo=UTC))
    entry = charger_entry(hass)
    far = datetime(2100, 1, 1, 14, 30, tzinfo=UTC)  # an older version took any date
    await _start_with_stored(
        hass,
        site_entry,
        hass_storage,
        entry,
        mode="pv",
        phase_mode="7p",
        ready_by=far.isoformat(),
        boost_energy=0,
        target_soc=70,
    )
    handle = entry.runtime_data.handle
    assert handle.mode is ChargerMode.PV
    assert handle.target_soc_pct == 70
    assert handle.boost_energy_setting_kwh is None  # 0: by time only
    assert handle.ready_by is not None
    assert handle.ready_by - dt_util.now() <= timedelta(days=1)  # its time, next occurrence
    assert dt_util.as_local(handle.ready_by).time() == dt_util.as_local(far).time()


async def test_removing_a_charger_removes_its_store(
    hass: HomeAssistant, charger: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """A deleted charger leaves no stored settings behind."""
    await _set(hass, TARGET_SOC, 50)
    assert await hass.config_entries.async_reload(charger.entry_id)
    assert storage_key(charger.entry_id) in hass_storage
    await hass.config_entries.async_remove(charger.entry_id)
    await hass.async_block_till_done()
    assert storage_key(charger.entry_id) not in hass_storage


async def test_grid_limit_number(hass: HomeAssistant, charger: MockConfigEntry) -> None:
    """The number shows and sets the grid limit; its maximum means none."""
    coordinator = charger.runtime_data.site.coordinator
    state = hass.states.get(GRID_LIMIT)
    assert float(state.state) == CAPACITY_W
    assert state.attributes["max"] == CAPACITY_W
    await _set(hass, GRID_LIMIT, 5000)
    assert coordinator.grid_limit is not None
    assert (coordinator.grid_limit.power_w, coordinator.grid_limit.expires_at) == (5000, None)
    assert coordinator.data.allocation.external_limit_w == 5000
    assert hass.states.get(GRID_LIMIT).state == "5000.0"
    await _set(hass, GRID_LIMIT, CAPACITY_W)
    assert coordinator.grid_limit is None
    assert coordinator.data.allocation.external_limit_w is None
    device = dr.async_get(hass).async_get_device(
        identifiers={(DOMAIN, charger.data["site_entry_id"])}
    )
    assert device is not None
    await hass.services.async_call(
        DOMAIN,
        "set_grid_limit",
        {"device_id": device.id, "power": 4200, "duration": {"minutes": 15}},
        blocking=True,
    )
    state = hass.states.get(GRID_LIMIT)
    assert state.state == "4200.0"
    until = coordinator.grid_limit.expires_at if coordinator.grid_limit else None
    assert until is not None
    assert state.attributes["until"] == until.isoformat()


async def test_total_ev_power(hass: HomeAssistant, charger: MockConfigEntry) -> None:
    """The site shows what its chargers draw together."""
    assert hass.states.get(EV_POWER).state == "0.0"
    reading = ChargerReading(status=ChargerStatus.CHARGING, power_w=7000.0)
    with (
        patch.object(OcppCharger, "reading", new_callable=PropertyMock, return_value=reading),
        patch.object(OcppCharger, "async_apply", AsyncMock()),
    ):
        await charger.runtime_data.site.coordinator.async_refresh()
    assert hass.states.get(EV_POWER).state == "7000.0"
