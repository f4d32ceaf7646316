"""Soak: 20 OCPP chargers on one site through simulated hours, on a frozen clock.

The site (63 A main fuse, three phases, a 32 A garage circuit, solar) runs in a real Home
Assistant test instance with its real OCPP server; the chargers are ``FakeChargePoint``s
over real websockets, each with cars coming and going (see ``soak_sim``). Time moves only
through ``freezer`` and ``async_fire_time_changed_exact``: every 10 s of simulated time
the chargers report (one after the other, so that every run is the same) and the meters
are written (grid power and phase currents = house + cars - solar); 1 s later the control
cycle that folded those changes runs; its limits reach the cars at once.

Checked through the run:
(a) every control cycle keeps the engine's rule (``engine/limits.py``): per phase, the
    chargers get at most the room the non-EV load leaves below main fuse - margin, that
    load being the measured phase current less what the chargers report (the engine
    subtracts at most that); the garage circuit (no meter, no margin) within its limit;
    no charger above its maximum; no failsafe. After the cycle that saw a step's readings
    the cars really draw no more than that room (house - solar is the simulation's truth);
    right after the reports the cars may not push the fuse past its rating by themselves;
    no live limit ever lapses into the fallback;
(b) no growth: asyncio tasks, gc objects and allocated memory blocks after the warm-up vs
    at the end (and traced memory in the day run);
(c) every session accounted: the session energy (and its sensor) equals the car's register
    delta between StartTransaction and StopTransaction;
(d) no ERROR log record.

``test_soak_short`` (2 simulated hours) runs in CI; ``test_soak_day`` (24 hours) is marked
``soak``: ``.venv/bin/python -m pytest tests/reliability/test_soak.py -m soak -s`` (``-s``
shows the figures of the run).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
import gc
import logging
import random
import sys
import time
import tracemalloc
from typing import Any, Final
from unittest.mock import patch

from freezegun import api as freezegun_api
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, storage
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed_exact,
)

from custom_components.smart_charging.const import (
    CONF_CHARGE_POINT_ID,
    CONF_CHARGER_PHASES,
    CONF_CIRCUIT,
    CONF_CIRCUIT_LIMIT,
    CONF_CIRCUIT_NAME,
    CONF_CIRCUIT_PARENT,
    CONF_CIRCUITS,
    CONF_GRID_CURRENT_L1,
    CONF_GRID_CURRENT_L2,
    CONF_GRID_CURRENT_L3,
    CONF_GRID_POWER,
    CONF_GRID_SIGN,
    CONF_MAIN_FUSE,
    CONF_MAX_CURRENT,
    CONF_OCPP_HOST,
    CONF_OCPP_PORT,
    CONF_PHASE_WIRING,
    CONF_PHASES,
    CONF_PRIORITY,
    CONF_PROTOCOL,
    CONF_PV_POWER,
    CONF_SITE_ENTRY_ID,
    CONF_VOLTAGE,
    DEFAULT_MARGIN,
    DOMAIN,
    MAIN_FUSE_PARENT,
)
from custom_components.smart_charging.coordinator import SiteCoordinator
from custom_components.smart_charging.drivers.ocpp import OcppCharger, ServerConfig
from custom_components.smart_charging.engine.model import ALL_PHASES, ChargerMode
from custom_components.smart_charging.flow_charger import DEFAULT_CHARGER_OPTIONS
from tests.drivers.ocpp_helpers import ClientFactory, is_ready, wait_until
from tests.ha.conftest import GRID, L1, L2, L3, PV, set_current, set_power

from .soak_sim import VOLTAGE, ChargerSpec, Fleet, Household, SimCar, Traffic, plan_visits

SITE_ID: Final = "01JSMARTCHARGINGSOAKSITE00"
FUSE_A: Final = 63.0
MARGIN_A: Final = float(DEFAULT_MARGIN)
GARAGE: Final = "garage"
GARAGE_A: Final = 32.0
STEP_S: Final = 10  # the chargers' meter interval and the meters' update period
ACCOUNT_S: Final = 60  # a charger stays free this long between two cars
EPS: Final = 1e-6
METER_A: Final = 0.01  # chargers report current to 0.01 A (meters to 1 mA); the engine sees those
SPINS: Final = 3  # extra turns of the event loop per settle (see ``Soak.settle``)
# Growth allowed from the end of the warm-up to the end of the run. Measured: the short
# run -50 objects and +269 blocks, the day +146 objects, +784 blocks and +46 KiB traced;
# tasks stay at 61. A leak of one object per control cycle exceeds the object allowance
# in either run (about 1,080 cycles follow the short warm-up, 12,700 the day's); one
# block per cycle exceeds the block allowance in the day.
TASK_TOLERANCE: Final = 0
OBJECT_TOLERANCE: Final = 1_000
BLOCK_TOLERANCE: Final = 5_000  # pymalloc blocks: every object, strings and numbers too
TRACED_TOLERANCE: Final = 1024 * 1024  # bytes, when tracemalloc runs (the day)


def fleet_specs() -> tuple[ChargerSpec, ...]:
    """Twenty chargers: two single-phase (L2, L3), four in the garage, two on solar only."""
    specs = []
    for n in range(1, 21):
        cp_id = f"CP{n:02d}"
        if n <= 2:
            specs.append(ChargerSpec(cp_id=cp_id, phases=1, wired=n))
        elif n <= 6:
            specs.append(ChargerSpec(cp_id=cp_id, circuit=GARAGE))
        elif n <= 8:
            specs.append(ChargerSpec(cp_id=cp_id, mode=ChargerMode.PV.value))
        elif n == 9:
            specs.append(ChargerSpec(cp_id=cp_id, priority=1, max_a=32.0))
        else:
            specs.append(ChargerSpec(cp_id=cp_id))
    return tuple(specs)


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A run: its length, the hour it starts at and the warm-up before measuring."""

    hours: float
    start_hour: float
    warmup_s: int
    traffic: Traffic
    trace: bool = False  # tracemalloc (it makes the run about four times slower)
    seed: int = 20250501
    pv_peak_w: float = 30_000.0


@dataclass(slots=True)
class Usage:
    """Tasks, gc objects, allocated blocks and traced bytes at one moment."""

    tasks: int
    objects: int
    blocks: int
    traced: int | None


@dataclass(slots=True)
class Tally:
    """What the run saw; limits broken are listed (capped), maxima kept."""

    cycles: int = 0
    failsafe_cycles: int = 0
    violations: list[str] = field(default_factory=list)
    max_cycle_utilisation: float = 0.0  # (allocated + measured non-EV) / fuse, worst phase
    max_steady_utilisation: float = 0.0  # physical current / fuse after a settled cycle
    max_transient_utilisation: float = 0.0  # physical current / fuse right after reports
    transient_over_margin: int = 0  # reports after which fuse - margin was exceeded
    transient_raised: int = 0  # ... while the cars drew more than before the reports
    max_raised_over_a: float = 0.0  # how far above fuse - margin those went
    house_over_margin: int = 0  # steps in which the house alone took more than that
    sessions: int = 0
    reported_kwh: float = 0.0
    accounted_kwh: float = 0.0
    worst_session_error_kwh: float = 0.0

    def violation(self, text: str) -> None:
        if len(self.violations) < 50:
            self.violations.append(text)


class LogTally(logging.Handler):
    """Counts records by level and keeps the ERROR ones (bounded)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.levels: Counter[str] = Counter()
        self.errors: list[str] = []
        self.warnings: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.levels[record.levelname] += 1
        if record.levelno >= logging.ERROR and len(self.errors) < 20:
            self.errors.append(f"{record.name}: {record.getMessage()}")
        elif record.levelno == logging.WARNING:
            self.warnings[f"{record.name}: {record.msg}"] += 1


@contextlib.contextmanager
def counted_logs() -> Iterator[LogTally]:
    """Count log records at Home Assistant's default level, WARNING.

    Below it the OCPP library logs every frame, and pytest keeps every record it
    captures: a day of them would be slow and look like a leak.
    """
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.WARNING))
    tally = LogTally()
    root.addHandler(tally)
    try:
        yield tally
    finally:
        root.removeHandler(tally)
        root.setLevel(level)


def site_entry(hass: HomeAssistant) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Depot",
        unique_id=GRID,
        entry_id=SITE_ID,
        version=1,
        data={
            CONF_GRID_POWER: GRID,
            CONF_GRID_SIGN: "import_positive",
            CONF_GRID_CURRENT_L1: L1,
            CONF_GRID_CURRENT_L2: L2,
            CONF_GRID_CURRENT_L3: L3,
            CONF_MAIN_FUSE: FUSE_A,
            CONF_PHASES: 3,
            CONF_VOLTAGE: VOLTAGE,
            CONF_PV_POWER: PV,
        },
        options={
            CONF_OCPP_PORT: 0,
            CONF_OCPP_HOST: "127.0.0.1",
            CONF_CIRCUITS: [
                {
                    "id": GARAGE,
                    CONF_CIRCUIT_NAME: "Garage",
                    CONF_CIRCUIT_LIMIT: GARAGE_A,
                    CONF_CIRCUIT_PARENT: MAIN_FUSE_PARENT,
                }
            ],
        },
    )
    entry.add_to_hass(hass)
    return entry


def charger_entry(hass: HomeAssistant, spec: ChargerSpec) -> MockConfigEntry:
    options: dict[str, Any] = {
        **DEFAULT_CHARGER_OPTIONS,
        CONF_CHARGER_PHASES: spec.phases,
        CONF_PHASE_WIRING: ALL_PHASES[spec.wired].value,
        CONF_MAX_CURRENT: spec.max_a,
        CONF_PRIORITY: spec.priority,
    }
    if spec.circuit is not None:
        options[CONF_CIRCUIT] = spec.circuit
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Acme Wallbox 11 ({spec.cp_id})",
        unique_id=f"ocpp:{spec.cp_id}",
        data={
            CONF_SITE_ENTRY_ID: SITE_ID,
            CONF_PROTOCOL: "ocpp",
            CONF_CHARGE_POINT_ID: spec.cp_id,
        },
        options=options,
    )
    entry.add_to_hass(hass)
    return entry


def server_on_test_clock(**kwargs: Any) -> ServerConfig:
    """The OCPP server's config with its monotonic clock on the frozen time.

    ``ServerConfig.monotonic`` defaults to the ``time.monotonic`` of import time, which
    freezegun cannot reach: the live-limit refresh would run on the wall clock, and every
    live profile would lapse into the fallback in simulated time.
    """
    return ServerConfig(**kwargs, monotonic=time.monotonic)  # freezegun's, by now


class Soak:
    """Drives one run and checks it."""

    def __init__(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        scenario: Scenario,
        site: MockConfigEntry,
        fleet: Fleet,
    ) -> None:
        self.hass = hass
        self.freezer = freezer
        self.scenario = scenario
        self.duration_s = int(scenario.hours * 3600)
        self.household = Household(
            random.Random(scenario.seed),  # noqa: S311 - test data, not security
            start_hour=scenario.start_hour,
            duration_s=self.duration_s,
            pv_peak_w=scenario.pv_peak_w,
        )
        self.coordinator: SiteCoordinator = site.runtime_data.coordinator
        self.fleet = fleet
        self.specs = {car.spec.cp_id: car.spec for car in fleet.cars.values()}
        self.drivers = [h.driver for h in self.coordinator.chargers.values()]
        self.tally = Tally()
        self.house: tuple[float, float, float] = (0.0, 0.0, 0.0)
        self.pv_w = 0.0
        self.metered_non_ev = [0.0, 0.0, 0.0]  # what the meters said before this step
        self.checked: set[tuple[str, int]] = set()
        self.registry = er.async_get(hass)

    # ---- the clock ------------------------------------------------------------------

    async def settle(self) -> None:
        """Wait until cycles, commands and their answers are all done.

        A few extra turns of the loop let socket traffic nobody awaits (websocket pings
        and pongs) be read: with the clock frozen the loop never idles on its own.
        """
        while True:
            await self.hass.async_block_till_done(wait_background_tasks=True)
            for _ in range(SPINS):
                await asyncio.sleep(0)
            busy = [
                task
                for driver in self.drivers
                if isinstance(driver, OcppCharger)
                and (task := driver._push_task) is not None
                and not task.done()
            ]
            if not busy:
                break
            await asyncio.wait(busy)
        now = dt_util.utcnow()
        for car in self.fleet.cars.values():
            car.take_commands(now)

    async def advance(self, seconds: int) -> None:
        """Let the cars charge for ``seconds``, then move time and fire the timers.

        Timers fire when due (``_exact``): ``async_fire_time_changed`` fires them up to
        0.5 s early, which puts a timer's control cycle on the very instant of the next
        reports - two samples of one charger at one time, which no real clock produces.
        """
        now = dt_util.utcnow()
        for car in self.fleet.cars.values():
            car.integrate(seconds, now)
        self.freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed_exact(self.hass)
        await self.settle()

    # ---- one period -----------------------------------------------------------------

    async def period(self, t: int) -> None:
        """Reports and meters at ``t``; the folded cycle at ``t + 1``; on to ``t + 10``."""
        now = dt_util.utcnow()
        before = self.fleet.draw()
        self.metered_non_ev = self.non_ev
        for car in self.fleet.cars.values():  # one after the other: the same run every time
            await car.report(t, now)
        self.house, self.pv_w = self.household.house_a(t), self.household.pv_w(t)
        self.write_meters()
        await self.settle()
        self.check_physical(steady=False, before=before)
        await self.advance(1)
        self.check_physical(steady=True)
        self.check_sessions()
        await self.advance(STEP_S - 1)

    @property
    def non_ev(self) -> list[float]:
        """The house's current less the solar's, per phase, now."""
        pv_a = self.pv_w / (3 * VOLTAGE)
        return [self.house[p] - pv_a for p in range(3)]

    def write_meters(self) -> None:
        """The grid meter: power and phase currents (import positive), and the solar."""
        ev = self.fleet.draw()
        currents = [self.non_ev[p] + ev[p] for p in range(3)]
        set_power(self.hass, GRID, round(sum(currents) * VOLTAGE, 1))
        set_power(self.hass, PV, round(self.pv_w, 1))
        for entity_id, amps in zip((L1, L2, L3), currents, strict=True):
            set_current(self.hass, entity_id, round(amps, 3))

    # ---- checks ---------------------------------------------------------------------

    @callback
    def on_cycle(self) -> None:
        """(a) at every cycle: the engine's per-phase rule, the circuit, the maxima."""
        tally = self.tally
        tally.cycles += 1
        data = self.coordinator.data
        if data.allocation.failsafe:
            tally.failsafe_cycles += 1
        site = [0.0, 0.0, 0.0]
        garage = [0.0, 0.0, 0.0]
        snapshot = data.snapshot
        states = {state.id: state for state in snapshot.chargers}
        for allocation in data.allocation.allocations:
            spec = self.specs[allocation.charger_id]
            if allocation.current_a > spec.max_a + EPS:
                tally.violation(f"{spec.cp_id} allocated {allocation.current_a} A")
            # A car that loads one phase of a 3-phase charger counts on that phase only
            # (``engine/cycle.py``: ``phases = 1 if state.active_phases == 1``).
            phases = 1 if states[spec.cp_id].active_phases == 1 else allocation.phases
            for p in spec.site_phases(phases):
                site[p] += allocation.current_a
                if spec.circuit == GARAGE:
                    garage[p] += allocation.current_a
        assert snapshot.phase_currents_a is not None
        measured = snapshot.phase_currents_a.as_tuple()
        ev = snapshot.ev_currents_a.as_tuple()
        for p in range(3):
            non_ev = max(0.0, max(0.0, measured[p]) - ev[p])
            tally.max_cycle_utilisation = max(
                tally.max_cycle_utilisation, (site[p] + non_ev) / FUSE_A
            )
            # The chargers may fill the room the house leaves, never more (nothing at all
            # when the house alone takes more than fuse - margin).
            if site[p] > max(0.0, FUSE_A - MARGIN_A - non_ev) + EPS:
                tally.violation(
                    f"cycle {tally.cycles}: L{p + 1} {site[p]:.1f} A allocated"
                    f" + {non_ev:.1f} A measured > {FUSE_A - MARGIN_A} A"
                )
            if garage[p] > GARAGE_A + EPS:
                tally.violation(f"cycle {tally.cycles}: garage L{p + 1} {garage[p]:.1f} A")

    def check_physical(
        self, *, steady: bool, before: tuple[float, float, float] | None = None
    ) -> None:
        """The current the fuse really carries.

        After the cycle that saw this step's readings (``steady``) the cars take no more
        than the room the house leaves below fuse - margin. Right after the reports they
        still follow limits decided before this step's house load was metered: an
        overload there is the house's step, counted. Cars drawing more than before the
        reports while the house did not step up are counted apart (``transient_raised``);
        how far that goes is asserted in ``soak``.
        """
        draw = self.fleet.draw()
        non_ev = self.non_ev
        worst = max(non_ev[p] + draw[p] for p in range(3)) / FUSE_A
        tally = self.tally
        over = [draw[p] > max(0.0, FUSE_A - MARGIN_A - non_ev[p]) + METER_A for p in range(3)]
        if steady:
            tally.max_steady_utilisation = max(tally.max_steady_utilisation, worst)
            tally.house_over_margin += any(n > FUSE_A - MARGIN_A for n in non_ev)
            if any(over):
                tally.violation(f"{worst * FUSE_A:.2f} A at the fuse after a settled cycle")
            return
        tally.max_transient_utilisation = max(tally.max_transient_utilisation, worst)
        assert before is not None
        for p in (p for p in range(3) if over[p]):
            tally.transient_over_margin += 1
            if draw[p] > before[p] + EPS and non_ev[p] <= self.metered_non_ev[p] + EPS:
                tally.transient_raised += 1
                over_a = non_ev[p] + draw[p] - (FUSE_A - MARGIN_A)
                tally.max_raised_over_a = max(tally.max_raised_over_a, over_a)

    def check_sessions(self) -> None:
        """(c) a session the car ended is accounted with the energy the car reported."""
        for car in self.fleet.cars.values():
            for finished in car.finished:
                key = (finished.cp_id, finished.transaction_id)
                if key in self.checked:
                    continue
                handle = self.coordinator.chargers[finished.cp_id]
                account = handle.session
                if account.transaction_id != finished.transaction_id or account.ended is None:
                    continue
                self.checked.add(key)
                tally = self.tally
                tally.sessions += 1
                tally.reported_kwh += finished.reported_kwh
                tally.accounted_kwh += account.energy_kwh
                error = abs(account.energy_kwh - finished.reported_kwh)
                tally.worst_session_error_kwh = max(tally.worst_session_error_kwh, error)
                if abs(finished.reported_kwh * 1000 - finished.delivered_wh) >= 1.0:
                    tally.violation(f"{key}: the car's register is off its own energy")
                if error > EPS:
                    tally.violation(
                        f"{key}: accounted {account.energy_kwh:.4f} kWh,"
                        f" reported {finished.reported_kwh:.4f} kWh"
                    )
                entity_id = self.registry.async_get_entity_id(
                    "sensor", DOMAIN, f"{handle.unique_id}_session_energy"
                )
                state = None if entity_id is None else self.hass.states.get(entity_id)
                if state is None or float(state.state) != round(account.energy_kwh, 3):
                    tally.violation(f"{key}: sensor {state} for {account.energy_kwh} kWh")

    # ---- the run --------------------------------------------------------------------

    def usage(self) -> Usage:
        # The test harness's storage mock records every write it is given: not ours.
        storage.Store._async_write_data.reset_mock()  # type: ignore[attr-defined]
        gc.collect()
        return Usage(
            tasks=len(asyncio.all_tasks()),
            objects=len(gc.get_objects()),
            blocks=sys.getallocatedblocks(),
            traced=tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else None,
        )

    async def run(self) -> tuple[Usage, Usage]:
        """Run every period; return the usage after the warm-up and at the end."""
        remove = self.coordinator.async_add_listener(self.on_cycle)
        try:
            warm: Usage | None = None
            for t in range(0, self.duration_s, STEP_S):
                await self.period(t)
                if warm is None and t + STEP_S >= self.scenario.warmup_s:
                    warm = self.usage()
            assert warm is not None
            return warm, self.usage()
        finally:
            remove()


async def start_site(
    hass: HomeAssistant, clients: ClientFactory, specs: tuple[ChargerSpec, ...], scenario: Scenario
) -> tuple[MockConfigEntry, Fleet]:
    """Load the site and its chargers, connect and boot every charge point."""
    site = site_entry(hass)
    entries = {spec.cp_id: charger_entry(hass, spec) for spec in specs}
    with patch("custom_components.smart_charging.ocpp_link.ServerConfig", server_on_test_clock):
        assert await hass.config_entries.async_setup(site.entry_id)
        await hass.async_block_till_done()
    assert all(entry.state is ConfigEntryState.LOADED for entry in entries.values())
    link = site.runtime_data.ocpp
    assert link is not None
    assert link.server is not None
    port = link.server.port
    assert port is not None
    rng = random.Random(scenario.seed + 1)  # noqa: S311 - test data, not security
    duration_s = int(scenario.hours * 3600)
    fleet = Fleet()
    for spec in specs:
        handle = entries[spec.cp_id].runtime_data.handle
        handle.set_mode(ChargerMode(spec.mode))
        client = await clients.connect(port, spec.cp_id)
        assert (await client.cp.boot()).status == "Accepted"
        await wait_until(handle.driver, is_ready)
        visits = plan_visits(rng, scenario.traffic, duration_s, step_s=STEP_S, settle_s=ACCOUNT_S)
        fleet.cars[spec.cp_id] = SimCar(spec, client, visits)
    return site, fleet


def summary(run: Soak, usage: tuple[Usage, Usage], logs: LogTally, wall: float) -> str:
    """The figures of a run (shown with ``-s``)."""
    scenario, tally, cars = run.scenario, run.tally, run.fleet.cars.values()
    planned = sum(len(car.visits) for car in cars)
    lapsed = sum(car.counters.lapsed_s for car in cars)
    profiles = sum(car.counters.profiles for car in cars)
    meter_values = sum(car.counters.meter_values for car in cars)
    warm, end = usage
    return (
        f"\nsoak {scenario.hours:g} h from {scenario.start_hour:g}:00, {len(cars)} chargers:"
        f" wall {wall:.1f} s, {tally.cycles} cycles ({tally.failsafe_cycles} failsafe),"
        f" {tally.sessions}/{planned} sessions, reported {tally.reported_kwh:.3f} kWh,"
        f" accounted {tally.accounted_kwh:.3f} kWh (worst {tally.worst_session_error_kwh:.2e}),"
        f" {profiles} profiles, {meter_values} MeterValues, lapsed {lapsed:.0f} s\n"
        f"utilisation of the fuse: cycles {tally.max_cycle_utilisation:.3f},"
        f" steady {tally.max_steady_utilisation:.3f},"
        f" transient {tally.max_transient_utilisation:.3f}"
        f" ({tally.transient_over_margin} phase reports over fuse - margin,"
        f" {tally.transient_raised} with the cars drawing more, by up to"
        f" {tally.max_raised_over_a:.2f} A);"
        f" house alone over fuse - margin in {tally.house_over_margin} steps\n"
        f"after warm-up: {warm}\nat the end:    {end}\n"
        f"logs: {dict(logs.levels)} warnings: {dict(logs.warnings)}"
    )


async def soak(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    clients: ClientFactory,
    monkeypatch: pytest.MonkeyPatch,
    scenario: Scenario,
) -> None:
    """Run ``scenario`` and assert (a)-(d); print the figures (visible with ``-s``)."""
    hass.loop.set_debug(False)  # asyncio's debug mode costs more than the run itself
    await asyncio.sleep(0)  # (a step that began in debug mode would report the jump below)
    # freezegun looks up the call stack on every clock read (for modules that want the real
    # time); nothing in the run does, and the look-ups cost a third of the run.
    monkeypatch.setattr(freezegun_api, "call_stack_inspection_limit", 0)
    wall = freezegun_api.real_perf_counter()
    # Start on the hour the scenario names (local time), on a whole second: the timers of
    # Home Assistant then fall on the same side of every step in every run.
    now = dt_util.now()
    start = now.replace(hour=int(scenario.start_hour), minute=0, second=0, microsecond=0)
    freezer.move_to(start if start > now else start + timedelta(days=1))
    specs = fleet_specs()
    with counted_logs() as logs:
        site, fleet = await start_site(hass, clients, specs, scenario)
        for car in fleet.cars.values():
            await car.cp.status("Available")
        runner = Soak(hass, freezer, scenario, site, fleet)
        if scenario.trace:
            tracemalloc.start()
        try:
            warm, end = await runner.run()
        finally:
            tracemalloc.stop()
        assert await hass.config_entries.async_unload(site.entry_id)
        await hass.async_block_till_done()
    wall = freezegun_api.real_perf_counter() - wall
    tally = runner.tally
    print(summary(runner, (warm, end), logs, wall))  # noqa: T201 - the figures are the point
    planned = sum(len(car.visits) for car in fleet.cars.values())
    assert not tally.violations, tally.violations
    assert tally.failsafe_cycles == 0
    assert sum(car.counters.lapsed_s for car in fleet.cars.values()) == 0
    assert tally.sessions == planned
    assert tally.max_raised_over_a <= MARGIN_A  # the cars alone never push past the fuse
    assert end.tasks - warm.tasks <= TASK_TOLERANCE
    assert end.objects - warm.objects <= OBJECT_TOLERANCE
    assert end.blocks - warm.blocks <= BLOCK_TOLERANCE
    if end.traced is not None and warm.traced is not None:
        assert end.traced - warm.traced <= TRACED_TOLERANCE
    assert not logs.errors, logs.errors


@pytest.mark.timeout(600)
async def test_soak_short(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    clients: ClientFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two evening hours: cars come and go while the house peaks and the sun sets."""
    traffic = Traffic(stay_s=(600, 2700), gap_s=(120, 1200), first_s=(0, 1200))
    scenario = Scenario(hours=2, start_hour=17, warmup_s=1800, traffic=traffic)
    await soak(hass, freezer, clients, monkeypatch, scenario)


@pytest.mark.soak
@pytest.mark.timeout(7200)
async def test_soak_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    clients: ClientFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A whole day from midnight: night, solar noon and the evening peak."""
    traffic = Traffic(stay_s=(1200, 4 * 3600), gap_s=(300, 2 * 3600))
    scenario = Scenario(hours=24, start_hour=0, warmup_s=6 * 3600, traffic=traffic, trace=True)
    await soak(hass, freezer, clients, monkeypatch, scenario)
