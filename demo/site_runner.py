"""The simulated site's meter, solar inverter and price feed, reporting to Home Assistant.

    SMART_CHARGING_DEMO_TOKEN=... python -m demo.site_runner --url URL --chargers DIR

Every second: read the oven switch (``input_boolean.demo_oven``) and the chargers'
status files, compute the house load, solar and what the grid meter sees (house +
chargers - solar, per phase), and report them with ``POST /api/states/<entity_id>``.

Why the REST API and not template sensors: a meter must be seen reporting even when its
value does not change (the integration judges freshness by ``last_reported`` and goes to
failsafe after the maximum input age), and a state posted again with the same value
counts as a fresh report, exactly like a real meter integration pushing readings. The
price sensor is posted in the Nord Pool custom component's format whenever a new slot
starts (and every minute).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
import os
from pathlib import Path
import time
from typing import Any, Final
from zoneinfo import ZoneInfo

import aiohttp

from . import proc
from .hass_api import Hass, HassError
from .site import SOLAR_PEAK_W, SiteModel, grid, house_phases_w, price_sensor, slot_start, solar_w

TOKEN_ENV: Final = "SMART_CHARGING_DEMO_TOKEN"  # noqa: S105 - the variable's name
OVEN: Final = "input_boolean.demo_oven"
GRID_POWER: Final = "sensor.demo_grid_power"
GRID_CURRENTS: Final = tuple(f"sensor.demo_grid_current_l{n}" for n in (1, 2, 3))
SOLAR: Final = "sensor.demo_solar_power"
HOUSE: Final = "sensor.demo_house_power"
PRICE: Final = "sensor.demo_electricity_price"
TICK_S: Final = 1.0
PRICE_REFRESH_S: Final = 60.0


def _power(name: str) -> dict[str, Any]:
    return {
        "unit_of_measurement": "W",
        "device_class": "power",
        "state_class": "measurement",
        "friendly_name": name,
    }


def _current(name: str) -> dict[str, Any]:
    return {
        "unit_of_measurement": "A",
        "device_class": "current",
        "state_class": "measurement",
        "friendly_name": name,
    }


def ev_currents(directory: Path | None) -> tuple[float, float, float]:
    """The chargers' draw per phase, from their status files (stale ones count as 0)."""
    totals = [0.0, 0.0, 0.0]
    if directory is None:
        return (0.0, 0.0, 0.0)
    for path in sorted(directory.glob("*.json")):
        status = proc.read_status(path)
        if status is None:
            continue
        for phase, current in enumerate(status.get("currents_a", [])[:3]):
            totals[phase] += float(current)
    return (totals[0], totals[1], totals[2])


class SiteRunner:
    """Reports the simulated site to Home Assistant."""

    def __init__(self, hass: Hass, model: SiteModel, chargers: Path | None) -> None:
        """Prepare the reports."""
        self.hass = hass
        self.model = model
        self.chargers = chargers
        self.zone = ZoneInfo("UTC")
        self.currency = "EUR"
        self._oven: bool | None = None
        self._price_slot: datetime | None = None
        self._price_sent = 0.0

    async def setup(self) -> None:
        """Take the time zone and currency from Home Assistant's configuration."""
        config = await self.hass.request("GET", "/api/config")
        self.zone = ZoneInfo(config.get("time_zone") or "UTC")
        self.currency = config.get("currency") or "EUR"

    async def oven_on(self) -> bool:
        """Whether the oven switch is on (off when it cannot be read)."""
        try:
            state = await self.hass.get_state(OVEN)
        except (HassError, aiohttp.ClientError, TimeoutError):
            return bool(self._oven)
        return state is not None and state.get("state") == "on"

    async def report(self, now: datetime) -> None:
        """One round of readings."""
        oven = await self.oven_on()
        if oven != self._oven:
            proc.say("site", f"oven {'on' if oven else 'off'}")
            self._oven = oven
        house = house_phases_w(self.model, now, oven=oven)
        solar = solar_w(self.model, now)
        meter = grid(house, ev_currents(self.chargers), solar)
        reports = [
            (GRID_POWER, f"{meter.power_w:.0f}", _power("Demo grid power")),
            (SOLAR, f"{solar:.0f}", _power("Demo solar power")),
            (HOUSE, f"{sum(house):.0f}", _power("Demo house load")),
        ]
        reports += [
            (entity_id, f"{current:.2f}", _current(f"Demo grid current L{n}"))
            for n, (entity_id, current) in enumerate(
                zip(GRID_CURRENTS, meter.currents_a, strict=True), start=1
            )
        ]
        slot = slot_start(now)
        if slot != self._price_slot or time.monotonic() - self._price_sent > PRICE_REFRESH_S:
            price = price_sensor(self.model, now, self.currency)
            reports.append((PRICE, price["state"], price["attributes"]))
            self._price_slot, self._price_sent = slot, time.monotonic()
        await asyncio.gather(
            *(self.hass.set_state(entity_id, state, attrs) for entity_id, state, attrs in reports)
        )

    async def run(self) -> None:
        """Report every second; ride out a Home Assistant restart."""
        await self.setup()
        proc.say("site", f"meter, solar and prices reporting to {self.hass.base_url}")
        failing = False
        while True:
            started = time.monotonic()
            try:
                await self.report(datetime.now(self.zone))
                if failing:
                    proc.say("site", "reporting again")
                failing = False
            except (HassError, aiohttp.ClientError, TimeoutError) as err:
                if not failing:
                    proc.say("site", f"cannot report ({err}); retrying")
                failing = True
            await asyncio.sleep(max(0.1, TICK_S - (time.monotonic() - started)))


def main() -> None:
    """Parse the command line and report until stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="Home Assistant, http://host:port")
    parser.add_argument("--chargers", type=Path, help="the chargers' status files")
    parser.add_argument("--solar-peak", type=float, default=SOLAR_PEAK_W, help="W")
    args = parser.parse_args()
    token = os.environ.get(TOKEN_ENV)
    if not token:
        parser.error(f"set {TOKEN_ENV} to a Home Assistant access token")

    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            hass = Hass(args.url, session)
            hass.token = token
            await SiteRunner(hass, SiteModel(solar_peak_w=args.solar_peak), args.chargers).run()

    proc.run(run)


if __name__ == "__main__":
    main()
