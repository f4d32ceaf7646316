"""Automatic 1p/3p switching for chargers that support it.

3p -> 1p when what the charger could get (fuse room, and for surplus modes the surplus
offered to it) cannot hold three phases at minimum current but one phase can;
1p -> 3p when one phase at maximum current would leave power unused and three phases at
minimum fit. Each direction must hold for its own delay, and switches are spaced by a
minimum interval (contactor wear). A switch pauses the charger first; the driver runs the
sequence, and the charger resumes after the switch pause as a running session.

An idle car is not switched (that would only wear the contactor), and a car that takes
less than one phase offers it is not moved up to three.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .cycle import Work
from .model import PhaseMode, Reason
from .settings import AllocatorSettings

USER_STOPS = frozenset(
    {
        Reason.NOT_CONNECTED,
        Reason.MODE_OFF,
        Reason.TARGET_REACHED,
        Reason.OUTSIDE_WINDOW,
        Reason.PHASE_SWITCHING,
    }
)
"""Pauses that no phase configuration would end: no point switching for them.

A ``smart`` charger waiting for its cheap slot is not among them: it waits because the
surplus cannot hold its minimum current, and on one phase it might.
"""


def in_switch_pause(work: Work, settings: AllocatorSettings, now: datetime) -> bool:
    """Return whether the charger is still pausing for a phase switch."""
    switched = work.memory.phase_switched_at
    if switched is None or not work.known:
        return False
    return (now - switched).total_seconds() < settings.phase_switch_pause_s


def decide_switches(works: Iterable[Work], settings: AllocatorSettings, now: datetime) -> None:
    """Update switch timers and start the switches that are due."""
    for work in works:
        if not work.alt_uses:
            continue
        desired = _desired(work, settings.site.voltage_v)
        if desired is None or desired == work.commanded_phases:
            continue
        memory = work.memory
        forced = work.request.phase_mode is not PhaseMode.AUTO
        since = now
        if memory.phase_candidate == desired and memory.phase_candidate_since is not None:
            since = memory.phase_candidate_since
        if forced:
            delay = 0.0
        elif desired == 3:
            delay = settings.phase_up_delay_s
        else:
            delay = settings.phase_down_delay_s
        last = memory.phase_switched_at
        spaced = last is None or (now - last).total_seconds() >= settings.phase_switch_interval_s
        if (now - since).total_seconds() >= delay and spaced:
            work.switching = True
            work.out_phases = desired
        else:
            work.candidate = desired
            work.candidate_since = since


def _desired(work: Work, voltage: float) -> int | None:
    """The phase count the charger should move to, if any."""
    mode = work.request.phase_mode
    if mode is PhaseMode.ONE:
        return 1
    if mode is PhaseMode.THREE:
        return 3
    if work.stop in USER_STOPS or work.phases != work.commanded_phases:
        return None
    if not work.assessed or work.idle:
        return None
    minimum = work.config.min_current_a
    now_a = _available(work.offer_w, work.room_now, work.phases * voltage)
    alt_a = _available(work.offer_w, work.room_alt, (4 - work.phases) * voltage)
    if work.phases == 3:
        return 1 if now_a < minimum <= alt_a else None
    if work.vehicle_cap is not None:
        return None
    return 3 if now_a > work.intent.max_a and alt_a >= minimum else None


def _available(offer_w: float | None, room_a: float, watts_per_amp: float) -> float:
    """Current a charger could use: its fuse room, capped by the surplus offered to it."""
    if offer_w is None:
        return room_a
    return min(room_a, max(0.0, offer_w) / watts_per_amp)
