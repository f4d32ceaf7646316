"""The closed loop: one policy on one scenario, step by step, recording the truth.

Each step (``Scenario.step_s``): cars arrive or leave and follow the offers whose lag has
passed; the site's true phase currents and grid power follow from house load, PV and the
cars; the meter samples them (with noise, every ``meter_interval_s``, not during a
dropout); chargers report currents every ``charger_interval_s`` and status changes at
once; the cars' SoC entities update every ``soc_interval_s``; then the policy decides and
its commands reach the chargers. Energy flows are integrated over the step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
import math
import time
from typing import Protocol, cast

import numpy as np

from custom_components.smart_charging.drivers.base import ChargerReading, ChargerStatus

from .ev import SimEv
from .profiles import VOLTS, Array, BoolArray, IntArray
from .scenario import Scenario


@dataclass
class MeterView:
    """The site meter entity: last reported grid power and phase current magnitudes."""

    grid_w: float = 0.0
    currents_a: tuple[float, float, float] = (0.0, 0.0, 0.0)
    pv_w: float = 0.0
    reported_s: float = -math.inf
    fresh: bool = False  # reported in this step


@dataclass
class View:
    """What a controller can observe at one step (never the truth directly)."""

    meter: MeterView = field(default_factory=MeterView)
    chargers: dict[str, ChargerReading] = field(default_factory=dict)
    pushed: set[str] = field(default_factory=set)  # chargers that reported this step
    soc_pct: dict[str, float | None] = field(default_factory=dict)
    signal_w: float | None = None  # external limit in force (a §14a relay is closed)
    signal_changed: bool = False


class Policy(Protocol):
    """A controller: sees a ``View`` each step, returns commands (A, phases) by charger."""

    name: str

    def step(self, now_s: float, view: View) -> dict[str, tuple[float, int]]:
        """Decide; return the commands of this step (unchanged ones may be left out)."""
        ...


@dataclass
class Trace:
    """The truth of one run, per step (EV arrays are step x bay)."""

    scenario: Scenario
    policy: str
    phase_a: Array  # (n, 3) signed grid current per phase (import positive)
    grid_w: Array  # (n,)
    ev_a: Array  # (n, m) per-phase current each car draws
    ev_w: Array  # (n, m)
    ev_phases: IntArray  # (n, m) phases each car loads (0 while not drawing)
    offered_a: Array  # (n, m) command in force at each charger
    cap_a: Array  # (n, m) what each car could take (0 when unplugged or full)
    plugged: BoolArray  # (n, m)
    circuit_a: Array  # (n, c, 3) current per circuit and phase
    departure_soc: list[float]
    decisions: int = 0
    seconds: float = 0.0  # wall time of the run


def run(scenario: Scenario, policy: Policy) -> Trace:
    """Run ``policy`` through the whole scenario."""
    began = time.perf_counter()
    s = scenario
    series = s.series
    evs = [SimEv(bay) for bay in s.bays]
    n, m, step = s.steps, len(evs), s.step_s
    circuit_ids = [c.id for c in s.circuits]
    parents = {c.id: c.parent_id for c in s.circuits}
    ev_paths = [_path(bay.charger.circuit, parents, circuit_ids) for bay in s.bays]
    index_of = {bay.charger.id: j for j, bay in enumerate(s.bays)}
    trace = Trace(
        scenario=s,
        policy=policy.name,
        phase_a=np.zeros((n, 3)),
        grid_w=np.zeros(n),
        ev_a=np.zeros((n, m)),
        ev_w=np.zeros((n, m)),
        ev_phases=np.zeros((n, m), dtype=np.int8),
        offered_a=np.zeros((n, m)),
        cap_a=np.zeros((n, m)),
        plugged=np.zeros((n, m), dtype=bool),
        circuit_a=np.zeros((n, len(circuit_ids), 3)),
        departure_soc=[],
    )
    rng = np.random.default_rng(s.seed + 1000)
    meter_noise_w = rng.normal(0.0, s.meter_noise_w, n)
    meter_noise_a = rng.normal(0.0, s.meter_noise_a, (n, 3))
    house = cast("list[list[float]]", series.house_w.tolist())
    pv = cast("list[float]", series.pv_w.tolist())
    signal = cast("list[float]", series.signal_w.tolist())
    alive = cast("list[bool]", series.meter_alive.tolist())
    meter_every = round(s.meter_interval_s / step)
    charger_every = round(s.charger_interval_s / step)
    soc_every = round(s.soc_interval_s / step)
    view = View()
    view.chargers = {ev.charger.id: ChargerReading(status=ChargerStatus.AVAILABLE) for ev in evs}
    view.soc_pct = {ev.charger.id: None for ev in evs}
    statuses = {ev.charger.id: ChargerStatus.AVAILABLE for ev in evs}
    # Readings a policy asks for after a raise (our OCPP driver's TriggerMessage).
    follow_up_s: tuple[float, ...] = getattr(policy, "follow_up_s", ())
    asked: dict[str, list[float]] = {ev.charger.id: [] for ev in evs}
    previous_signal: float | None = None
    for k in range(n):
        now_s = k * step
        plug_events = [ev.plug(now_s) for ev in evs]
        for ev in evs:
            ev.advance(now_s)
        # --- physics: the truth of this step
        load = list(house[k])
        circuits = np.zeros((len(circuit_ids), 3))
        for j, ev in enumerate(evs):
            for p in ev.phase_ids:
                load[p] += ev.draw_a * VOLTS
                for node in ev_paths[j]:
                    circuits[node, p] += ev.draw_a
            trace.ev_a[k, j] = ev.draw_a
            trace.ev_w[k, j] = ev.power_w()
            trace.ev_phases[k, j] = len(ev.phase_ids)
            trace.offered_a[k, j] = ev.offered_a
            trace.cap_a[k, j] = ev.cap_a()
            trace.plugged[k, j] = ev.plugged
        pv_phase = pv[k] / 3
        currents = [(load[p] - pv_phase) / VOLTS for p in range(3)]
        grid = sum(load) - pv[k]
        trace.phase_a[k] = currents
        trace.grid_w[k] = grid
        trace.circuit_a[k] = circuits
        # --- what the controller sees
        meter = view.meter
        meter.fresh = alive[k] and k % meter_every == 0
        if meter.fresh:
            meter.grid_w = grid + meter_noise_w[k]
            meter.currents_a = (
                abs(currents[0]) + meter_noise_a[k, 0],
                abs(currents[1]) + meter_noise_a[k, 1],
                abs(currents[2]) + meter_noise_a[k, 2],
            )
            meter.pv_w = pv[k]
            meter.reported_s = now_s
        view.pushed = set()
        for j, ev in enumerate(evs):
            cid = ev.charger.id
            status = ev.status()
            requested = bool(asked[cid]) and asked[cid][0] <= now_s
            while asked[cid] and asked[cid][0] <= now_s:
                asked[cid].pop(0)
            due = ((k + 3 * j) % charger_every == 0 or requested) and ev.plugged
            if status is not statuses[cid] or due or plug_events[j]:
                statuses[cid] = status
                view.chargers[cid] = _reading(
                    ev, status, view.chargers[cid], metered=due, at=s.at(now_s)
                )
                view.pushed.add(cid)
            if plug_events[j] or (ev.plugged and (k + 7 * j) % soc_every == 0):
                view.soc_pct[cid] = round(ev.soc, s.soc_decimals) if ev.plugged else None
        value = None if math.isnan(signal[k]) else signal[k]
        view.signal_changed = value != previous_signal
        view.signal_w = previous_signal = value
        # --- decide and command
        for cid, (current, phases) in policy.step(now_s, view).items():
            ev = evs[index_of[cid]]
            if abs(current - ev.offered_a) > 1e-9 or (phases != ev.phases_cmd and ev.plugged):
                # A raise (re)starts the follow-up requests; any other command ends them.
                raised = current > ev.offered_a + 1e-9 or phases > ev.phases_cmd
                asked[cid] = [now_s + d for d in follow_up_s] if raised and ev.plugged else []
                ev.command(now_s, current, phases)
        for ev in evs:
            ev.integrate(step)
    for ev in evs:
        ev.plug(math.inf)
        trace.departure_soc.append(ev.departure_soc if ev.departure_soc is not None else ev.soc)
    trace.decisions = getattr(policy, "decisions", 0)
    trace.seconds = time.perf_counter() - began
    return trace


def _reading(
    ev: SimEv, status: ChargerStatus, last: ChargerReading, *, metered: bool, at: datetime
) -> ChargerReading:
    """A charger push: StatusNotification alone, or MeterValues (currents, energy) too.

    ``updated`` is the push's time, as the drivers stamp every new reading.
    """
    if not ev.plugged:
        return ChargerReading(status=status, updated=at)
    if not metered and last.status is not ChargerStatus.AVAILABLE:
        return ChargerReading(
            status=status,
            power_w=last.power_w,
            currents_a=last.currents_a,
            session_energy_kwh=last.session_energy_kwh,
            active_phases=last.active_phases,
            updated=at,
        )
    currents = ev.charger_currents()
    active = sum(1 for c in currents if c > 1.0)  # as the OCPP driver infers it
    return ChargerReading(
        status=status,
        power_w=ev.power_w(),
        currents_a=currents,
        session_energy_kwh=ev.session_kwh,
        active_phases=active or None,
        updated=at,
    )


def _path(circuit: str | None, parents: dict[str, str | None], ids: list[str]) -> list[int]:
    """Indices of the circuits a charger's current flows through."""
    path = []
    while circuit is not None:
        path.append(ids.index(circuit))
        circuit = parents[circuit]
    return path
