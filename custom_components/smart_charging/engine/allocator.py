"""The per-cycle allocator: how many amps each charger may draw, and why.

``allocate`` is a pure function: the same snapshot, settings, memory and ``now`` always
give the same result. One cycle:

1. per charger: mode and session rules (``intent``), the current it is trusted to draw,
   and what its car takes — idle cars keep their minimum, others are capped near what
   they draw (``vehicle``);
2. limits as shared resources, after measured non-EV load and margins (``limits``);
3. the grid round, then the PV-surplus round (``rounds``), priority class by class,
   admission at minimum current then weighted water-filling (``sharing``);
4. 1p/3p switching (``phases``);
5. cut fast / raise slowly, EV lag reservation (``smoothing``);
6. reasons and the memory for the next cycle.

In failsafe (site inputs stale or missing) steps 2-5 are replaced by ``failsafe``; the
same static fallback applies while the user has paused smart control.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
import math
from typing import Final

from .allocation import AllocationMemory, AllocationResult, ChargerAllocation, ChargerMemory
from .circuits import CircuitTree
from .cycle import Work, prepare, snapshot_maps
from .failsafe import run_failsafe
from .limits import ResourceTable, build_table, remember_reading
from .model import PhaseValues, Reason, SiteSnapshot
from .phases import decide_switches, in_switch_pause
from .rounds import grid_round, surplus_round
from .settings import AllocatorSettings
from .sharing import OWN_CAP
from .smoothing import enforce_limits, quantize, smooth
from .surplus import pv_surplus_w

ENGINE_PAUSES: Final = frozenset(
    {
        Reason.SITE_FUSE,
        Reason.CIRCUIT_LIMIT,
        Reason.PHASE_IMBALANCE,
        Reason.IMPORT_LIMIT,
        Reason.GRID_SIGNAL,
        Reason.TEMPERATURE_DERATING,
        Reason.PAUSED_FOR_PRIORITY,
        Reason.WAITING_FOR_SURPLUS,
        Reason.VEHICLE_IDLE,
    }
)
"""Pauses the engine decided on its own: a session paused for them waits its minimum off time."""


def allocate(
    snapshot: SiteSnapshot,
    settings: AllocatorSettings,
    memory: AllocationMemory,
    now: datetime,
) -> AllocationResult:
    """Decide every configured charger's current limit for this cycle.

    ``now`` must be timezone-aware (allowed windows compare against its wall clock).
    Pass the returned ``memory`` back in on the next cycle.
    """
    tree = CircuitTree.build(settings.circuits)
    memories = {m.charger_id: m for m in memory.chargers}
    maps = snapshot_maps(snapshot)
    works = [
        prepare(
            index,
            config,
            snapshot_maps=maps,
            memories=memories,
            settings=settings,
            tree=tree,
            now=now,
            meter_at=snapshot.meter_at,
        )
        for index, config in enumerate(settings.chargers)
    ]
    for work in works:
        if work.stop is None and in_switch_pause(work, settings, now):
            work.stop = Reason.PHASE_SWITCHING
        restart = work.memory.restart_after
        work.held = not work.active and restart is not None and now < restart
    limit = snapshot.external_limit
    external_w = None if limit is None else limit.effective_w(now)
    if _unmeasurable(snapshot):
        run_failsafe(works, settings, tree, snapshot, external_w)
        return _result(works, settings, now, failsafe=True, external_w=external_w)
    if snapshot.control_paused:
        run_failsafe(works, settings, tree, snapshot, external_w, paused=True)
        return _result(works, settings, now, external_w=external_w)
    surplus_w = _site_surplus(snapshot, works, settings, now)
    draws = [(w.path, w.draw) for w in works]
    table = build_table(
        settings,
        tree,
        snapshot,
        draws=draws,
        external_w=external_w,
        surplus_w=surplus_w,
        draws_now=[w.drawing for w in works],
    )
    initial = list(table.caps)
    for work in works:
        work.uses = table.uses(work.path, work.phases, work.wired)
        if _can_switch(work, settings):
            work.alt_uses = table.uses(work.path, 4 - work.phases, work.wired)
    ordered = sorted(works, key=Work.order_key)
    grid_round(ordered, table, initial, settings)
    surplus_round(ordered, table, initial, surplus_w=surplus_w, settings=settings, now=now)
    decide_switches(works, settings, now)
    smooth(works, table, settings, now)
    enforce_limits(ordered, table, initial, settings)
    for work in works:
        if work.stop is None and not work.switching:
            work.reason, work.details = _explain(work, table)
            heading = quantize(work.target, work.config.min_current_a, settings.resolution_a)
            if work.final < heading - 1e-9:
                # Still ramping up or waiting for an EV to follow: say where it is heading.
                work.details = (*work.details, ("target_a", f"{heading:.1f}"))
    headroom = PhaseValues(initial[0], initial[1], initial[2])
    return _result(
        works,
        settings,
        now,
        surplus_w=surplus_w,
        headroom=headroom,
        external_w=external_w,
    )


def _unmeasurable(snapshot: SiteSnapshot) -> bool:
    """Whether the fuse cannot be guarded: failsafe inputs, or readings that are not numbers.

    A NaN slips through every comparison; it must never read as headroom.
    """
    if snapshot.failsafe:
        return True
    values = [] if snapshot.grid_power_w is None else [snapshot.grid_power_w]
    if snapshot.phase_currents_a is not None:
        values.extend(snapshot.phase_currents_a.as_tuple())
    for circuit in snapshot.circuits:
        if circuit.currents_a is not None:
            values.extend(circuit.currents_a.as_tuple())
    return not all(math.isfinite(v) for v in values)


def _can_switch(work: Work, settings: AllocatorSettings) -> bool:
    config = work.config
    return config.can_switch_phases and config.phases == 3 and settings.site.phases == 3


def _site_surplus(
    snapshot: SiteSnapshot, works: list[Work], settings: AllocatorSettings, now: datetime
) -> float:
    """PV surplus (W) with our chargers' draw added back.

    While a change settles, a charger counts with the larger of its measured and
    commanded power, so that a meter that has already seen the change and a charger
    reading that has not yet do not look like a lost surplus.
    """
    if snapshot.grid_power_w is None:
        return 0.0
    voltage = settings.site.voltage_v
    total = pv_surplus_w(snapshot, settings.battery_priority_soc_pct) - snapshot.ev_power_w
    for work in works:
        drawn = sum(max(0.0, v) for v in work.state.currents_a.as_tuple()) * voltage
        changed = work.memory.changed_at
        settling = changed is not None and (now - changed).total_seconds() < settings.settle_time_s
        if work.known and settling:
            drawn = max(drawn, work.memory.current_a * work.phases * voltage)
        total += drawn
    return total


def _explain(work: Work, table: ResourceTable) -> tuple[Reason, tuple[tuple[str, str], ...]]:
    """Reason and details for a charger that got a current in the normal path."""
    intent = work.intent
    at_max = work.target >= intent.max_a - 1e-6
    # The car is the limit when its cap is reached; a real limit below the cap wins.
    by_car = work.vehicle_cap is not None and at_max
    second = work.surplus_binding
    if second is not None and second not in (OWN_CAP, table.surplus):
        binding = table.bindings[second]
        return binding.reason, binding.details
    if work.idle:
        return Reason.VEHICLE_IDLE, ()
    if second is not None and work.target > work.base + 1e-6:
        if work.ending:
            return Reason.SURPLUS_ENDING, ()
        if second == OWN_CAP and by_car:
            return Reason.VEHICLE_LIMITED, ()
        if second == OWN_CAP and intent.derated and at_max:
            return Reason.TEMPERATURE_DERATING, ()
        return Reason.PV_SURPLUS, ()
    if work.binding != OWN_CAP:
        binding = table.bindings[work.binding]
        return binding.reason, binding.details
    if by_car:
        return Reason.VEHICLE_LIMITED, ()
    if intent.derated and at_max:
        return Reason.TEMPERATURE_DERATING, ()
    return intent.base_reason, ()


def _result(
    works: list[Work],
    settings: AllocatorSettings,
    now: datetime,
    *,
    failsafe: bool = False,
    surplus_w: float = 0.0,
    headroom: PhaseValues | None = None,
    external_w: float | None = None,
) -> AllocationResult:
    allocations: list[ChargerAllocation] = []
    memories: list[ChargerMemory] = []
    for work in works:
        if work.switching:
            work.reason, work.details = Reason.PHASE_SWITCHING, ()
        elif work.stop is not None:
            work.reason = work.stop
        allocations.append(
            ChargerAllocation(
                work.config.id, work.final, work.out_phases, work.reason, work.details
            )
        )
        memories.append(_remember(work, settings, now))
    return AllocationResult(
        allocations=tuple(allocations),
        memory=AllocationMemory(tuple(memories)),
        failsafe=failsafe,
        surplus_w=surplus_w,
        headroom_a=headroom,
        external_limit_w=external_w,
    )


def _remember(work: Work, settings: AllocatorSettings, now: datetime) -> ChargerMemory:
    """The charger's memory after this cycle."""
    memory = work.memory
    old = memory.current_a
    changed = abs(work.final - old) > 1e-9
    pausing = work.switching or work.stop is Reason.PHASE_SWITCHING
    active = work.final > 0.0 or (pausing and memory.active)
    if active:
        restart_after = None
    elif memory.active and work.reason in ENGINE_PAUSES:
        restart_after = now + timedelta(seconds=settings.min_off_time_s)
    else:
        restart_after = memory.restart_after
    started_at = (memory.started_at if memory.active else now) if active else None
    vehicle = work.vehicle
    if work.switching:
        # The car will draw per phase differently on the other phase count: learn anew.
        vehicle = replace(vehicle, limit_a=None, limit_at=None)
    return ChargerMemory(
        charger_id=work.config.id,
        current_a=work.final,
        phases=work.out_phases,
        previous_a=old if changed else memory.previous_a,
        changed_at=now if changed else memory.changed_at,
        active=active,
        started_at=started_at,
        restart_after=restart_after,
        pause_reason=None if active else work.reason,
        surplus_since=work.surplus_since,
        deficit_since=work.deficit_since,
        phase_candidate=work.candidate,
        phase_candidate_since=work.candidate_since,
        phase_switched_at=now if work.switching else memory.phase_switched_at,
        mode=work.request.mode,
        connected=work.state.connected,
        vehicle_idle=vehicle.idle,
        quiet_since=vehicle.quiet_since,
        vehicle_limit_a=vehicle.limit_a,
        vehicle_limit_at=vehicle.limit_at,
        readings=remember_reading(memory.readings, work.state),
    )
