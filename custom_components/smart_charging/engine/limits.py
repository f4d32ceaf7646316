"""The cycle's limits as a table of shared resources with remaining capacities.

Each resource is one linear constraint on the chargers' currents: one phase of the main
fuse or of a circuit (A), the unbalanced-load allowance of one phase (A, single-phase loads
only), the maximum import (W), the external grid signal (W) and the PV surplus (W). A
charger *uses* a resource with a coefficient: 1 per phase it loads for current limits,
its phase count times the voltage for power limits.

Capacities already deduct the measured non-EV load: the measured load minus the part of it
that our chargers are trusted to draw (see ``trusted_draw``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from .allocation import ChargerMemory, Details
from .circuits import SITE_NODE, CircuitTree
from .model import (
    ALL_PHASES,
    ChargerState,
    CircuitState,
    Phase,
    PhaseValues,
    Reason,
    SiteSnapshot,
)
from .settings import AllocatorSettings

PHASE_INDEX: Final[dict[Phase, int]] = {Phase.L1: 0, Phase.L2: 1, Phase.L3: 2}
Uses = tuple[tuple[int, float], ...]
Draw = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Binding:
    """The reason and details reported when a resource is what limits a charger."""

    reason: Reason
    details: Details = ()


READINGS_KEPT: Final = 4
"""A charger's reported currents remembered (with their times) for ``seen_by_meter``."""


def seen_by_meter(
    state: ChargerState, memory: ChargerMemory | None, meter_at: datetime | None
) -> PhaseValues:
    """A charger's currents as the grid meter saw them, per site phase.

    The meter and the charger report at different moments. A charger reading newer than
    the meter's shows a change the meter has not seen yet: subtracting a rise from the
    meter's figure would make the house load look smaller than it is (phantom headroom,
    for as long as the meter takes to report). So for a reading newer than the meter, the
    reading in force when the meter reported counts (the newest remembered one at or
    before it; the lowest remembered one if all are newer), and never more than the
    current reading, in case the car has come down since. Without times the current
    reading counts. A reading older than the meter's can only understate what the car
    draws now, which errs on the safe side (more house load).
    """
    current = state.currents_a
    if meter_at is None or state.measured_at is None or state.measured_at <= meter_at:
        return current
    history = () if memory is None else memory.readings
    older = [values for at, values in history if at <= meter_at]
    if older:
        seen = older[-1]
    elif history:
        seen = PhaseValues.from_fn(lambda p: min(values[p] for _at, values in history))
    else:
        return current
    return PhaseValues.from_fn(lambda p: min(current[p], seen[p]))


def remember_reading(
    readings: tuple[tuple[datetime, PhaseValues], ...], state: ChargerState
) -> tuple[tuple[datetime, PhaseValues], ...]:
    """The remembered readings after this cycle: the current one added once."""
    at = state.measured_at
    if at is None or (readings and readings[-1][0] == at):
        return readings
    if readings and readings[-1][0] > at:  # the clock stepped back: start afresh
        return ((at, state.currents_a),)
    return (*readings, (at, state.currents_a))[-READINGS_KEPT:]


def trusted_draw(
    state: ChargerState,
    memory: ChargerMemory | None,
    *,
    phases: int,
    wired: Phase,
    max_current_a: float,
    settle_time_s: float,
    now: datetime,
    meter_at: datetime | None = None,
) -> Draw:
    """The part of a charger's measured current that may be subtracted from the site load.

    The current is taken as the meter saw it (``seen_by_meter``). A charger cannot draw
    more than it was commanded (the higher of the last two commands while the EV may
    still be following a change), so a stale, higher report does not turn into imaginary
    headroom; anything above that counts as non-EV load. A single-phase charger's current
    is attributed to its wired phase whatever slot it was reported in.
    """
    if memory is None:
        upper = max_current_a
    elif memory.changed_at is not None and _seconds(now, memory.changed_at) < settle_time_s:
        upper = max(memory.current_a, memory.previous_a)
    else:
        upper = memory.current_a
    measured = seen_by_meter(state, memory, meter_at)
    if phases == 1:
        total = sum(max(0.0, v) for v in measured.as_tuple())
        values = [0.0, 0.0, 0.0]
        values[PHASE_INDEX[wired]] = min(total, upper)
        return (values[0], values[1], values[2])
    l1, l2, l3 = (min(max(0.0, v), upper) for v in measured.as_tuple())
    return (l1, l2, l3)


class ResourceTable:
    """Remaining capacity and binding label of every resource in one cycle."""

    __slots__ = (
        "bindings",
        "caps",
        "current_end",
        "external",
        "imbalance",
        "import_",
        "surplus",
        "voltage",
    )

    def __init__(self, voltage: float) -> None:
        """Start an empty table."""
        self.caps: list[float] = []
        self.bindings: list[Binding] = []
        self.voltage = voltage
        self.imbalance: int | None = None
        self.import_: int | None = None
        self.external: int | None = None
        self.surplus = -1
        self.current_end = 0

    def add(self, capacity: float, binding: Binding) -> int:
        """Append a resource and return its index."""
        self.caps.append(capacity)
        self.bindings.append(binding)
        return len(self.caps) - 1

    def uses(self, path: tuple[int, ...], phases: int, wired: Phase) -> Uses:
        """The resources a charger on ``path`` loads in a given phase configuration."""
        indices = (0, 1, 2) if phases == 3 else (PHASE_INDEX[wired],)
        items = [(3 * node + p, 1.0) for node in path for p in indices]
        if phases == 1 and self.imbalance is not None:
            items.append((self.imbalance + indices[0], 1.0))
        power = phases * self.voltage
        if self.import_ is not None:
            items.append((self.import_, power))
        if self.external is not None:
            items.append((self.external, power))
        return tuple(items)

    def surplus_use(self, phases: int) -> tuple[int, float]:
        """The PV-surplus resource as used by a charger on ``phases`` phases."""
        return (self.surplus, phases * self.voltage)


def build_table(
    settings: AllocatorSettings,
    tree: CircuitTree,
    snapshot: SiteSnapshot,
    *,
    draws: list[tuple[tuple[int, ...], Draw]],
    external_w: float | None,
    surplus_w: float,
    draws_now: list[Draw] | None = None,
) -> ResourceTable:
    """Build the cycle's resources from the layout, the readings and the trusted draws.

    ``draws`` are the chargers' currents as the meter saw them; ``draws_now`` (default: the
    same) as they draw now. The unbalanced-load room grows with the load on the *other*
    phases, so there the lower of the two estimates of that load counts.
    """
    site = settings.site
    table = ResourceTable(site.voltage_v)
    node_draw = [[0.0, 0.0, 0.0] for _ in range(tree.node_count)]
    for path, draw in draws:
        for node in path:
            totals = node_draw[node]
            for p in range(3):
                totals[p] += draw[p]
    site_load = _site_non_ev(snapshot, settings, node_draw[SITE_NODE])
    for phase in ALL_PHASES:
        active = phase in site.active_phases
        room = site.fuse_a - settings.margin_a - site_load[PHASE_INDEX[phase]]
        table.add(room if active else 0.0, Binding(Reason.SITE_FUSE, (("phase", phase.value),)))
    readings = {c.id: c for c in snapshot.circuits}
    for node in range(1, tree.node_count):
        _add_circuit(table, settings, tree, node=node, readings=readings, ev=node_draw[node])
    if settings.unbalance_limit_a is not None and site.phases == 3:
        table.imbalance = len(table.caps)
        now_total = [0.0, 0.0, 0.0]
        for draw in draws_now if draws_now is not None else [d for _path, d in draws]:
            for p in range(3):
                now_total[p] += draw[p]
        site_low = _site_non_ev(snapshot, settings, now_total)
        for p, phase in enumerate(ALL_PHASES):
            others = min(min(site_load[q], site_low[q]) for q in range(3) if q != p)
            room = max(0.0, settings.unbalance_limit_a + others - site_load[p])
            table.add(room, Binding(Reason.PHASE_IMBALANCE, (("phase", phase.value),)))
    table.current_end = len(table.caps)
    import_w = _import_non_ev(snapshot, site.voltage_v, sum(node_draw[SITE_NODE]))
    if site.max_import_w is not None and import_w is not None:
        table.import_ = table.add(
            site.max_import_w - settings.margin_w - import_w, Binding(Reason.IMPORT_LIMIT)
        )
    if external_w is not None:
        table.external = table.add(external_w, Binding(Reason.GRID_SIGNAL))
    table.surplus = table.add(max(0.0, surplus_w), Binding(Reason.PV_SURPLUS))
    return table


def _site_non_ev(
    snapshot: SiteSnapshot, settings: AllocatorSettings, ev: list[float]
) -> tuple[float, float, float]:
    """Non-EV load per phase at the main fuse (never negative; export is no headroom)."""
    site = settings.site
    if snapshot.phase_currents_a is not None:
        measured = snapshot.phase_currents_a.as_tuple()
        values = [max(0.0, max(0.0, measured[p]) - ev[p]) for p in range(3)]
    else:
        grid_w = snapshot.grid_power_w if snapshot.grid_power_w is not None else 0.0
        rest_w = grid_w - sum(ev) * site.voltage_v
        per_phase = max(0.0, rest_w / (site.phases * site.voltage_v))
        values = [per_phase] * 3
    active = site.active_phases
    l1, l2, l3 = (
        v if phase in active else 0.0 for v, phase in zip(values, ALL_PHASES, strict=True)
    )
    return (l1, l2, l3)


def _import_non_ev(snapshot: SiteSnapshot, voltage: float, ev_a: float) -> float | None:
    """Import power not drawn by our chargers (W); export counts against it."""
    if snapshot.grid_power_w is not None:
        grid_w = snapshot.grid_power_w
    elif snapshot.phase_currents_a is not None:
        grid_w = sum(abs(v) for v in snapshot.phase_currents_a.as_tuple()) * voltage
    else:
        return None
    return grid_w - ev_a * voltage


def _add_circuit(
    table: ResourceTable,
    settings: AllocatorSettings,
    tree: CircuitTree,
    *,
    node: int,
    readings: dict[str, CircuitState],
    ev: list[float],
) -> None:
    circuit = tree.circuit(node)
    reading = readings.get(circuit.id)
    factor = 1.0
    if circuit.derating is not None:
        factor = circuit.derating.factor(None if reading is None else reading.temperature_c)
    limit = circuit.limit_a * factor
    currents = None if reading is None else reading.currents_a
    reason = Reason.TEMPERATURE_DERATING if factor < 1.0 else Reason.CIRCUIT_LIMIT
    active = settings.site.active_phases
    for p, phase in enumerate(ALL_PHASES):
        room = limit
        if currents is not None:
            non_ev = max(0.0, max(0.0, currents[phase]) - ev[p])
            room = limit - settings.margin_a - non_ev
        details = (("circuit", circuit.id), ("phase", phase.value))
        table.add(room if phase in active else 0.0, Binding(reason, details))


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()
