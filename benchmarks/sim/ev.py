"""Chargers and the EVs behind them, as the simulator models them.

A charger offers a current (its PWM signal) the moment it is commanded; the car follows
``lag_s`` later (5-10 s in the field). A car takes nothing below 6 A, at most its onboard
charger's current, less above ``taper_from_pct`` SoC, and stops at its own charge limit
(``target_soc_pct``, set in the car). A phase switch opens the contactor at once; the car
starts again on the new phase count after its lag.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from custom_components.smart_charging.drivers.base import ChargerStatus
from custom_components.smart_charging.engine.model import ChargerMode, Phase

from .profiles import VOLTS

IEC_MIN_A = 6.0
PHASE_INDEX = {Phase.L1: 0, Phase.L2: 1, Phase.L3: 2}


@dataclass(frozen=True)
class ChargerSpec:
    """A charger: phases and wiring, limits, circuit, and what its user chose."""

    id: str
    phases: int = 3
    phase: Phase = Phase.L1  # the site phase a 1p charger (or a 3p one on 1p) uses
    min_a: float = 6.0
    max_a: float = 16.0
    can_switch_phases: bool = False
    circuit: str | None = None
    mode: ChargerMode = ChargerMode.FAST
    priority: int = 0


@dataclass(frozen=True)
class EvSpec:
    """A car's battery, onboard charger and its visit (hours after the scenario start)."""

    capacity_kwh: float
    arrival_h: float
    departure_h: float
    soc_pct: float
    target_soc_pct: float
    onboard_phases: int = 3
    onboard_max_a: float = 16.0
    lag_s: float = 8.0
    efficiency: float = 0.92
    taper_from_pct: float = 80.0

    @property
    def need_kwh(self) -> float:
        """Energy into the battery from arrival to the target."""
        return max(0.0, self.target_soc_pct - self.soc_pct) / 100 * self.capacity_kwh


@dataclass(frozen=True)
class Bay:
    """One charger and the one car that visits it during the scenario."""

    charger: ChargerSpec
    ev: EvSpec


class SimEv:
    """The car at one charger, stepped by the runner."""

    def __init__(self, bay: Bay) -> None:
        """Start unplugged, with the charger offering nothing."""
        self.charger = bay.charger
        self.spec = bay.ev
        self.plugged = False
        self.gone = False
        self.battery_kwh = bay.ev.capacity_kwh * bay.ev.soc_pct / 100
        self.offered_a = 0.0  # the command in force at the charger
        self.phases_cmd = 3 if bay.charger.phases == 3 else 1
        self.follow_a = 0.0  # the offer the car has followed so far
        self.pending: deque[tuple[float, float, int]] = deque()
        self.session_kwh = 0.0  # drawn from the site (charger meter)
        self.departure_soc: float | None = None
        self.draw_a = 0.0
        self.phase_ids: tuple[int, ...] = ()

    @property
    def soc(self) -> float:
        """State of charge in percent."""
        return 100.0 * self.battery_kwh / self.spec.capacity_kwh

    @property
    def car_phases(self) -> int:
        """Phases the car loads with the charger's current phase setting."""
        if self.spec.onboard_phases == 1 or self.phases_cmd == 1 or self.charger.phases == 1:
            return 1
        return 3

    def plug(self, now_s: float) -> bool:
        """Arrive or leave as scheduled; return whether the plug state changed."""
        arrive, leave = self.spec.arrival_h * 3600, self.spec.departure_h * 3600
        if not self.plugged and not self.gone and arrive <= now_s < leave:
            self.plugged = True
            return True
        if self.plugged and now_s >= leave:
            self.plugged, self.gone = False, True
            self.departure_soc = self.soc
            self.pending.clear()
            self.follow_a = 0.0
            return True
        return False

    def command(self, now_s: float, current_a: float, phases: int) -> None:
        """The charger receives a new limit; the car follows after its lag."""
        self.offered_a = current_a
        if phases != self.phases_cmd and self.charger.phases == 3:
            self.phases_cmd = phases
            self.follow_a = 0.0  # the contactor opens for the switch
        self.pending.append((now_s + self.spec.lag_s, current_a, phases))

    def advance(self, now_s: float) -> None:
        """Apply the offers whose lag has passed; compute this step's draw."""
        while self.pending and self.pending[0][0] <= now_s:
            _, current, _ = self.pending.popleft()
            self.follow_a = current
        self.draw_a = self._draw() if self.plugged else 0.0
        if self.draw_a <= 0.0:
            self.phase_ids = ()
        elif self.car_phases == 3:
            self.phase_ids = (0, 1, 2)
        else:
            self.phase_ids = (PHASE_INDEX[self.charger.phase],)

    def max_take_a(self) -> float:
        """The most the car takes now: onboard charger, taper, its own charge limit."""
        spec = self.spec
        soc = self.soc
        if soc >= spec.target_soc_pct - 1e-9:
            return 0.0
        limit = spec.onboard_max_a
        if soc > spec.taper_from_pct:
            limit *= max(0.1, (100.0 - soc) / (100.0 - spec.taper_from_pct))
        return limit

    def cap_a(self) -> float:
        """What the car could take if the site had room (charger and car limits)."""
        return min(self.charger.max_a, self.max_take_a()) if self.plugged else 0.0

    def _draw(self) -> float:
        if self.follow_a < IEC_MIN_A - 1e-9:
            return 0.0
        return min(self.follow_a, self.max_take_a())

    def power_w(self) -> float:
        """Power drawn this step."""
        return self.draw_a * len(self.phase_ids) * VOLTS

    def integrate(self, step_s: float) -> None:
        """Charge the battery with this step's draw."""
        drawn = self.power_w() * step_s / 3.6e6
        self.session_kwh += drawn
        self.battery_kwh += drawn * self.spec.efficiency

    def status(self) -> ChargerStatus:
        """The charger's status as OCPP would report it."""
        if not self.plugged:
            return ChargerStatus.AVAILABLE
        if self.draw_a > 0.0:
            return ChargerStatus.CHARGING
        if self.offered_a >= IEC_MIN_A:
            return ChargerStatus.SUSPENDED_EV
        return ChargerStatus.SUSPENDED_EVSE

    def charger_currents(self) -> tuple[float, float, float]:
        """Currents on the charger's own phases (its L1 is the site phase it is wired to)."""
        if self.draw_a <= 0.0:
            return (0.0, 0.0, 0.0)
        if len(self.phase_ids) == 3:
            return (self.draw_a, self.draw_a, self.draw_a)
        return (self.draw_a, 0.0, 0.0)
