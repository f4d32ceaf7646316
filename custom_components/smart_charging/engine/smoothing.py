"""From this cycle's targets to the commands sent: cut fast, raise slowly, respect EV lag.

* A cut below the previous command applies at once (a PV-driven cut smaller than the
  deadband is held instead, as long as every hard limit still holds).
* A raise waits until the previous change has settled (the EV takes 5-15 s to follow),
  is skipped below the deadband and climbs at most ``ramp_up_a`` per step.
* EV lag is never free headroom: while a charger that was cut may still draw its old
  current, that current stays reserved, and raises that would need it wait a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
import math

from .cycle import Work
from .limits import ResourceTable
from .settings import AllocatorSettings
from .sharing import TOLERANCE


def smooth(
    works: Sequence[Work], table: ResourceTable, settings: AllocatorSettings, now: datetime
) -> None:
    """Turn each charger's target into the command for this cycle."""
    for work in works:
        old = work.memory.current_a
        if work.switching or work.stop is not None or work.target <= 0.0:
            work.final = 0.0
            continue
        value = _step(work, old, table, settings, now)
        work.final = quantize(value, work.config.min_current_a, settings.resolution_a)
        work.raised = work.final > old + TOLERANCE


def quantize(value: float, minimum: float, step: float) -> float:
    """Round a current down to the command resolution, but never below the minimum."""
    steps = math.floor(value / step + 1e-6)
    return max(round(steps * step, 6), minimum) if value >= minimum - 1e-6 else 0.0


def _step(
    work: Work, old: float, table: ResourceTable, settings: AllocatorSettings, now: datetime
) -> float:
    target = work.target
    minimum = work.config.min_current_a
    ramp = settings.ramp_up_a
    if old <= 0.0:
        return target if ramp is None else min(target, minimum + ramp)
    if target < old:
        soft = work.surplus_binding == table.surplus
        if soft and old - target < settings.deadband_a and old <= work.intent.max_a:
            work.holding = True
            return old
        return target
    changed = work.memory.changed_at
    settled = changed is None or (now - changed).total_seconds() >= settings.settle_time_s
    if target - old < settings.deadband_a or not settled:
        return max(old, minimum)
    return target if ramp is None else max(minimum, min(target, old + ramp))


def enforce_limits(
    ordered: Sequence[Work],
    table: ResourceTable,
    initial: list[float],
    settings: AllocatorSettings,
) -> None:
    """Make the commands fit every hard limit, counting what lagging EVs still draw.

    Each charger reserves, per phase, the larger of its new command and what it is trusted
    to draw now. Where a limit is exceeded, chargers are visited from the last served
    (lowest priority, newest session) upwards: a held cut is carried out, a raise waits,
    until the limit holds again. Cuts only lower reservations, so one pass is enough.
    """
    usage = [0.0] * len(initial)
    for work in ordered:
        _book(work, table, usage, 1.0)
    if not _any_over(usage, initial, table):
        return
    for work in reversed(ordered):
        if not (work.holding or work.raised):
            continue
        crossing = [r for r, _ in work.uses if usage[r] > initial[r] + _SLACK]
        if not crossing:
            continue
        _book(work, table, usage, -1.0)
        if work.holding:
            work.holding = False
            work.final = quantize(work.target, work.config.min_current_a, settings.resolution_a)
        else:
            _hold_back_raise(work, table, usage, initial, settings)
        _book(work, table, usage, 1.0)


def _hold_back_raise(
    work: Work,
    table: ResourceTable,
    usage: list[float],
    initial: list[float],
    settings: AllocatorSettings,
) -> None:
    """Shrink a raise to what the limits leave (its own reservation already removed)."""
    work.raised = False
    old = work.memory.current_a
    fits = min(
        (initial[r] - usage[r]) / (1.0 if r < table.current_end else coefficient)
        for r, coefficient in work.uses
    )
    minimum = work.config.min_current_a
    value = quantize(min(work.final, fits), minimum, settings.resolution_a)
    if value >= minimum and value > old:
        work.final = value
        return
    if old >= minimum:
        work.final = old
        return
    binding = table.bindings[crossing_resource(work, usage, initial)]
    work.final = 0.0
    work.stop = binding.reason
    work.details = binding.details


def crossing_resource(work: Work, usage: list[float], initial: list[float]) -> int:
    """The resource with the least room among the charger's uses."""
    return min((initial[r] - usage[r], r) for r, _ in work.uses)[1]


_SLACK = 1e-6


def _any_over(usage: list[float], initial: list[float], table: ResourceTable) -> bool:
    """Whether any hard resource is reserved beyond its capacity."""
    return any(usage[r] > initial[r] + _SLACK for r in range(len(initial)) if r != table.surplus)


def _book(work: Work, table: ResourceTable, usage: list[float], sign: float) -> None:
    """Add (or remove) one charger's reservations: max(command, what it draws) per use."""
    for resource, coefficient in work.uses:
        if resource < table.current_end:
            held = max(work.final, work.drawing[resource % 3])
        else:
            held = max(work.final * coefficient, sum(work.drawing) * table.voltage)
        usage[resource] += sign * held
