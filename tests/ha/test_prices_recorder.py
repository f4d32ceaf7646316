"""The house load baseline from the recorder's statistics (needs the recorder first)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from tests.drivers.ocpp_helpers import ClientFactory

from .conftest import GRID, PV, set_power
from .test_prices import SOLCAST, _smart_charger, _solcast

HOUSE = "sensor.house_load"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """The recorder must be set up before Home Assistant starts."""


async def test_house_load_from_the_recorder(
    hass: HomeAssistant, site_entry: MockConfigEntry, clients: ClientFactory
) -> None:
    """The mean per hour of day of a house-load sensor replaces the constant."""
    start = dt_util.start_of_local_day() - timedelta(days=2)
    metadata = {
        "has_mean": True,
        "mean_type": 1,
        "has_sum": False,
        "name": None,
        "source": "recorder",
        "statistic_id": HOUSE,
        "unit_of_measurement": "W",
    }
    rows = [
        {"start": (start + timedelta(hours=h)).astimezone(UTC), "mean": 300.0 + 100 * (h % 24)}
        for h in range(48)
    ]
    async_import_statistics(hass, metadata, rows)  # type: ignore[arg-type]
    await async_wait_recording_done(hass)
    hass.states.async_set(HOUSE, "900", {"unit_of_measurement": "W", "device_class": "power"})
    set_power(hass, GRID, 1150)
    set_power(hass, PV, 2.5, "kW")
    hass.states.async_set(SOLCAST, "20", _solcast(5.0))
    options = {
        "pv_forecast": "solcast",
        "solcast_entities": [SOLCAST],
        "house_load": 0,
        "house_load_entity": HOUSE,
    }
    await _smart_charger(hass, site_entry, clients, options)
    await async_wait_recording_done(hass)
    await hass.async_block_till_done()
    feed = site_entry.runtime_data.coordinator.prices
    at = dt_util.start_of_local_day() + timedelta(hours=20, minutes=30)
    assert feed.house_load_kw(at) == pytest.approx(2.3)  # 300 W + 20 * 100 W
