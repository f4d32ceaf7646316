"""A charge point session: the post-boot setup, readings, transactions, reconnects."""

from __future__ import annotations

from typing import Any

import aiohttp
from ocpp.v16 import call, call_result
import pytest

from custom_components.smart_charging.drivers.base import ChargerReading, ChargerStatus
from custom_components.smart_charging.drivers.ocpp import CompatOptions, OcppServer

from .ocpp_helpers import (
    ClientFactory,
    FakeChargePoint,
    boot_and_setup,
    drain,
    is_ready,
    sampled,
    wait_until,
)

WANTED = (
    "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Current.Offered,"
    "Voltage,SoC,Temperature"
)


async def test_setup_after_boot(server: OcppServer, clients: ClientFactory) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    cp = client.cp
    assert cp.calls["GetConfiguration"][0]["key"][0] == "ChargeProfileMaxStackLevel"
    changes = [(c["key"], c["value"]) for c in cp.calls["ChangeConfiguration"]]
    assert changes == [("MeterValueSampleInterval", "10"), ("MeterValuesSampledData", WANTED)]
    assert [c["id"] for c in cp.calls["ClearChargingProfile"]] == [9101, 9102]
    (fallback,) = cp.calls["SetChargingProfile"]
    assert fallback["connector_id"] == 0
    assert fallback["charging_profile_id"] == 9100
    assert fallback["stack_level"] == 0
    assert fallback["charging_profile_purpose"] == "TxDefaultProfile"
    schedule = fallback["charging_schedule"]
    assert "duration" not in schedule
    assert schedule["start_schedule"] == "2025-05-01T11:59:30Z"  # slightly in the past
    assert schedule["charging_rate_unit"] == "A"
    assert schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 6.0}]
    triggers = [c["requested_message"] for c in cp.calls["TriggerMessage"]]
    assert triggers == ["StatusNotification", "MeterValues"]
    diagnostics = charger.diagnostics()
    assert diagnostics["measurands"] == WANTED.split(",")
    assert diagnostics["rate_unit"] == "A"
    assert diagnostics["max_stack_level"] == 8
    assert diagnostics["fallback_accepted"] is True
    assert charger.info.vendor == "Acme"
    assert not charger.capabilities.can_switch_phases


async def test_measurands_are_negotiated_one_by_one(
    server: OcppServer, clients: ClientFactory
) -> None:
    def limited(cp: FakeChargePoint) -> None:
        cp.rejected_measurands = {"SoC", "Temperature"}
        cp.configuration["MeterValuesSampledDataMaxLength"] = "6"

    charger, client = await boot_and_setup(server, clients, "CP1", setup=limited)
    values = [c["value"] for c in client.cp.calls["ChangeConfiguration"][1:]]
    assert values[0] == WANTED.rsplit(",", 1)[0]  # six at most, all at once: refused
    assert values[-1].endswith("Voltage,SoC")  # tried, refused
    assert client.cp.configuration["MeterValuesSampledData"] == (
        "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Current.Offered,Voltage"
    )
    assert "SoC" not in charger.diagnostics()["measurands"]


async def test_setup_survives_refusals(server: OcppServer, clients: ClientFactory) -> None:
    def stubborn(cp: FakeChargePoint) -> None:
        cp.fallback_status = "Rejected"
        cp.trigger_status = "Rejected"
        cp.route_map.pop("GetConfiguration")  # answered NotImplemented
        cp.route_map.pop("ChangeConfiguration")

    charger, client = await boot_and_setup(server, clients, "CP1", setup=stubborn)
    fallbacks = client.cp.calls["SetChargingProfile"]
    assert [f["connector_id"] for f in fallbacks] == [0, 1]  # per connector as a retry
    assert charger.reading.limit_rejected
    assert "fallback_profile_rejected" in charger.reading.errors
    assert charger.diagnostics()["configuration"] == {}
    assert charger.diagnostics()["measurands"] == []


async def test_measurand_key_not_supported(server: OcppServer, clients: ClientFactory) -> None:
    def old(cp: FakeChargePoint) -> None:
        cp.configuration["MeterValuesSampledData"] = "Energy.Active.Import.Register,SoC"

        async def not_supported(key: str, value: str) -> Any:
            return call_result.ChangeConfiguration(status="NotSupported")

        cp.route_map["ChangeConfiguration"]["_on_action"] = not_supported

    charger, _ = await boot_and_setup(server, clients, "CP1", setup=old)
    assert charger.diagnostics()["measurands"] == ["Energy.Active.Import.Register", "SoC"]


async def test_meter_values_status_and_transactions(
    server: OcppServer, clients: ClientFactory
) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    cp = client.cp
    await cp.status("Preparing")
    assert charger.reading.status is ChargerStatus.PREPARING
    assert charger.reading.status.vehicle_connected
    tx = await cp.start_transaction(meter_start=12_000)
    assert tx == 101
    await cp.status("Charging")
    await cp.meter(
        [
            sampled("Energy.Active.Import.Register", 12.5, "kWh"),
            sampled("Power.Active.Import", 7.36, "kW"),
            sampled("Current.Import", 16.0, "A", "L1"),
            sampled("Current.Import", 15.5, "A", "L2"),
            sampled("Current.Import", 0.2, "A", "L3"),
            sampled("Voltage", 231.0, "V", "L1-N"),
            sampled("Voltage", 229.0, "V", "L2-N"),
            sampled("Current.Offered", 16.0, "A"),
            sampled("SoC", 55, "Percent"),
            sampled("Temperature", 35, "Celsius"),
        ],
        transaction_id=tx,
    )
    reading = charger.reading
    assert reading.status is ChargerStatus.CHARGING
    assert reading.energy_kwh == 12.5
    assert reading.session_energy_kwh == pytest.approx(0.5)
    assert reading.power_w == pytest.approx(7360)
    assert reading.currents_a == (16.0, 15.5, 0.2)
    assert reading.active_phases == 2
    assert reading.voltage_v == 230.0
    assert reading.offered_current_a == 16.0
    assert (reading.soc_pct, reading.temperature_c) == (55, 35)
    assert reading.transaction_id == tx
    assert reading.updated is not None

    await cp.call(
        call.StopTransaction(meter_stop=13_000, timestamp="2025-05-01T13:00:00Z", transaction_id=tx)
    )
    assert charger.reading.transaction_id is None
    assert charger.reading.session_energy_kwh == pytest.approx(1.0)
    assert charger.reading.energy_kwh == 13.0
    # Someone else's transaction (another connector) changes nothing.
    await cp.call(
        call.StopTransaction(meter_stop=1, timestamp="2025-05-01T13:00:00Z", transaction_id=7)
    )
    assert charger.reading.energy_kwh == 13.0


async def test_connector_zero_and_errors(server: OcppServer, clients: ClientFactory) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    cp = client.cp
    await cp.status("Available", connector_id=0)
    assert charger.reading.status is ChargerStatus.AVAILABLE  # no connector 1 status yet
    await cp.status("Charging")
    assert charger.reading.status is ChargerStatus.CHARGING
    await cp.status("Faulted", connector_id=0, error="GroundFailure")
    assert charger.reading.status is ChargerStatus.FAULTED  # the whole charger
    assert charger.reading.errors == ("GroundFailure",)
    await cp.call(
        call.StatusNotification(
            connector_id=1,
            error_code="OtherError",
            status="Charging",
            vendor_error_code="E42",
        )
    )
    assert charger.reading.errors == ("GroundFailure", "OtherError (E42)")
    await cp.status("Available", connector_id=2)  # another connector: not ours
    await cp.meter([sampled("Power.Active.Import", 999)], connector_id=2)
    assert charger.reading.power_w is None


async def test_informational_messages(server: OcppServer, clients: ClientFactory) -> None:
    _, client = await boot_and_setup(server, clients, "CP1")
    cp = client.cp
    assert (await cp.call(call.Heartbeat())).current_time == "2025-05-01T12:00:00Z"
    assert (await cp.call(call.Authorize(id_tag="ABC"))).id_tag_info["status"] == "Accepted"
    result = await cp.call(call.DataTransfer(vendor_id="com.acme", message_id="x"))
    assert result.status == "UnknownVendorId"
    assert await cp.call(call.FirmwareStatusNotification(status="Downloading")) is not None
    assert await cp.call(call.DiagnosticsStatusNotification(status="Idle")) is not None
    event = call.SecurityEventNotification(
        type="FirmwareUpdated", timestamp="2025-05-01T12:00:00Z", tech_info=None
    )
    assert await cp.call(event) is not None


async def test_disconnect_and_reconnect_keep_the_driver(
    make_server: Any, clients: ClientFactory
) -> None:
    server: OcppServer = await make_server(config={"boot_wait_s": 0.01})
    charger, first = await boot_and_setup(server, clients, "CP1")
    changes: list[ChargerReading] = []
    remove = charger.add_listener(lambda: changes.append(charger.reading))
    await first.cp.status("Charging")
    await first.close()
    await wait_until(charger, lambda c: c.reading.status is ChargerStatus.OFFLINE)
    assert not charger.connected
    assert changes[-1].status is ChargerStatus.OFFLINE

    # The charger reconnects without a BootNotification: the server asks for one.
    second = await clients.connect(server.port, "CP1")
    await wait_until(charger, is_ready)
    assert server.get_charger("CP1") is charger
    assert second.cp.calls["TriggerMessage"][0]["requested_message"] == "BootNotification"
    # The running transaction is recovered from MeterValues.
    await second.cp.meter([sampled("Energy.Active.Import.Register", 5000)], transaction_id=555)
    assert charger.reading.transaction_id == 555
    assert charger.reading.energy_kwh == 5.0
    assert charger.reading.session_energy_kwh is None  # its start is unknown
    remove()
    remove()  # twice is harmless


async def test_reconnect_without_boot_or_trigger(make_server: Any, clients: ClientFactory) -> None:
    server: OcppServer = await make_server(config={"boot_wait_s": 0.01})
    charger = server.get_charger("CP1")

    def no_trigger(cp: FakeChargePoint) -> None:
        cp.trigger_status = "NotImplemented"

    client = await clients.connect(server.port, "CP1", setup=no_trigger)
    await wait_until(charger, is_ready)  # configured anyway
    assert client.cp.calls["GetConfiguration"]
    assert charger.info.vendor is None


async def test_dead_connection_is_found_by_pings(make_server: Any, clients: ClientFactory) -> None:
    server: OcppServer = await make_server(config={"ping_interval_s": 0.05})
    charger = server.get_charger("CP1")
    await clients.raw(server.port, "CP1")  # never reads: never answers a ping
    await wait_until(charger, lambda c: c.connected)
    await wait_until(charger, lambda c: not c.connected)
    assert charger.reading.status is ChargerStatus.OFFLINE


async def test_listener_errors_are_contained(server: OcppServer, clients: ClientFactory) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")

    def broken() -> None:
        raise RuntimeError("listener bug")

    charger.add_listener(broken)
    await client.cp.status("Charging")
    assert charger.reading.status is ChargerStatus.CHARGING


async def test_new_options_run_the_setup_again(server: OcppServer, clients: ClientFactory) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    drain(client.cp, "GetConfiguration")
    charger.set_options(charger.options)  # unchanged: nothing happens
    charger.set_options(CompatOptions(safe_current_a=0.0))
    await client.cp.next_call("GetConfiguration")
    await wait_until(charger, is_ready)
    fallback = client.cp.calls["SetChargingProfile"][-1]
    assert fallback["charging_schedule"]["charging_schedule_period"][0]["limit"] == 0
    offline = server.get_charger("CP-offline")
    offline.set_options(CompatOptions(stack_level=2))  # not connected: just stored
    assert offline.options.stack_level == 2


async def test_unsolicited_and_binary_frames_are_dropped(
    server: OcppServer, clients: ClientFactory
) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    websocket: aiohttp.ClientWebSocketResponse = client.websocket
    await websocket.send_str('[3,"nobody-asked",{}]')
    await websocket.send_bytes(b'[2,"b1","Heartbeat",{}]')
    assert (await client.cp.call(call.Heartbeat())) is not None
    assert charger.connected
