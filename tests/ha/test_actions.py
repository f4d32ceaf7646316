"""Mode switches and actions: consistent with the mode select, translated errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.smart_charging.const import DOMAIN

from .test_ocpp import charger_entry

MODE = "select.acme_wallbox_11_cp1_mode"
SWITCHES = {
    "fast": "switch.acme_wallbox_11_cp1_fast_charging",
    "pv": "switch.acme_wallbox_11_cp1_solar_charging",
    "min_pv": "switch.acme_wallbox_11_cp1_solar_plus_minimum",
    "smart": "switch.acme_wallbox_11_cp1_smart_charging",
}
CHARGING = "switch.acme_wallbox_11_cp1_charging"


@pytest.fixture
async def charger(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> MockConfigEntry:
    """A loaded charger of the loaded test site."""
    entry = charger_entry(hass)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


def _device(hass: HomeAssistant, identifier: str) -> str:
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, identifier)})
    assert device is not None
    return device.id


def _states(hass: HomeAssistant) -> dict[str, str]:
    return {mode: hass.states.get(entity).state for mode, entity in SWITCHES.items()} | {
        "charging": hass.states.get(CHARGING).state,
        "select": hass.states.get(MODE).state,
    }


async def _switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call("switch", service, {"entity_id": entity_id}, blocking=True)
    await hass.async_block_till_done()


async def test_mode_switches_follow_and_drive_the_select(
    hass: HomeAssistant, charger: MockConfigEntry
) -> None:
    """Exactly the active mode's switch is on; switches and select always agree."""
    assert _states(hass) == {
        "fast": "on",
        "pv": "off",
        "min_pv": "off",
        "smart": "off",
        "charging": "on",
        "select": "fast",
    }
    await _switch(hass, "turn_on", SWITCHES["pv"])
    assert _states(hass) == {
        "fast": "off",
        "pv": "on",
        "min_pv": "off",
        "smart": "off",
        "charging": "on",
        "select": "pv",
    }
    await _switch(hass, "turn_off", SWITCHES["fast"])  # not the active one: nothing happens
    assert _states(hass)["select"] == "pv"
    await _switch(hass, "turn_off", SWITCHES["pv"])
    assert _states(hass) == {
        "fast": "off",
        "pv": "off",
        "min_pv": "off",
        "smart": "off",
        "charging": "off",
        "select": "off",
    }
    await _switch(hass, "turn_on", CHARGING)  # back to the last mode used
    assert _states(hass)["select"] == "pv"
    await hass.services.async_call(
        "select", "select_option", {"entity_id": MODE, "option": "smart"}, blocking=True
    )
    await hass.async_block_till_done()
    assert _states(hass)["smart"] == "on"
    await _switch(hass, "turn_off", CHARGING)
    assert _states(hass)["select"] == "off"


async def test_set_mode_action(hass: HomeAssistant, charger: MockConfigEntry) -> None:
    """set_mode targets a charger device."""
    device_id = _device(hass, "ocpp:CP1")
    await hass.services.async_call(
        DOMAIN, "set_mode", {"device_id": device_id, "mode": "min_pv"}, blocking=True
    )
    await hass.async_block_till_done()
    assert hass.states.get(MODE).state == "min_pv"
    assert hass.states.get(SWITCHES["min_pv"]).state == "on"


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("set_mode", {"mode": "turbo"}, "unknown_mode"),
        ("set_target", {}, "target_required"),
        ("set_target", {"soc": 120}, "soc_out_of_range"),
        ("set_target", {"soc": 0}, "soc_out_of_range"),
        ("set_target", {"energy": 0}, "energy_out_of_range"),
        ("set_target", {"soc": 80, "ready_by": "2020-01-01T07:00:00"}, "ready_by_in_past"),
        ("set_target", {"soc": 80, "ready_by": "2099-01-01T07:00:00"}, "ready_by_too_far"),
        ("boost", {"energy": -1}, "energy_out_of_range"),
    ],
)
async def test_charger_action_errors(
    hass: HomeAssistant, charger: MockConfigEntry, service: str, data: dict[str, Any], key: str
) -> None:
    """Bad input is refused with a translated validation error."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, service, {"device_id": _device(hass, "ocpp:CP1"), **data}, blocking=True
        )
    assert err.value.translation_key == key
    assert err.value.translation_domain == DOMAIN


async def test_actions_check_the_device(hass: HomeAssistant, charger: MockConfigEntry) -> None:
    """A site is not a charger, a charger is not a site, and strangers are refused."""
    site_device = _device(hass, charger.data["site_entry_id"])
    charger_device = _device(hass, "ocpp:CP1")
    for service, data, key in (
        ("set_mode", {"device_id": site_device, "mode": "pv"}, "not_a_charger"),
        ("set_grid_limit", {"device_id": charger_device, "power": 1000}, "not_a_site"),
        ("set_mode", {"device_id": "nope", "mode": "pv"}, "unknown_device"),
        ("set_grid_limit", {"device_id": site_device, "power": -5}, "negative_limit"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(DOMAIN, service, data, blocking=True)
        assert err.value.translation_key == key


async def test_set_target_stops_at_the_target(
    hass: HomeAssistant, charger: MockConfigEntry
) -> None:
    """A target is handed to the engine; a time of day becomes the next such time."""
    await hass.services.async_call(
        DOMAIN,
        "set_target",
        {"device_id": _device(hass, "ocpp:CP1"), "soc": 80, "ready_by": "07:00:00"},
        blocking=True,
    )
    handle = charger.runtime_data.handle
    assert handle.target_soc_pct == 80
    assert handle.ready_by is not None
    assert (handle.ready_by.hour, handle.ready_by.minute) == (7, 0)
    in_three_days = (dt_util.now() + timedelta(days=3)).replace(tzinfo=None).isoformat()
    assert handle.request().target_soc_pct == 80
    await hass.services.async_call(
        DOMAIN,
        "set_target",
        {"device_id": _device(hass, "ocpp:CP1"), "energy": 12.5, "ready_by": in_three_days},
        blocking=True,
    )
    assert handle.request().target_energy_kwh == 12.5
    assert handle.target_soc_pct is None  # one kind of target at a time
    assert handle.ready_by is not None
    assert handle.ready_by.date() == dt_util.parse_datetime(in_three_days).date()
    # "Charge the car to 80 percent" (no time): the ready-by set before holds.
    await hass.services.async_call(
        DOMAIN, "set_target", {"device_id": _device(hass, "ocpp:CP1"), "soc": 80}, blocking=True
    )
    assert handle.target_soc_pct == 80
    assert handle.target_energy_kwh is None
    assert handle.ready_by.date() == dt_util.parse_datetime(in_three_days).date()


async def test_boost_runs_fast_then_returns(
    hass: HomeAssistant, charger: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A boost charges as fast mode for its duration, then the previous mode is back."""
    handle = charger.runtime_data.handle
    handle.set_mode(handle.mode.__class__("pv"))
    await hass.services.async_call(
        DOMAIN,
        "boost",
        {"device_id": _device(hass, "ocpp:CP1"), "duration": {"minutes": 30}},
        blocking=True,
    )
    assert handle.boosting
    assert handle.request().mode == "fast"
    assert hass.states.get(MODE).state == "pv"  # the mode to return to is kept
    freezer.tick(timedelta(minutes=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert not handle.boosting
    assert handle.request().mode == "pv"


async def test_grid_limit_applies_then_lapses(
    hass: HomeAssistant, charger: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A grid limit with a duration caps the chargers, then the normal limits apply."""
    coordinator = charger.runtime_data.site.coordinator
    await hass.services.async_call(
        DOMAIN,
        "set_grid_limit",
        {
            "device_id": _device(hass, charger.data["site_entry_id"]),
            "power": 4200,
            "duration": {"minutes": 15},
        },
        blocking=True,
    )
    assert coordinator.data.allocation.external_limit_w == 4200
    freezer.tick(timedelta(minutes=16))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert coordinator.grid_limit is None
    assert coordinator.data.allocation.external_limit_w is None


async def test_clear_grid_limit(hass: HomeAssistant, charger: MockConfigEntry) -> None:
    """A grid limit without a duration holds until it is cleared."""
    site_device = _device(hass, charger.data["site_entry_id"])
    coordinator = charger.runtime_data.site.coordinator
    await hass.services.async_call(
        DOMAIN, "set_grid_limit", {"device_id": site_device, "power": 0}, blocking=True
    )
    assert coordinator.data.allocation.external_limit_w == 0
    await hass.services.async_call(
        DOMAIN, "clear_grid_limit", {"device_id": site_device}, blocking=True
    )
    assert coordinator.grid_limit is None
    assert coordinator.data.allocation.external_limit_w is None
