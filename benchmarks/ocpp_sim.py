"""Lean simulated OCPP 1.6J charge points for the OCPP benchmark.

Hundreds of charge points share one client process, so each is kept cheap (plain JSON
frames over an aiohttp websocket, no per-message library machinery): what the benchmark
measures is the central system and the transport, not the simulator. The tests use the
real ``ocpp`` library as the client instead (``tests/drivers/ocpp_helpers.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
from typing import Any

import aiohttp

_CONFIGURATION = [
    {"key": "ChargeProfileMaxStackLevel", "readonly": True, "value": "8"},
    {"key": "ChargingScheduleAllowedChargingRateUnit", "readonly": True, "value": "Current"},
    {"key": "MeterValuesSampledData", "readonly": False, "value": "Energy.Active.Import.Register"},
]
_ANSWERS: dict[str, dict[str, Any]] = {
    "GetConfiguration": {"configurationKey": _CONFIGURATION},
    "TriggerMessage": {"status": "Rejected"},
    "GetCompositeSchedule": {"status": "Rejected"},
}


class SimulatedChargePoint:
    """Answers what the central system asks; meters a constant 11 kW."""

    def __init__(self, cp_id: str, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self.cp_id = cp_id
        self.websocket = websocket
        self.limit = 16.0
        self.energy_wh = 10_000.0
        self._ids = itertools.count()
        self._pending: dict[str, asyncio.Future[list[Any]]] = {}

    async def serve(self) -> None:
        """Answer CALLs and route answers until the socket closes."""
        async for message in self.websocket:
            frame = json.loads(message.data)
            if frame[0] == 2:
                action, payload = frame[2], frame[3]
                if action == "SetChargingProfile":
                    periods = payload["csChargingProfiles"]["chargingSchedule"]
                    self.limit = float(periods["chargingSchedulePeriod"][0]["limit"])
                answer = _ANSWERS.get(action, {"status": "Accepted"})
                await self.websocket.send_str(json.dumps([3, frame[1], answer]))
            elif (future := self._pending.pop(frame[1], None)) is not None:
                future.set_result(frame)

    async def call(self, action: str, payload: dict[str, Any]) -> list[Any]:
        """Send a CALL and wait for its answer."""
        unique_id = f"{self.cp_id}-{next(self._ids)}"
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._pending[unique_id] = future
        await self.websocket.send_str(json.dumps([2, unique_id, action, payload]))
        async with asyncio.timeout(30):
            return await future

    async def send_meter_values(self) -> float:
        """Send one MeterValues; return its round trip in ms."""
        self.energy_wh += 30.0
        sampled = [
            {"value": f"{self.energy_wh:.0f}", "measurand": "Energy.Active.Import.Register"},
            {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"},
            {"value": f"{self.limit:.1f}", "measurand": "Current.Offered", "unit": "A"},
            *(
                {"value": "15.9", "measurand": "Current.Import", "unit": "A", "phase": p}
                for p in ("L1", "L2", "L3")
            ),
        ]
        payload = {
            "connectorId": 1,
            "meterValue": [{"timestamp": "2025-05-01T12:00:00Z", "sampledValue": sampled}],
        }
        start = time.perf_counter()
        await self.call("MeterValues", payload)
        return (time.perf_counter() - start) * 1000


async def _connect(
    session: aiohttp.ClientSession, port: int, cp_id: str
) -> tuple[SimulatedChargePoint, asyncio.Task[None]]:
    websocket = await session.ws_connect(
        f"ws://127.0.0.1:{port}/{cp_id}", protocols=("ocpp1.6",), heartbeat=None
    )
    cp = SimulatedChargePoint(cp_id, websocket)

    async def serve() -> None:
        with contextlib.suppress(ConnectionError):
            await cp.serve()

    task = asyncio.get_running_loop().create_task(serve())
    await cp.call("BootNotification", {"chargePointVendor": "Sim", "chargePointModel": "Bench"})
    status = {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}
    await cp.call("StatusNotification", status)
    await cp.send_meter_values()  # reports Current.Offered: no GetCompositeSchedule needed
    return cp, task


async def run_clients(
    port: int, count: int, interval: float, duration: float, go: asyncio.Event
) -> list[float]:
    """Connect ``count`` charge points, wait for ``go``, meter for ``duration`` s."""
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    tasks: list[asyncio.Task[None]] = []
    samples: list[float] = []
    try:
        connected = [await _connect(session, port, f"SIM-{i:04d}") for i in range(count)]
        tasks = [task for _, task in connected]
        await go.wait()
        end = time.monotonic() + duration
        rng = random.Random(7)

        async def meter(cp: SimulatedChargePoint) -> None:
            await asyncio.sleep(rng.uniform(0, interval))  # spread the clients evenly
            while time.monotonic() < end:
                samples.append(await cp.send_meter_values())
                await asyncio.sleep(min(interval, max(0.0, end - time.monotonic())))

        await asyncio.gather(*(meter(cp) for cp, _ in connected))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await session.close()
    return samples
