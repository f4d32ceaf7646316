"""The car behind a simulated charger: battery, onboard charger, lag, taper, comings and goings.

Pure functions of explicit times, shared by both simulated chargers:
- ``step``: the car draws what it is offered (up to its onboard charger), follows a new
  offer with a first-order lag (slower up than down, as cars do), tapers above
  ``taper_start_pct`` and stops at its target state of charge;
- ``park``: a driveway where a car stays plugged in until a while after it is full,
  drives off, and another one arrives later with a different state of charge.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import math
from typing import Final

MIN_OFFER_A: Final = 6.0  # IEC 61851: below 6 A the charger offers nothing
TAPER_FLOOR_A: Final = 1.0  # the least a tapering car draws until it is full
VOLTAGE_V: Final = 230.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Car:
    """What a car is: its battery and its onboard charger."""

    capacity_kwh: float
    max_current_a: float = 16.0
    phases: int = 3
    target_soc_pct: float = 100.0  # the car's own charge limit
    taper_start_pct: float = 80.0
    rise_s: float = 4.0  # time constant of following a higher offer
    fall_s: float = 1.5  # ... and a lower one (cars must drop within a few seconds)
    efficiency: float = 0.9  # of the AC energy, this much reaches the battery


@dataclass(frozen=True, slots=True, kw_only=True)
class EvState:
    """What a car does now."""

    soc_pct: float
    current_a: float = 0.0  # per phase
    session_kwh: float = 0.0  # AC energy taken since it plugged in


def acceptance_a(car: Car, soc_pct: float) -> float:
    """The most the car takes at a state of charge (per phase)."""
    if soc_pct >= car.target_soc_pct:
        return 0.0
    if soc_pct <= car.taper_start_pct:
        return car.max_current_a
    span = max(1e-9, 100.0 - car.taper_start_pct)
    tapered = car.max_current_a * (100.0 - soc_pct) / span
    return min(car.max_current_a, max(TAPER_FLOOR_A, tapered))


def wanted_a(car: Car, soc_pct: float, offered_a: float) -> float:
    """The current the car settles at for an offer (nothing below the IEC minimum)."""
    if offered_a < MIN_OFFER_A:
        return 0.0
    return min(offered_a, acceptance_a(car, soc_pct))


def is_full(car: Car, state: EvState) -> bool:
    """Return whether the car has reached its own charge limit."""
    return state.soc_pct >= car.target_soc_pct


def power_w(car: Car, state: EvState, voltage_v: float = VOLTAGE_V) -> float:
    """The car's power now."""
    return state.current_a * car.phases * voltage_v


def step(
    car: Car, state: EvState, offered_a: float, dt_s: float, *, voltage_v: float = VOLTAGE_V
) -> EvState:
    """Advance the car by ``dt_s`` seconds at an offer (A per phase)."""
    if dt_s <= 0:
        return state
    target = wanted_a(car, state.soc_pct, offered_a)
    tau = car.rise_s if target > state.current_a else car.fall_s
    current = target + (state.current_a - target) * math.exp(-dt_s / tau)
    if abs(current - target) < 0.01:
        current = target
    average_a = (state.current_a + current) / 2
    energy_kwh = average_a * car.phases * voltage_v * dt_s / 3_600_000
    soc = min(100.0, state.soc_pct + energy_kwh * car.efficiency / car.capacity_kwh * 100)
    if soc >= car.target_soc_pct:
        current = 0.0
    return EvState(soc_pct=soc, current_a=current, session_kwh=state.session_kwh + energy_kwh)


@dataclass(frozen=True, slots=True, kw_only=True)
class Visits:
    """How cars come and go at one charger (seconds)."""

    arrival_socs: tuple[float, ...] = (35.0, 55.0, 20.0, 70.0, 45.0)
    linger_s: float = 15 * 60  # stays plugged in this long after it is full
    away_s: float = 20 * 60  # then the driveway is empty this long


@dataclass(frozen=True, slots=True, kw_only=True)
class Driveway:
    """Whether a car is plugged in, and since when."""

    ev: EvState | None  # None: nobody plugged in
    since_s: float  # when the car plugged in, left, or became full
    visit: int = 0  # how many cars have come so far (picks the next arrival SoC)
    full: bool = False


def arrive(visits: Visits, visit: int, now_s: float) -> Driveway:
    """A car plugs in (the ``visit``-th one) with its arrival state of charge."""
    soc = visits.arrival_socs[visit % len(visits.arrival_socs)]
    return Driveway(ev=EvState(soc_pct=soc), since_s=now_s, visit=visit)


def park(
    car: Car,
    visits: Visits,
    driveway: Driveway,
    *,
    now_s: float,
    offered_a: float,
    dt_s: float,
    voltage_v: float = VOLTAGE_V,
) -> Driveway:
    """Advance a driveway: charge the car, let a full one leave, let the next one come."""
    if driveway.ev is None:
        if now_s - driveway.since_s >= visits.away_s:
            return arrive(visits, driveway.visit + 1, now_s)
        return driveway
    ev = step(car, driveway.ev, offered_a, dt_s, voltage_v=voltage_v)
    if not is_full(car, ev):
        return replace(driveway, ev=ev)
    if not driveway.full:
        return replace(driveway, ev=ev, full=True, since_s=now_s)
    if now_s - driveway.since_s >= visits.linger_s:
        return Driveway(ev=None, since_s=now_s, visit=driveway.visit)
    return replace(driveway, ev=ev)
