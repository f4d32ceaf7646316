"""What each charger wants this cycle, from its mode and the session rules.

The allocator shares in two rounds. The *grid* round serves what a charger is entitled to
whatever the sun does (``fast`` up to its maximum, ``min_pv`` its minimum, ``smart`` the
planner's power for the slot). The *surplus* round then hands out PV surplus to the
chargers whose mode takes it (``pv``, ``min_pv``, ``smart``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .model import ChargerConfig, ChargerMode, ChargerRequest, ChargerState, Reason


@dataclass(frozen=True, slots=True)
class Intent:
    """One charger's wish for this cycle.

    ``stop`` set: the charger is paused for that reason, nothing else applies.
    ``base_a``: current to serve in the grid round (0, or within min..max).
    ``surplus``: the charger takes PV surplus in the surplus round.
    ``max_a``: the maximum current, after temperature derating (``derated``).
    ``base_reason`` is reported when the charger ends at its base current,
    ``idle_reason`` when it has no base and waits for surplus.
    """

    stop: Reason | None = None
    base_a: float = 0.0
    surplus: bool = False
    max_a: float = 0.0
    derated: bool = False
    base_reason: Reason = Reason.FAST
    idle_reason: Reason = Reason.WAITING_FOR_SURPLUS


def target_reached(state: ChargerState, request: ChargerRequest) -> bool:
    """Return whether the session has reached its SoC or energy target."""
    soc, target = state.soc_pct, request.target_soc_pct
    if soc is not None and target is not None and soc >= target:
        return True
    if request.target_energy_kwh is not None:
        return state.session_energy_kwh >= request.target_energy_kwh
    return False


def below_min_soc(state: ChargerState, request: ChargerRequest) -> bool:
    """Return whether the vehicle is below the SoC that is always charged first."""
    if request.min_soc_pct is None or state.soc_pct is None:
        return False
    return state.soc_pct < request.min_soc_pct


def user_stop(state: ChargerState, request: ChargerRequest, now: datetime) -> Reason | None:
    """The reason a charger must not charge that no measurement can change, if any."""
    if not state.connected:
        return Reason.NOT_CONNECTED
    if request.mode is ChargerMode.OFF:
        return Reason.MODE_OFF
    if target_reached(state, request):
        return Reason.TARGET_REACHED
    if below_min_soc(state, request):
        return None
    if request.windows and not any(w.contains(now) for w in request.windows):
        return Reason.OUTSIDE_WINDOW
    return None


def evaluate(
    config: ChargerConfig,
    state: ChargerState,
    request: ChargerRequest,
    now: datetime,
    *,
    phases: int,
    voltage_v: float,
) -> Intent:
    """Turn mode, session rules and temperature into this cycle's ``Intent``."""
    stop = user_stop(state, request, now)
    if stop is not None:
        return Intent(stop=stop)
    factor = 1.0 if config.derating is None else config.derating.factor(state.temperature_c)
    max_a = config.max_current_a * factor
    if max_a < config.min_current_a:
        return Intent(stop=Reason.TEMPERATURE_DERATING)
    derated = factor < 1.0
    if below_min_soc(state, request) or request.mode is ChargerMode.FAST:
        reason = Reason.FAST if request.mode is ChargerMode.FAST else Reason.MINIMUM_SOC
        return Intent(base_a=max_a, max_a=max_a, derated=derated, base_reason=reason)
    if request.mode is ChargerMode.MIN_PV:
        return Intent(
            base_a=config.min_current_a,
            surplus=True,
            max_a=max_a,
            derated=derated,
            base_reason=Reason.MIN_CURRENT,
        )
    if request.mode is ChargerMode.SMART:
        wanted = request.planned_power_w / (phases * voltage_v)
        if wanted > 0.0:
            return Intent(
                base_a=min(max(wanted, config.min_current_a), max_a),
                surplus=True,
                max_a=max_a,
                derated=derated,
                base_reason=Reason.PLANNED_SLOT,
            )
        return Intent(
            surplus=True,
            max_a=max_a,
            derated=derated,
            idle_reason=Reason.WAITING_FOR_CHEAP_SLOT,
        )
    return Intent(surplus=True, max_a=max_a, derated=derated)
