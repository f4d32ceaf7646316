"""Per-charger working state of one allocation cycle, and how it is set up."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from .allocation import ChargerMemory, Details
from .circuits import CircuitTree
from .intent import Intent, evaluate
from .limits import Draw, Uses, trusted_draw
from .model import (
    ChargerConfig,
    ChargerMode,
    ChargerRequest,
    ChargerState,
    Phase,
    Reason,
    SiteSnapshot,
)
from .settings import AllocatorSettings
from .sharing import OWN_CAP
from .vehicle import NOTHING_KNOWN, VehicleWatch, observe, restrain


@dataclass(slots=True)
class Work:
    """Mutable bookkeeping for one charger during one cycle (never leaves the engine)."""

    # What the cycle starts from.
    index: int
    config: ChargerConfig
    state: ChargerState
    request: ChargerRequest
    memory: ChargerMemory
    known: bool  # the charger has memory from an earlier cycle
    commanded_phases: int  # phases the charger is set to
    phases: int  # phases the vehicle loads (1 for a 1p-only car on a 3p charger)
    wired: Phase  # site phase used when on one phase
    path: tuple[int, ...]  # circuit nodes up to the main fuse
    draw: Draw  # trusted current per site phase as the meter saw it (limits.trusted_draw)
    drawing: Draw  # the same by the charger's latest reading: what it draws now
    intent: Intent  # capped at what the car takes (see vehicle)
    vehicle: VehicleWatch  # what is known about the car (idle, limited)
    vehicle_cap: float | None = None  # the cap applied to the intent, if any
    # Sharing: why it is paused (stop), what it may load, what it gets and what bound it.
    stop: Reason | None = None
    held: bool = False  # waiting out its minimum off time
    uses: Uses = ()
    alt_uses: Uses = ()  # uses in the other phase configuration (switchable chargers)
    base: float = 0.0  # grid-round share
    target: float = 0.0  # share after both rounds
    binding: int = OWN_CAP  # resource that froze the grid-round share
    surplus_binding: int | None = None  # resource that froze the surplus-round share
    reason: Reason = Reason.FAST
    details: Details = ()
    # PV hysteresis.
    ending: bool = False  # running on although the surplus is short (disable delay)
    surplus_since: datetime | None = None
    deficit_since: datetime | None = None
    # Phase switching: what the charger could get in either configuration at its turn.
    assessed: bool = False
    room_now: float = 0.0
    room_alt: float = 0.0
    offer_w: float | None = None  # surplus offered to it (surplus modes only)
    switching: bool = False
    out_phases: int = 3
    candidate: int | None = None
    candidate_since: datetime | None = None
    # The command.
    final: float = 0.0
    raised: bool = False
    holding: bool = False  # kept above its target inside the deadband

    @property
    def active(self) -> bool:
        """Whether a session was running at the end of the previous cycle."""
        return self.memory.active

    @property
    def idle(self) -> bool:
        """Whether the car takes no energy (it keeps only its minimum)."""
        return self.vehicle.idle

    def order_key(self) -> tuple[int, int, int, float, int]:
        """Sort key: priority, drawing before idle cars, running before new, seniority.

        An idle car is served after the cars of its class that draw, so that its
        reservation never keeps one of them from starting.
        """
        started = self.memory.started_at
        seniority = started.timestamp() if self.active and started is not None else 0.0
        activity = 0 if self.active else 1
        return (-self.config.priority, int(self.idle), activity, seniority, self.index)


def prepare(
    index: int,
    config: ChargerConfig,
    *,
    snapshot_maps: tuple[dict[str, ChargerState], dict[str, ChargerRequest]],
    memories: dict[str, ChargerMemory],
    settings: AllocatorSettings,
    tree: CircuitTree,
    now: datetime,
    meter_at: datetime | None = None,
) -> Work:
    """Gather everything the cycle needs about one charger."""
    states, requests = snapshot_maps
    state = states.get(config.id) or ChargerState(config.id)
    request = requests.get(config.id) or ChargerRequest(config.id)
    known = config.id in memories
    memory = memories.get(config.id) or ChargerMemory(config.id, phases=config.phases)
    memory = _forget_on_user_change(memory, state, request)
    site_phases = settings.site.phases
    if site_phases == 1:
        commanded, wired = 1, Phase.L1
    elif config.phases == 1:
        commanded, wired = 1, config.phase
    elif config.can_switch_phases and memory.phases in (1, 3) and known:
        commanded, wired = memory.phases, config.phase
    else:
        commanded, wired = 3, config.phase
    phases = 1 if state.active_phases == 1 else commanded
    trusted = partial(
        trusted_draw,
        state,
        memory if known else None,
        phases=phases,
        wired=wired,
        max_current_a=config.max_current_a,
        settle_time_s=settings.settle_time_s,
        now=now,
    )
    drawing = trusted()
    if not known and max(drawing) >= config.min_current_a:
        # First sight of a charger that is already charging (e.g. after a restart):
        # treat it as the running session it is, not as a new start.
        memory = replace(memory, current_a=max(drawing), active=True)
    vehicle = (
        observe(config, state, memory, drawn=max(drawing), settings=settings, now=now)
        if known
        else NOTHING_KNOWN
    )
    intent = evaluate(config, state, request, now, phases=phases, voltage_v=settings.site.voltage_v)
    intent, cap = restrain(intent, vehicle, config.min_current_a)
    return Work(
        index=index,
        config=config,
        state=state,
        request=request,
        memory=memory,
        known=known,
        commanded_phases=commanded,
        phases=phases,
        wired=wired,
        path=tree.path(config.circuit_id),
        draw=trusted(meter_at=meter_at),
        drawing=drawing,
        intent=intent,
        vehicle=vehicle,
        vehicle_cap=cap,
        stop=intent.stop,
        out_phases=commanded,
    )


def snapshot_maps(
    snapshot: SiteSnapshot,
) -> tuple[dict[str, ChargerState], dict[str, ChargerRequest]]:
    """Index the snapshot's charger readings and requests by charger id."""
    return (
        {s.id: s for s in snapshot.chargers},
        {r.charger_id: r for r in snapshot.requests},
    )


def _forget_on_user_change(
    memory: ChargerMemory, state: ChargerState, request: ChargerRequest
) -> ChargerMemory:
    """A new mode or a plug event ends hold-offs, timers and what was learnt of the car."""
    mode_changed = memory.mode is not None and memory.mode is not request.mode
    plug_changed = memory.mode is not None and memory.connected != state.connected
    if not (mode_changed or plug_changed):
        return memory
    return replace(
        memory,
        restart_after=None,
        surplus_since=None,
        deficit_since=None,
        phase_candidate=None,
        phase_candidate_since=None,
        vehicle_idle=False,
        quiet_since=None,
        vehicle_limit_a=None,
        vehicle_limit_at=None,
        active=memory.active and state.connected and request.mode is not ChargerMode.OFF,
    )
