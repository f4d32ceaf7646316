"""Charger entries: settings, entities, mode, diagnostics, repairs and lifecycle."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
import socket
from typing import Any
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryDisabler, ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache,
    mock_restore_cache_with_extra_data,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.smart_charging.charger import site_currents
from custom_components.smart_charging.const import (
    CONF_FALLBACK_CURRENT,
    CONF_OCPP_PORT,
    DOMAIN,
)
from custom_components.smart_charging.diagnostics import _redact, mask
from custom_components.smart_charging.drivers.base import (
    ChargerReading,
    ChargerStatus,
    ChargerTimeoutError,
    ChargerUnavailableError,
    ServerStartError,
)
from custom_components.smart_charging.drivers.ocpp import Admission
from custom_components.smart_charging.engine.model import ChargerConfig, Phase
from tests.drivers.ocpp_helpers import ClientFactory, is_ready, wait_until

from .test_ocpp import CP, charger_entry, server_port

MODE = "select.acme_wallbox_11_cp1_mode"
REASON = "sensor.acme_wallbox_11_cp1_reason"
STATUS = "sensor.acme_wallbox_11_cp1_status"
POWER = "sensor.acme_wallbox_11_cp1_charging_power"
ALLOCATED = "sensor.acme_wallbox_11_cp1_allocated_current"
GRID_LIMIT = "number.home_grid_limit"
SMART_CONTROL = "switch.home_smart_control"


@pytest.fixture
async def loaded_charger(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> MockConfigEntry:
    """A confirmed charger whose site is loaded (the charger is not connected)."""
    entry = charger_entry(hass)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "site_inputs")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.SELECT, Platform.SWITCH])
async def test_charger_entities(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """A charger's entities, offline, match the snapshot."""
    entry = charger_entry(hass)
    with (
        patch("custom_components.smart_charging.CHARGER_PLATFORMS", [platform]),
        patch("custom_components.smart_charging.SITE_PLATFORMS", []),
    ):
        assert await hass.config_entries.async_setup(site_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_offline_charger_explains_itself(
    hass: HomeAssistant, loaded_charger: MockConfigEntry
) -> None:
    """Offline: status says so, measurements are unavailable, the reason is explicit."""
    assert hass.states.get(STATUS).state == "offline"
    assert hass.states.get(POWER).state == "unavailable"
    assert hass.states.get(REASON).state == "not_connected"
    assert hass.states.get(MODE).state == "fast"


async def test_mode_select_drives_the_engine(
    hass: HomeAssistant, loaded_charger: MockConfigEntry, clients: ClientFactory
) -> None:
    """Choosing a mode applies at once; off pauses a charging car."""
    site = hass.config_entries.async_get_entry(loaded_charger.data["site_entry_id"])
    assert site is not None
    client = await clients.connect(server_port(site), CP)
    await client.cp.boot()
    await wait_until(loaded_charger.runtime_data.handle.driver, is_ready)
    await client.cp.status("Charging")
    await hass.async_block_till_done()
    await hass.services.async_call(
        "select", "select_option", {"entity_id": MODE, "option": "off"}, blocking=True
    )
    await hass.async_block_till_done()
    assert hass.states.get(MODE).state == "off"
    assert hass.states.get(REASON).state == "mode_off"
    assert loaded_charger.runtime_data.handle.mode == "off"


async def test_smart_control_switch_pauses_every_charger(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """The site's master switch off: the charger runs at its fallback current, and says so."""
    entry = charger_entry(hass, **{CONF_FALLBACK_CURRENT: 8})
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    client = await clients.connect(server_port(site_entry), CP)
    await client.cp.boot()
    await wait_until(entry.runtime_data.handle.driver, is_ready)
    await client.cp.status("Charging")
    await hass.async_block_till_done()
    assert hass.states.get(REASON).state != "control_paused"
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": SMART_CONTROL}, blocking=True
    )
    assert hass.states.get(SMART_CONTROL).state == "off"
    assert hass.states.get(REASON).state == "control_paused"
    assert hass.states.get(ALLOCATED).state == "8.0"
    await hass.services.async_call("switch", "turn_on", {"entity_id": SMART_CONTROL}, blocking=True)
    assert hass.states.get(SMART_CONTROL).state == "on"
    assert hass.states.get(REASON).state != "control_paused"


async def test_smart_control_pause_survives_a_restart(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> None:
    """A pause in force before a restart holds after it."""
    mock_restore_cache(hass, [State(SMART_CONTROL, "off")])
    charger_entry(hass)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(SMART_CONTROL).state == "off"
    assert site_entry.runtime_data.coordinator.control_paused
    assert hass.states.get(REASON).state == "not_connected"


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ({"cap_w": 5000.0, "until": None}, (5000.0, None)),
        ({"cap_w": 4000.0, "until": "2099-01-01T00:00:00+00:00"}, (4000.0, 2099)),
        ({"cap_w": 4000.0, "until": "2020-01-01T00:00:00+00:00"}, None),  # over
        ({"cap_w": None, "until": None}, None),  # no cap (the state showed the capacity)
        ({"cap_w": 1e9, "until": None}, None),  # above the site's capacity: no cap
        ({"cap_w": "lots", "until": None}, None),
    ],
)
async def test_a_grid_limit_survives_a_restart(
    hass: HomeAssistant,
    site_inputs: None,
    site_entry: MockConfigEntry,
    stored: dict[str, Any],
    expected: tuple[float, int | None] | None,
) -> None:
    """A cap in force before a restart holds after it; one set for a while, while it lasts."""
    # The state shown is unavailable (the last write failed): the stored cap still counts.
    mock_restore_cache_with_extra_data(hass, [(State(GRID_LIMIT, "unavailable"), stored)])
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    limit = site_entry.runtime_data.coordinator.grid_limit
    if expected is None:
        assert limit is None
        return
    assert limit is not None
    until = None if limit.expires_at is None else limit.expires_at.year
    assert (limit.power_w, until) == expected


async def test_mode_is_restored_after_restart(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> None:
    """The user's mode survives a restart, before the charger is controlled."""
    mock_restore_cache(hass, [State(MODE, "pv")])
    entry = charger_entry(hass)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(MODE).state == "pv"
    assert entry.runtime_data.handle.mode == "pv"


async def test_charger_reconfigure_points_to_options(
    hass: HomeAssistant, loaded_charger: MockConfigEntry
) -> None:
    """Reconfigure is for sites; a charger's settings live under Configure."""
    result = await loaded_charger.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "charger_settings_in_options"


async def test_the_engine_gets_when_the_charger_reported(
    hass: HomeAssistant, loaded_charger: MockConfigEntry
) -> None:
    """A charger's state carries its reading's time (to line it up with the meter's)."""
    handle = loaded_charger.runtime_data.handle
    updated = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
    reading = ChargerReading(status=ChargerStatus.CHARGING, currents_a=(6, 6, 6), updated=updated)
    with patch.object(type(handle.driver), "reading", PropertyMock(return_value=reading)):
        assert handle.state(230).measured_at == updated


async def test_charger_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_charger: MockConfigEntry,
) -> None:
    """Charger diagnostics hold its settings, reading and decision."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, loaded_charger)
    assert result["entry"]["unique_id"] == "**REDACTED**"
    assert result["mode"] == "fast"
    assert result["reading"]["status"] == "offline"
    assert result["allocation"]["reason"] == "not_connected"
    assert result["driver"]["connected"] is False
    site = hass.config_entries.async_get_entry(loaded_charger.data["site_entry_id"])
    assert site is not None
    site_diag = await get_diagnostics_for_config_entry(hass, hass_client, site)
    assert site_diag["chargers"] == [CP]  # a short id is a name, not a serial
    assert site_diag["last_cycle"]["allocations"][0]["charger_id"] == CP


def test_diagnostics_show_serials_partly_and_hide_secrets() -> None:
    """Serials and charger ids partly; passwords, id tags and configuration secrets not."""
    data = {
        "entry": {
            "title": "Garage (GARAGE-0042)",
            "data": {"charge_point_id": "GARAGE-0042", "ocpp_password": "0123456789abcdef"},
        },
        "info": {"serial_number": "SN-12345678", "firmware_version": "1.2.3"},
        "chargers": ["modbus:AB12345678", "GARAGE-0042", "CP1"],
        "inputs": ({"entity_id": "sensor.grid_current_l1", "id_tag": "04A1B2C3"},),
        "driver": {
            "configuration": {
                "AuthorizationKey": "00112233445566778899",
                "WifiPassword": "hunter2",
                "NetworkKey": "n3t",
                "BackendUrl": "wss://user:se@cr/et@backend.example/ocpp",
                "MeterValueSampleInterval": "10",
                "GetConfigurationMaxKeys": "50",
            },
            "keys": [
                {"key": "BackendToken", "value": "t0k"},
                {"key": "HeartbeatInterval", "value": "60"},
            ],
        },
    }
    shown = _redact(data, ["modbus:AB12345678", "GARAGE-0042", "CP1", "1"])
    assert shown["entry"] == {
        "title": "Garage (*********42)",
        "data": {"charge_point_id": "*********42", "ocpp_password": "**REDACTED**"},
    }
    assert shown["info"] == {"serial_number": "*********78", "firmware_version": "1.2.3"}
    # A short id is a name, not a serial; "1" is not masked inside entity ids either.
    assert shown["chargers"] == ["modbus:********78", "*********42", "CP1"]
    assert shown["inputs"] == [{"entity_id": "sensor.grid_current_l1", "id_tag": "**REDACTED**"}]
    assert shown["driver"]["configuration"] == {
        "AuthorizationKey": "**REDACTED**",
        "WifiPassword": "**REDACTED**",
        "NetworkKey": "**REDACTED**",
        "BackendUrl": "wss://***@backend.example/ocpp",
        "MeterValueSampleInterval": "10",
        "GetConfigurationMaxKeys": "50",
    }
    assert shown["driver"]["keys"] == [
        {"key": "BackendToken", "value": "**REDACTED**"},
        {"key": "HeartbeatInterval", "value": "60"},
    ]
    assert mask("AA:BB:CC:DD:EE:FF") == "***************FF"
    assert (mask("CP01"), mask("CP02")) == ("***1", "***2")  # still told apart
    keyed = _redact(
        {"per_charger": {"GARAGE-0042": 1}, "log": "GARAGE-0042: offline"}, ["GARAGE-0042"]
    )
    assert keyed == {"per_charger": {"*********42": 1}, "log": "*********42: offline"}


async def test_limit_problems_raise_a_repair_issue(
    hass: HomeAssistant,
    loaded_charger: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A charger that ignores or refuses its limit raises a repair issue until it follows."""
    driver = loaded_charger.runtime_data.handle.driver
    coordinator = loaded_charger.runtime_data.site.coordinator
    with patch.object(type(driver), "reading", replace(driver.reading, limit_mismatch=True)):
        await coordinator.async_refresh()
    issue = issue_registry.async_get_issue(DOMAIN, f"charger_limit_ignored_{CP}")
    assert issue is not None
    assert issue.translation_placeholders == {"charger": "Acme Wallbox 11 (CP1)"}  # its name
    await coordinator.async_refresh()
    assert issue_registry.async_get_issue(DOMAIN, f"charger_limit_ignored_{CP}") is None


async def test_unloading_the_site_unloads_its_chargers(
    hass: HomeAssistant, loaded_charger: MockConfigEntry, site_entry: MockConfigEntry
) -> None:
    """Chargers follow their site down and back up."""
    assert await hass.config_entries.async_unload(site_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_charger.state is ConfigEntryState.NOT_LOADED
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_charger.state is ConfigEntryState.LOADED


async def test_removing_a_charger_forgets_it(
    hass: HomeAssistant, loaded_charger: MockConfigEntry
) -> None:
    """A deleted charger is dropped from its site's control and server."""
    site = hass.config_entries.async_get_entry(loaded_charger.data["site_entry_id"])
    assert site is not None
    await hass.config_entries.async_remove(loaded_charger.entry_id)
    await hass.async_block_till_done()
    assert site.runtime_data.coordinator.chargers == {}
    assert CP not in site.runtime_data.ocpp.server.chargers


async def test_charger_waits_for_a_server(
    hass: HomeAssistant,
    site_inputs: None,
    site_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """With the OCPP port taken, the site loads with a repair issue; chargers wait."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        hass.config_entries.async_update_entry(
            site_entry, options={**site_entry.options, CONF_OCPP_PORT: port}
        )
        entry = charger_entry(hass)
        assert await hass.config_entries.async_setup(site_entry.entry_id)
        await hass.async_block_till_done()
    assert site_entry.state is ConfigEntryState.LOADED
    assert entry.state is ConfigEntryState.SETUP_RETRY
    issue = issue_registry.async_get_issue(DOMAIN, f"ocpp_port_in_use_{site_entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"port": str(port), "site": "Home"}


async def test_charger_of_a_missing_site_fails(hass: HomeAssistant) -> None:
    """A charger whose site was deleted cannot load, and says why."""
    entry = charger_entry(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "no longer exists" in entry.reason


@pytest.mark.parametrize(
    ("config", "reading", "expected"),
    [
        (
            ChargerConfig("a", phases=1, phase=Phase.L3),
            ChargerReading(currents_a=(16, 0, 0)),
            (0, 0, 16),
        ),
        (ChargerConfig("a"), ChargerReading(currents_a=(10, 11, 12)), (10, 11, 12)),
        (ChargerConfig("a"), ChargerReading(power_w=6900), (10, 10, 10)),
        (ChargerConfig("a"), ChargerReading(power_w=2300, active_phases=1), (10, 0, 0)),
        (ChargerConfig("a", phases=1, phase=Phase.L2), ChargerReading(power_w=2300), (0, 10, 0)),
        (ChargerConfig("a"), ChargerReading(status=ChargerStatus.CHARGING), (0, 0, 0)),
    ],
)
def test_site_currents(
    config: ChargerConfig, reading: ChargerReading, expected: tuple[float, float, float]
) -> None:
    """What a charger measures lands on the right site phases."""
    assert site_currents(config, reading, 230).as_tuple() == pytest.approx(expected)


async def test_driver_errors_are_logged_once(
    hass: HomeAssistant,
    loaded_charger: MockConfigEntry,
    clients: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A charger that cannot take its limit is reported once, and again when it recovers."""
    site = hass.config_entries.async_get_entry(loaded_charger.data["site_entry_id"])
    assert site is not None
    client = await clients.connect(server_port(site), CP)
    await client.cp.boot()
    driver = loaded_charger.runtime_data.handle.driver
    await wait_until(driver, is_ready)
    coordinator = site.runtime_data.coordinator
    with patch.object(
        type(driver), "async_apply", side_effect=ChargerTimeoutError("no answer")
    ) as apply:
        await coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
        await coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert apply.call_count == 2
    assert caplog.text.count("did not take its limit") == 1
    assert coordinator.dispatcher.failing == {CP}
    await coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "takes its limits again" in caplog.text
    assert coordinator.dispatcher.failing == set()


async def test_a_charger_not_connected_yet_is_no_warning(
    hass: HomeAssistant,
    loaded_charger: MockConfigEntry,
    clients: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Admitted but not booted again: the limit waits for it, without a warning."""
    site = hass.config_entries.async_get_entry(loaded_charger.data["site_entry_id"])
    assert site is not None
    client = await clients.connect(server_port(site), CP)
    await client.cp.boot()
    driver = loaded_charger.runtime_data.handle.driver
    await wait_until(driver, is_ready)
    coordinator = site.runtime_data.coordinator
    with patch.object(
        type(driver), "async_apply", side_effect=ChargerUnavailableError("not connected")
    ) as apply:
        await coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert apply.call_count == 1
    assert not [r for r in caplog.records if r.levelname == "WARNING" and "limit" in r.message]
    assert coordinator.dispatcher.failing == set()


async def test_discovery_for_an_unloaded_site_aborts(
    hass: HomeAssistant, loaded_site: MockConfigEntry
) -> None:
    """A discovery naming a site that is not loaded is dropped."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": "integration_discovery"},
        data={"site_entry_id": "gone", "charge_point_id": "CP5"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "site_not_loaded"


async def test_server_start_failure_keeps_the_site(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> None:
    """An OCPP server that cannot start leaves the site running without it."""
    with patch(
        "custom_components.smart_charging.ocpp_link.OcppServer.async_start",
        side_effect=ServerStartError("boom"),
    ):
        assert await hass.config_entries.async_setup(site_entry.entry_id)
        await hass.async_block_till_done()
    assert site_entry.state is ConfigEntryState.LOADED
    link = site_entry.runtime_data.ocpp
    assert link is not None
    assert link.server is None


async def test_admission_follows_the_entries(
    hass: HomeAssistant, loaded_charger: MockConfigEntry
) -> None:
    """Confirmed → accept; disabled, or another site's → reject; unknown → pending."""
    site = hass.config_entries.async_get_entry(loaded_charger.data["site_entry_id"])
    assert site is not None
    link = site.runtime_data.ocpp
    assert link.admission(CP) is Admission.ACCEPT
    assert link.admission("new") is Admission.PENDING
    other = charger_entry(hass, "CP2")
    hass.config_entries.async_update_entry(other, data={**other.data, "site_entry_id": "x"})
    assert link.admission("CP2") is Admission.REJECT
    await hass.config_entries.async_set_disabled_by(
        loaded_charger.entry_id, ConfigEntryDisabler.USER
    )
    assert link.admission(CP) is Admission.REJECT


async def test_removing_a_charger_of_an_unloaded_site(
    hass: HomeAssistant, loaded_charger: MockConfigEntry, site_entry: MockConfigEntry
) -> None:
    """Deleting a charger while its site is unloaded is fine."""
    assert await hass.config_entries.async_unload(site_entry.entry_id)
    await hass.config_entries.async_remove(loaded_charger.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(loaded_charger.entry_id) is None
