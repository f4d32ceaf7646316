"""Modbus chargers in Home Assistant: the add flow with its probe, control, warnings."""

from __future__ import annotations

from collections.abc import AsyncGenerator
import socket
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import DOMAIN
from custom_components.smart_charging.drivers.base import ChargerStatus
from custom_components.smart_charging.drivers.modbus import (
    ModbusTimeoutError,
    ModbusUnexpectedValueError,
    ModbusWrongUnitError,
)
from tests.drivers.modbus_fake import FakeCharger, FakeClock
from tests.drivers.modbus_fake_server import FakeModbusServer
from tests.drivers.modbus_helpers import wait_reading
from tests.drivers.modbus_vendors import GoE, Vestel

from .conftest import GRID, set_power

VESTEL_SERIAL_ID = "modbus:"  # completed from the fake's serial number below


@pytest.fixture(autouse=True)
async def unload_everything(hass: HomeAssistant) -> AsyncGenerator[None]:
    """Unload the entries before the fake chargers go away, so pollers stop cleanly."""
    yield
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def vestel() -> AsyncGenerator[FakeModbusServer]:
    """A Vestel EVC04 on 127.0.0.1 with a car plugged in."""
    server = FakeModbusServer(FakeCharger(Vestel(), now=FakeClock().monotonic))
    server.charger.vehicle.plugged = True
    await server.start()
    yield server
    await server.stop()


async def _add(hass: HomeAssistant, form: dict[str, Any]) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["site", "modbus"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "modbus"}
    )
    assert result["step_id"] == "modbus"
    return await hass.config_entries.flow.async_configure(result["flow_id"], form)


def _form(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "profile": "vestel_evc04",
        "host": "127.0.0.1",
        "port": port,
        "charger_phases": "3",
        "phase_wiring": "l1",
        "min_current": 6,
        "max_current": 16,
        **extra,
    }


async def test_add_modbus_charger_and_control_it(
    hass: HomeAssistant,
    loaded_site: MockConfigEntry,
    vestel: FakeModbusServer,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The flow reads the charger first; the charger is then controlled like any other."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_port = closed.getsockname()[1]
    result = await _add(hass, _form(dead_port))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(vestel.port, name="Garage", min_current=20)
    )
    assert result["errors"] == {"min_current": "min_above_max"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(vestel.port, name="Garage")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Garage"
    entry = result["result"]
    assert entry.unique_id.startswith("modbus:")
    assert entry.data["unit_id"] == 255
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    device = device_registry.async_get_device(identifiers={(DOMAIN, entry.unique_id)})
    assert device is not None
    assert device.name == "Garage"

    driver = entry.runtime_data.handle.driver
    await wait_reading(driver, lambda r: r.status is ChargerStatus.CHARGING)
    coordinator = loaded_site.runtime_data.coordinator
    await coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert vestel.charger.setpoint_a > 0
    assert hass.states.get("sensor.garage_status").state == "charging"

    # The house load jumps: the Modbus charger is paused like an OCPP one would be.
    set_power(hass, GRID, 21000)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.garage_reason").state == "site_fuse"
    assert vestel.charger.setpoint_a == 0

    # The same identity is refused a second time.
    result = await _add(hass, _form(vestel.port))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    # Its options have no OCPP compatibility options.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "charger"}
    )
    keys = {str(key) for key in result["data_schema"].schema}
    assert "stack_level" not in keys
    assert "safe_current" in keys


async def test_custom_register_map(
    hass: HomeAssistant, loaded_site: MockConfigEntry, vestel: FakeModbusServer
) -> None:
    """A custom map is checked field by field, then probed like a built-in one."""
    result = await _add(hass, _form(vestel.port, profile="custom", unit_id=255))
    assert result["step_id"] == "modbus_custom"
    custom = {
        "state_address": 1000,
        "state_register_type": "input",
        "state_map": "0=available, 1=preparing, 2=charging",
        "setpoint_address": 5004,
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**custom, "state_map": "zero=available"}
    )
    assert result["errors"] == {"state_map": "invalid_register_map"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], custom)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["custom_registers"]["state_address"] == 1000
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_charger_without_watchdog_raises_a_warning(
    hass: HomeAssistant, loaded_site: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    """A charger that cannot fall back by itself is flagged in repairs."""
    server = FakeModbusServer(FakeCharger(GoE(), now=FakeClock().monotonic))
    await server.start()
    try:
        result = await _add(hass, _form(server.port, profile="go_e", name="Carport"))
        assert result["type"] is FlowResultType.CREATE_ENTRY
        entry = result["result"]
        await hass.async_block_till_done()
        issue = issue_registry.async_get_issue(DOMAIN, f"modbus_no_failsafe_{entry.entry_id}")
        assert issue is not None
        assert issue.translation_placeholders == {"charger": "Carport", "model": "go-eCharger"}
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
        assert (
            issue_registry.async_get_issue(DOMAIN, f"modbus_no_failsafe_{entry.entry_id}") is None
        )
    finally:
        await server.stop()


async def test_modbus_needs_a_site(hass: HomeAssistant) -> None:
    """Without a loaded site, the Modbus step says to set one up first."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["step_id"] == "user"
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    flow = hass.config_entries.flow._progress[result["flow_id"]]
    result = await flow.async_step_modbus()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_site"


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (ModbusTimeoutError("no answer"), "timeout"),
        (ModbusWrongUnitError("gateway", code=11), "wrong_unit"),
        (ModbusUnexpectedValueError("illegal address", raw=2), "unexpected_value"),
    ],
)
async def test_probe_errors_then_retry(
    hass: HomeAssistant,
    loaded_site: MockConfigEntry,
    vestel: FakeModbusServer,
    error: Exception,
    key: str,
) -> None:
    """Each way a charger can fail the connection test has its own message."""
    with patch("custom_components.smart_charging.flow_modbus.async_probe", side_effect=error):
        result = await _add(hass, _form(vestel.port))
    assert result["errors"] == {"base": key}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(vestel.port))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_unknown_profile_fails_setup(
    hass: HomeAssistant, loaded_site: MockConfigEntry
) -> None:
    """An entry naming a profile this version does not know cannot load, and says why."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="modbus:x",
        data={
            "site_entry_id": loaded_site.entry_id,
            "protocol": "modbus",
            "host": "127.0.0.1",
            "port": 1,
            "unit_id": 1,
            "profile": "retired_model",
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "register map" in entry.reason
