"""Reference (a): a plain wallbox installation that charges at full power on plug-in.

Assumptions (what an installer would set up without a dynamic controller):
- A single wallbox runs at its rated current (the charger's ``max_a``) whenever a car is
  plugged in; the car stops by itself at its own charge limit.
- Several wallboxes share static load management: a fixed cluster limit per phase
  (``Scenario.static_limit_a``, chosen by the installer below the fuse with an allowance
  for the house) and each circuit's limit, split equally among the cars that take
  current, in plug-in order while each gets at least 6 A. The controller is local and
  re-splits every 10 s. It measures nothing: house load is never seen.
- A grid-operator signal (a §14a relay) is wired to the wallboxes and dims them at once
  to the current that fits the limit (6 A three-phase for 4.2 kW).
"""

from __future__ import annotations

import math

from custom_components.smart_charging.drivers.base import ChargerStatus

from .ev import IEC_MIN_A
from .profiles import VOLTS
from .runner import View
from .scenario import Scenario

CLUSTER_INTERVAL_S = 10.0


class Immediate:
    """Full power on plug-in, static sharing, hardware dimming."""

    name = "immediate"

    def __init__(self, scenario: Scenario) -> None:
        """Remember the chargers, circuits and the static cluster limit."""
        self.scenario = scenario
        self.order: list[str] = []  # plug-in order
        self.last_s = -math.inf
        self.plugged: set[str] = set()
        self.suspended_since: dict[str, float] = {}

    def step(self, now_s: float, view: View) -> dict[str, tuple[float, int]]:
        """Re-split every 10 s, and at once on a plug event or a signal change."""
        plugged = [cid for cid, r in view.chargers.items() if r.status.vehicle_connected]
        self.order = [cid for cid in self.order if cid in plugged] + [
            cid for cid in plugged if cid not in self.order
        ]
        for cid, reading in view.chargers.items():
            if reading.status is ChargerStatus.SUSPENDED_EV:
                self.suspended_since.setdefault(cid, now_s)
            else:
                self.suspended_since.pop(cid, None)
        changed = set(plugged) != self.plugged
        self.plugged = set(plugged)
        due = now_s - self.last_s >= CLUSTER_INTERVAL_S or view.signal_changed or changed
        if not due:
            return {}
        self.last_s = now_s
        return self._split(now_s, view)

    def _split(self, now_s: float, view: View) -> dict[str, tuple[float, int]]:
        s = self.scenario
        bays = {bay.charger.id: bay for bay in s.bays}
        commands = {bay.charger.id: (0.0, bay.charger.phases) for bay in s.bays}
        # A car that has taken nothing for a minute (full) keeps 6 A and leaves the rest.
        active = [cid for cid in self.order if now_s - self.suspended_since.get(cid, now_s) < 60.0]
        groups: list[tuple[float, list[str]]] = []
        if s.static_limit_a is not None:
            groups.append((s.static_limit_a, active))
        for circuit in s.circuits:
            members = [cid for cid in active if bays[cid].charger.circuit == circuit.id]
            groups.append((circuit.limit_a, members))
        admitted = list(active)
        for limit, members in groups:
            fits = int(limit // IEC_MIN_A)
            inside = [cid for cid in admitted if cid in members]
            for cid in inside[fits:]:
                admitted.remove(cid)
        for cid in self.order:
            spec = bays[cid].charger
            share = spec.max_a
            if cid in admitted:
                for limit, members in groups:
                    if cid in members:
                        count = sum(1 for other in admitted if other in members)
                        share = min(share, limit / count)
            elif cid in active:
                share = 0.0
            elif groups:
                share = IEC_MIN_A
            if view.signal_w is not None:
                share = min(share, math.floor(view.signal_w / (spec.phases * VOLTS) * 10) / 10)
            share = math.floor(share * 10) / 10
            commands[cid] = (share if share >= IEC_MIN_A else 0.0, spec.phases)
        return commands
