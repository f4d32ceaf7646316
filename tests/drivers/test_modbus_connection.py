"""The connection: reconnects, timeouts, exception responses, offline commands, backoff."""

from __future__ import annotations

import asyncio
import logging

import pytest

from custom_components.smart_charging.drivers.base import (
    ChargerStatus,
    ChargerUnavailableError,
    CommandRejectedError,
)
from custom_components.smart_charging.drivers.modbus import (
    ERROR_FAILSAFE,
    ERROR_HEARTBEAT,
    ERROR_MEASUREMENT,
    ERROR_STATE_UNREADABLE,
    ERROR_UNKNOWN_STATE,
    PROFILES,
    ModbusCharger,
    ModbusConfig,
    ModbusTimeoutError,
    ModbusWriteRejectedError,
)

from .modbus_fake import DEVICE_BUSY, ILLEGAL_ADDRESS, ILLEGAL_VALUE, FakeClock, f32
from .modbus_helpers import online, rig, wait_reading
from .modbus_vendors import Alfen, Keba, Vestel

VESTEL = PROFILES["vestel_evc04"]


def offline(reading: object) -> bool:
    return getattr(reading, "status", None) is ChargerStatus.OFFLINE


async def test_reconnects_after_the_server_restarts() -> None:
    async with rig(Vestel(), VESTEL) as r:
        r.fake.vehicle.plugged = True
        await r.charger.async_apply(16.0, 3)
        await r.server.stop()
        r.clock.advance(10.0)  # the next poll finds the connection gone
        await r.wait_reading(offline)
        assert not r.charger.connected
        await r.idle()  # backing off
        r.fake.setpoint_a, r.fake.timeout_s = 32.0, 20.0  # the charger rebooted
        await r.server.start()
        r.clock.advance(2.0)
        reading = await r.wait_reading(online)
        assert reading.status is ChargerStatus.CHARGING
        # re-armed and re-sent on reconnect
        assert (r.fake.setpoint_a, r.fake.timeout_s, r.fake.failsafe_a) == (16.0, 30.0, 8.0)


async def test_timeout_drops_the_connection_and_recovers() -> None:
    async with rig(Vestel(), VESTEL) as r:
        r.server.muted = True
        r.clock.advance(10.0)
        await r.wait_reading(offline)
        assert "no answer" in r.charger.diagnostics()["last_error"]
        await r.idle()
        r.server.muted = False
        r.clock.advance(2.0)
        await r.wait_reading(online)


async def test_apply_without_answer_raises_timeout_and_reconnects() -> None:
    async with rig(Vestel(), VESTEL) as r:
        r.server.muted = True
        with pytest.raises(ModbusTimeoutError):
            await r.charger.async_apply(10.0, 3)
        await r.wait_reading(offline)
        r.server.muted = False
        await r.idle()
        r.clock.advance(2.0)
        await r.wait_reading(online)
        assert r.fake.setpoint_a == 10.0  # the queued limit went out on reconnect


async def test_heartbeat_without_answer_drops_the_connection() -> None:
    async with rig(Vestel(), VESTEL, poll_interval_s=100.0) as r:
        r.server.muted = True
        r.clock.advance(10.0)  # heartbeat due, the poll is not
        await r.wait_reading(offline)


async def test_backoff_doubles_up_to_the_cap() -> None:
    clock = FakeClock()
    charger = ModbusCharger(
        ModbusConfig(host="127.0.0.1", port=1, backoff_initial_s=2.0, backoff_max_s=16.0),
        VESTEL,
        clock=clock,
    )
    await charger.async_start()
    try:
        for _ in range(5):
            await clock.wait_sleepers(1)
            assert charger.reading.status is ChargerStatus.OFFLINE
            clock.advance(clock.requested[-1])
        await clock.wait_sleepers(1)
        assert clock.requested == [2.0, 4.0, 8.0, 16.0, 16.0, 16.0]
        assert "cannot connect" in charger.diagnostics()["last_error"]
    finally:
        await charger.async_stop()


async def test_apply_while_offline_is_sent_on_connect() -> None:
    async with rig(Vestel(), VESTEL, start=False) as r:
        with pytest.raises(ChargerUnavailableError):
            await r.charger.async_apply(11.0, 3)
        await r.charger.async_start()
        await r.charger.async_start()  # idempotent
        await r.wait_reading(online)
        assert r.fake.setpoint_a == 11.0


async def test_invalid_limits_raise_value_error() -> None:
    async with rig(Vestel(), VESTEL, start=False) as r:
        for current, phases in ((-1.0, 3), (float("nan"), 3), (16.0, 4)):
            with pytest.raises(ValueError, match="invalid limit"):
                await r.charger.async_apply(current, phases)


async def test_rejected_write_sets_limit_rejected() -> None:
    async with rig(Vestel(), VESTEL) as r:
        r.fake.rejects[("holding", 5004)] = ILLEGAL_VALUE
        with pytest.raises(ModbusWriteRejectedError) as caught:
            await r.charger.async_apply(10.0, 3)
        assert isinstance(caught.value, CommandRejectedError)
        assert caught.value.code == ILLEGAL_VALUE
        assert r.reading.limit_rejected
        assert r.charger.connected  # an answer is not a lost connection
        del r.fake.rejects[("holding", 5004)]
        await r.charger.async_apply(12.0, 3)
        assert not r.reading.limit_rejected
        assert r.fake.setpoint_a == 12.0


async def test_rejected_limit_on_reconnect_keeps_the_connection() -> None:
    async with rig(Vestel(), VESTEL, start=False) as r:
        r.fake.rejects[("holding", 5004)] = ILLEGAL_VALUE
        with pytest.raises(ChargerUnavailableError):
            await r.charger.async_apply(10.0, 3)
        await r.charger.async_start()
        reading = await r.wait_reading(online)
        assert reading.limit_rejected


async def test_failsafe_registers_missing() -> None:
    async with rig(Vestel(), VESTEL, start=False) as r:
        r.fake.rejects[("holding", 2000)] = ILLEGAL_ADDRESS
        await r.charger.async_start()
        reading = await r.wait_reading(online)
        assert ERROR_FAILSAFE in reading.errors


async def test_refused_heartbeat_is_reported_and_cleared() -> None:
    async with rig(Vestel(), VESTEL, poll_interval_s=100.0) as r:
        r.fake.rejects[("holding", 6000)] = ILLEGAL_ADDRESS
        await r.tick(10.0)
        assert ERROR_HEARTBEAT in r.reading.errors
        await r.tick(10.0)  # reported once
        del r.fake.rejects[("holding", 6000)]
        await r.tick(10.0)
        assert ERROR_HEARTBEAT not in r.reading.errors


async def test_missing_measurement_is_skipped_after_the_first_refusal() -> None:
    async with rig(Vestel(), VESTEL) as r:
        r.fake.rejects[("input", 1020)] = ILLEGAL_ADDRESS
        reading = await r.poll()
        assert reading.power_w is None
        assert ERROR_MEASUREMENT in reading.errors
        asked = len([a for a in r.fake.log if a.address == 1020])
        reading = await r.poll()
        assert len([a for a in r.fake.log if a.address == 1020]) == asked
        assert ERROR_MEASUREMENT not in reading.errors
        assert r.charger.diagnostics()["unsupported_registers"] == ["power"]


async def test_busy_measurement_is_asked_again() -> None:
    async with rig(Vestel(), VESTEL) as r:
        r.fake.rejects[("input", 1020)] = DEVICE_BUSY
        assert ERROR_MEASUREMENT in (await r.poll()).errors
        del r.fake.rejects[("input", 1020)]
        reading = await r.poll()
        assert reading.power_w == 0.0
        assert reading.errors == ()


async def test_state_errors_keep_the_connection(caplog: pytest.LogCaptureFixture) -> None:
    async with rig(Vestel(), VESTEL) as r:
        r.fake.overrides[("input", 1000)] = 42
        reading = await r.poll()
        assert reading.status is ChargerStatus.UNAVAILABLE
        assert ERROR_UNKNOWN_STATE in reading.errors
        assert r.charger.diagnostics()["raw_state"] == 42
        r.fake.rejects[("input", 1000)] = ILLEGAL_ADDRESS
        reading = await r.poll()
        assert ERROR_STATE_UNREADABLE in reading.errors
        assert r.charger.connected
    assert "undefined state 42" in caplog.text


async def test_wrong_unit_id_keeps_the_driver_offline() -> None:
    async with rig(Vestel(), VESTEL, start=False, unit=7) as r:
        await r.charger.async_start()
        await r.clock.wait_sleepers(1)
        assert r.reading.status is ChargerStatus.OFFLINE
        assert "gateway" in r.charger.diagnostics()["last_error"]


async def test_limit_mismatch_after_settling() -> None:
    async with rig(Alfen(), PROFILES["alfen_eve"]) as r:
        r.fake.vehicle.plugged = True
        await r.charger.async_apply(16.0, 3)
        offered = dict(zip((("holding", 1206), ("holding", 1207)), f32(10.0), strict=True))
        r.fake.overrides.update(offered)  # something else caps the socket at 10 A
        assert not (await r.poll()).limit_mismatch  # within the settle time
        assert (await r.poll()).limit_mismatch
        for key in offered:
            del r.fake.overrides[key]
        assert not (await r.poll()).limit_mismatch
        # drawing more than allowed is a mismatch too
        current = dict(zip((("holding", 320), ("holding", 321)), f32(20.0), strict=True))
        r.fake.overrides.update(current)
        assert (await r.poll()).limit_mismatch


async def test_listeners(caplog: pytest.LogCaptureFixture) -> None:
    async with rig(Keba(), PROFILES["keba_p30"]) as r:
        calls: list[str] = []

        def broken() -> None:
            raise RuntimeError("boom")

        remove = r.charger.add_listener(lambda: calls.append("a"))
        remove_broken = r.charger.add_listener(broken)
        r.fake.vehicle.plugged = True
        await r.poll()
        assert calls == ["a"]
        await r.poll()  # nothing changed: no call
        assert calls == ["a"]
        remove()
        remove()  # twice is harmless
        remove_broken()
        r.fake.vehicle.plugged = False
        await r.poll()
        assert calls == ["a"]
    assert "listener failed" in caplog.text


async def test_stop_closes_and_reports_offline() -> None:
    async with rig(Keba(), PROFILES["keba_p30"]) as r:
        await r.charger.async_stop()
        assert r.reading.status is ChargerStatus.OFFLINE
        assert not r.charger.connected
        await r.charger.async_stop()  # twice is harmless
        with pytest.raises(ChargerUnavailableError):
            await r.charger.async_apply(10.0, 3)


async def test_stop_while_cancelled_propagates() -> None:
    async with rig(Keba(), PROFILES["keba_p30"]) as r:
        stopper = asyncio.create_task(r.charger.async_stop())
        await asyncio.sleep(0)
        stopper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stopper


async def test_a_profile_bug_does_not_kill_the_supervisor(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # a failsafe current of 8 A cannot be encoded in a register that counts 0.1 mA
    broken = PROFILES["keba_p30"]
    watchdog = broken.watchdog
    from dataclasses import replace  # noqa: PLC0415

    from custom_components.smart_charging.drivers.modbus.registers import (  # noqa: PLC0415
        Register,
    )

    broken = replace(
        broken,
        watchdog=replace(watchdog, failsafe_current=Register(address=5016, scale=0.0001)),
    )
    async with rig(Keba(), broken, start=False) as r:
        with caplog.at_level(logging.ERROR):
            await r.charger.async_start()
            await r.clock.wait_sleepers(1)
            r.clock.advance(16.0)
            await r.clock.wait_sleepers(1)
        assert r.clock.requested[-2:] == [16.0, 16.0]  # the longest backoff, repeated
        assert r.reading.status is ChargerStatus.OFFLINE
    assert "unexpected error" in caplog.text


async def test_diagnostics_and_capabilities() -> None:
    async with rig(Alfen(), PROFILES["alfen_eve"], charger_id="garage") as r:
        await r.charger.async_apply(16.0, 3)
        diagnostics = r.charger.diagnostics()
        assert diagnostics["profile"] == "alfen_eve"
        assert diagnostics["failsafe_timeout_s"] == 60.0
        assert diagnostics["heartbeat_period_s"] == 20.0
        assert diagnostics["failsafe_current_a"] is None  # read-only on Alfen
        assert diagnostics["written"] == {"current_a": 16.0, "phases": 3}
        assert diagnostics["unit_keyword"] in ("slave", "device_id")
        assert r.charger.charger_id == "garage"
        assert r.charger.unit_id == 1
        assert r.charger.profile is PROFILES["alfen_eve"]
        capabilities = r.charger.capabilities
        assert (capabilities.min_current_a, capabilities.max_current_a) == (6.0, 32.0)
    charger = ModbusCharger(ModbusConfig(host="10.0.0.9"), VESTEL)
    assert charger.charger_id == "10.0.0.9:502/255"
    assert charger.reading.status is ChargerStatus.OFFLINE
    await wait_reading(charger, offline)


async def test_backoff_resets_after_a_connection_that_lasted() -> None:
    async with rig(Vestel(), VESTEL) as r:
        await r.server.stop()
        r.clock.advance(10.0)
        await r.wait_reading(offline)
        await r.idle()
        assert r.clock.requested[-1] == 2.0
        await r.server.start()
        r.clock.advance(2.0)
        await r.wait_reading(online)
        await r.idle()
        await r.server.stop()  # dropped again soon: the backoff grows
        r.clock.advance(10.0)
        await r.wait_reading(offline)
        await r.idle()
        assert r.clock.requested[-1] == 4.0
        await r.server.start()
        r.clock.advance(4.0)
        await r.wait_reading(online)
        await r.idle()
        for _ in range(3):  # up for longer than the longest backoff
            await r.tick(10.0)
        await r.server.stop()
        r.clock.advance(10.0)
        await r.wait_reading(offline)
        await r.idle()
        assert r.clock.requested[-1] == 2.0


async def test_unexpected_poll_error_reconnects(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from custom_components.smart_charging.drivers.modbus import charger as module  # noqa: PLC0415

    async with rig(Vestel(), VESTEL) as r:
        original = module.read_sample

        async def fail_once(*args: object) -> object:
            monkeypatch.setattr(module, "read_sample", original)
            raise RuntimeError("bug")

        monkeypatch.setattr(module, "read_sample", fail_once)
        r.clock.advance(10.0)
        await r.wait_reading(offline)
        await r.idle()
        r.clock.advance(2.0)
        await r.wait_reading(online)
    assert "unexpected error" in caplog.text


async def test_apply_racing_a_reconnect_raises_unavailable() -> None:
    async with rig(Vestel(), VESTEL) as r:
        async with r.charger._io_lock:
            applying = asyncio.create_task(r.charger.async_apply(10.0, 3))
            await asyncio.sleep(0)
            r.charger._close()  # the connection went away meanwhile
        with pytest.raises(ChargerUnavailableError):
            await applying


async def test_identity_registers_missing() -> None:
    from .modbus_vendors import GoE  # noqa: PLC0415

    async with rig(GoE(), PROFILES["go_e"], start=False) as r:
        r.fake.rejects[("input", 304)] = ILLEGAL_ADDRESS
        await r.charger.async_start()
        await r.wait_reading(online)
        assert r.charger.info.serial_number is None
        assert r.charger.info.firmware_version == "056a"
