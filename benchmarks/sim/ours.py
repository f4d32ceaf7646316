"""Our controller, run the way the Home Assistant coordinator runs it.

Per step, like ``SiteCoordinator``: a cycle runs when an input entity reports (the meter),
a charger pushes (status or meter values), the grid signal changes, or the 10 s tick is
due (the debouncer's 0.5 s cooldown is shorter than a step, so bursts fold into one run).
The snapshot is built as ``build_snapshot`` + ``_with_chargers`` build it: input
readings judged for age (``DEFAULT_MAX_INPUT_AGE``, or sooner once the meter's rhythm is
known: ``inputs.ReportRhythm``), charger states through
``site_currents``, requests with the user's mode, target and planned power, the grid
limit as the ``set_grid_limit`` action leaves it (an ``ExternalLimit`` without expiry, set
and cleared by the relay blueprint). ``allocate`` runs with the settings
``site_settings.allocator_settings`` builds from default options plus the scenario's
circuits; every command goes to the charger driver, which sends only what changed, and
after a raise asks the charger for readings (``follow_up_s``, TriggerMessage MeterValues).

``smart`` chargers are planned as ``smart.SmartPlanner`` plans them: needs from the car's
SoC and target ((target - SoC) x capacity / 0.9), minimum power 6 A x phases, maximum power
within the charger's share of its circuits (``plan_circuits``), ready-by the departure,
the capacity the site has left now after its margin and house load
(``smart.site_capacity_kw``), no PV forecast, the previous plan passed back. Two
differences, both stated in docs/benchmarks.md: (1) the coordinator plans without prices
yet (issue 8 plugs price series into ``smart._slots``); here the scenario's 15-min prices
are given to the planner, as that extension point intends (``prices=False`` reproduces
today's behaviour); (2) the coordinator re-plans every cycle; here at most every 60 s
and on every plug event (plans are stable, and this keeps the run short).
``forecasts=True`` (sensitivity only) gives the planner per-slot capacity from the house
load forecast and the PV forecast, which the HA layer does not have yet.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
import math
import time

from custom_components.smart_charging.charger import site_currents
from custom_components.smart_charging.const import DEFAULT_CONTROL_INTERVAL, DEFAULT_MAX_INPUT_AGE
from custom_components.smart_charging.drivers.base import ChargerStatus
from custom_components.smart_charging.drivers.ocpp import CompatOptions
from custom_components.smart_charging.engine.allocation import AllocationMemory
from custom_components.smart_charging.engine.allocator import allocate
from custom_components.smart_charging.engine.model import (
    ChargerConfig,
    ChargerMode,
    ChargerRequest,
    ChargerState,
    ExternalLimit,
    InputReading,
    InputRole,
    InputStatus,
    PhaseValues,
    SiteConfig,
    SiteSnapshot,
)
from custom_components.smart_charging.engine.plan_circuits import within_circuits
from custom_components.smart_charging.engine.plan_model import ChargeNeed, Plan, PriceSlot
from custom_components.smart_charging.engine.planner import plan
from custom_components.smart_charging.engine.settings import AllocatorSettings
from custom_components.smart_charging.inputs import ReportRhythm
from custom_components.smart_charging.smart import CHARGE_EFFICIENCY, SETTINGS, site_capacity_kw

from .ev import Bay
from .profiles import VOLTS
from .runner import View
from .scenario import Scenario

REPLAN_S = 60.0
ENTITIES = {
    InputRole.GRID_POWER: "sensor.grid_power",
    InputRole.GRID_CURRENT_L1: "sensor.grid_l1",
    InputRole.GRID_CURRENT_L2: "sensor.grid_l2",
    InputRole.GRID_CURRENT_L3: "sensor.grid_l3",
    InputRole.PV_POWER: "sensor.pv_power",
}


def charger_config(bay: Bay) -> ChargerConfig:
    """The engine's view of a charger (what ``charger.charger_config`` builds)."""
    spec = bay.charger
    return ChargerConfig(
        id=spec.id,
        phases=spec.phases,
        phase=spec.phase,
        min_current_a=spec.min_a,
        max_current_a=spec.max_a,
        priority=spec.priority,
        circuit_id=spec.circuit,
        can_switch_phases=spec.can_switch_phases,
    )


class Ours:
    """The coordinator loop around ``allocate`` (and ``plan`` for smart chargers)."""

    name = "ours"
    # The OCPP driver asks for MeterValues this long after a raise (``follow_up_s``).
    follow_up_s = CompatOptions().follow_up_s

    def __init__(
        self,
        scenario: Scenario,
        *,
        prices: bool = True,
        forecasts: bool = False,
        max_input_age_s: float = DEFAULT_MAX_INPUT_AGE,
        planner_efficiency: float = CHARGE_EFFICIENCY,
        planned_max_kw: dict[str, float] | None = None,
    ) -> None:
        """Settings as the coordinator builds them, plus the scenario's circuits.

        The keywords other than ``prices`` are for sensitivity runs: house/PV forecasts for
        the planner, the input age that counts as stale, the charging efficiency the need
        estimate assumes, a per-charger cap on the power the planner may plan.
        """
        self.scenario = scenario
        self.prices = prices
        self.forecasts = forecasts
        self.max_input_age_s = max_input_age_s
        self.planner_efficiency = planner_efficiency
        self.planned_max_kw = planned_max_kw or {}
        self.bays = {bay.charger.id: bay for bay in scenario.bays}
        self.configs = {cid: charger_config(bay) for cid, bay in self.bays.items()}
        self.settings = AllocatorSettings(
            site=SiteConfig(
                fuse_a=scenario.fuse_a,
                phases=3,
                voltage_v=VOLTS,
                max_import_w=scenario.max_import_w,
            ),
            chargers=tuple(self.configs.values()),
            circuits=scenario.circuits,
        )
        self.memory = AllocationMemory()
        self.meter_rhythm = ReportRhythm()  # the meter's rhythm, as ``read_input`` learns it
        self.last_run_s = -math.inf
        self.smart = [
            cid for cid, bay in self.bays.items() if bay.charger.mode is ChargerMode.SMART
        ]
        self.plan: Plan | None = None
        self.planned_at_s = -math.inf
        self.plug_pending = False
        self.connected: dict[str, bool] = dict.fromkeys(self.bays, False)
        self.decisions = 0
        self.allocate_s = 0.0
        self.plan_s: list[float] = []
        self._capacity_kw, self._pv_kw = self._slot_forecasts()

    # ---- the cycle -----------------------------------------------------------------

    def step(self, now_s: float, view: View) -> dict[str, tuple[float, int]]:
        """One step of the coordinator: maybe a cycle (re-planning first when due)."""
        plugged = {cid: r.status.vehicle_connected for cid, r in view.chargers.items()}
        plug_change = any(plugged[cid] != self.connected[cid] for cid in self.smart)
        self.connected = plugged
        self.plug_pending = self.plug_pending or plug_change
        tick = now_s - self.last_run_s >= DEFAULT_CONTROL_INTERVAL
        if not (view.meter.fresh or view.pushed or view.signal_changed or tick):
            return {}
        self.last_run_s = now_s
        now = self.scenario.at(now_s)
        snapshot = self._snapshot(now_s, view)
        if self.smart and (self.plug_pending or now_s - self.planned_at_s >= REPLAN_S):
            self.plug_pending = False
            self._replan(now_s, view, snapshot.grid_power_w)
            snapshot = replace(snapshot, requests=self._requests(now_s))
        began = time.perf_counter()
        result = allocate(snapshot, self.settings, self.memory, now)
        self.allocate_s += time.perf_counter() - began
        self.decisions += 1
        self.memory = result.memory
        return {a.charger_id: (a.current_a, a.phases) for a in result.allocations}

    def _snapshot(self, now_s: float, view: View) -> SiteSnapshot:
        meter = view.meter
        max_age_s = self.max_input_age_s
        if math.isfinite(meter.reported_s):
            self.meter_rhythm.observe(self.scenario.at(meter.reported_s))
            max_age_s = self.meter_rhythm.max_age(timedelta(seconds=max_age_s)).total_seconds()
        status = InputStatus.OK if now_s - meter.reported_s <= max_age_s else InputStatus.STALE
        reported_at = (
            self.scenario.at(meter.reported_s) if math.isfinite(meter.reported_s) else None
        )
        values = {
            InputRole.GRID_POWER: meter.grid_w,
            InputRole.GRID_CURRENT_L1: meter.currents_a[0],
            InputRole.GRID_CURRENT_L2: meter.currents_a[1],
            InputRole.GRID_CURRENT_L3: meter.currents_a[2],
            InputRole.PV_POWER: meter.pv_w,
        }
        inputs = tuple(
            InputReading(role, ENTITIES[role], status, value, reported_at)
            for role, value in values.items()
        )
        ok = status is InputStatus.OK
        states = tuple(self._state(cid, view) for cid in self.configs)
        requests = self._requests(now_s)
        limit = None if view.signal_w is None else ExternalLimit(power_w=view.signal_w)
        return SiteSnapshot(
            grid_power_w=meter.grid_w if ok else None,
            phase_currents_a=PhaseValues(*meter.currents_a) if ok else None,
            pv_power_w=meter.pv_w if ok else None,
            inputs=inputs,
            chargers=states,
            requests=requests,
            ev_power_w=sum(max(0.0, r.power_w or 0.0) for r in view.chargers.values()),
            ev_currents_a=PhaseValues.from_fn(lambda p: sum(s.currents_a[p] for s in states)),
            external_limit=limit,
        )

    def _requests(self, now_s: float) -> tuple[ChargerRequest, ...]:
        plans = self._planned_w(now_s)
        return tuple(
            ChargerRequest(
                charger_id=cid,
                mode=bay.charger.mode,
                target_soc_pct=bay.ev.target_soc_pct,
                planned_power_w=plans.get(cid, 0.0),
            )
            for cid, bay in self.bays.items()
        )

    def _state(self, cid: str, view: View) -> ChargerState:
        reading = view.chargers[cid]
        return ChargerState(
            id=cid,
            connected=reading.status.vehicle_connected,
            charging=reading.status is ChargerStatus.CHARGING,
            currents_a=site_currents(self.configs[cid], reading, VOLTS),
            active_phases=reading.active_phases,
            soc_pct=view.soc_pct[cid],
            session_energy_kwh=reading.session_energy_kwh or 0.0,
            measured_at=reading.updated,
        )

    # ---- planning ------------------------------------------------------------------

    def _slot_forecasts(self) -> tuple[list[float], list[float]]:
        """Per 15-min slot: grid room for charging and PV surplus, from the forecasts (kW)."""
        s = self.scenario
        per_slot = round(900 / s.step_s)
        house = s.series.house_forecast_w
        pv = s.series.pv_forecast_w
        room_w = (s.fuse_a - self.settings.margin_a) * 3 * VOLTS
        capacity, surplus = [], []
        for k in range(len(s.series.slots)):
            part = slice(k * per_slot, (k + 1) * per_slot)
            load = float(house[part].mean())
            grid = room_w - load
            if s.max_import_w is not None:
                grid = min(grid, s.max_import_w - load)
            capacity.append(max(0.0, grid) / 1000)
            surplus.append(float(max(0.0, (pv[part] - house[part]).mean())) / 1000)
        return capacity, surplus

    def _replan(self, now_s: float, view: View, grid_w: float | None) -> None:
        """``SmartPlanner.update``: the smart chargers' needs, planned jointly."""
        s = self.scenario
        self.planned_at_s = now_s
        now = s.at(now_s)
        needs = []
        for cid in self.smart:
            soc = view.soc_pct[cid]
            if not view.chargers[cid].status.vehicle_connected or soc is None:
                continue
            spec, ev = self.bays[cid].charger, self.bays[cid].ev
            missing = (ev.target_soc_pct - soc) / 100 * ev.capacity_kwh
            per_amp_kw = spec.phases * VOLTS / 1000
            needs.append(
                ChargeNeed(
                    charger_id=cid,
                    energy_kwh=max(0.0, missing / self.planner_efficiency),
                    max_power_kw=self.planned_max_kw.get(cid, spec.max_a * per_amp_kw),
                    ready_by=s.at(ev.departure_h * 3600),
                    min_power_kw=spec.min_a * per_amp_kw,
                )
            )
        if not needs:
            self.plan = None
            return
        plugged = {cid for cid, r in view.chargers.items() if r.status.vehicle_connected}
        needs = within_circuits(self.settings, needs, plugged)
        first = int(now_s // 900)
        horizon = max(need.ready_by or now for need in needs)
        last = min(len(s.series.slots), first + 1 + int((horizon - now).total_seconds() // 900))
        slots = [
            PriceSlot(
                start, start + timedelta(minutes=15), *((price, export) if self.prices else ())
            )
            for start, price, export in s.series.slots[first:last]
        ]
        ev_w = sum(max(0.0, r.power_w or 0.0) for r in view.chargers.values())
        capacity: float | list[float] = site_capacity_kw(
            self.settings, 0.0 if grid_w is None else grid_w - ev_w
        )
        pv: list[float] | None = None
        if self.forecasts:
            capacity, pv = self._capacity_kw[first:last], self._pv_kw[first:last]
        same = self.plan is not None and {c.charger_id for c in self.plan.chargers} == {
            n.charger_id for n in needs
        }
        began = time.perf_counter()
        self.plan = plan(
            slots, capacity, pv, needs, now, SETTINGS, previous=self.plan if same else None
        )
        self.plan_s.append(time.perf_counter() - began)

    def _planned_w(self, now_s: float) -> dict[str, float]:
        if self.plan is None:
            return {}
        now = self.scenario.at(now_s)
        return {c.charger_id: c.power_at(now) * 1000 for c in self.plan.chargers}
