"""What the circuits below the main fuse allow each planned charger, for the planner.

The planner shares the *site's* capacity among the chargers; the circuits below the main
fuse are enforced by the allocator each cycle. A plan that counts on more power than a
charger's circuit carries while the other cars on it charge too promises energy the
allocator cannot deliver, and targets are missed.

So each planned charger's power is capped at its share of every circuit on its path: the
circuit's limit on a phase, divided equally among the chargers with a car plugged in that
load that phase through the circuit (planned or not: a car in ``fast`` takes its share
too). The share is never below the charger's minimum current (a circuit too small for all
of them at once makes them take turns, which the allocator does; the plan then assumes
they charge together). An empty charger takes no share.

Limits of this bound: the share is the same in every slot (two cars with different
deadlines cannot plan to use the whole circuit one after the other), a car that is full
but still plugged in keeps its share, and the circuit's margin and temperature derating
are left out; the allocator enforces the real limits each cycle.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import replace

from .circuits import SITE_NODE, CircuitTree
from .model import ALL_PHASES, ChargerConfig, Phase
from .plan_model import ChargeNeed
from .settings import AllocatorSettings


def _phases(config: ChargerConfig, site_phases: int) -> tuple[Phase, ...]:
    """The site phases a charger loads (its configured wiring)."""
    if site_phases == 1:
        return (Phase.L1,)
    return ALL_PHASES if config.phases == 3 else (config.phase,)


def circuit_power_caps(settings: AllocatorSettings, plugged: Collection[str]) -> dict[str, float]:
    """The power cap in kW of each charger in ``plugged`` (its maximum where none binds)."""
    tree = CircuitTree.build(settings.circuits)
    site = settings.site
    configs = [c for c in settings.chargers if c.id in plugged]
    sharing: Counter[tuple[int, Phase]] = Counter()
    for config in configs:
        for node in tree.path(config.circuit_id):
            if node != SITE_NODE:
                sharing.update((node, p) for p in _phases(config, site.phases))
    caps: dict[str, float] = {}
    for config in configs:
        amps = config.max_current_a
        for node in tree.path(config.circuit_id):
            if node == SITE_NODE:
                continue
            limit = tree.circuit(node).limit_a
            for phase in _phases(config, site.phases):
                amps = min(amps, limit / sharing[node, phase])
        amps = max(amps, config.min_current_a)
        caps[config.id] = amps * config.phases * site.voltage_v / 1000
    return caps


def within_circuits(
    settings: AllocatorSettings, needs: Sequence[ChargeNeed], plugged: Collection[str]
) -> list[ChargeNeed]:
    """The needs with each maximum power capped at the charger's circuit share.

    ``plugged`` names the chargers with a car connected (the needs' chargers among them).
    """
    caps = circuit_power_caps(settings, {*plugged, *(n.charger_id for n in needs)})
    return [replace(n, max_power_kw=min(n.max_power_kw, caps[n.charger_id])) for n in needs]
