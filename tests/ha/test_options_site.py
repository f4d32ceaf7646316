"""Site tuning in the options flow: PV, grid signal, circuits, and their effect."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import CONF_CIRCUIT
from custom_components.smart_charging.engine.model import CircuitConfig, DeratingCurve

from .test_ocpp import charger_entry

TEMP = "sensor.garage_temperature"


async def _open(hass: HomeAssistant, entry: MockConfigEntry, *steps: str) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    for step in steps:
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"next_step_id": step}
        )
    return result


async def _submit(hass: HomeAssistant, result: dict[str, Any], data: dict[str, Any]) -> Any:
    result = await hass.config_entries.options.async_configure(result["flow_id"], data)
    await hass.async_block_till_done()
    return result


async def test_pv_settings_reach_the_engine(
    hass: HomeAssistant, loaded_site: MockConfigEntry
) -> None:
    """PV thresholds, delays and the battery priority land in the allocator settings."""
    result = await _open(hass, loaded_site, "pv")
    result = await _submit(
        hass,
        result,
        {
            "pv_enable_threshold": 500.0,
            "pv_disable_threshold": -200.0,
            "pv_enable_delay": 30.0,
            "pv_disable_delay": 300.0,
            "battery_priority_soc": 60,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    settings = loaded_site.runtime_data.coordinator.allocator_settings()
    assert (settings.pv_enable_threshold_w, settings.pv_disable_threshold_w) == (500, -200)
    assert (settings.pv_enable_delay_s, settings.pv_disable_delay_s) == (30, 300)
    assert settings.battery_priority_soc_pct == 60
    assert loaded_site.options["ocpp_port"] == 0  # other groups are kept


async def test_tuning_applies_in_place_and_the_rest_reloads(
    hass: HomeAssistant, loaded_site: MockConfigEntry
) -> None:
    """A PV delay changes without a reload (chargers stay connected); a new input reloads."""
    coordinator = loaded_site.runtime_data.coordinator
    coordinator.set_grid_limit(5000, None)
    result = await _submit(hass, await _open(hass, loaded_site, "pv"), {"pv_enable_delay": 30.0})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_site.runtime_data.coordinator is coordinator  # not reloaded
    assert coordinator.allocator_settings().pv_enable_delay_s == 30
    assert coordinator.grid_limit is not None

    hass.states.async_set("sensor.dimming", "6000", {"unit_of_measurement": "W"})
    result = await _open(hass, loaded_site, "grid_signal")
    await _submit(hass, result, {"grid_limit_entity": "sensor.dimming"})
    assert loaded_site.state is ConfigEntryState.LOADED
    reloaded = loaded_site.runtime_data.coordinator
    assert reloaded is not coordinator  # a new entity to follow: the site reloaded
    # The grid limit set before holds on (the site's grid limit number restores it).
    assert reloaded.grid_limit is not None
    assert reloaded.grid_limit.power_w == 5000
    # A new name reloads too: repair issues carry it.
    hass.config_entries.async_update_entry(loaded_site, title="Holiday home")
    await hass.async_block_till_done()
    assert loaded_site.runtime_data.coordinator is not reloaded


async def test_start_threshold_below_stop_threshold_is_refused(
    hass: HomeAssistant, loaded_site: MockConfigEntry
) -> None:
    """Charging would start at a surplus it stops at."""
    result = await _open(hass, loaded_site, "pv")
    result = await _submit(
        hass, result, {"pv_enable_threshold": -500.0, "pv_disable_threshold": 0.0}
    )
    assert result["errors"] == {"pv_enable_threshold": "enable_below_disable"}


async def test_grid_signal_entity_caps_the_chargers(
    hass: HomeAssistant, loaded_site: MockConfigEntry
) -> None:
    """An entity carries the limit; without a reading its failsafe applies, never none."""
    hass.states.async_set("sensor.dimming", "6000", {"unit_of_measurement": "W"})
    result = await _open(hass, loaded_site, "grid_signal")
    result = await _submit(
        hass,
        result,
        {
            "grid_limit_entity": "sensor.dimming",
            "grid_limit_failsafe": 3000,
            "grid_limit_14a": True,
        },
    )
    assert result["errors"] == {"grid_limit_failsafe": "below_14a_minimum"}
    result = await _submit(
        hass,
        result,
        {
            "grid_limit_entity": "sensor.dimming",
            "grid_limit_failsafe": 4200,
            "grid_limit_14a": True,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    coordinator = loaded_site.runtime_data.coordinator
    assert coordinator.data.allocation.external_limit_w == 6000
    hass.states.async_set("sensor.dimming", "unavailable")
    await hass.async_block_till_done()
    await coordinator.async_refresh()
    assert coordinator.data.allocation.external_limit_w == 4200
    # An action's limit combines with the entity's: the stricter one wins, §14a floor kept.
    coordinator.set_grid_limit(1000, None)
    await coordinator.async_refresh()
    assert coordinator.data.allocation.external_limit_w == 4200


async def test_circuit_tree_add_edit_remove(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> None:
    """Circuits are added, validated, renamed (children and chargers follow) and removed."""
    hass.states.async_set(TEMP, "25", {"unit_of_measurement": "°C"})
    hass.states.async_set("sensor.fahrenheit", "80", {"unit_of_measurement": "°F"})
    charger = charger_entry(hass)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()

    result = await _open(hass, site_entry, "circuits")
    assert result["menu_options"] == ["circuit_add"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "circuit_add"}
    )
    garage = {"circuit_name": "Garage", "circuit_limit": 32.0, "circuit_parent": "main_fuse"}
    for change, errors in (
        ({"circuit_name": "!!"}, {"circuit_name": "circuit_name_invalid"}),
        (
            {"temperature_entity": "sensor.none", "derate_start": 40, "derate_end": 60},
            {"temperature_entity": "entity_not_found"},
        ),
        (
            {"temperature_entity": "sensor.fahrenheit", "derate_start": 40, "derate_end": 60},
            {"temperature_entity": "unit_not_celsius"},
        ),
        ({"temperature_entity": TEMP, "derate_end": 60}, {"derate_start": "derating_incomplete"}),
        ({"derate_start": 40, "derate_end": 60}, {"temperature_entity": "derating_without_entity"}),
        (
            {"temperature_entity": TEMP, "derate_start": 60, "derate_end": 40},
            {"derate_end": "derating_order"},
        ),
    ):
        result = await _submit(hass, result, {**garage, **change})
        assert result["errors"] == errors
    result = await _submit(
        hass,
        result,
        {
            **garage,
            "temperature_entity": TEMP,
            "derate_start": 40,
            "derate_end": 60,
            "derate_min_fraction": 0.5,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY

    result = await _open(hass, site_entry, "circuits", "circuit_add")
    result = await _submit(hass, result, {**garage, "circuit_limit": 16.0})
    assert result["errors"] == {"circuit_name": "circuit_exists"}
    result = await _submit(
        hass,
        result,
        {"circuit_name": "Wallbox row", "circuit_limit": 16.0, "circuit_parent": "garage"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    settings = site_entry.runtime_data.coordinator.allocator_settings()
    assert set(settings.circuits) == {
        CircuitConfig("garage", 32.0, None, DeratingCurve(40.0, 60.0, 0.5)),
        CircuitConfig("wallbox_row", 16.0, "garage"),
    }

    # The charger goes on the row; its options now offer the circuits.
    result = await hass.config_entries.options.async_init(charger.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "charger"}
    )
    assert CONF_CIRCUIT in {str(key) for key in result["data_schema"].schema}
    hass.config_entries.async_update_entry(
        charger, options={**charger.options, CONF_CIRCUIT: "wallbox_row"}
    )
    await hass.async_block_till_done()
    assert charger.runtime_data.handle.config.circuit_id == "wallbox_row"

    # Removing the garage is refused while the row hangs off it; the row while in use.
    result = await _open(hass, site_entry, "circuits", "circuit_remove")
    result = await _submit(hass, result, {CONF_CIRCUIT: "garage"})
    assert result["errors"] == {CONF_CIRCUIT: "circuit_has_children"}
    result = await _submit(hass, result, {CONF_CIRCUIT: "wallbox_row"})
    assert result["errors"] == {CONF_CIRCUIT: "circuit_in_use"}

    # Renaming the row moves the charger along.
    result = await _open(hass, site_entry, "circuits", "circuit_edit")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CIRCUIT: "wallbox_row"}
    )
    assert result["step_id"] == "circuit"
    result = await _submit(
        hass, result, {"circuit_name": "Carport", "circuit_limit": 20.0, "circuit_parent": "garage"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert charger.options[CONF_CIRCUIT] == "carport"
    assert charger.state is ConfigEntryState.LOADED
    assert charger.runtime_data.handle.config.circuit_id == "carport"

    # Renaming the garage keeps the carport under it; then the carport can go.
    result = await _open(hass, site_entry, "circuits", "circuit_edit")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CIRCUIT: "garage"}
    )
    result = await _submit(hass, result, {"circuit_name": "Garage DB", "circuit_limit": 32.0})
    circuits = {c["id"]: c for c in site_entry.options["circuits"]}
    assert circuits["carport"]["circuit_parent"] == "garage_db"
    hass.config_entries.async_update_entry(
        charger, options={k: v for k, v in charger.options.items() if k != CONF_CIRCUIT}
    )
    await hass.async_block_till_done()
    result = await _open(hass, site_entry, "circuits", "circuit_remove")
    result = await _submit(hass, result, {CONF_CIRCUIT: "carport"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [c["id"] for c in site_entry.options["circuits"]] == ["garage_db"]


async def test_circuit_temperature_derates(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> None:
    """A hot circuit's sensor derates it; its changes trigger a cycle."""
    hass.states.async_set(TEMP, "25", {"unit_of_measurement": "°C"})
    hass.config_entries.async_update_entry(
        site_entry,
        options={
            **site_entry.options,
            "circuits": [
                {
                    "id": "garage",
                    "circuit_name": "Garage",
                    "circuit_limit": 32.0,
                    "circuit_parent": "main_fuse",
                    "temperature_entity": TEMP,
                    "derate_start": 40.0,
                    "derate_end": 60.0,
                    "derate_min_fraction": 0.5,
                }
            ],
        },
    )
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = site_entry.runtime_data.coordinator
    assert coordinator.data.snapshot.circuits[0].temperature_c == 25
    hass.states.async_set(TEMP, "55", {"unit_of_measurement": "°C"})
    await hass.async_block_till_done()
    assert coordinator.data.snapshot.circuits[0].temperature_c == 55
    hass.states.async_set(TEMP, "unavailable")
    await coordinator.async_refresh()
    assert coordinator.data.snapshot.circuits[0].temperature_c is None


@pytest.mark.parametrize("bad", ["abc", "nan"])
async def test_unreadable_grid_limit_uses_failsafe(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry, bad: str
) -> None:
    """A non-numeric grid limit is treated as missing."""
    hass.states.async_set("sensor.dimming", bad)
    hass.config_entries.async_update_entry(
        site_entry, options={**site_entry.options, "grid_limit_entity": "sensor.dimming"}
    )
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert site_entry.runtime_data.coordinator.data.allocation.external_limit_w == 4200
