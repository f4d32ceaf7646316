"""What the car does with the current it is offered: idle cars and cars that take less.

A share only helps if the car behind the charger takes it. Two cases hand capacity on:

* **Idle.** Offered at least its minimum, the car draws less than ``idle_threshold_a`` on
  every phase while the charger does not report charging, for ``settle_time_s +
  idle_delay_s`` (full, waiting on its own timer, SuspendedEV). It stays offered, and
  keeps reserved, its minimum current and nothing more: a car that wakes up can draw no
  more than that before the next cycle, and the minimum is already inside every limit. A
  car waiting on its own timer can therefore always start. It leaves idle on the first
  cycle it draws, and climbs back to its fair share through the normal ramp.
* **Limited.** With its command settled, the car draws clearly less than it is offered
  (its onboard charger, the cable, tapering near full). Its share is capped at what it
  draws plus ``vehicle_headroom_a`` (never below its minimum). The cap rises by that
  step when the car takes (nearly) all of it, and every ``vehicle_probe_interval_s`` in
  any case, so a car that can take more again gets it back.

A charger that says it is charging but shows no current (one without a meter) is never
judged: without a reading there is no verdict. The verdicts are kept in the charger's
memory and time comes from ``now`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from .allocation import ChargerMemory
from .intent import Intent
from .model import ChargerConfig, ChargerState
from .settings import AllocatorSettings


@dataclass(frozen=True, slots=True)
class VehicleWatch:
    """The verdict on one car after this cycle's reading (see ``ChargerMemory``)."""

    idle: bool = False
    quiet_since: datetime | None = None
    limit_a: float | None = None
    limit_at: datetime | None = None


NOTHING_KNOWN: Final = VehicleWatch()
"""The verdict on a car that takes what it is offered (shared: most cars, most cycles)."""


def observe(
    config: ChargerConfig,
    state: ChargerState,
    memory: ChargerMemory,
    *,
    drawn: float,
    settings: AllocatorSettings,
    now: datetime,
) -> VehicleWatch:
    """Judge the car from what it draws (``drawn``: A on its busiest phase) and its memory.

    What it was offered is the command in force, ``memory.current_a``.
    """
    if not state.connected:
        return NOTHING_KNOWN
    measurable = drawn >= settings.idle_threshold_a
    quiet = not measurable and not state.charging
    idle, since = _idle(memory, quiet=quiet, settings=settings, now=now)
    if idle:
        # An idle car starts afresh when it wakes: the cap of its last charge is dropped.
        return VehicleWatch(idle=True, quiet_since=since)
    limit, limit_at = memory.vehicle_limit_a, memory.vehicle_limit_at
    headroom = settings.vehicle_headroom_a
    if headroom is None:
        limit, limit_at = None, None
    elif measurable and _settled(memory, settings, now):
        limit, limit_at = _limit(
            config, memory, drawn=drawn, headroom=headroom, settings=settings, now=now
        )
    if since is None and limit is None:
        return NOTHING_KNOWN
    return VehicleWatch(quiet_since=since, limit_a=limit, limit_at=limit_at)


def restrain(intent: Intent, watch: VehicleWatch, minimum: float) -> tuple[Intent, float | None]:
    """Cap an intent at what the car takes; return it with the cap in force (None: none)."""
    cap = minimum if watch.idle else watch.limit_a
    if intent.stop is not None or cap is None or cap >= intent.max_a:
        return intent, None
    return replace(intent, base_a=min(intent.base_a, cap), max_a=cap), cap


def _idle(
    memory: ChargerMemory,
    *,
    quiet: bool,
    settings: AllocatorSettings,
    now: datetime,
) -> tuple[bool, datetime | None]:
    """Whether the car is idle, and since when it has been offered current in vain."""
    delay = settings.idle_delay_s
    if delay is None or not quiet:
        return False, None
    if memory.current_a <= 0.0:
        # Offered nothing, so nothing to judge; a car found idle stays idle while paused.
        return memory.vehicle_idle, None
    since = memory.quiet_since or now
    due = _elapsed(now, since) >= settings.settle_time_s + delay
    return memory.vehicle_idle or due, since


def _limit(
    config: ChargerConfig,
    memory: ChargerMemory,
    *,
    drawn: float,
    headroom: float,
    settings: AllocatorSettings,
    now: datetime,
) -> tuple[float | None, datetime | None]:
    """The cap on a drawing car's share after a settled command, and when it last moved."""
    offered = memory.current_a
    if offered <= 0.0:
        return memory.vehicle_limit_a, memory.vehicle_limit_at
    fits = max(config.min_current_a, drawn + headroom)
    if fits <= offered - settings.deadband_a:
        return fits, now
    limit = memory.vehicle_limit_a
    if limit is None:
        return None, None
    probe_due = _elapsed(now, memory.vehicle_limit_at) >= settings.vehicle_probe_interval_s
    if drawn >= limit - headroom / 2 or probe_due:
        # It takes (nearly) all the cap allows, or it is time to try: one step up.
        raised = limit + headroom
        return (None, None) if raised >= config.max_current_a else (raised, now)
    return limit, memory.vehicle_limit_at


def _settled(memory: ChargerMemory, settings: AllocatorSettings, now: datetime) -> bool:
    """Whether the car has had time to follow the command in force."""
    return _elapsed(now, memory.changed_at) >= settings.settle_time_s


def _elapsed(now: datetime, since: datetime | None) -> float:
    """Seconds since ``since``; a moment never recorded counts as long ago."""
    return float("inf") if since is None else (now - since).total_seconds()
