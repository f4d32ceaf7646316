"""Reference (b): an evcc-like controller with evcc's documented defaults.

Modelled on evcc's ``core/site.go``, ``core/loadpoint.go`` and ``core/circuit.go``:
- **Loop**: a tick every 30 s; each tick updates *one* loadpoint, in turn
  (``loopLoadpoints``), so with n loadpoints each is looked at every n x 30 s. A car
  plugging in updates its loadpoint at once. Each tick reads the grid meter; when the
  meter does not answer (no reading in the last 10 s) the tick is skipped.
- **Modes**: ``fast`` = evcc "now" (maximum current); ``pv`` = evcc "pv"; ``smart`` =
  evcc "pv" with a plan: in planned slots the loadpoint charges at maximum current,
  otherwise as in "pv" (nothing without a surplus).
- **PV**: target = effective current + (-grid power) / (230 V x active phases); enable
  after 60 s with a target >= 6 A, disable after 180 s of import at the minimum (the
  minimum current in between); 60 s settle after an enable or a phase switch (the
  measured current is ignored, no further switch); 3p -> 1p after 180 s below the 3p
  minimum, 1p -> 3p after 60 s with room for the 3p minimum.
- **Circuits** (``ValidateCurrent`` / ``ValidatePower``): when a loadpoint's increase
  exceeds what a circuit has left, it is capped at ``old + (limit - circuit current)``;
  so a circuit already over its limit lowers the loadpoint being updated by the excess,
  but only at that loadpoint's turn. This is what the current evcc source does (the
  reference notes summarise it as "caps only increases"). The main fuse is a circuit
  with the grid meter's highest phase current (``max(l1, l2, l3)``, no per-phase mapping)
  and ``maxCurrent`` = the fuse rating; a circuit without a meter sums its loadpoints'
  highest phase currents. A grid signal is a ``maxPower`` on a circuit of the chargers.
- **Planner**, per vehicle: duration = (target - SoC) x capacity / 0.9 / maximum power,
  the cheapest 15-min slots before the target time (ties to later slots), each vehicle
  alone: no shared capacity, no PV forecast.
- Headroom is first come, first served: the loadpoint updated first takes it.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

from custom_components.smart_charging.drivers.base import ChargerStatus
from custom_components.smart_charging.engine.model import ChargerMode

from .ev import Bay
from .profiles import VOLTS
from .runner import View
from .scenario import Scenario

CYCLE_S = 30.0
ENABLE_DELAY_S = 60.0
DISABLE_DELAY_S = 180.0
SETTLE_S = 60.0
METER_TIMEOUT_S = 10.0
EFFICIENCY = 0.9


@dataclass
class Loadpoint:
    """One loadpoint's state between its turns."""

    bay: Bay
    enabled: bool = False
    current: float = 0.0
    phases: int = 3
    pv_timer: float | None = None
    phase_timer: float | None = None
    switched_at: float = -math.inf
    connected: bool = False

    @property
    def id(self) -> str:
        """The charger id."""
        return self.bay.charger.id


class EvccLike:
    """One loadpoint per 30 s tick, first come first served, per-vehicle plans."""

    name = "evcc-like"

    def __init__(self, scenario: Scenario) -> None:
        """One loadpoint per charger, in configuration order."""
        self.scenario = scenario
        self.lps = [Loadpoint(bay, phases=bay.charger.phases) for bay in scenario.bays]
        self.turn = 0
        self.last_tick_s = -math.inf
        self.has_pv = scenario.pv.peak_w > 0
        self.parents = {c.id: c.parent_id for c in scenario.circuits}
        self.limits = {c.id: c.limit_a for c in scenario.circuits}
        self.decisions = 0

    def step(self, now_s: float, view: View) -> dict[str, tuple[float, int]]:
        """Tick every 30 s (one loadpoint); update a loadpoint at once when a car plugs in."""
        due: list[Loadpoint] = []
        for lp in self.lps:
            connected = view.chargers[lp.id].status.vehicle_connected
            if connected != lp.connected:
                lp.connected = connected
                due.append(lp)
        if now_s - self.last_tick_s >= CYCLE_S:
            self.last_tick_s = now_s
            due.append(self.lps[self.turn])
            self.turn = (self.turn + 1) % len(self.lps)
        if now_s - view.meter.reported_s > METER_TIMEOUT_S:
            return {}  # site.update: the grid meter did not answer
        for lp in due:
            self.decisions += 1
            self._update(lp, now_s, view)
        return {lp.id: (lp.current if lp.enabled else 0.0, lp.phases) for lp in self.lps}

    # ---- loadpoint ------------------------------------------------------------------

    def _update(self, lp: Loadpoint, now_s: float, view: View) -> None:
        spec, ev = lp.bay.charger, lp.bay.ev
        soc = view.soc_pct[lp.id]
        if not lp.connected or (soc is not None and soc >= ev.target_soc_pct):
            lp.enabled, lp.current, lp.pv_timer = False, 0.0, None
            return
        if spec.mode is ChargerMode.FAST or (
            spec.mode is ChargerMode.SMART and self._plan_active(lp, now_s, soc)
        ):
            target = spec.max_a
        elif spec.mode in (ChargerMode.PV, ChargerMode.SMART) and self.has_pv:
            target = self._pv_current(lp, now_s, view)
        else:
            target = 0.0
        self._set_limit(lp, target, now_s, view)

    def _set_limit(self, lp: Loadpoint, target: float, now_s: float, view: View) -> None:
        if target < lp.bay.charger.min_a:
            lp.enabled, lp.current = False, 0.0
            return
        old = lp.current if lp.enabled else 0.0
        new = self._validate_current(lp, old, target, view)
        if view.signal_w is not None:
            new = self._validate_power(lp, old, new, view)
        if new < lp.bay.charger.min_a:
            lp.enabled, lp.current = False, 0.0
            return
        if not lp.enabled:
            lp.enabled, lp.switched_at = True, now_s
        lp.current = math.floor(new * 10 + 1e-6) / 10

    def _pv_current(self, lp: Loadpoint, now_s: float, view: View) -> float:
        spec = lp.bay.charger
        reading = view.chargers[lp.id]
        site_w = view.meter.grid_w
        settled = now_s - lp.switched_at >= SETTLE_S
        if spec.can_switch_phases and settled and lp.enabled:
            self._scale_phases(lp, now_s, site_w + 0.0, reading.power_w or 0.0)
        active = reading.active_phases or lp.phases
        measured = max(reading.currents_a) if reading.currents_a else 0.0
        charging = reading.status is ChargerStatus.CHARGING
        effective = measured if charging and settled else lp.current
        target = max(effective - site_w / (VOLTS * active), 0.0)
        if lp.enabled and target < spec.min_a:
            if site_w >= 0.0:  # disable threshold 0 W
                lp.pv_timer = now_s if lp.pv_timer is None else lp.pv_timer
                if now_s - lp.pv_timer >= DISABLE_DELAY_S:
                    lp.pv_timer = None
                    return 0.0
            else:
                lp.pv_timer = None
            return spec.min_a
        if not lp.enabled:
            if target >= spec.min_a:
                lp.pv_timer = now_s if lp.pv_timer is None else lp.pv_timer
                if now_s - lp.pv_timer >= ENABLE_DELAY_S:
                    lp.pv_timer = None
                    return spec.min_a
            else:
                lp.pv_timer = None
            return 0.0
        lp.pv_timer = None
        return min(target, spec.max_a)

    def _scale_phases(self, lp: Loadpoint, now_s: float, site_w: float, power_w: float) -> None:
        available = power_w - site_w
        three_phase_a = available / (3 * VOLTS)
        want = None
        if lp.phases == 3 and three_phase_a < lp.bay.charger.min_a:
            want, delay = 1, DISABLE_DELAY_S
        elif lp.phases == 1 and three_phase_a >= lp.bay.charger.min_a:
            want, delay = 3, ENABLE_DELAY_S
        if want is None:
            lp.phase_timer = None
            return
        lp.phase_timer = now_s if lp.phase_timer is None else lp.phase_timer
        if now_s - lp.phase_timer >= delay:
            lp.phases, lp.phase_timer, lp.switched_at = want, None, now_s

    # ---- circuits -------------------------------------------------------------------

    def _validate_current(self, lp: Loadpoint, old: float, new: float, view: View) -> float:
        circuit = lp.bay.charger.circuit
        while circuit is not None:
            new = _cap(old, new, self.limits[circuit], self._circuit_current(circuit, view))
            circuit = self.parents[circuit]
        return _cap(old, new, self.scenario.fuse_a, max(view.meter.currents_a))

    def _circuit_current(self, circuit: str, view: View) -> float:
        total = 0.0
        for bay in self.scenario.bays:
            node = bay.charger.circuit
            while node is not None and node != circuit:
                node = self.parents[node]
            reading = view.chargers[bay.charger.id]
            if node == circuit and reading.currents_a:
                total += max(reading.currents_a)
        return total

    def _validate_power(self, lp: Loadpoint, old: float, new: float, view: View) -> float:
        assert view.signal_w is not None  # noqa: S101 - checked by the caller
        watts = lp.phases * VOLTS
        used = sum(max(0.0, r.power_w or 0.0) for r in view.chargers.values())
        return _cap(old * watts, new * watts, view.signal_w, used) / watts

    # ---- planner --------------------------------------------------------------------

    def _plan_active(self, lp: Loadpoint, now_s: float, soc: float | None) -> bool:
        if soc is None:
            return False
        spec, ev = lp.bay.charger, lp.bay.ev
        need = max(0.0, ev.target_soc_pct - soc) / 100 * ev.capacity_kwh / EFFICIENCY
        power_kw = spec.max_a * spec.phases * VOLTS / 1000
        count = math.ceil(need / power_kw / 0.25 - 1e-9)
        if count <= 0:
            return False
        first = int(now_s // 900)
        last = int(ev.departure_h * 4)  # slots ending by the target time
        slots = self.scenario.series.slots
        candidates = sorted(range(first, min(last, len(slots))), key=lambda k: (slots[k][1], -k))
        return first in candidates[:count]


def _cap(old: float, new: float, limit: float, used: float) -> float:
    """evcc's circuit rule: an increase beyond what is left is capped at old + left."""
    delta = max(0.0, new - old)
    potential = limit - used
    if delta > potential:
        return max(0.0, old + potential)
    return new
