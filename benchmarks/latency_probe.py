"""Reaction time in a real Home Assistant: a grid sensor change until the new profile arrives.

Not part of the test suite (pytest only collects ``tests/``): ``benchmarks/bench_latency.py``
runs this file with pytest, because pytest-homeassistant-custom-component builds the
Home Assistant test instance. Loopback only (127.0.0.1, port chosen by the OS).

Setup: a site (25 A fuse, grid power sensor, PV sensor), the built-in OCPP server, one
charger (3-phase, 6-16 A) and an ``ocpp``-library charge point that reports charging at
whatever limit it was last sent. Then, ``SAMPLES`` times: the clock jumps 20 s (so that
the previous change has settled and a raise is allowed, like a real minute of calm), the
loop goes quiet, the grid sensor is set - alternately a house load that leaves 3-5 A less
than the car draws (a cut) and one that leaves room for more (a raise, up to 4 A per
step) - and the time until the
client's SetChargingProfile handler runs is taken on the kernel's monotonic clock.
That path is: state_changed event -> coordinator refresh (debounced, immediate) ->
snapshot -> ``allocate`` -> dispatcher task -> OCPP driver -> websocket -> client.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
import os
from pathlib import Path
import random
from typing import Any

from freezegun import freeze_time
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_fire_time_changed,
)

from benchmarks.latency_client import ProbeClient, real_clock
from custom_components.smart_charging.const import (
    CONF_CHARGE_POINT_ID,
    CONF_GRID_POWER,
    CONF_GRID_SIGN,
    CONF_MAIN_FUSE,
    CONF_MAX_CURRENT,
    CONF_OCPP_HOST,
    CONF_OCPP_PORT,
    CONF_PHASES,
    CONF_PROTOCOL,
    CONF_PV_POWER,
    CONF_SITE_ENTRY_ID,
    CONF_VOLTAGE,
    DOMAIN,
)
from custom_components.smart_charging.flow_charger import DEFAULT_CHARGER_OPTIONS

SAMPLES = int(os.environ.get("LATENCY_SAMPLES", "60"))
GRID, PV = "sensor.grid_power", "sensor.pv_power"
SITE_ID = "01JSMARTCHARGINGLATENCY000"
CP = "LAT1"
WAIT_S = 10.0  # a safety net per awaited event (real seconds)
QUIET_S = 0.25


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Load the integration from custom_components/."""


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """Let the OCPP server bind to 127.0.0.1."""


def _power(hass: HomeAssistant, entity_id: str, watts: float) -> None:
    hass.states.async_set(
        entity_id, f"{watts:.0f}", {"unit_of_measurement": "W", "device_class": "power"}
    )


async def _next_profile(client: ProbeClient) -> tuple[float, float]:
    """(arrival, limit) of the next live profile (stack level above the safe default)."""
    deadline = real_clock() + WAIT_S
    while True:
        remaining = deadline - real_clock()
        if remaining <= 0:
            raise TimeoutError("no profile arrived")
        arrived, profile = await _get(client.cp.profiles, remaining)
        if profile["stack_level"] > 0:
            period = profile["charging_schedule"]["charging_schedule_period"][0]
            return arrived, float(period["limit"])


async def _get(queue: asyncio.Queue[Any], seconds: float) -> Any:
    """``queue.get()`` bounded by real seconds (the loop clock may be frozen or jump)."""
    deadline = real_clock() + seconds
    while queue.empty():
        if real_clock() > deadline:
            raise TimeoutError("nothing arrived")
        await asyncio.sleep(0)
        await asyncio.sleep(0.001)
    return queue.get_nowait()


async def _follow(hass: HomeAssistant, client: ProbeClient, house_a: float, amps: float) -> float:
    """The car follows its new limit: the grid meter sees it, then the charger reports it."""
    _power(hass, GRID, (house_a + amps) * 690)
    await client.cp.report("Charging", amps)
    return amps


async def _quiet(hass: HomeAssistant, client: ProbeClient) -> float | None:
    """Let every pending task finish and no profile arrive for QUIET_S; return the last limit."""
    last = None
    while True:
        await hass.async_block_till_done()
        try:
            _, profile = await _get(client.cp.profiles, QUIET_S)
        except TimeoutError:
            return last
        if profile["stack_level"] > 0:
            last = float(profile["charging_schedule"]["charging_schedule_period"][0]["limit"])


async def test_reaction_time(hass: HomeAssistant) -> None:
    """Measure SAMPLES reactions; write them to $LATENCY_OUT."""
    _power(hass, GRID, 2000)
    _power(hass, PV, 0)
    site = MockConfigEntry(
        domain=DOMAIN,
        title="Latency",
        unique_id=GRID,
        entry_id=SITE_ID,
        version=1,
        data={
            CONF_GRID_POWER: GRID,
            CONF_GRID_SIGN: "import_positive",
            CONF_MAIN_FUSE: 25.0,
            CONF_PHASES: 3,
            CONF_VOLTAGE: 230.0,
            CONF_PV_POWER: PV,
        },
        options={CONF_OCPP_PORT: 0, CONF_OCPP_HOST: "127.0.0.1"},
    )
    site.add_to_hass(hass)
    charger = MockConfigEntry(
        domain=DOMAIN,
        title=f"Probe ({CP})",
        unique_id=f"ocpp:{CP}",
        data={CONF_SITE_ENTRY_ID: SITE_ID, CONF_PROTOCOL: "ocpp", CONF_CHARGE_POINT_ID: CP},
        options={**DEFAULT_CHARGER_OPTIONS, CONF_MAX_CURRENT: 16.0},
    )
    charger.add_to_hass(hass)
    assert await hass.config_entries.async_setup(site.entry_id)  # noqa: S101
    await hass.async_block_till_done()
    assert charger.state is ConfigEntryState.LOADED  # noqa: S101
    link = site.runtime_data.ocpp
    client = await ProbeClient.connect(link.server.port, CP)
    samples: list[dict[str, Any]] = []
    try:
        await client.cp.boot()
        driver = charger.runtime_data.handle.driver
        deadline = real_clock() + WAIT_S
        while not driver.diagnostics()["ready"]:
            if real_clock() > deadline:
                raise TimeoutError("charger not ready")
            await asyncio.sleep(0.01)
        amps = 10.0  # what the car draws: the last limit it was sent
        await client.cp.report("Charging", amps)
        rng = random.Random(10)
        house_a = 2000 / 690 - amps  # what the grid sensor said so far
        with freeze_time(dt_util.utcnow(), tick=True) as frozen:
            for index in range(SAMPLES):
                # Calm: let time pass until a tick sends nothing (the last limit settled).
                for _ in range(6):
                    frozen.tick(timedelta(seconds=20))
                    async_fire_time_changed(hass)
                    _power(hass, PV, 0)  # inputs report again (they would go stale)
                    _power(hass, GRID, (house_a + amps) * 690)
                    last_input = real_clock()
                    settled = await _quiet(hass, client)
                    if settled is None:
                        break
                    amps = await _follow(hass, client, house_a, settled)
                # The meter reports at its own pace: the change comes 0.25-1 s after the last
                # input, sometimes inside the coordinator's 0.5 s debounce cooldown.
                await asyncio.sleep(rng.uniform(0.0, 0.75))
                cut = index % 2 == 0
                room = max(6.5, amps - rng.uniform(3.0, 5.0)) if cut else rng.uniform(19.0, 21.0)
                house_a = 23.0 - room  # fuse 25 A - margin 2 A - house load = room for the car
                began = real_clock()
                _power(hass, GRID, (house_a + amps) * 690)
                arrived, limit = await _next_profile(client)
                samples.append(
                    {
                        "kind": "cut" if limit < amps else "raise",
                        "seconds": arrived - began,
                        "since_last_input_s": began - last_input,
                        "from_a": amps,
                        "to_a": limit,
                    }
                )
                if arrived < began:
                    raise RuntimeError("a profile arrived before the change")
                amps = await _follow(hass, client, house_a, limit)
    finally:
        await client.close()
        await hass.config_entries.async_unload(site.entry_id)
        await hass.async_block_till_done()
    out = Path(os.environ.get("LATENCY_OUT", "latency_samples.json"))
    await hass.async_add_executor_job(out.write_text, json.dumps(samples))
