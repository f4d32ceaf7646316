"""The connection test of the UI flow: one distinct error per failure."""

from __future__ import annotations

import pytest

from custom_components.smart_charging.drivers.base import ChargerStatus
from custom_components.smart_charging.drivers.modbus import (
    PROFILES,
    ModbusTimeoutError,
    ModbusUnexpectedValueError,
    ModbusUnreachableError,
    ModbusWrongUnitError,
    async_probe,
)
from custom_components.smart_charging.drivers.modbus.client import ModbusClient

from .modbus_fake import FakeCharger, FakeClock
from .modbus_fake_server import FakeModbusServer
from .modbus_vendors import Alfen, GoE, VendorMap, Vestel


def serve(vendor: VendorMap, **kwargs: str) -> FakeModbusServer:
    return FakeModbusServer(FakeCharger(vendor, now=FakeClock().monotonic), **kwargs)


async def test_probe_reads_state_and_identity() -> None:
    async with serve(GoE()) as server:
        server.charger.vehicle.plugged = True
        result = await async_probe("127.0.0.1", server.port, 1, PROFILES["go_e"])
    assert result.status is ChargerStatus.CHARGING
    assert result.raw_state == 2
    assert result.serial_number == "012345678901"
    assert result.firmware_version == "056a"


async def test_probe_text_state_without_identity() -> None:
    async with serve(Alfen()) as server:
        result = await async_probe("127.0.0.1", server.port, 1, PROFILES["alfen_eve"])
    assert (result.status, result.raw_state, result.serial_number) == (
        ChargerStatus.AVAILABLE,
        "A",
        None,
    )


async def test_probe_unreachable() -> None:
    async with serve(Vestel()) as server:
        port = server.port
    with pytest.raises(ModbusUnreachableError):
        await async_probe("127.0.0.1", port, 255, PROFILES["vestel_evc04"], timeout_s=0.5)


async def test_probe_unresolvable_host() -> None:
    with pytest.raises(ModbusUnreachableError):
        await async_probe("host.invalid", 502, 255, PROFILES["vestel_evc04"], timeout_s=0.5)


async def test_probe_wrong_unit_behind_a_gateway() -> None:
    async with serve(Vestel()) as server:
        with pytest.raises(ModbusWrongUnitError) as caught:
            await async_probe("127.0.0.1", server.port, 3, PROFILES["vestel_evc04"])
    assert caught.value.code == 0x0B


async def test_probe_wrong_unit_ignored_times_out() -> None:
    async with serve(Vestel(), unknown_unit="ignore") as server:
        with pytest.raises(ModbusTimeoutError):
            await async_probe("127.0.0.1", server.port, 3, PROFILES["vestel_evc04"], timeout_s=0.3)


async def test_probe_silent_charger_times_out() -> None:
    async with serve(Vestel()) as server:
        server.muted = True
        with pytest.raises(ModbusTimeoutError):
            await async_probe(
                "127.0.0.1", server.port, 255, PROFILES["vestel_evc04"], timeout_s=0.3
            )


async def test_probe_other_charger_model() -> None:
    async with serve(Vestel()) as server:  # a Vestel has no Alfen state register
        with pytest.raises(ModbusUnexpectedValueError, match="illegal data address"):
            await async_probe("127.0.0.1", server.port, 255, PROFILES["alfen_eve"])


async def test_probe_undefined_state_value() -> None:
    async with serve(Vestel()) as server:
        server.charger.overrides[("input", 1000)] = 77
        with pytest.raises(ModbusUnexpectedValueError) as caught:
            await async_probe("127.0.0.1", server.port, 255, PROFILES["vestel_evc04"])
    assert caught.value.raw == 77


async def test_probe_connection_closed_while_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    original = ModbusClient.connect

    async def connect_then_drop(self: ModbusClient) -> None:
        await original(self)
        self._client.close()  # the charger hangs up before the first answer

    monkeypatch.setattr(ModbusClient, "connect", connect_then_drop)
    async with serve(Vestel()) as server:
        with pytest.raises(ModbusUnreachableError):
            await async_probe("127.0.0.1", server.port, 255, PROFILES["vestel_evc04"])
