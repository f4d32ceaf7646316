"""Simulated OCPP 1.6 charge points (the real ``ocpp`` library over aiohttp) for tests."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
import contextlib
from datetime import UTC, datetime, timedelta
import ssl
from typing import Any

import aiohttp
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result

from custom_components.smart_charging.drivers.base import ChargerReading
from custom_components.smart_charging.drivers.ocpp import Admission, OcppCharger

T0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
WAIT = 10.0  # a safety net for awaited events, never a sleep

DEFAULT_CONFIGURATION = {
    "ChargeProfileMaxStackLevel": "8",
    "ChargingScheduleAllowedChargingRateUnit": "Current,Power",
    "ChargingScheduleMaxPeriods": "24",
    "ConnectorSwitch3to1PhaseSupported": "false",
    "MaxChargingProfilesInstalled": "10",
    "MeterValueSampleInterval": "60",
    "MeterValuesSampledData": "Energy.Active.Import.Register",
    "NumberOfConnectors": "1",
}


class FakeClock:
    """A monotonic and a UTC clock moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.start = T0

    def monotonic(self) -> float:
        return self.now

    def utcnow(self) -> datetime:
        return self.start + timedelta(seconds=self.now - 1000.0)

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Admissions:
    """Admission per id, with a default; counts the questions."""

    def __init__(self, default: Admission) -> None:
        self.default = default
        self.by_id: dict[str, Admission] = {}

    def __call__(self, cp_id: str) -> Admission:
        return self.by_id.get(cp_id, self.default)


class ClientConnection:
    """The ``connection`` the library's ChargePoint expects, over an aiohttp client socket."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self.websocket = websocket

    async def recv(self) -> str:
        message = await self.websocket.receive()
        if message.type is aiohttp.WSMsgType.TEXT:
            return str(message.data)
        raise ConnectionError(f"closed: {message.type}")

    async def send(self, message: str) -> None:
        await self.websocket.send_str(message)


class FakeChargePoint(ChargePoint):
    """A charge point that records what the central system asks and answers as told."""

    def __init__(self, cp_id: str, connection: ClientConnection) -> None:
        super().__init__(cp_id, connection, response_timeout=WAIT)
        self.configuration = dict(DEFAULT_CONFIGURATION)
        self.rejected_measurands: set[str] = set()
        self.profile_status = "Accepted"
        self.fallback_status = "Accepted"
        self.trigger_status = "Accepted"
        self.composite: dict[str, Any] | None = None  # a GetCompositeSchedule answer
        self.answer = True  # False: never answer (a dead charger)
        self.calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._queues: dict[str, asyncio.Queue[dict[str, Any]]] = defaultdict(asyncio.Queue)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._release = asyncio.Event()

    # ---- test API -------------------------------------------------------------------

    async def next_call(self, action: str) -> dict[str, Any]:
        """Wait for the next CALL of ``action`` the central system sends."""
        async with asyncio.timeout(WAIT):
            return await self._queues[action].get()

    def release(self) -> None:
        """Answer again (the calls held so far are answered now)."""
        self.answer = True
        self._release.set()

    def pending(self, action: str) -> int:
        return self._queues[action].qsize()

    async def boot(self, vendor: str = "Acme", model: str = "Wallbox 11") -> Any:
        return await self.call(
            call.BootNotification(
                charge_point_vendor=vendor,
                charge_point_model=model,
                charge_point_serial_number="SN-1",
                firmware_version="1.2.3",
            )
        )

    async def status(self, status: str, connector_id: int = 1, error: str = "NoError") -> Any:
        return await self.call(
            call.StatusNotification(connector_id=connector_id, error_code=error, status=status)
        )

    async def meter(
        self,
        values: list[dict[str, Any]],
        connector_id: int = 1,
        transaction_id: int | None = None,
    ) -> Any:
        return await self.call(
            call.MeterValues(
                connector_id=connector_id,
                transaction_id=transaction_id,
                meter_value=[{"timestamp": "2025-05-01T12:00:00Z", "sampledValue": values}],
            )
        )

    async def start_transaction(self, meter_start: int = 1000) -> int:
        result = await self.call(
            call.StartTransaction(
                connector_id=1,
                id_tag="TAG",
                meter_start=meter_start,
                timestamp="2025-05-01T12:00:00Z",
            )
        )
        return int(result.transaction_id)

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _record(self, action: str, payload: dict[str, Any]) -> None:
        self.calls[action].append(payload)
        self._queues[action].put_nowait(payload)
        if not self.answer:
            await self._release.wait()  # a dead charger until ``release()``

    # ---- handlers -------------------------------------------------------------------

    @on("GetConfiguration")
    async def on_get_configuration(self, key: list[str] | None = None) -> Any:
        await self._record("GetConfiguration", {"key": key})
        keys = key or list(self.configuration)
        known = [
            {"key": k, "readonly": False, "value": self.configuration[k]}
            for k in keys
            if k in self.configuration
        ]
        unknown = [k for k in keys if k not in self.configuration]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on("ChangeConfiguration")
    async def on_change_configuration(self, key: str, value: str) -> Any:
        await self._record("ChangeConfiguration", {"key": key, "value": value})
        if key == "MeterValuesSampledData" and set(value.split(",")) & self.rejected_measurands:
            return call_result.ChangeConfiguration(status="Rejected")
        self.configuration[key] = value
        return call_result.ChangeConfiguration(status="Accepted")

    @on("ClearChargingProfile")
    async def on_clear(self, **kwargs: Any) -> Any:
        await self._record("ClearChargingProfile", kwargs)
        return call_result.ClearChargingProfile(status="Unknown")

    @on("SetChargingProfile")
    async def on_set_profile(self, connector_id: int, cs_charging_profiles: dict[str, Any]) -> Any:
        payload = {"connector_id": connector_id, **cs_charging_profiles}
        await self._record("SetChargingProfile", payload)
        fallback = cs_charging_profiles["charging_profile_id"] == 9100 and (
            "duration" not in cs_charging_profiles["charging_schedule"]
            and len(cs_charging_profiles["charging_schedule"]["charging_schedule_period"]) == 1
        )
        status = self.fallback_status if fallback else self.profile_status
        return call_result.SetChargingProfile(status=status)

    @on("TriggerMessage")
    async def on_trigger(self, requested_message: str, connector_id: int | None = None) -> Any:
        await self._record("TriggerMessage", {"requested_message": requested_message})
        return call_result.TriggerMessage(status=self.trigger_status)

    @after("TriggerMessage")
    def after_trigger(self, requested_message: str, connector_id: int | None = None) -> None:
        if self.trigger_status == "Accepted" and requested_message == "BootNotification":
            self.spawn(self.boot())

    @on("GetCompositeSchedule")
    async def on_composite(self, **kwargs: Any) -> Any:
        await self._record("GetCompositeSchedule", kwargs)
        if self.composite is None:
            return call_result.GetCompositeSchedule(status="Rejected")
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=1,
            schedule_start="2025-05-01T12:00:00Z",
            charging_schedule=self.composite,
        )

    @on("RemoteStartTransaction")
    async def on_remote_start(self, **kwargs: Any) -> Any:
        await self._record("RemoteStartTransaction", kwargs)
        return call_result.RemoteStartTransaction(status="Accepted")

    @on("RemoteStopTransaction")
    async def on_remote_stop(self, **kwargs: Any) -> Any:
        await self._record("RemoteStopTransaction", kwargs)
        return call_result.RemoteStopTransaction(status="Accepted")


class Client:
    """One connected simulated charge point."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        websocket: aiohttp.ClientWebSocketResponse,
        cp: FakeChargePoint,
    ) -> None:
        self.session = session
        self.websocket = websocket
        self.cp = cp
        self.task = asyncio.get_running_loop().create_task(self._serve())

    async def _serve(self) -> None:
        with contextlib.suppress(ConnectionError):
            await self.cp.start()

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.websocket.close()
        await self.cp.close()
        await self.session.close()

    async def closed(self) -> int | None:
        """Wait until the server closes the connection; return the close code."""
        async with asyncio.timeout(WAIT):
            await self.task
        return self.websocket.close_code


class ClientFactory:
    """Connects charge points and closes them all at the end."""

    def __init__(self) -> None:
        self.clients: list[Client] = []
        self.sessions: list[aiohttp.ClientSession] = []
        self.websockets: list[aiohttp.ClientWebSocketResponse] = []

    async def raw(
        self,
        port: int,
        path: str,
        *,
        protocols: tuple[str, ...] = ("ocpp1.6",),
        auth: aiohttp.BasicAuth | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> aiohttp.ClientWebSocketResponse:
        """Open a websocket without a library charge point (closed at the end)."""
        session = aiohttp.ClientSession()
        self.sessions.append(session)
        scheme = "wss" if ssl_context else "ws"
        websocket = await session.ws_connect(
            f"{scheme}://127.0.0.1:{port}/{path}",
            protocols=protocols,
            auth=auth,
            ssl=ssl_context if ssl_context else False,
            autoping=True,
        )
        self.websockets.append(websocket)
        return websocket

    async def connect(
        self,
        port: int,
        cp_id: str,
        *,
        auth: aiohttp.BasicAuth | None = None,
        ssl_context: ssl.SSLContext | None = None,
        path: str | None = None,
        setup: Callable[[FakeChargePoint], None] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Client:
        """Connect a simulated charge point (not booted yet)."""
        session = aiohttp.ClientSession()
        scheme = "wss" if ssl_context else "ws"
        try:
            websocket = await session.ws_connect(
                f"{scheme}://127.0.0.1:{port}/{path or cp_id}",
                protocols=("ocpp1.6",),
                auth=auth,
                ssl=ssl_context if ssl_context else False,
                headers=headers,
            )
        except Exception:
            await session.close()
            raise
        cp = FakeChargePoint(cp_id, ClientConnection(websocket))
        if setup is not None:
            setup(cp)
        client = Client(session, websocket, cp)
        self.clients.append(client)
        return client

    async def close(self) -> None:
        for client in self.clients:
            await client.close()
        for websocket in self.websockets:
            await websocket.close()
        for session in self.sessions:
            await session.close()


async def wait_until(charger: OcppCharger, predicate: Callable[[OcppCharger], bool]) -> None:
    """Wait (on the charger's listener, no polling) until ``predicate`` holds."""
    if predicate(charger):
        return
    event = asyncio.Event()

    def check() -> None:
        if predicate(charger):
            event.set()

    remove = charger.add_listener(check)
    try:
        async with asyncio.timeout(WAIT):
            await event.wait()
    finally:
        remove()


def is_ready(charger: OcppCharger) -> bool:
    return bool(charger.diagnostics()["ready"])


def reading(charger: OcppCharger) -> ChargerReading:
    return charger.reading


def sampled(
    measurand: str, value: float, unit: str | None = None, phase: str | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"value": str(value), "measurand": measurand}
    if unit is not None:
        entry["unit"] = unit
    if phase is not None:
        entry["phase"] = phase
    return entry


async def boot_and_setup(
    server: Any,
    clients: ClientFactory,
    cp_id: str = "CP1",
    *,
    options: Any = None,
    setup: Callable[[FakeChargePoint], None] | None = None,
    **connect_args: Any,
) -> tuple[OcppCharger, Client]:
    """Connect, boot and wait until the post-boot setup is done."""
    charger = server.get_charger(cp_id, options)
    client = await clients.connect(server.port, cp_id, setup=setup, **connect_args)
    result = await client.cp.boot()
    assert result.status == "Accepted"
    await wait_until(charger, is_ready)
    for action in list(client.cp._queues):  # the setup's calls stay in ``cp.calls``
        drain(client.cp, action)
    return charger, client


def drain(cp: FakeChargePoint, action: str) -> list[dict[str, Any]]:
    """Take every queued CALL of ``action``."""
    taken = []
    queue = cp._queues[action]
    while not queue.empty():
        taken.append(queue.get_nowait())
    return taken
