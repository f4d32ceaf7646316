"""Fault injection through Home Assistant: meters, chargers and Home Assistant itself fail.

Nothing sleeps. Meter faults run on frozen time moved by the test (``freezer`` +
``async_fire_time_changed``); OCPP faults wait for the charger's calls and the driver's
listener; the Modbus driver runs on a fake clock, only its transport timeout (0.2 s) is
real. The angles here are the ones tests/ha and tests/drivers do not cover: failsafe
judged only by the periodic tick (no state event), over many durations; OCPP chargers
reconnecting with a new transaction and firmware; profiles refused and limits ignored
end to end; Modbus failures seen from Home Assistant (log once, repair, recovery); a
restart in the middle of a session; and what a charger is left with while Home
Assistant is down.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import logging
import math
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from ocpp.v16 import call
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.smart_charging.charger_settings import apply_current_range
from custom_components.smart_charging.const import (
    CONF_FALLBACK_CURRENT,
    CONF_MAX_CURRENT,
    CONF_MAX_IMPORT,
    CONF_MAX_INPUT_AGE,
    CONF_MODBUS_HOST,
    CONF_MODBUS_PORT,
    CONF_MODBUS_PROFILE,
    CONF_MODBUS_UNIT,
    CONF_PROTOCOL,
    CONF_SAFE_CURRENT,
    CONF_SITE_ENTRY_ID,
    DOMAIN,
    PROTOCOL_MODBUS,
)
from custom_components.smart_charging.coordinator import SiteCoordinator
from custom_components.smart_charging.drivers.base import ChargerReading, ChargerStatus
from custom_components.smart_charging.drivers.modbus import ModbusCharger, ModbusConfig
from custom_components.smart_charging.drivers.modbus.profiles import PROFILES
from custom_components.smart_charging.engine.model import Reason, SiteConfig
from custom_components.smart_charging.engine.settings import AllocatorSettings
from custom_components.smart_charging.flow_charger import DEFAULT_CHARGER_OPTIONS
from tests.drivers.modbus_fake import (
    DEVICE_BUSY,
    ILLEGAL_VALUE,
    FakeCharger,
    FakeClock as ModbusClock,
    f32,
    f64,
)
from tests.drivers.modbus_fake_server import FakeModbusServer
from tests.drivers.modbus_helpers import rig, wait_reading
from tests.drivers.modbus_vendors import Alfen, Vestel
from tests.drivers.ocpp_helpers import (
    Client,
    ClientFactory,
    FakeChargePoint,
    is_ready,
    sampled,
    wait_until,
)
from tests.ha.conftest import GRID, set_power
from tests.ha.test_ocpp import CP, charger_entry, server_port

from .stubs import StubDriver, attach

FAILSAFE = "binary_sensor.home_failsafe"
HEALTH = "sensor.home_input_health"
TICK = 11  # seconds: a little more than the control interval, so every step runs a cycle

# ---- meters that go silent or unavailable -------------------------------------------


@dataclass
class StubSite:
    """A loaded site with two stub chargers: A falls back to its minimum, B pauses."""

    entry: MockConfigEntry
    coordinator: SiteCoordinator
    a: StubDriver
    b: StubDriver


@pytest.fixture
async def stub_site(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> StubSite:
    """The test site (grid power and PV, fuse 25 A) with two charging stub chargers."""
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = site_entry.runtime_data.coordinator
    charging = ChargerReading(
        status=ChargerStatus.CHARGING, currents_a=(10.0, 10.0, 10.0), power_w=6900.0
    )
    _, a, _ = attach(coordinator, "A", {}, charging)
    _, b, _ = attach(coordinator, "B", {CONF_FALLBACK_CURRENT: 0.0}, charging)
    await coordinator.async_refresh()
    assert not coordinator.data.failsafe
    return StubSite(site_entry, coordinator, a, b)


async def _step(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Let time pass; the periodic control cycle runs (no state event helps it)."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def _assert_failsafe(hass: HomeAssistant, site: StubSite, reason: str) -> None:
    """Failsafe names the meter; each charger got at most its fallback current."""
    state = hass.states.get(FAILSAFE)
    assert state.state == STATE_ON
    assert state.attributes["reason"] == reason
    assert state.attributes["entities"] == [GRID]
    allocation = site.coordinator.data.allocation
    assert allocation.get("A").current_a == 6.0  # its minimum: no fallback configured
    assert allocation.get("A").reason is Reason.FAILSAFE_INPUTS
    assert allocation.get("B").current_a == 0.0  # fallback 0: paused
    # What reached the chargers in this cycle, too.
    assert site.a.applied[-1][0] == 6.0
    assert site.b.applied[-1][0] == 0.0


@pytest.mark.parametrize("max_age", [30, 60])
@pytest.mark.parametrize("silence", [0.5, 0.9, 1.1, 3.0, 20.0])
@pytest.mark.usefixtures("site_inputs")
async def test_a_silent_meter_is_failsafe_once_it_is_older_than_the_max_age(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    max_age: int,
    silence: float,
) -> None:
    """Silent for a fraction or a multiple of the max age: failsafe exactly past it.

    Nothing but the periodic tick sees a silent meter; each step runs one cycle, and
    failsafe must be on from the first cycle after the age is passed. A single report
    (even of the same value) ends it at the next cycle.
    """
    hass.config_entries.async_update_entry(
        site_entry, options={**site_entry.options, CONF_MAX_INPUT_AGE: max_age}
    )
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = site_entry.runtime_data.coordinator
    charging = ChargerReading(status=ChargerStatus.CHARGING, currents_a=(10.0, 10.0, 10.0))
    _, a, _ = attach(coordinator, "A", {}, charging)
    _, b, _ = attach(coordinator, "B", {CONF_FALLBACK_CURRENT: 0.0}, charging)
    site = StubSite(site_entry, coordinator, a, b)
    set_power(hass, GRID, 1150)
    await hass.async_block_till_done()
    elapsed = 0.0
    while elapsed + TICK <= silence * max_age:
        await _step(hass, freezer, TICK)
        elapsed += TICK
        assert coordinator.last_update_success
        expected = STATE_ON if elapsed > max_age else STATE_OFF
        assert hass.states.get(FAILSAFE).state == expected, elapsed
        if expected == STATE_ON:
            _assert_failsafe(hass, site, "stale")
    # The meter reports again, the same value: no state change, so the next periodic
    # cycle (not an event) ends failsafe.
    set_power(hass, GRID, 1150)
    await _step(hass, freezer, TICK)
    assert hass.states.get(FAILSAFE).state == STATE_OFF
    assert coordinator.data.allocation.get("A").reason is not Reason.FAILSAFE_INPUTS


@pytest.mark.parametrize("outage", [timedelta(seconds=1), timedelta(minutes=5), timedelta(hours=2)])
@pytest.mark.parametrize("bad_state", [STATE_UNAVAILABLE, "unknown", "garbage"])
async def test_an_unavailable_meter_is_failsafe_for_as_long_as_it_lasts(
    hass: HomeAssistant,
    stub_site: StubSite,
    freezer: FrozenDateTimeFactory,
    outage: timedelta,
    bad_state: str,
) -> None:
    """Failsafe from the event on, through every periodic cycle, and off when it is back."""
    set_power(hass, GRID, bad_state)
    await hass.async_block_till_done()
    reason = "non_numeric" if bad_state == "garbage" else "unavailable"
    _assert_failsafe(hass, stub_site, reason)
    left = outage.total_seconds()
    step = max(TICK, left / 20)  # at most 20 cycles looked at, whatever the duration
    while left > 0:
        await _step(hass, freezer, min(step, left))
        left -= step
        _assert_failsafe(hass, stub_site, reason)
    assert stub_site.coordinator.last_update_success
    set_power(hass, GRID, 1150)
    await hass.async_block_till_done()
    assert hass.states.get(FAILSAFE).state == STATE_OFF
    assert hass.states.get(HEALTH).state != "failsafe"
    allocation = stub_site.coordinator.data.allocation
    assert allocation.get("A").reason is not Reason.FAILSAFE_INPUTS


async def test_a_flapping_meter_never_lets_a_charger_above_its_fallback_while_unusable(
    hass: HomeAssistant, stub_site: StubSite, freezer: FrozenDateTimeFactory
) -> None:
    """Good, gone, good, stale … every cycle decides on what it sees now."""
    script: list[tuple[str | None, float]] = [
        (STATE_UNAVAILABLE, 1),
        ("1150", 1),
        (None, 70),  # silent: stale past the 60 s max age
        ("900", 1),
        ("nan", 1),
        ("800", 1),
    ]
    for value, seconds in script:
        if value is not None:
            set_power(hass, GRID, value)
        await _step(hass, freezer, seconds)
        if seconds > TICK:
            await _step(hass, freezer, 0)
        data = stub_site.coordinator.data
        usable = value not in (STATE_UNAVAILABLE, "nan", None)
        assert data.failsafe is not usable, value
        if not usable:
            assert stub_site.a.applied[-1][0] <= 6.0
            assert stub_site.b.applied[-1][0] == 0.0
    assert stub_site.coordinator.last_update_success


# ---- helpers shared by the charger faults below ------------------------------------


def _issue(issue_registry: ir.IssueRegistry, charger_id: str) -> ir.IssueEntry | None:
    return issue_registry.async_get_issue(DOMAIN, f"charger_limit_ignored_{charger_id}")


@pytest.fixture
async def unload_everything(hass: HomeAssistant) -> AsyncGenerator[None]:
    """Unload the entries at the end, before fake chargers go away."""
    yield
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


# ---- OCPP chargers: reconnects, refused profiles, ignored limits ---------------------


async def _connect(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    clients: ClientFactory,
    charger: MockConfigEntry,
    *,
    firmware: str = "1.2.3",
) -> Client:
    """Connect and boot CP1 (with a firmware version of our choosing) until it is ready."""
    client = await clients.connect(server_port(site_entry), CP)
    boot = await client.cp.call(
        call.BootNotification(
            charge_point_vendor="Acme",
            charge_point_model="Wallbox 11",
            charge_point_serial_number="SN-1",
            firmware_version=firmware,
        )
    )
    assert boot.status == "Accepted"
    await wait_until(charger.runtime_data.handle.driver, is_ready)
    await hass.async_block_till_done()
    return client


def _is_fallback(profile: dict[str, Any]) -> bool:
    """The safe profile: id 9100, one period, no duration (it never lapses)."""
    schedule = profile["charging_schedule"]
    return (
        profile["charging_profile_id"] == 9100
        and "duration" not in schedule
        and len(schedule["charging_schedule_period"]) == 1
    )


async def _live_limit(client: Client, predicate: Any = lambda limit: limit > 0) -> dict[str, Any]:
    """The next live profile (not the fallback) whose limit satisfies ``predicate``."""
    while True:
        profile = await client.cp.next_call("SetChargingProfile")
        if not _is_fallback(profile) and predicate(_limit(profile)):
            return profile


def _limit(profile: dict[str, Any]) -> float:
    return float(profile["charging_schedule"]["charging_schedule_period"][0]["limit"])


async def _charging(client: Client, tx: int, amps: float, energy_wh: float, **extra: float) -> None:
    values = [sampled("Current.Import", amps, "A", phase) for phase in ("L1", "L2", "L3")]
    values += [sampled("Energy.Active.Import.Register", energy_wh, "Wh")]
    values += [sampled(measurand, value, "A") for measurand, value in extra.items()]
    await client.cp.status("Charging")
    await client.cp.meter(values, transaction_id=tx)


@pytest.mark.usefixtures("site_inputs", "unload_everything")
async def test_ocpp_charger_reconnects_mid_session(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    clients: ClientFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Lost mid-session, back with the same transaction, then with a new one and firmware.

    The device stays the same (with the new firmware), the session goes on across the
    outage and counts what was charged meanwhile, a new transaction starts a new session
    (the lifetime energy goes on), and live limits are sent again.
    """
    entry = charger_entry(hass)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = site_entry.runtime_data.coordinator
    handle = entry.runtime_data.handle
    client = await _connect(hass, site_entry, clients, entry)
    device = device_registry.async_get_device(identifiers={(DOMAIN, "ocpp:CP1")})
    assert device is not None
    assert device.sw_version == "1.2.3"
    tx = await client.cp.start_transaction(meter_start=10_000)
    await _charging(client, tx, 10.0, 10_000)
    await coordinator.async_refresh()
    await _live_limit(client)
    await _charging(client, tx, 10.0, 12_000)
    await coordinator.async_refresh()
    assert handle.session.active
    assert handle.session.transaction_id == tx
    assert handle.session.energy_kwh == pytest.approx(2.0)

    # The connection drops mid-session.
    await client.close()
    await wait_until(handle.driver, lambda c: c.reading.status is ChargerStatus.OFFLINE)
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert handle.session.active  # a lost connection does not end a session
    assert coordinator.data.allocation.get(CP).reason is Reason.NOT_CONNECTED

    # Back with the same transaction: the session goes on, with what came in meanwhile.
    second = await _connect(hass, site_entry, clients, entry, firmware="1.2.4")
    await _charging(second, tx, 10.0, 15_000)
    await coordinator.async_refresh()
    assert handle.session.transaction_id == tx
    assert handle.session.energy_kwh == pytest.approx(5.0)
    await _live_limit(second)  # control resumes
    same = device_registry.async_get_device(identifiers={(DOMAIN, "ocpp:CP1")})
    assert same is not None
    assert same.id == device.id
    assert same.sw_version == "1.2.4"

    # Lost again; it comes back after a reboot with new firmware and a new transaction.
    await second.close()
    await wait_until(handle.driver, lambda c: c.reading.status is ChargerStatus.OFFLINE)
    await coordinator.async_refresh()
    third = await _connect(hass, site_entry, clients, entry, firmware="2.0.0")
    new_tx = await third.cp.start_transaction(meter_start=15_000)
    assert new_tx != tx
    await _charging(third, new_tx, 10.0, 15_000)
    await coordinator.async_refresh()
    await _charging(third, new_tx, 10.0, 16_000)
    await coordinator.async_refresh()
    assert handle.session.transaction_id == new_tx
    assert handle.session.energy_kwh == pytest.approx(1.0)
    assert handle.session.lifetime_kwh == pytest.approx(6.0)
    await _live_limit(third)
    assert device_registry.async_get(device.id).sw_version == "2.0.0"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2  # no second charger entry
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


REASON = "sensor.acme_wallbox_11_cp1_reason"


async def _cap(hass: HomeAssistant, entry: MockConfigEntry, maximum: float) -> None:
    """Lower the charger's maximum current live (like its number entity) and run a cycle."""
    handle = entry.runtime_data.handle
    apply_current_range(handle, entry.options, maximum=maximum)
    await entry.runtime_data.site.coordinator.async_charger_config_changed()
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.usefixtures("site_inputs", "unload_everything")
async def test_refused_profiles_raise_a_repair_issue_and_the_reason_says_so(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    clients: ClientFactory,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A charger that answers Rejected to its live limits: issue, reason, logged once."""
    entry = charger_entry(hass)
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = site_entry.runtime_data.coordinator
    client = await _connect(hass, site_entry, clients, entry)
    tx = await client.cp.start_transaction()
    await _charging(client, tx, 10.0, 1000)
    await coordinator.async_refresh()
    await _live_limit(client, lambda _limit: True)
    assert _issue(issue_registry, CP) is None

    client.cp.profile_status = "Rejected"
    await _cap(hass, entry, 9.0)  # a lower maximum: the cut is sent at once, and refused
    driver = entry.runtime_data.handle.driver
    await wait_until(driver, lambda c: c.reading.limit_rejected)
    await coordinator.async_refresh()
    issue = _issue(issue_registry, CP)
    assert issue is not None
    assert issue.translation_key == "charger_limit_ignored"
    assert issue.translation_placeholders == {"charger": entry.title}
    reason = hass.states.get(REASON)
    assert reason.attributes["limit_rejected"] is True
    await _cap(hass, entry, 8.5)  # refused again: still one warning in the log
    assert caplog.text.count("did not take its limit") == 1

    client.cp.profile_status = "Accepted"
    await _cap(hass, entry, 8.0)
    await wait_until(driver, lambda c: not c.reading.limit_rejected)
    await coordinator.async_refresh()
    assert _issue(issue_registry, CP) is None
    assert hass.states.get(REASON).attributes["limit_rejected"] is False
    assert (await _live_limit(client, lambda _limit: True)) is not None
    assert "takes its limits again" in caplog.text


HOUSE_A = 5.0  # the house's own load per phase
STEP = timedelta(seconds=5)
SETTLE_S = AllocatorSettings(site=SiteConfig(fuse_a=25.0)).settle_time_s


@pytest.mark.usefixtures("site_inputs", "unload_everything")
async def test_a_charger_that_draws_more_than_allowed_costs_the_others_not_the_fuse(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    clients: ClientFactory,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """CP1 follows its limit, then takes 16 A whatever it is told (saying it offers less).

    The excess counts as load that is not ours: the other charger (a stub that follows
    its limit) is cut at once so that the house, CP1's real draw and the other's limit
    stay within the fuse less the margin. Once CP1 has overdrawn for the settle time a
    repair issue names it; it is withdrawn when CP1 follows again.
    """
    entry = charger_entry(hass, **{CONF_MAX_CURRENT: 16.0})
    hass.config_entries.async_update_entry(
        site_entry, data={**site_entry.data, CONF_MAX_IMPORT: 50.0}
    )
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = site_entry.runtime_data.coordinator
    follower = ChargerReading(status=ChargerStatus.CHARGING, currents_a=(0.0, 0.0, 0.0))
    _, other, _ = attach(coordinator, "S", {CONF_MAX_CURRENT: 16.0}, follower)
    client = await _connect(hass, site_entry, clients, entry)
    tx = await client.cp.start_transaction()
    await coordinator.async_refresh()
    energy = 1000.0

    async def cycle(*, ignoring: bool) -> tuple[float, float]:
        """One control cycle on what the chargers and the meter say now."""
        nonlocal energy
        allocation = coordinator.data.allocation
        cp_limit, s_limit = allocation.get(CP).current_a, allocation.get("S").current_a
        draw = 16.0 if ignoring else cp_limit
        other.set_reading(currents_a=(s_limit,) * 3, power_w=s_limit * 690)
        set_power(hass, GRID, (HOUSE_A + draw + s_limit) * 690)
        energy += 100
        await _charging(client, tx, draw, energy, **{"Current.Offered": cp_limit})
        freezer.tick(STEP)
        await coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
        return draw, coordinator.data.allocation.get("S").current_a

    for _ in range(8):  # both follow: they share the fuse
        draw, s_next = await cycle(ignoring=False)
    assert draw > 6.0
    assert s_next > 6.0
    assert _issue(issue_registry, CP) is None

    for n in range(6):  # CP1 ignores its limit from now on
        draw, s_next = await cycle(ignoring=True)
        if n * STEP.total_seconds() < SETTLE_S:
            # Cut to 0 at once; the engine lets a car follow a cut for the settle time,
            # and counts only the draw above its previous limit as load.
            assert coordinator.data.allocation.get(CP).current_a == 0.0
            assert _issue(issue_registry, CP) is None  # not yet: it may still follow
            continue
        # The settle time is over: all it draws is load, the other charger is cut.
        assert HOUSE_A + draw + s_next <= 25.0 - 2.0 + 1e-6, n
        issue = _issue(issue_registry, CP)
        assert issue is not None
        assert issue.translation_placeholders == {"charger": entry.title}

    for _ in range(2):  # it follows again
        await cycle(ignoring=False)
    assert _issue(issue_registry, CP) is None


# ---- Home Assistant down or restarting ----------------------------------------------


class ProfileStack:
    """What an OCPP 1.6 charge point keeps installed, replayed from the calls it got.

    SetChargingProfile replaces a profile of the same id (or of the same stack level and
    purpose on the same connector); ClearChargingProfile(id) removes one. The limit in
    force is that of the valid TxDefaultProfile with the highest stack level.
    """

    def __init__(self) -> None:
        self.profiles: dict[int, dict[str, Any]] = {}
        self.log: list[tuple[str, dict[str, Any]]] = []

    def record(self, action: str, payload: dict[str, Any]) -> None:
        self.log.append((action, payload))
        if action == "SetChargingProfile":
            for pid, old in list(self.profiles.items()):
                if (old["stack_level"], old["charging_profile_purpose"], old["connector_id"]) == (
                    payload["stack_level"],
                    payload["charging_profile_purpose"],
                    payload["connector_id"],
                ):
                    del self.profiles[pid]
            self.profiles[payload["charging_profile_id"]] = payload
        elif action == "ClearChargingProfile" and payload.get("id") is not None:
            self.profiles.pop(payload["id"], None)

    def limit_at(self, when: datetime) -> float | None:
        """The current limit in force at ``when`` (None: nothing installed)."""
        best: tuple[int, float] | None = None
        for profile in self.profiles.values():
            schedule = profile["charging_schedule"]
            start = schedule.get("start_schedule")
            begin = datetime.fromisoformat(start) if start else when
            offset = (when - begin).total_seconds()
            if offset < 0 or offset >= schedule.get("duration", float("inf")):
                continue
            periods = [
                p for p in schedule["charging_schedule_period"] if p["start_period"] <= offset
            ]
            if periods and (best is None or profile["stack_level"] > best[0]):
                best = (profile["stack_level"], float(periods[-1]["limit"]))
        return None if best is None else best[1]


def _tracked(stack: ProfileStack) -> Any:
    """A ``setup`` for a fake charge point that replays every call into ``stack``."""

    def setup(cp: FakeChargePoint) -> None:
        record = cp._record

        async def tracking(action: str, payload: dict[str, Any]) -> None:
            stack.record(action, payload)
            await record(action, payload)

        cp._record = tracking  # type: ignore[method-assign]

    return setup


@pytest.mark.parametrize("stack_level", [1, 0])
@pytest.mark.usefixtures("site_inputs")
async def test_while_home_assistant_is_down_the_charger_falls_back_to_its_safe_current(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    clients: ClientFactory,
    stack_level: int,
) -> None:
    """The safe TxDefaultProfile sits at stack level 0 without a duration; live limits
    carry one. Home Assistant stops: nothing is cleared, the live limit lapses, and from
    then on the charger offers the safe current (8 A here)."""
    entry = charger_entry(hass, **{CONF_SAFE_CURRENT: 8.0, "stack_level": stack_level})
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    stack = ProfileStack()
    client = await clients.connect(server_port(site_entry), CP, setup=_tracked(stack))
    assert (await client.cp.boot()).status == "Accepted"
    await wait_until(entry.runtime_data.handle.driver, is_ready)
    tx = await client.cp.start_transaction()
    await _charging(client, tx, 10.0, 1000)
    await site_entry.runtime_data.coordinator.async_refresh()
    live = await _live_limit(client)

    (fallback,) = [p for a, p in stack.log if a == "SetChargingProfile" and _is_fallback(p)]
    assert fallback["stack_level"] == 0
    assert fallback["charging_profile_purpose"] == "TxDefaultProfile"
    assert fallback["connector_id"] == 0
    assert fallback["charging_schedule"]["charging_rate_unit"] == "A"
    assert _limit(fallback) == 8.0
    schedule = live["charging_schedule"]
    assert live["stack_level"] == stack_level
    if stack_level > 0:  # it lapses by its duration …
        expiry = schedule["duration"]
    else:  # … or, sharing level 0 with the fallback, by a second period at the safe current
        expiry = schedule["charging_schedule_period"][1]["start_period"]
        assert schedule["charging_schedule_period"][1]["limit"] == 8.0
    assert 0 < expiry <= 330
    begin = datetime.fromisoformat(schedule["start_schedule"])
    end = begin + timedelta(seconds=expiry)
    assert stack.limit_at(begin + timedelta(seconds=31)) == _limit(live)

    # Home Assistant stops: its chargers are closed, nothing is taken back.
    before = len(stack.log)
    hass.bus.async_fire("homeassistant_stop")
    assert await hass.config_entries.async_unload(site_entry.entry_id)
    await hass.async_block_till_done()
    await client.closed()
    assert [action for action, _ in stack.log[before:]] == []
    assert stack.limit_at(end - timedelta(seconds=1)) == _limit(live)
    assert stack.limit_at(end) == 8.0
    assert stack.limit_at(end + timedelta(days=1)) == 8.0


@pytest.mark.usefixtures("site_inputs")
async def test_a_restart_mid_session_keeps_settings_session_devices_and_the_fallback(
    hass: HomeAssistant,
    site_entry: MockConfigEntry,
    clients: ClientFactory,
    device_registry: dr.DeviceRegistry,
    hass_storage: dict[str, Any],
) -> None:
    """Home Assistant restarts (the site and its charger unload and load) mid-session.

    Afterwards the charger's settings and mode are back, the session carries on from its
    counters (the energy charged while Home Assistant was away included), the devices
    are the ones from before, and at no point was the charger left without its safe
    fallback profile.
    """
    entry = charger_entry(hass, **{CONF_SAFE_CURRENT: 8.0})
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    stack = ProfileStack()
    client = await clients.connect(server_port(site_entry), CP, setup=_tracked(stack))
    assert (await client.cp.boot()).status == "Accepted"
    handle = entry.runtime_data.handle
    await wait_until(handle.driver, is_ready)
    device_ids = {d.id for d in dr.async_entries_for_config_entry(device_registry, entry.entry_id)}
    site_devices = {
        d.id for d in dr.async_entries_for_config_entry(device_registry, site_entry.entry_id)
    }
    tx = await client.cp.start_transaction(meter_start=20_000)
    await _charging(client, tx, 10.0, 20_000)
    coordinator = site_entry.runtime_data.coordinator
    await coordinator.async_refresh()
    await _charging(client, tx, 10.0, 23_000)
    await coordinator.async_refresh()
    await hass.services.async_call(
        DOMAIN,
        "set_mode",
        {"device_id": next(iter(device_ids)), "mode": "min_pv"},
        blocking=True,
    )
    await hass.services.async_call(
        DOMAIN,
        "set_target",
        {"device_id": next(iter(device_ids)), "soc": 80, "ready_by": "07:00:00"},
        blocking=True,
    )
    apply_current_range(handle, entry.options, maximum=12.0)
    await coordinator.async_charger_config_changed()
    assert handle.session.energy_kwh == pytest.approx(3.0)
    started = handle.session.started

    # Restart: everything unloads (the charger is cut off) and loads again.
    assert await hass.config_entries.async_unload(site_entry.entry_id)
    await hass.async_block_till_done()
    await client.closed()
    assert (
        hass_storage[f"{DOMAIN}.charger.{entry.entry_id}"]["data"]["session"]["energy_kwh"] == 3.0
    )
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    handle = entry.runtime_data.handle
    assert handle.mode == "min_pv"
    assert hass.states.get("select.acme_wallbox_11_cp1_mode").state == "min_pv"
    assert handle.target_soc_pct == 80
    assert handle.ready_by is not None
    assert (handle.ready_by.hour, handle.ready_by.minute) == (7, 0)
    assert handle.config.max_current_a == 12.0
    assert handle.session.active
    assert handle.session.started == started
    assert handle.session.transaction_id == tx

    # The charger comes back, still in its transaction, with 1 kWh more.
    second = await clients.connect(server_port(site_entry), CP, setup=_tracked(stack))
    assert (await second.cp.boot()).status == "Accepted"
    await wait_until(handle.driver, is_ready)
    coordinator = site_entry.runtime_data.coordinator
    await _charging(second, tx, 10.0, 24_000)
    await coordinator.async_refresh()
    await _charging(second, tx, 10.0, 25_000)
    await coordinator.async_refresh()
    assert handle.session.transaction_id == tx
    assert handle.session.energy_kwh == pytest.approx(5.0)
    assert {
        d.id for d in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    } == device_ids
    assert {
        d.id for d in dr.async_entries_for_config_entry(device_registry, site_entry.entry_id)
    } == site_devices
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2
    cleared = [p for a, p in stack.log if a == "ClearChargingProfile"]
    assert all(p.get("id") != 9100 for p in cleared)  # the fallback is never taken away
    assert any(_is_fallback(p) for p in stack.profiles.values())
    await hass.config_entries.async_unload(site_entry.entry_id)
    await hass.async_block_till_done()


# ---- Modbus chargers that time out or refuse ----------------------------------------


@dataclass
class ModbusRig:
    """A Vestel on loopback, its charger entry, and the clock its driver runs on."""

    clock: ModbusClock
    server: FakeModbusServer
    entry: MockConfigEntry
    coordinator: SiteCoordinator

    @property
    def driver(self) -> ModbusCharger:
        driver = self.entry.runtime_data.handle.driver
        assert isinstance(driver, ModbusCharger)
        return driver

    async def idle(self) -> None:
        """Wait until the driver sleeps again (supervisor, and heartbeat when connected)."""
        busy = self.driver.connected and self.driver.diagnostics()["heartbeat_period_s"]
        await self.clock.wait_sleepers(2 if busy else 1)

    async def tick(self, seconds: float) -> None:
        """Move the driver's clock and let what woke up finish."""
        self.clock.advance(seconds)
        await asyncio.sleep(0)
        await self.idle()


@pytest.fixture
async def modbus(
    hass: HomeAssistant, site_inputs: None, site_entry: MockConfigEntry
) -> AsyncGenerator[ModbusRig]:
    """A Vestel EVC04 with a car plugged in, added to the loaded test site.

    The driver runs on a fake clock with a short transport timeout (0.2 s, the only
    real time here), no retries, and backoffs of 2 to 16 s.
    """
    clock = ModbusClock()
    server = FakeModbusServer(FakeCharger(Vestel(), now=clock.monotonic))
    server.charger.vehicle.plugged = True
    await server.start()
    assert await hass.config_entries.async_setup(site_entry.entry_id)
    await hass.async_block_till_done()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="modbus:VESTEL0001",
        data={
            CONF_SITE_ENTRY_ID: site_entry.entry_id,
            CONF_PROTOCOL: PROTOCOL_MODBUS,
            CONF_MODBUS_HOST: "127.0.0.1",
            CONF_MODBUS_PORT: server.port,
            CONF_MODBUS_UNIT: 255,
            CONF_MODBUS_PROFILE: "vestel_evc04",
        },
        options={**DEFAULT_CHARGER_OPTIONS, CONF_SAFE_CURRENT: 8.0},
    )
    entry.add_to_hass(hass)

    class FastModbusCharger(ModbusCharger):
        def __init__(self, config: ModbusConfig, profile: Any, *, switch_phases: bool) -> None:
            fast = replace(
                config, timeout_s=1.0, retries=0, backoff_initial_s=2.0, backoff_max_s=16.0
            )
            super().__init__(fast, profile, switch_phases=switch_phases, clock=clock)

    with patch("custom_components.smart_charging.ModbusCharger", FastModbusCharger):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    charger = ModbusRig(clock, server, entry, site_entry.runtime_data.coordinator)
    await wait_reading(charger.driver, lambda r: r.status is ChargerStatus.CHARGING)
    await charger.idle()
    await charger.coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    yield charger
    for loaded in hass.config_entries.async_entries(DOMAIN):
        if loaded.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(loaded.entry_id)
    await hass.async_block_till_done()
    await server.stop()


def _offline(reading: ChargerReading) -> bool:
    return reading.status is ChargerStatus.OFFLINE


async def test_modbus_timeouts_take_the_charger_offline_logged_once_then_it_recovers(
    hass: HomeAssistant, modbus: ModbusRig, caplog: pytest.LogCaptureFixture
) -> None:
    """A charger that stops answering: offline (once in the log, however many retries),
    its own watchdog falls back to the safe current, and control resumes when it answers
    again."""
    fake = modbus.server.charger
    assert fake.failsafe_a == 8.0  # armed at connect
    limit = modbus.coordinator.data.allocation.get("modbus:VESTEL0001").current_a
    assert fake.setpoint_a == limit > 0
    caplog.clear()
    modbus.server.muted = True
    modbus.clock.advance(10.0)  # the next poll times out
    await wait_reading(modbus.driver, _offline)
    await modbus.idle()
    await modbus.coordinator.async_refresh()
    allocation = modbus.coordinator.data.allocation.get("modbus:VESTEL0001")
    assert allocation.reason is Reason.NOT_CONNECTED
    assert hass.states.get("sensor.garage_status").state == "offline"
    for delay in (2.0, 4.0, 8.0, 16.0, 16.0, 16.0):  # reconnects, each one timing out
        await modbus.tick(delay)
    assert fake.expired  # nobody kept the charger's watchdog alive …
    assert fake.limit_a == 8.0  # … so it fell back to the safe current by itself
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len([m for m in warnings if "offline" in m]) == 1, warnings

    modbus.server.muted = False
    modbus.clock.advance(16.0)
    await wait_reading(modbus.driver, lambda r: r.status is ChargerStatus.CHARGING)
    await modbus.idle()
    await modbus.coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "back online" in caplog.text
    assert not fake.expired
    assert fake.setpoint_a == modbus.coordinator.data.allocation.get("modbus:VESTEL0001").current_a
    assert hass.states.get("sensor.garage_status").state == "charging"


@pytest.mark.parametrize("code", [ILLEGAL_VALUE, DEVICE_BUSY])
async def test_modbus_refused_limits_raise_a_repair_issue_until_one_is_taken(
    hass: HomeAssistant,
    modbus: ModbusRig,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
    code: int,
) -> None:
    """Exception responses to the setpoint write: the charger stays online, the repair
    issue names it, the failure is logged once; a limit it takes ends both."""
    charger_id = "modbus:VESTEL0001"
    modbus.server.charger.rejects[("holding", 5004)] = code
    caplog.clear()
    await _cap(hass, modbus.entry, 9.0)  # a lower limit: written, refused …
    for _ in range(3):  # … and written again every cycle, refused every time
        await modbus.coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert len(modbus.server.charger.writes("holding", 5004)) >= 4
    assert modbus.driver.reading.limit_rejected
    assert modbus.driver.reading.status is ChargerStatus.CHARGING
    issue = _issue(issue_registry, charger_id)
    assert issue is not None
    assert issue.translation_placeholders == {"charger": modbus.entry.title}  # its name
    assert caplog.text.count("did not take its limit") == 1

    del modbus.server.charger.rejects[("holding", 5004)]
    await _cap(hass, modbus.entry, 8.0)
    await modbus.coordinator.async_refresh()
    assert not modbus.driver.reading.limit_rejected
    assert modbus.server.charger.setpoint_a == 8.0
    assert _issue(issue_registry, charger_id) is None
    assert "takes its limits again" in caplog.text


async def test_modbus_float_registers_that_read_nan_are_not_figures() -> None:
    """An Alfen reports NaN (or infinity) in a float register it has no figure for: the
    measurement is left out, never passed on as a number."""
    async with rig(Alfen(), PROFILES["alfen_eve"]) as r:
        r.fake.vehicle.plugged = True
        for address, value in ((344, math.nan), (320, math.inf), (374, -math.inf)):
            words = f64(value) if address == 374 else f32(value)
            for n, word in enumerate(words):
                r.fake.overrides[("holding", address + n)] = word
        reading = await r.poll()
        assert reading.status is not ChargerStatus.OFFLINE
        assert reading.power_w is None
        assert reading.currents_a is None  # L1 unusable: no per-phase triple
        assert reading.energy_kwh is None
        assert reading.voltage_v is not None  # the others still count
