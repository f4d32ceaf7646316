"""Sharing capacity among chargers: admission at minimum current, then water-filling.

``water_fill`` is weighted progressive filling over many shared linear constraints. Every
claim rises from its floor at the speed of its weight (``value = weight * level``, never
below the floor, never above the cap); when a resource runs out, every claim that uses it
freezes and remembers that resource as its binding constraint. The sweep jumps from event
to event (a claim starts rising, reaches its cap, or a resource saturates), so the cost is
about ``(claims * resources per claim) * log`` rather than a fixed-step search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import heapq
from typing import Final

from .limits import Uses

OWN_CAP: Final = -1
"""Binding index of a claim that stopped at its own cap rather than at a shared limit."""

TOLERANCE: Final = 1e-9
_INFINITY: Final = float("inf")
_WAITING: Final = 0
_RISING: Final = 1
_FROZEN: Final = 2


@dataclass(frozen=True, slots=True)
class Claim:
    """One charger's share request: start at ``floor``, rise with ``weight`` up to ``cap``."""

    floor: float
    cap: float
    weight: float
    uses: Uses


def first_violation(uses: Uses, amount: float, caps: list[float]) -> int:
    """Index of the first resource that cannot carry ``amount`` more, or ``OWN_CAP`` if all can."""
    for resource, coefficient in uses:
        if coefficient * amount > caps[resource] + TOLERANCE:
            return resource
    return OWN_CAP


def consume(uses: Uses, amount: float, caps: list[float]) -> None:
    """Take ``amount`` (per use coefficient) out of every resource in ``uses``."""
    for resource, coefficient in uses:
        caps[resource] -= coefficient * amount


def room(uses: Uses, caps: list[float]) -> float:
    """The most a claim with ``uses`` could still get from the remaining capacities."""
    best = float("inf")
    for resource, coefficient in uses:
        best = min(best, max(0.0, caps[resource]) / coefficient)
    return best


class _Sweep:
    """Mutable state of one water-filling sweep: per resource, how fast it fills.

    A resource's usage grows linearly between events: ``used`` at level ``stamp``, plus
    ``slope`` per unit of level. Deltas of one batch of events are collected first and
    applied once per resource, so many identical claims cost one heap push each.
    """

    __slots__ = (
        "caps",
        "count",
        "delta",
        "delta_count",
        "heap",
        "saturated",
        "slope",
        "stamp",
        "touched",
        "used",
        "version",
    )

    def __init__(self, caps: list[float]) -> None:
        size = len(caps)
        self.caps = caps
        self.used = [0.0] * size
        self.slope = [0.0] * size
        self.count = [0] * size
        self.stamp = [0.0] * size
        self.version = [0] * size
        self.saturated = [False] * size
        self.delta = [0.0] * size
        self.delta_count = [0] * size
        self.touched: list[int] = []
        self.heap: list[tuple[float, int, int]] = []

    def shift(self, uses: Uses, weight: float, sign: int) -> None:
        """Record that a claim starts (+1) or stops (-1) rising."""
        delta, delta_count, touched = self.delta, self.delta_count, self.touched
        for resource, coefficient in uses:
            if delta_count[resource] == 0 and delta[resource] == 0.0:
                touched.append(resource)
            delta[resource] += sign * coefficient * weight
            delta_count[resource] += sign

    def apply(self, level: float) -> None:
        """Apply the recorded changes at ``level`` and reschedule the touched resources."""
        used, slope, count, stamp, version = (
            self.used,
            self.slope,
            self.count,
            self.stamp,
            self.version,
        )
        for resource in self.touched:
            used[resource] += slope[resource] * (level - stamp[resource])
            stamp[resource] = level
            count[resource] += self.delta_count[resource]
            rate = slope[resource] + self.delta[resource] if count[resource] > 0 else 0.0
            slope[resource] = rate
            self.delta[resource] = 0.0
            self.delta_count[resource] = 0
            version[resource] += 1
            if rate > 0.0 and not self.saturated[resource]:
                left = max(0.0, self.caps[resource] - used[resource])
                heapq.heappush(self.heap, (level + left / rate, version[resource], resource))
        self.touched.clear()

    def next_saturation(self) -> tuple[float, int]:
        """Level and index of the next resource to run out, or (inf, OWN_CAP)."""
        heap = self.heap
        while heap:
            level, version, resource = heap[0]
            if version == self.version[resource] and not self.saturated[resource]:
                return level, resource
            heapq.heappop(heap)
        return _INFINITY, OWN_CAP


def water_fill(claims: Sequence[Claim], caps: list[float]) -> list[tuple[float, int]]:
    """Share ``caps`` among ``claims`` fairly; return (value, binding) per claim.

    Floors must already fit (they are not deducted here); the increments above the floors
    are deducted from ``caps`` in place, so that a later call sees what is left.
    """
    values = [c.floor for c in claims]
    bound = [OWN_CAP] * len(claims)
    state = [_WAITING] * len(claims)
    sweep = _Sweep(caps)
    users: dict[int, list[int]] = {}
    events: list[tuple[float, int, int]] = []
    for i, claim in enumerate(claims):
        if claim.cap <= claim.floor + TOLERANCE:
            state[i] = _FROZEN
            continue
        for resource, _ in claim.uses:
            users.setdefault(resource, []).append(i)
        events.append((claim.floor / claim.weight, 0, i))
        events.append((claim.cap / claim.weight, 1, i))
    events.sort()
    position, total = 0, len(events)
    while True:
        next_event = events[position][0] if position < total else _INFINITY
        level, resource = sweep.next_saturation()
        if next_event == _INFINITY and resource == OWN_CAP:
            break
        if next_event <= level:
            level = next_event
            while position < total and events[position][0] <= level:
                _, kind, i = events[position]
                position += 1
                claim = claims[i]
                if state[i] == _WAITING and kind == 0:
                    state[i] = _RISING
                    sweep.shift(claim.uses, claim.weight, 1)
                elif state[i] == _RISING and kind == 1:
                    state[i] = _FROZEN
                    values[i] = claim.cap
                    sweep.shift(claim.uses, claim.weight, -1)
        else:
            sweep.saturated[resource] = True
            for i in users[resource]:
                if state[i] == _RISING:
                    claim = claims[i]
                    values[i] = min(claim.cap, max(claim.floor, claim.weight * level))
                    sweep.shift(claim.uses, claim.weight, -1)
                if state[i] != _FROZEN:
                    state[i] = _FROZEN
                    bound[i] = resource
        sweep.apply(level)
    for claim, value in zip(claims, values, strict=True):
        consume(claim.uses, value - claim.floor, caps)
    return list(zip(values, bound, strict=True))
