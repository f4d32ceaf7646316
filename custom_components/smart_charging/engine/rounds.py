"""The two sharing rounds of a cycle: grid entitlements first, then PV surplus.

Within each round, chargers are served by priority class (highest first). Inside a class,
every charger that fits its minimum current is admitted in order (running sessions before
new ones, so two chargers do not take turns), then the class shares what is left by
weighted water-filling. A lower class only sees what the higher ones left.

An idle car (see ``vehicle``) keeps its minimum of every hard limit, but takes nothing
from the PV surplus: it draws none of it, and if it wakes up the next cycle shares anew.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import groupby

from .cycle import Work
from .limits import ResourceTable
from .model import Reason
from .settings import AllocatorSettings
from .sharing import OWN_CAP, Claim, consume, first_violation, room, water_fill


def by_priority(ordered: Sequence[Work]) -> Iterator[list[Work]]:
    """Split chargers (already in serving order) into priority classes."""
    for _, group in groupby(ordered, key=lambda w: w.config.priority):
        yield list(group)


def grid_round(
    ordered: Sequence[Work],
    table: ResourceTable,
    initial: list[float],
    settings: AllocatorSettings,
) -> None:
    """Serve the grid entitlements (``fast``, ``min_pv`` minimum, ``smart`` plan)."""
    for group in by_priority(ordered):
        members: list[Work] = []
        claims: list[Claim] = []
        class_start = list(table.caps)
        for work in group:
            if work.stop is not None or work.intent.base_a <= 0.0:
                continue
            record_rooms(work, table.caps)
            if _admit(work, table, (initial, class_start), settings):
                members.append(work)
                claims.append(
                    Claim(
                        work.config.min_current_a,
                        work.intent.base_a,
                        work.config.weight,
                        work.uses,
                    )
                )
        for work, (value, bound) in zip(members, water_fill(claims, table.caps), strict=True):
            work.base = work.target = value
            work.binding = bound


def surplus_round(
    ordered: Sequence[Work],
    table: ResourceTable,
    initial: list[float],
    *,
    surplus_w: float,
    settings: AllocatorSettings,
    now: datetime,
) -> None:
    """Hand out PV surplus on top, with enable/disable hysteresis for surplus-only starts."""
    voltage = settings.site.voltage_v
    left = surplus_w - sum(w.base * w.phases * voltage for w in ordered if not w.idle)
    for group in by_priority(ordered):
        members: list[Work] = []
        claims: list[Claim] = []
        class_start = list(table.caps)
        for work in group:
            if work.stop is not None or not work.intent.surplus:
                continue
            power = work.phases * voltage
            if work.base <= 0.0:
                record_rooms(work, table.caps)
                work.offer_w = left
                if not _pv_gate(work, left, work.config.min_current_a * power, settings, now):
                    work.stop = work.intent.idle_reason
                    continue
                if not _admit(work, table, (initial, class_start), settings):
                    continue
                if not work.idle:
                    left -= work.config.min_current_a * power
            else:
                work.offer_w = left + work.base * power
            floor = max(work.base, work.config.min_current_a)
            members.append(work)
            claims.append(
                Claim(
                    floor,
                    max(work.intent.max_a, floor),
                    work.config.weight,
                    (*work.uses, table.surplus_use(work.phases)),
                )
            )
        table.caps[table.surplus] = available = max(0.0, left)
        shares = water_fill(claims, table.caps)
        left -= available - table.caps[table.surplus]
        for work, (value, bound) in zip(members, shares, strict=True):
            work.target = value
            work.surplus_binding = bound


def record_rooms(work: Work, caps: list[float]) -> None:
    """Note what a switchable charger could get at its turn, in both phase configurations."""
    if work.alt_uses:
        work.assessed = True
        work.room_now = room(work.uses, caps)
        work.room_alt = room(work.alt_uses, caps)


def _admit(
    work: Work,
    table: ResourceTable,
    earlier: tuple[list[float], list[float]],
    settings: AllocatorSettings,
) -> bool:
    """Reserve the minimum current for a charger, or record why it must pause.

    ``earlier`` holds the capacities at the start of the cycle and at the start of the
    charger's priority class. A limit it does not fit even alone is its reason; capacity
    taken by a higher class is ``paused_for_priority``; capacity taken by chargers of its
    own class is the binding limit itself (they share it, nobody was preferred).
    """
    if work.held:
        _hold_back(work)
        return False
    need = work.config.min_current_a
    start = 0.0 if work.active else settings.start_hysteresis_a
    violated = first_violation(work.uses, need + start, table.caps)
    if violated != OWN_CAP:
        initial, class_start = earlier
        alone = first_violation(work.uses, need + start, initial)
        in_class = first_violation(work.uses, need + start, class_start)
        binding = table.bindings[violated if alone == OWN_CAP else alone]
        if alone != OWN_CAP or (in_class == OWN_CAP and not work.idle):
            work.stop = binding.reason
        else:
            work.stop = Reason.VEHICLE_IDLE if work.idle else Reason.PAUSED_FOR_PRIORITY
        work.details = binding.details
        return False
    consume(work.uses, need, table.caps)
    return True


def _hold_back(work: Work) -> None:
    """A paused session waits out its minimum off time, keeping its last reason."""
    until = work.memory.restart_after
    work.stop = work.memory.pause_reason or Reason.PAUSED_FOR_PRIORITY
    work.details = () if until is None else (("until", until.isoformat()),)


def _pv_gate(
    work: Work,
    available_w: float,
    need_w: float,
    settings: AllocatorSettings,
    now: datetime,
) -> bool:
    """Enable/disable hysteresis of a surplus-only charger; True when it may run."""
    memory = work.memory
    if work.active:
        if available_w >= need_w - settings.pv_disable_threshold_w:
            return True
        since = memory.deficit_since or now
        long_enough = _elapsed(now, memory.started_at) >= settings.min_on_time_s
        if _elapsed(now, since) >= settings.pv_disable_delay_s and long_enough:
            return False
        work.deficit_since = since
        work.ending = True
        return True
    if available_w < need_w + settings.pv_enable_threshold_w:
        return False
    since = memory.surplus_since or now
    work.surplus_since = since
    return _elapsed(now, since) >= settings.pv_enable_delay_s


def _elapsed(now: datetime, since: datetime | None) -> float:
    """Seconds since ``since``; a moment never recorded counts as long ago."""
    return float("inf") if since is None else (now - since).total_seconds()
