"""The OCPP central system inside Home Assistant: admission, devices and the control loop."""

from __future__ import annotations

from typing import Any

import aiohttp
from homeassistant.config_entries import SOURCE_IGNORE, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import (
    CONF_CHARGE_POINT_ID,
    CONF_MAX_CURRENT,
    CONF_OCPP_AUTO_ACCEPT,
    CONF_OCPP_PASSWORD,
    CONF_PROTOCOL,
    CONF_SITE_ENTRY_ID,
    DOMAIN,
)
from custom_components.smart_charging.flow_charger import DEFAULT_CHARGER_OPTIONS
from tests.drivers.ocpp_helpers import Client, ClientFactory, is_ready, sampled, wait_until

from .conftest import GRID, set_power

CP = "CP1"
SITE_ID = "01JSMARTCHARGINGSITE000000"


def charger_entry(hass: HomeAssistant, cp_id: str = CP, **options: Any) -> MockConfigEntry:
    """A confirmed charger of the test site."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Acme Wallbox 11 ({cp_id})",
        unique_id=f"ocpp:{cp_id}",
        data={CONF_SITE_ENTRY_ID: SITE_ID, CONF_PROTOCOL: "ocpp", CONF_CHARGE_POINT_ID: cp_id},
        options={**DEFAULT_CHARGER_OPTIONS, **options},
    )
    entry.add_to_hass(hass)
    return entry


def server_port(site: MockConfigEntry) -> int:
    link = site.runtime_data.ocpp
    assert link is not None
    assert link.server is not None
    port = link.server.port
    assert port is not None
    return port


async def test_new_charger_is_discovered_then_accepted(
    hass: HomeAssistant,
    loaded_site: MockConfigEntry,
    clients: ClientFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """An unknown charge point is held Pending and offered; confirming it admits it."""
    client = await clients.connect(server_port(loaded_site), CP)
    assert (await client.cp.boot()).status == "Pending"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["title_placeholders"] == {"name": "Acme Wallbox 11 (CP1)"}
    assert flows[0]["step_id"] == "discovery_confirm"

    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Acme Wallbox 11 (CP1)"
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, "ocpp:CP1")
    assert entry is not None
    assert entry.state is ConfigEntryState.LOADED

    # Admission changed: the central system asks the charger to boot again.
    trigger = await client.cp.next_call("TriggerMessage")
    assert trigger["requested_message"] == "BootNotification"
    driver = entry.runtime_data.handle.driver
    await wait_until(driver, is_ready)
    fallback = [
        p
        for p in client.cp.calls["SetChargingProfile"]
        if p["charging_profile_purpose"] == "TxDefaultProfile" and p["stack_level"] == 0
    ]
    assert fallback, "the safe fallback profile is installed at boot"
    device = device_registry.async_get_device(identifiers={(DOMAIN, "ocpp:CP1")})
    assert device is not None
    assert device.manufacturer == "Acme"
    assert device.model == "Wallbox 11"
    assert device.via_device_id is not None


async def test_auto_accept_creates_the_charger(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """With auto-accept on, a new charge point is accepted and gets its entry at once."""
    hass.config_entries.async_update_entry(
        site_entry,
        options={**site_entry.options, CONF_OCPP_AUTO_ACCEPT: True},
    )
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    client = await clients.connect(server_port(site_entry), "CP7")
    assert (await client.cp.boot()).status == "Accepted"
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, "ocpp:CP7")
    assert entry is not None
    assert entry.state is ConfigEntryState.LOADED
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_ignored_charger_is_refused(
    hass: HomeAssistant, loaded_site: MockConfigEntry, clients: ClientFactory
) -> None:
    """A charge point the user ignored gets HTTP 404 at the handshake."""
    MockConfigEntry(domain=DOMAIN, unique_id="ocpp:CP9", source=SOURCE_IGNORE, data={}).add_to_hass(
        hass
    )
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await clients.connect(server_port(loaded_site), "CP9")
    assert err.value.status == 404


async def test_a_charger_with_its_own_password(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """A charger's own password (its options) replaces the site's for its id only."""
    site_key, own_key = "site-key-0123456789", "cp1-own-key-0123456"
    hass.config_entries.async_update_entry(
        site_entry, options={**site_entry.options, CONF_OCPP_PASSWORD: site_key}
    )
    entry = charger_entry(hass, **{CONF_OCPP_PASSWORD: own_key})
    charger_entry(hass, "CP2")
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    port = server_port(site_entry)
    for cp_id, key in ((CP, site_key), ("CP2", own_key)):
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await clients.connect(port, cp_id, auth=aiohttp.BasicAuth(cp_id, key))
        assert err.value.status == 401
    client = await clients.connect(port, CP, auth=aiohttp.BasicAuth(CP, own_key))
    assert (await client.cp.boot()).status == "Accepted"
    other = await clients.connect(port, "CP2", auth=aiohttp.BasicAuth("CP2", site_key))
    assert (await other.cp.boot()).status == "Accepted"
    # Changed in the charger's options: the connection made with the old key is closed,
    # and only the new key signs in. The other charger stays connected.
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_OCPP_PASSWORD: "cp1-new-key-0123456"}
    )
    await hass.async_block_till_done()
    assert site_entry.runtime_data.ocpp.charger_password(CP) == "cp1-new-key-0123456"
    assert await client.closed() == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert not other.task.done()
    again = await clients.connect(port, CP, auth=aiohttp.BasicAuth(CP, "cp1-new-key-0123456"))
    assert (await again.cp.boot()).status == "Accepted"


async def _charging(client: Client, amps: float) -> None:
    await client.cp.status("Charging")
    await client.cp.meter(
        [sampled("Current.Import", amps, "A", phase) for phase in ("L1", "L2", "L3")]
        + [sampled("Power.Active.Import", amps * 690, "W")]
    )


async def _limit(client: Client, predicate: Any) -> float:
    """Wait for the next live profile whose limit satisfies ``predicate``."""
    while True:
        profile = await client.cp.next_call("SetChargingProfile")
        if profile["stack_level"] == 0:
            continue
        period = profile["charging_schedule"]["charging_schedule_period"][0]
        if predicate(period["limit"]):
            return float(period["limit"])


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_grid_breach_lowers_the_limit_at_the_charger(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """End to end: a grid sensor change that breaches the fuse reaches the charger at once."""
    charger = charger_entry(hass, **{CONF_MAX_CURRENT: 16.0})
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert charger.state is ConfigEntryState.LOADED
    client = await clients.connect(server_port(site_entry), CP)
    assert (await client.cp.boot()).status == "Accepted"
    driver = charger.runtime_data.handle.driver
    await wait_until(driver, is_ready)
    await _charging(client, 10.0)
    await hass.async_block_till_done()
    first = await _limit(client, lambda limit: limit > 0)
    assert first <= 16
    # The meter values' own cycle may still wait in the debouncer's cooldown: run one.
    await site_entry.runtime_data.coordinator.async_refresh()
    assert hass.states.get("sensor.acme_wallbox_11_cp1_current_l2").state == "10.0"
    assert hass.states.get("sensor.acme_wallbox_11_cp1_charging_power").state == "6900.0"
    assert hass.states.get("sensor.acme_wallbox_11_cp1_status").state == "charging"

    # House load jumps: 21 kW import (30.4 A per phase) with the car drawing 10 A.
    set_power(hass, GRID, 21000)
    await hass.async_block_till_done()
    lowered = await _limit(client, lambda limit: limit < first)
    # Non-EV load 20.4 A, fuse 25 A, margin 2 A: at most 2.6 A is left; below the 6 A
    # minimum the charger is paused.
    assert lowered == 0
    reason = hass.states.get("sensor.acme_wallbox_11_cp1_reason")
    assert reason is not None
    assert reason.state == "site_fuse"
    assert hass.states.get("sensor.acme_wallbox_11_cp1_allocated_current").state == "0.0"
