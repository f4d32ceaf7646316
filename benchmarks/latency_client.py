"""A simulated OCPP 1.6J charge point (the real ``ocpp`` library) for the latency probe.

It answers what the central system asks during setup and stamps every SetChargingProfile
with a clock that no test freezer touches (``CLOCK_MONOTONIC``), the moment its handler
runs. Mirrors the tests' ``FakeChargePoint`` (tests/drivers/ocpp_helpers.py) in a few lines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import time
from typing import Any, cast

import aiohttp
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result

type Handler = Callable[..., Any]


def handles(action: str) -> Callable[[Handler], Handler]:
    """``ocpp.routing.on`` with a type (the library ships none)."""
    return cast("Callable[[Handler], Handler]", on(action))


def follows(action: str) -> Callable[[Handler], Handler]:
    """``ocpp.routing.after`` with a type."""
    return cast("Callable[[Handler], Handler]", after(action))


CONFIGURATION = {
    "ChargeProfileMaxStackLevel": "8",
    "ChargingScheduleAllowedChargingRateUnit": "Current,Power",
    "ChargingScheduleMaxPeriods": "24",
    "MaxChargingProfilesInstalled": "10",
    "MeterValueSampleInterval": "10",
    "MeterValuesSampledData": "Energy.Active.Import.Register",
    "NumberOfConnectors": "1",
}


def real_clock() -> float:
    """Seconds on the kernel's monotonic clock (freezegun does not patch it)."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class Connection:
    """The ``connection`` the library expects, over an aiohttp client websocket."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap the socket."""
        self.websocket = websocket

    async def recv(self) -> str:
        """Next text frame; a close ends the charge point's loop."""
        message = await self.websocket.receive()
        if message.type is aiohttp.WSMsgType.TEXT:
            return str(message.data)
        raise ConnectionError(f"closed: {message.type}")

    async def send(self, message: str) -> None:
        """Send a text frame."""
        await self.websocket.send_str(message)


class ProbeChargePoint(ChargePoint):  # type: ignore[misc] # ocpp ships no types
    """Answers the setup calls; queues each live profile with its arrival time."""

    def __init__(self, cp_id: str, connection: Connection) -> None:
        """Start with an empty profile queue."""
        super().__init__(cp_id, connection, response_timeout=10)
        self.profiles: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def boot(self) -> Any:
        """BootNotification."""
        return await self.call(
            call.BootNotification(charge_point_vendor="Probe", charge_point_model="Latency")
        )

    async def report(self, status: str, amps: float) -> None:
        """StatusNotification and MeterValues: the car draws ``amps`` on three phases."""
        await self.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status=status)
        )
        sampled = [
            {"value": f"{amps:.1f}", "measurand": "Current.Import", "unit": "A", "phase": phase}
            for phase in ("L1", "L2", "L3")
        ]
        sampled.append(
            {"value": f"{amps * 690:.0f}", "measurand": "Power.Active.Import", "unit": "W"}
        )
        await self.call(
            call.MeterValues(
                connector_id=1,
                meter_value=[{"timestamp": "2025-05-01T12:00:00Z", "sampledValue": sampled}],
            )
        )

    @handles("GetConfiguration")
    async def on_get_configuration(self, key: list[str] | None = None) -> Any:
        """Known keys with their values, the rest as unknown."""
        keys = key or list(CONFIGURATION)
        known = [
            {"key": k, "readonly": False, "value": CONFIGURATION[k]}
            for k in keys
            if k in CONFIGURATION
        ]
        unknown = [k for k in keys if k not in CONFIGURATION]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @handles("ChangeConfiguration")
    async def on_change_configuration(self, key: str, value: str) -> Any:
        """Accept every change."""
        CONFIGURATION[key] = value
        return call_result.ChangeConfiguration(status="Accepted")

    @handles("ClearChargingProfile")
    async def on_clear(self, **_: Any) -> Any:
        """Nothing to clear."""
        return call_result.ClearChargingProfile(status="Unknown")

    @handles("SetChargingProfile")
    async def on_set_profile(self, connector_id: int, cs_charging_profiles: dict[str, Any]) -> Any:
        """Stamp and queue the profile; accept it."""
        self.profiles.put_nowait(
            (real_clock(), {"connector_id": connector_id, **cs_charging_profiles})
        )
        return call_result.SetChargingProfile(status="Accepted")

    @handles("TriggerMessage")
    async def on_trigger(self, requested_message: str, connector_id: int | None = None) -> Any:
        """Accept; a BootNotification request is answered after the reply."""
        return call_result.TriggerMessage(status="Accepted")

    @follows("TriggerMessage")
    def after_trigger(self, requested_message: str, connector_id: int | None = None) -> None:
        """Boot again when asked to."""
        if requested_message == "BootNotification":
            task = asyncio.get_running_loop().create_task(self.boot())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @handles("GetCompositeSchedule")
    async def on_composite(self, **_: Any) -> Any:
        """Not supported."""
        return call_result.GetCompositeSchedule(status="Rejected")

    @handles("RemoteStartTransaction")
    async def on_remote_start(self, **_: Any) -> Any:
        """Accept."""
        return call_result.RemoteStartTransaction(status="Accepted")

    @handles("RemoteStopTransaction")
    async def on_remote_stop(self, **_: Any) -> Any:
        """Accept."""
        return call_result.RemoteStopTransaction(status="Accepted")


class ProbeClient:
    """One connected charge point and its receive loop."""

    def __init__(self, session: aiohttp.ClientSession, cp: ProbeChargePoint) -> None:
        """Start serving the charge point."""
        self.session = session
        self.cp = cp
        self.task = asyncio.get_running_loop().create_task(self._serve())

    async def _serve(self) -> None:
        with contextlib.suppress(ConnectionError):
            await self.cp.start()

    @classmethod
    async def connect(cls, port: int, cp_id: str) -> ProbeClient:
        """Open ws://127.0.0.1:port/cp_id with the ocpp1.6 subprotocol."""
        session = aiohttp.ClientSession()
        websocket = await session.ws_connect(
            f"ws://127.0.0.1:{port}/{cp_id}", protocols=("ocpp1.6",)
        )
        return cls(session, ProbeChargePoint(cp_id, Connection(websocket)))

    async def close(self) -> None:
        """Stop serving and close the socket."""
        self.task.cancel()
        await asyncio.gather(self.task, *self.cp._tasks, return_exceptions=True)  # noqa: SLF001
        await self.session.close()
