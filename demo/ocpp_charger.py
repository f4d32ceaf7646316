"""A simulated OCPP 1.6J charge point with a car, connecting to the integration's server.

    python -m demo.ocpp_charger --url ws://127.0.0.1:9100 --id driveway --status-file F

A client of the ``ocpp`` library (over aiohttp's websocket client, which Home Assistant
already brings; the library only needs ``recv``/``send``). It boots (retrying while the
central system says Pending, at once when it triggers a boot), reports its status, runs a
transaction while a car is plugged in, sends MeterValues every
``MeterValueSampleInterval`` and heartbeats, and answers what the central system asks:
GetConfiguration, ChangeConfiguration, SetChargingProfile, ClearChargingProfile,
GetCompositeSchedule, TriggerMessage, RemoteStart/StopTransaction. The car follows the
profiles' limit (A or W) with the lag of ``demo.ev``. A lost connection is retried with
backoff; the car keeps charging on the installed profiles meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import UTC, datetime
import logging
from pathlib import Path
import time
from typing import Any

import aiohttp
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from . import ev, proc
from .ocpp_station import CONNECTOR, READ_ONLY, Station, change_configuration
from .profiles import clear, composite_periods, install, parse_profile

TICK_S = 1.0
VENDOR = "Demo"
MODEL = "OCPP Wallbox"
CAR = ev.Car(capacity_kwh=60.0, max_current_a=16.0, target_soc_pct=90.0)


def utcnow() -> datetime:
    """The time now (UTC)."""
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    """A timestamp as chargers send them."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Connection:
    """The ``connection`` the library expects, over an aiohttp client websocket."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap a connected websocket."""
        self.websocket = websocket

    async def recv(self) -> str:
        """Return the next text frame; raise ConnectionError when the socket closes."""
        message = await self.websocket.receive()
        if message.type is aiohttp.WSMsgType.TEXT:
            return str(message.data)
        raise ConnectionError(f"closed ({message.type.name})")

    async def send(self, message: str) -> None:
        """Send a text frame."""
        await self.websocket.send_str(message)


class DemoChargePoint(ChargePoint):
    """Answers the central system's CALLs; the loop in ``Link`` sends the charger's own."""

    def __init__(self, cp_id: str, connection: Connection, link: Link) -> None:
        """Bind the library's charge point to the station behind it."""
        super().__init__(cp_id, connection)
        self.link = link
        self.station = link.station

    @on(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None, **_: Any) -> Any:
        """Return the asked keys (all without a list)."""
        configuration = self.station.configuration
        keys = key or list(configuration)
        known = [
            {"key": k, "readonly": k in READ_ONLY, "value": configuration[k]}
            for k in keys
            if k in configuration
        ]
        unknown = [k for k in keys if k not in configuration]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str, **_: Any) -> Any:
        """Change a configuration key."""
        status = change_configuration(self.station.configuration, key, value)
        return call_result.ChangeConfiguration(status=status)

    @on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **_: Any
    ) -> Any:
        """Install a charging profile."""
        try:
            profile = parse_profile(connector_id, cs_charging_profiles, utcnow())
        except (KeyError, TypeError, ValueError):
            return call_result.SetChargingProfile(status="Rejected")
        self.station.profiles = install(self.station.profiles, profile)
        self.link.wake()
        return call_result.SetChargingProfile(status="Accepted")

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        id: int | None = None,  # noqa: A002 - the library's keyword
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        **_: Any,
    ) -> Any:
        """Remove matching profiles."""
        self.station.profiles, cleared = clear(
            self.station.profiles,
            profile_id=id,
            connector_id=connector_id,
            purpose=charging_profile_purpose,
            stack_level=stack_level,
        )
        self.link.wake()
        return call_result.ClearChargingProfile(status="Accepted" if cleared else "Unknown")

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None, **_: Any
    ) -> Any:
        """The limit ahead, in A (the charger converts W profiles)."""
        if charging_rate_unit not in (None, "A"):
            return call_result.GetCompositeSchedule(status="Rejected")
        now = utcnow()
        station = self.station
        periods = composite_periods(
            station.profiles,
            connector_id=connector_id or CONNECTOR,
            now=now,
            transaction_id=station.transaction_id,
            tx_start=station.tx_start,
            voltage_v=230.0,
            duration_s=duration,
        )
        if not periods:
            return call_result.GetCompositeSchedule(status="Rejected")
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=stamp(now),
            charging_schedule={
                "duration": duration,
                "charging_rate_unit": "A",
                "charging_schedule_period": [
                    {"start_period": start, "limit": limit} for start, limit in periods
                ],
            },
        )

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message: str, **_: Any) -> Any:
        """Send a message on request (after answering)."""
        known = ("BootNotification", "StatusNotification", "MeterValues", "Heartbeat")
        status = "Accepted" if requested_message in known else "NotImplemented"
        return call_result.TriggerMessage(status=status)

    @after(Action.trigger_message)
    def after_trigger_message(self, requested_message: str, **_: Any) -> None:
        """Queue the triggered message for the loop."""
        self.link.request(requested_message)

    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag: str, **_: Any) -> Any:
        """Start again after a remote stop (a new car starts by itself: free vending)."""
        station = self.station
        if not station.plugged or station.transaction_id is not None:
            return call_result.RemoteStartTransaction(status="Rejected")
        station.stopped_remotely = False
        self.link.wake()
        return call_result.RemoteStartTransaction(status="Accepted")

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, transaction_id: int, **_: Any) -> Any:
        """Stop the running transaction."""
        if transaction_id != self.station.transaction_id:
            return call_result.RemoteStopTransaction(status="Rejected")
        self.link.request("StopTransaction")
        return call_result.RemoteStopTransaction(status="Accepted")


class Link:
    """One charge point's life: the car's physics and the connection to the central system."""

    def __init__(self, url: str, cp_id: str, status_file: Path | None) -> None:
        """Prepare a charge point with a car plugged in."""
        self.url = url.rstrip("/")
        self.cp_id = cp_id
        self.status_file = status_file
        visits = ev.Visits()
        self.station = Station(
            car=CAR, visits=visits, driveway=ev.arrive(visits, 0, time.monotonic())
        )
        self.connected = False
        self.accepted = False
        self._requests: set[str] = set()
        self._wake = asyncio.Event()
        self._heartbeat_s = 300.0
        self._sent_status: str | None = None
        self._last_meter = 0.0
        self._last_heartbeat = 0.0
        self._said_limit: float | None = None

    def say(self, message: str) -> None:
        """Tell the story."""
        proc.say(self.cp_id, message)

    def wake(self) -> None:
        """Run the loop now (something changed)."""
        self._wake.set()

    def request(self, message: str) -> None:
        """Send ``message`` from the loop soon (a trigger, a remote stop)."""
        self._requests.add(message)
        self.wake()

    # ---- physics --------------------------------------------------------------------

    async def physics(self) -> None:
        """Move the car every second, connected or not, and publish the state."""
        last = time.monotonic()
        while True:
            await asyncio.sleep(TICK_S)
            now_s, now = time.monotonic(), utcnow()
            plugged = self.station.plugged
            self.station.tick(now_s, now, now_s - last)
            last = now_s
            if plugged != self.station.plugged:
                self.wake()
            self._tell_changes(now)
            if self.status_file is not None:
                snapshot = self.station.snapshot(now)
                proc.write_status(
                    self.status_file,
                    {"name": self.cp_id, "connected": self.connected, **snapshot},
                )

    def _tell_changes(self, now: datetime) -> None:
        limit = self.station.limit_a(now)
        rounded = None if limit is None else round(limit, 1)
        if rounded != self._said_limit:
            self.say(f"limit {_amps(self._said_limit)} -> {_amps(rounded)}")
            self._said_limit = rounded

    # ---- connection -----------------------------------------------------------------

    async def run(self) -> None:
        """Stay connected: reconnect with backoff after every loss."""
        backoff = 1.0
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.ws_connect(
                        f"{self.url}/{self.cp_id}", protocols=("ocpp1.6",)
                    ) as websocket:
                        backoff = 1.0
                        self.connected = True
                        self.say(f"connected to {self.url}")
                        await self._serve(websocket)
                except (aiohttp.ClientError, ConnectionError, OSError, TimeoutError) as err:
                    reason = str(err) or type(err).__name__
                    self.say(f"no connection ({reason}); retrying in {backoff:.0f} s")
                finally:
                    self.connected = False
                    self.accepted = False
                await asyncio.sleep(backoff)
                backoff = min(30.0, backoff * 2)

    async def _serve(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        cp = DemoChargePoint(self.cp_id, Connection(websocket), self)
        receiver = asyncio.create_task(cp.start())
        worker = asyncio.create_task(self._work(cp))
        try:
            done, _ = await asyncio.wait({receiver, worker}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if (error := task.exception()) is not None:
                    raise error
        finally:
            for task in (receiver, worker):
                task.cancel()
            await asyncio.gather(receiver, worker, return_exceptions=True)
        raise ConnectionError("the central system closed the connection")

    async def _work(self, cp: DemoChargePoint) -> None:
        await self._boot(cp)
        self._sent_status = None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_S)
            self._wake.clear()
            requests, self._requests = self._requests, set()
            if "BootNotification" in requests:
                await self._boot(cp)
            stop = "StopTransaction" in requests
            if self.station.plugged and self.station.transaction_id is None:
                await self._report(cp, requests)  # Preparing, before the transaction starts
                requests = set()
            await self._transaction(cp, stop=stop)
            await self._report(cp, requests)

    async def _boot(self, cp: DemoChargePoint) -> None:
        """Boot until accepted: retry after the interval, or at once when triggered."""
        self.accepted = False
        while True:
            result = await cp.call(
                call.BootNotification(
                    charge_point_vendor=VENDOR,
                    charge_point_model=MODEL,
                    charge_point_serial_number=f"SIM-{self.cp_id}",
                    firmware_version="1.0.0-demo",
                )
            )
            interval = float(getattr(result, "interval", 60) or 60)
            if getattr(result, "status", None) == "Accepted":
                self._heartbeat_s = interval
                self.accepted = True
                self.say("boot accepted")
                return
            self.say(f"boot {getattr(result, 'status', 'unanswered')}: waiting to be accepted")
            deadline = time.monotonic() + interval
            while "BootNotification" not in self._requests and time.monotonic() < deadline:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), deadline - time.monotonic())
            self._requests.discard("BootNotification")

    async def _transaction(self, cp: DemoChargePoint, *, stop: bool) -> None:
        station, now = self.station, utcnow()
        tx = station.transaction_id
        if tx is not None and (stop or not station.plugged):
            reason = "Remote" if stop else "EVDisconnected"
            await cp.call(
                call.StopTransaction(
                    meter_stop=round(station.energy_wh),
                    timestamp=stamp(now),
                    transaction_id=tx,
                    reason=reason,
                )
            )
            station.transaction_id, station.tx_start = None, None
            station.stopped_remotely = stop and station.plugged
            self.say(f"transaction {tx} stopped ({reason})")
        elif tx is None and station.plugged and not station.stopped_remotely:
            result = await cp.call(
                call.StartTransaction(
                    connector_id=CONNECTOR,
                    id_tag="DEMO-CAR",
                    meter_start=round(station.energy_wh),
                    timestamp=stamp(now),
                )
            )
            station.transaction_id, station.tx_start = int(result.transaction_id), now
            soc = station.driveway.ev.soc_pct if station.driveway.ev else 0.0
            self.say(f"car plugged in at {soc:.0f} %: transaction {result.transaction_id}")
        if not station.plugged:
            station.stopped_remotely = False

    async def _report(self, cp: DemoChargePoint, requests: set[str]) -> None:
        station, now, clock = self.station, utcnow(), time.monotonic()
        status = station.status(now)
        if status != self._sent_status or "StatusNotification" in requests:
            await cp.call(
                call.StatusNotification(connector_id=CONNECTOR, error_code="NoError", status=status)
            )
            if status != self._sent_status:
                self.say(f"status {status}")
            self._sent_status = status
        interval = float(station.configuration["MeterValueSampleInterval"])
        if clock - self._last_meter >= interval or "MeterValues" in requests:
            self._last_meter = clock
            await cp.call(
                call.MeterValues(
                    connector_id=CONNECTOR,
                    transaction_id=station.transaction_id,
                    meter_value=[
                        {"timestamp": stamp(now), "sampled_value": station.sampled_values(now)}
                    ],
                )
            )
        if clock - self._last_heartbeat >= self._heartbeat_s or "Heartbeat" in requests:
            self._last_heartbeat = clock
            await cp.call(call.Heartbeat())


def _amps(value: float | None) -> str:
    return "none" if value is None else f"{value:.1f} A"


def main() -> None:
    """Parse the command line and run the charge point until stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the central system, ws://host:port")
    parser.add_argument("--id", default="driveway", help="the charge point id")
    parser.add_argument("--status-file", type=Path, help="publish the state here (JSON)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    link = Link(args.url, args.id, args.status_file)

    async def run() -> None:
        physics = asyncio.create_task(link.physics())
        try:
            await link.run()
        finally:
            physics.cancel()
            await asyncio.gather(physics, return_exceptions=True)

    proc.run(run)


if __name__ == "__main__":
    main()
