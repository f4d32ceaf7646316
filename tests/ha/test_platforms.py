"""Snapshot tests of the site's entities and diagnostics."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.smart_charging.const import DOMAIN


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "site_inputs")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.SWITCH])
async def test_entities(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every site entity, its registry entry and its state match the snapshot."""
    with patch("custom_components.smart_charging.SITE_PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(site_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, site_entry.entry_id)


async def test_site_device(
    hass: HomeAssistant, loaded_site: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """One device represents the site."""
    device = device_registry.async_get_device(identifiers={(DOMAIN, loaded_site.entry_id)})
    assert device is not None
    assert device.name == "Home"
    assert device.model == "Charging site"


async def test_per_phase_sensors_disabled_by_default(
    hass: HomeAssistant, loaded_site: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """Per-phase detail sensors exist but start disabled."""
    entry = entity_registry.async_get("sensor.home_headroom_l2")
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get("sensor.home_headroom_l2") is None


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_site: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics hold the configuration and the latest cycle, with ids redacted."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, loaded_site)
    assert result["entry"]["unique_id"] == "**REDACTED**"
    assert {key: result[key] for key in ("entry", "site")} == snapshot
    cycle = result["last_cycle"]
    assert cycle["success"] is True
    assert cycle["failsafe"] is False
    assert cycle["pv_surplus_w"] == -1150
    assert cycle["import_headroom_w"] == 9850
    assert cycle["snapshot"]["grid_power_w"] == 1150
    assert [i["status"] for i in cycle["snapshot"]["inputs"]] == ["ok", "ok"]
