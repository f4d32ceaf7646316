"""Live limits: profiles sent, refreshed, replaced and shaped per compatibility option."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custom_components.smart_charging.drivers.base import (
    ChargerStatus,
    ChargerTimeoutError,
    ChargerUnavailableError,
    CommandRejectedError,
)
from custom_components.smart_charging.drivers.ocpp import (
    CompatOptions,
    OcppServer,
    PauseMode,
    PhaseSwitching,
    ProfilePurpose,
    RateUnit,
)
from custom_components.smart_charging.drivers.ocpp.control import LimitControl
from custom_components.smart_charging.drivers.ocpp.profiles import live_profile

from .ocpp_helpers import (
    ClientFactory,
    FakeChargePoint,
    FakeClock,
    boot_and_setup,
    drain,
    is_ready,
    sampled,
    wait_until,
)


def _period(profile: dict[str, Any]) -> dict[str, Any]:
    (period,) = profile["charging_schedule"]["charging_schedule_period"]
    return period


async def test_live_profile_sent_refreshed_replaced(
    server: OcppServer, clients: ClientFactory, clock: FakeClock
) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    cp = client.cp
    drain(cp, "SetChargingProfile")
    await charger.async_apply(16.04, 3)
    live = await cp.next_call("SetChargingProfile")
    assert live["connector_id"] == 0
    assert live["charging_profile_id"] == 9101
    assert live["stack_level"] == 1
    assert live["charging_profile_purpose"] == "TxDefaultProfile"
    assert live["charging_profile_kind"] == "Absolute"
    assert "transaction_id" not in live
    schedule = live["charging_schedule"]
    assert schedule["charging_rate_unit"] == "A"
    assert schedule["duration"] == 330  # expiry 300 s + the 30 s the start lies back
    assert schedule["start_schedule"] == "2025-05-01T11:59:30Z"
    assert _period(live) == {"start_period": 0, "limit": 16.0}  # one decimal, rounded down

    await charger.async_apply(16.0, 3)  # unchanged, not yet due: nothing is sent
    clock.advance(59)
    await charger.async_apply(16.0, 3)
    assert cp.pending("SetChargingProfile") == 0

    clock.advance(1)  # the refresh period has passed
    await charger.async_apply(16.0, 3)
    refreshed = await cp.next_call("SetChargingProfile")
    assert refreshed["charging_schedule"]["start_schedule"] == "2025-05-01T12:00:30Z"

    await charger.async_apply(8.0, 3)  # a change replaces the profile (same id)
    changed = await cp.next_call("SetChargingProfile")
    assert (changed["charging_profile_id"], _period(changed)["limit"]) == (9101, 8.0)

    await charger.async_apply(0, 3)  # pause = limit 0
    assert _period(await cp.next_call("SetChargingProfile"))["limit"] == 0
    assert not charger.reading.limit_rejected


async def test_watts_only_charger(server: OcppServer, clients: ClientFactory) -> None:
    def watts(cp: FakeChargePoint) -> None:
        cp.configuration["ChargingScheduleAllowedChargingRateUnit"] = "Power"

    charger, client = await boot_and_setup(server, clients, "CP1", setup=watts)
    cp = client.cp
    (fallback,) = cp.calls["SetChargingProfile"]
    assert fallback["charging_schedule"]["charging_rate_unit"] == "W"
    assert fallback["charging_schedule"]["charging_schedule_period"][0]["limit"] == 4140  # 6x3x230
    await charger.async_apply(16, 3)
    live = await cp.next_call("SetChargingProfile")
    assert live["charging_schedule"]["charging_rate_unit"] == "W"
    assert _period(live)["limit"] == 11040
    await cp.meter([sampled("Voltage", 240.0, "V")])  # a measured voltage is used
    await charger.async_apply(16, 1)
    assert _period(await cp.next_call("SetChargingProfile"))["limit"] == 3840
    await cp.meter([sampled("Voltage", 400.0, "V")])  # implausible phase voltage: nominal
    await charger.async_apply(10, 1)
    assert _period(await cp.next_call("SetChargingProfile"))["limit"] == 2300


@pytest.mark.parametrize(
    ("option", "allowed", "unit"),
    [
        (RateUnit.WATTS, "Current,Power", "W"),
        (RateUnit.AMPS, "Power", "A"),
        (RateUnit.AUTO, "W", "W"),
        (RateUnit.AUTO, None, "A"),
    ],
)
async def test_rate_unit_option(
    server: OcppServer, clients: ClientFactory, option: RateUnit, allowed: str | None, unit: str
) -> None:
    def configure(cp: FakeChargePoint) -> None:
        if allowed is None:
            del cp.configuration["ChargingScheduleAllowedChargingRateUnit"]
        else:
            cp.configuration["ChargingScheduleAllowedChargingRateUnit"] = allowed

    charger, client = await boot_and_setup(
        server, clients, "CP1", options=CompatOptions(rate_unit=option), setup=configure
    )
    await charger.async_apply(10, 3)
    live = client.cp.calls["SetChargingProfile"][-1]
    assert live["charging_schedule"]["charging_rate_unit"] == unit


async def test_tx_profile_waits_for_a_transaction(
    server: OcppServer, clients: ClientFactory
) -> None:
    options = CompatOptions(purpose=ProfilePurpose.TX, stack_level=0)
    charger, client = await boot_and_setup(server, clients, "CP1", options=options)
    cp = client.cp
    drain(cp, "SetChargingProfile")
    await charger.async_apply(12, 3)  # no transaction: the fallback rules meanwhile
    assert cp.pending("SetChargingProfile") == 0
    tx = await cp.start_transaction()
    live = await cp.next_call("SetChargingProfile")  # sent after StartTransaction.conf
    assert live["charging_profile_purpose"] == "TxProfile"
    assert live["charging_profile_id"] == 9102
    assert live["transaction_id"] == tx
    assert live["connector_id"] == 1
    assert live["stack_level"] == 0
    await cp.meter([sampled("Power.Active.Import", 100)], transaction_id=tx)
    assert cp.pending("SetChargingProfile") == 0  # the same transaction: nothing new


async def test_stack_level_option_and_charger_maximum(
    server: OcppServer, clients: ClientFactory
) -> None:
    def max_two(cp: FakeChargePoint) -> None:
        cp.configuration["ChargeProfileMaxStackLevel"] = "2"

    charger, client = await boot_and_setup(
        server, clients, "CP1", options=CompatOptions(stack_level=5), setup=max_two
    )
    await charger.async_apply(10, 3)
    assert client.cp.calls["SetChargingProfile"][-1]["stack_level"] == 2


async def test_stack_level_zero_fuses_live_and_fallback(
    server: OcppServer, clients: ClientFactory
) -> None:
    def abb(cp: FakeChargePoint) -> None:
        cp.configuration["ChargeProfileMaxStackLevel"] = "0"

    charger, client = await boot_and_setup(server, clients, "CP1", setup=abb)
    await charger.async_apply(16, 3)
    live = client.cp.calls["SetChargingProfile"][-1]
    assert live["charging_profile_id"] == 9100  # replaces the fallback...
    assert live["stack_level"] == 0
    schedule = live["charging_schedule"]
    assert "duration" not in schedule
    assert schedule["charging_schedule_period"] == [  # ...and falls back to it by itself
        {"start_period": 0, "limit": 16.0},
        {"start_period": 330, "limit": 6.0},
    ]


async def test_phase_switching_via_number_phases(
    server: OcppServer, clients: ClientFactory
) -> None:
    def switching(cp: FakeChargePoint) -> None:
        cp.configuration["ConnectorSwitch3to1PhaseSupported"] = "true"
        cp.configuration["ChargingScheduleAllowedChargingRateUnit"] = "Power"

    charger, client = await boot_and_setup(server, clients, "CP1", setup=switching)
    assert charger.capabilities.can_switch_phases
    fallback = client.cp.calls["SetChargingProfile"][0]
    assert _period(fallback)["limit"] == 1380  # safe on a single phase
    await charger.async_apply(16, 1)
    assert _period(client.cp.calls["SetChargingProfile"][-1]) == {
        "start_period": 0,
        "limit": 3680,
        "number_phases": 1,
    }
    disabled = CompatOptions(phase_switching=PhaseSwitching.DISABLED)
    other, other_client = await boot_and_setup(
        server, clients, "CP2", options=disabled, setup=switching
    )
    assert not other.capabilities.can_switch_phases
    await other.async_apply(16, 1)
    assert "number_phases" not in _period(other_client.cp.calls["SetChargingProfile"][-1])
    enabled = server.get_charger("CP3", CompatOptions(phase_switching=PhaseSwitching.ENABLED))
    assert enabled.capabilities.can_switch_phases  # before it ever connects


async def test_rejected_profile(
    server: OcppServer, clients: ClientFactory, clock: FakeClock
) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    client.cp.profile_status = "Rejected"
    with pytest.raises(CommandRejectedError):
        await charger.async_apply(16, 3)
    assert charger.reading.limit_rejected
    drain(client.cp, "SetChargingProfile")
    await charger.async_apply(16, 3)  # not sent again before the refresh period
    assert client.cp.pending("SetChargingProfile") == 0
    client.cp.profile_status = "Accepted"
    clock.advance(60)
    await charger.async_apply(16, 3)
    assert not charger.reading.limit_rejected


async def test_silent_cap_from_current_offered(
    server: OcppServer, clients: ClientFactory, clock: FakeClock
) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    cp = client.cp
    await cp.status("Charging")
    await charger.async_apply(16, 3)
    await cp.meter([sampled("Current.Offered", 10.0)])  # before the settle time: not judged
    assert not charger.reading.limit_mismatch
    clock.advance(31)
    await cp.meter([sampled("Current.Offered", 10.0)])
    assert not charger.reading.limit_mismatch  # once is not yet persistent
    await cp.meter([sampled("Current.Offered", 10.0)])
    assert charger.reading.limit_mismatch
    await cp.meter([sampled("Current.Offered", 15.5)])  # within tolerance
    assert not charger.reading.limit_mismatch
    await cp.status("SuspendedEVSE")  # not offering: not judged
    await cp.meter([sampled("Current.Offered", 0.0)])
    await cp.meter([sampled("Current.Offered", 0.0)])
    assert not charger.reading.limit_mismatch
    await cp.status("Charging")
    clock.advance(300)  # the live profile has lapsed: the fallback rules, not judged
    await cp.meter([sampled("Current.Offered", 6.0)])
    await cp.meter([sampled("Current.Offered", 6.0)])
    assert not charger.reading.limit_mismatch


async def test_silent_cap_from_composite_schedule(
    server: OcppServer, clients: ClientFactory
) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    cp = client.cp
    cp.composite = {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8.0}],
    }
    await charger.async_apply(16, 3)
    assert cp.calls["GetCompositeSchedule"][-1]["charging_rate_unit"] == "A"
    assert charger.reading.limit_mismatch
    cp.composite["chargingSchedulePeriod"][0]["limit"] = 10.0
    await charger.async_apply(10, 3)
    assert not charger.reading.limit_mismatch
    cp.composite = None  # "Rejected": no verdict
    await charger.async_apply(9, 3)
    assert not charger.reading.limit_mismatch


async def test_composite_not_implemented_is_not_asked_again(
    server: OcppServer, clients: ClientFactory
) -> None:
    def without(cp: FakeChargePoint) -> None:
        cp.route_map.pop("GetCompositeSchedule")

    charger, client = await boot_and_setup(server, clients, "CP1", setup=without)
    await charger.async_apply(16, 3)
    await charger.async_apply(10, 3)
    assert charger.diagnostics()["composite_supported"] is False
    assert len(client.cp.calls["SetChargingProfile"]) == 3


async def test_a_raise_asks_for_readings_while_the_car_follows(
    server: OcppServer, clients: ClientFactory
) -> None:
    """After a raise the charger is asked for MeterValues at each follow-up delay."""
    options = CompatOptions(follow_up_s=(0.01, 0.02))
    charger, client = await boot_and_setup(server, clients, "CP1", options=options)
    cp = client.cp
    await charger.async_apply(16, 3)
    for _ in options.follow_up_s:
        asked = await cp.next_call("TriggerMessage")
        assert asked["requested_message"] == "MeterValues"
    assert charger.diagnostics()["trigger_supported"] is True


async def test_a_cut_ends_the_follow_ups_and_does_not_wait_for_them(
    server: OcppServer, clients: ClientFactory
) -> None:
    """A follow-up request the charger holds must not hold a cut behind it."""
    options = CompatOptions(follow_up_s=(0.01, 0.02, 0.03))
    charger, client = await boot_and_setup(server, clients, "CP1", options=options)
    cp = client.cp
    asked_before = len(cp.calls["TriggerMessage"])  # the setup's
    await charger.async_apply(16, 3)
    assert _period(await cp.next_call("SetChargingProfile"))["limit"] == 16
    await cp.next_call("TriggerMessage")
    cp.answer = False  # the charger holds the next request unanswered
    await cp.next_call("TriggerMessage")
    follow_ups = charger._follow_task
    assert follow_ups is not None
    cut = asyncio.create_task(charger.async_apply(6, 3))
    # The cut ends the series at once rather than waiting for the held answer.
    with pytest.raises(asyncio.CancelledError):
        await follow_ups
    cp.release()
    await cut
    assert _period(await cp.next_call("SetChargingProfile"))["limit"] == 6
    assert len(cp.calls["TriggerMessage"]) == asked_before + 2  # no third one


async def test_rejected_at_setup_still_asks_after_a_raise(
    server: OcppServer, clients: ClientFactory
) -> None:
    """Rejected may only mean "no car now": the charger is asked after a raise all the same."""

    def rejecting(cp: FakeChargePoint) -> None:
        cp.trigger_status = "Rejected"

    options = CompatOptions(follow_up_s=(0.01,))
    charger, client = await boot_and_setup(server, clients, "CP1", options=options, setup=rejecting)
    assert charger.diagnostics()["trigger_supported"] is True
    client.cp.trigger_status = "Accepted"
    await charger.async_apply(16, 3)
    asked = await client.cp.next_call("TriggerMessage")
    assert asked["requested_message"] == "MeterValues"


def test_only_a_raise_counts_as_one() -> None:
    """A higher limit, or the same on more phases, is a raise; the rest are not."""
    control = LimitControl()
    raised = []
    for amps, phases in ((16.0, 3), (16.0, 3), (8.0, 3), (0.0, 3), (10.0, 3), (10.0, 1), (10.0, 3)):
        profile = live_profile(
            CompatOptions(),
            unit=RateUnit.AMPS,
            current_a=amps,
            phases=phases,
            voltage_v=230.0,
            start=None,
            stack_level=1,
            switching=True,
            transaction_id=None,
        )
        control.sent(profile, phases, accepted=True, now=0.0)
        raised.append(control.raised)
    assert raised == [True, False, False, False, True, False, True]


async def test_a_charger_that_cannot_be_asked_is_not_asked_again(
    server: OcppServer, clients: ClientFactory
) -> None:
    """Learned at setup (no TriggerMessage at all), or from a NotImplemented answer later."""

    def without(cp: FakeChargePoint) -> None:
        cp.route_map.pop("TriggerMessage")

    options = CompatOptions(follow_up_s=(0.01, 0.02))
    charger, _client = await boot_and_setup(server, clients, "CP1", options=options, setup=without)
    assert charger.diagnostics()["trigger_supported"] is False
    later, client = await boot_and_setup(server, clients, "CP2", options=options)
    assert later.diagnostics()["trigger_supported"] is True
    client.cp.trigger_status = "NotImplemented"
    await later.async_apply(16, 3)
    await client.cp.next_call("TriggerMessage")
    await wait_until(later, lambda c: c.diagnostics()["trigger_supported"] is False)


async def test_pause_by_remote_stop(server: OcppServer, clients: ClientFactory) -> None:
    options = CompatOptions(pause_mode=PauseMode.REMOTE_STOP)
    charger, client = await boot_and_setup(server, clients, "CP1", options=options)
    cp = client.cp
    await charger.async_apply(0, 3)  # no transaction: nothing to stop
    assert not cp.calls["RemoteStopTransaction"]
    tx = await cp.start_transaction()
    await charger.async_apply(0, 3)
    assert cp.calls["RemoteStopTransaction"] == [{"transaction_id": tx}]
    await charger.async_apply(0, 3)  # once per transaction
    assert len(cp.calls["RemoteStopTransaction"]) == 1


async def test_remote_start_when_preparing(server: OcppServer, clients: ClientFactory) -> None:
    options = CompatOptions(remote_start=True, id_tag="HA")
    charger, client = await boot_and_setup(server, clients, "CP1", options=options)
    cp = client.cp
    await cp.status("Preparing")
    await charger.async_apply(16, 3)
    assert cp.calls["RemoteStartTransaction"] == [{"id_tag": "HA", "connector_id": 1}]
    await charger.async_apply(16, 3)  # once per Preparing
    assert len(cp.calls["RemoteStartTransaction"]) == 1
    await cp.status("Available")
    await cp.status("Preparing")
    await charger.async_apply(16, 3)
    assert len(cp.calls["RemoteStartTransaction"]) == 2


async def test_apply_refusals(server: OcppServer, clients: ClientFactory) -> None:
    charger = server.get_charger("CP1")
    with pytest.raises(ChargerUnavailableError):
        await charger.async_apply(10, 3)
    for current, phases in ((-1, 3), (float("nan"), 3), (10, 4)):
        with pytest.raises(ValueError, match="invalid limit"):
            await charger.async_apply(current, phases)


async def test_limit_applied_during_setup_is_sent_after_it(
    server: OcppServer, clients: ClientFactory
) -> None:
    charger = server.get_charger("CP1")
    client = await clients.connect(server.port, "CP1")
    await client.cp.boot()
    await charger.async_apply(11, 3)  # stored while the setup runs
    await wait_until(charger, is_ready)
    fallback = await client.cp.next_call("SetChargingProfile")
    live = await client.cp.next_call("SetChargingProfile")
    assert fallback["charging_profile_id"] == 9100
    assert (live["charging_profile_id"], _period(live)["limit"]) == (9101, 11.0)


async def test_a_dead_charger_does_not_block_another(
    server: OcppServer, clients: ClientFactory
) -> None:
    quick = CompatOptions(call_timeout_s=2.0)  # real time: room for a slow machine
    dead, dead_client = await boot_and_setup(server, clients, "DEAD", options=quick)
    alive, alive_client = await boot_and_setup(server, clients, "ALIVE")
    dead_client.cp.answer = False
    stuck = asyncio.get_running_loop().create_task(dead.async_apply(10, 3))
    await dead_client.cp.next_call("SetChargingProfile")  # it arrived, and stays unanswered
    await alive.async_apply(12, 3)  # answered while the other waits
    assert _period(alive_client.cp.calls["SetChargingProfile"][-1])["limit"] == 12
    assert not stuck.done()
    with pytest.raises(ChargerTimeoutError):
        await stuck
    assert alive.reading.status is not ChargerStatus.OFFLINE


async def test_connection_lost_while_applying(server: OcppServer, clients: ClientFactory) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    client.cp.answer = False
    pending = asyncio.get_running_loop().create_task(charger.async_apply(10, 3))
    await client.cp.next_call("SetChargingProfile")
    await client.websocket.close()
    with pytest.raises(ChargerUnavailableError):
        await pending


async def test_caller_cancellation_is_not_swallowed(
    server: OcppServer, clients: ClientFactory
) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    client.cp.answer = False
    pending = asyncio.get_running_loop().create_task(charger.async_apply(10, 3))
    await client.cp.next_call("SetChargingProfile")
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
