"""Fixtures for the Home Assistant tests."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Any
from unittest.mock import PropertyMock, patch

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.smart_charging.const import (
    CONF_GRID_POWER,
    CONF_GRID_SIGN,
    CONF_MAIN_FUSE,
    CONF_MAX_IMPORT,
    CONF_OCPP_HOST,
    CONF_OCPP_PORT,
    CONF_PHASES,
    CONF_PV_POWER,
    CONF_VOLTAGE,
    DOMAIN,
)
from tests.drivers.ocpp_helpers import ClientFactory

GRID = "sensor.grid_power"
PV = "sensor.pv_power"
L1, L2, L3 = "sensor.grid_l1", "sensor.grid_l2", "sensor.grid_l3"
BATTERY = "sensor.battery_power"
BATTERY_SOC = "sensor.battery_soc"
PRICE = "sensor.price"

SITE_DATA: dict[str, Any] = {
    CONF_GRID_POWER: GRID,
    CONF_GRID_SIGN: "import_positive",
    CONF_MAIN_FUSE: 25.0,
    CONF_PHASES: 3,
    CONF_VOLTAGE: 230.0,
    CONF_MAX_IMPORT: 11.0,
    CONF_PV_POWER: PV,
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load the integration from custom_components/ in every test."""


@pytest.fixture(autouse=True)
def auto_socket_enabled(socket_enabled: None) -> None:
    """Let the site's OCPP server bind to 127.0.0.1 (port 0 in tests)."""


def set_power(hass: HomeAssistant, entity_id: str, value: float | str, unit: str = "W") -> None:
    """Write a power sensor state."""
    hass.states.async_set(
        entity_id, str(value), {"unit_of_measurement": unit, "device_class": "power"}
    )


def set_current(hass: HomeAssistant, entity_id: str, value: float | str, unit: str = "A") -> None:
    """Write a current sensor state."""
    hass.states.async_set(
        entity_id, str(value), {"unit_of_measurement": unit, "device_class": "current"}
    )


@pytest.fixture
def site_inputs(hass: HomeAssistant) -> None:
    """Create every input entity a site may read, with plausible values."""
    set_power(hass, GRID, 1150)
    set_power(hass, PV, 2.5, "kW")
    set_power(hass, BATTERY, -500)
    hass.states.async_set(BATTERY_SOC, "80", {"unit_of_measurement": "%"})
    hass.states.async_set(PRICE, "0.25", {"unit_of_measurement": "EUR/kWh"})
    for entity_id, amps in ((L1, 5.0), (L2, 3.0), (L3, 10.0)):
        set_current(hass, entity_id, amps)


@pytest.fixture
def site_entry(hass: HomeAssistant) -> MockConfigEntry:
    """A site config entry (not yet set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Home",
        unique_id=GRID,
        data=dict(SITE_DATA),
        version=1,
        entry_id="01JSMARTCHARGINGSITE000000",
        options={CONF_OCPP_PORT: 0, CONF_OCPP_HOST: "127.0.0.1"},
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def loaded_site(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> MockConfigEntry:
    """A site entry set up with its inputs present."""
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    return site_entry


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create every entity enabled, including those disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialise Home Assistant objects without volatile ids and timestamps."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def clients() -> AsyncGenerator[ClientFactory]:
    """Simulated charge points, closed after the test."""
    factory = ClientFactory()
    yield factory
    await factory.close()
