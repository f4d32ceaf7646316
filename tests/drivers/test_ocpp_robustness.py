"""Misbehaving chargers and internal failures: contained, converted, never raised."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
from typing import Any

import aiohttp
from ocpp.charge_point import ChargePoint as LibraryChargePoint
import pytest

from custom_components.smart_charging.drivers.base import (
    ChargerProtocolError,
    ChargerStatus,
    ChargerUnavailableError,
    CommandRejectedError,
)
from custom_components.smart_charging.drivers.ocpp import (
    Admission,
    ChargerCallError,
    OcppServer,
    session as session_module,
)

from .ocpp_helpers import (
    Admissions,
    ClientFactory,
    FakeChargePoint,
    boot_and_setup,
    is_ready,
    wait_until,
)

Reply = Callable[[str, dict[str, Any]], str | None]
BOOT = '[2,"boot","BootNotification",{"chargePointVendor":"X","chargePointModel":"Y"}]'


def _result(payload: dict[str, Any]) -> Reply:
    return lambda unique_id, _: json.dumps([3, unique_id, payload])


def _error(code: str) -> Reply:
    return lambda unique_id, _: json.dumps([4, unique_id, code, "", {}])


class _Profiles:
    """SetChargingProfile answers: the fallback is accepted, live ones as scripted."""

    def __init__(self, *answers: list[Any]) -> None:
        self.answers = list(answers)

    def __call__(self, unique_id: str, payload: dict[str, Any]) -> str:
        if payload["csChargingProfiles"]["chargingProfileId"] == 9100:
            return json.dumps([3, unique_id, {"status": "Accepted"}])
        return json.dumps([unique_id if part == "ID" else part for part in self.answers.pop(0)])


async def _play(websocket: aiohttp.ClientWebSocketResponse, replies: dict[str, Reply]) -> None:
    """Answer every CALL of the central system as scripted."""
    async for message in websocket:
        frame = json.loads(message.data)
        if frame[0] == 2:
            reply = replies.get(frame[2], _result({"status": "Accepted"}))(frame[1], frame[3])
            if reply is not None:
                await websocket.send_str(reply)


async def test_bad_answers_become_driver_errors(server: OcppServer, clients: ClientFactory) -> None:
    charger = server.get_charger("ODD")
    websocket = await clients.raw(server.port, "ODD")
    profiles = _Profiles(
        [3, "ID", {"status": "Accepted"}],
        [4, "ID", "InternalError", "", {}],
        [4, "ID", "NoSuchCode", "", {}],  # not an OCPP error code
        [3, "ID", {"status": "Accepted", "extension": 1}],  # not a SetChargingProfile.conf
        [3, "ID", {"status": "Maybe"}],  # not Accepted
    )
    player = asyncio.get_running_loop().create_task(
        _play(
            websocket,
            {
                "GetConfiguration": _error("NoSuchCode"),
                "ChangeConfiguration": _result({"status": 5}),
                "ClearChargingProfile": _result({"status": "Unknown"}),
                "SetChargingProfile": profiles,
                "GetCompositeSchedule": _error("AlsoNoSuchCode"),
            },
        )
    )
    try:
        await websocket.send_str(BOOT)
        await wait_until(charger, is_ready)  # every refusal was skipped
        assert charger.diagnostics()["configuration"] == {}
        assert charger.diagnostics()["measurands"] == []
        await charger.async_apply(10, 3)  # accepted; the composite check fails quietly
        assert charger.diagnostics()["composite_supported"] is True
        with pytest.raises(ChargerCallError) as err:
            await charger.async_apply(9, 3)
        assert err.value.code == "InternalError"
        for limit in (8, 7):
            with pytest.raises(ChargerProtocolError) as other:
                await charger.async_apply(limit, 3)
            assert not isinstance(other.value, ChargerCallError)
        with pytest.raises(CommandRejectedError):
            await charger.async_apply(6, 3)
    finally:
        player.cancel()
        await asyncio.gather(player, return_exceptions=True)


async def test_reboot_as_pending_stops_control(
    server: OcppServer, clients: ClientFactory, admissions: Admissions
) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    admissions.by_id["CP1"] = Admission.PENDING
    assert (await client.cp.boot()).status == "Pending"
    assert not charger.accepted
    with pytest.raises(ChargerUnavailableError):
        await charger.async_apply(10, 3)


async def test_reboot_as_pending_during_setup(
    server: OcppServer, clients: ClientFactory, admissions: Admissions
) -> None:
    charger = server.get_charger("CP1")
    client = await clients.connect(server.port, "CP1")
    client.cp.answer = False  # the setup hangs on its first call
    await client.cp.boot()
    await client.cp.next_call("GetConfiguration")
    admissions.by_id["CP1"] = Admission.PENDING
    client.cp.release()
    assert (await client.cp.boot()).status == "Pending"
    assert not charger.accepted
    assert not charger.diagnostics()["ready"]


async def test_readmit_without_trigger_support(
    server: OcppServer, clients: ClientFactory, admissions: Admissions
) -> None:
    admissions.default = Admission.PENDING

    def no_trigger(cp: FakeChargePoint) -> None:
        cp.route_map.pop("TriggerMessage")

    client = await clients.connect(server.port, "CP1", setup=no_trigger)
    await client.cp.boot()
    admissions.default = Admission.ACCEPT
    await server.async_admission_changed("CP1")
    assert await client.closed() == aiohttp.WSCloseCode.SERVICE_RESTART


async def test_internal_error_closes_only_that_connection(
    server: OcppServer, clients: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    other, _ = await boot_and_setup(server, clients, "OTHER")
    charger, client = await boot_and_setup(server, clients, "CP1")

    def broken(raw: str) -> Any:
        if "boom" in raw:
            raise RuntimeError("bug")
        return original(raw)

    original = session_module.check_frame
    monkeypatch.setattr(session_module, "check_frame", broken)
    await client.websocket.send_str('[2,"boom","Heartbeat",{}]')
    await wait_until(charger, lambda c: not c.connected)
    assert other.connected
    await other.async_apply(10, 3)


async def test_library_errors_are_logged_and_the_connection_carries_on(
    server: OcppServer,
    clients: ClientFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    original = LibraryChargePoint.route_message

    async def flaky(self: Any, raw: str) -> None:
        if "flaky" in raw:
            raise RuntimeError("library bug")
        await original(self, raw)

    monkeypatch.setattr(LibraryChargePoint, "route_message", flaky)
    await client.websocket.send_str('[2,"flaky","Heartbeat",{}]')
    await client.cp.status("Charging")
    assert charger.reading.status is ChargerStatus.CHARGING
    assert "library bug" in caplog.text


async def test_a_closed_session_refuses_work(server: OcppServer, clients: ClientFactory) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    session = charger._session
    assert session is not None
    await client.close()
    await wait_until(charger, lambda c: not c.connected)
    with pytest.raises(ChargerUnavailableError):
        await session.call_trigger_boot()
    task = session.spawn(asyncio.sleep(0), "late")
    with pytest.raises(asyncio.CancelledError):
        await task
