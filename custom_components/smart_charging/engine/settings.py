"""The allocator's configuration: the site's layout and the control-loop tunables.

Defaults follow the field practice recorded in REFERENCE.md: PV enable after 1 min of
enough surplus, disable after 3 min of too little, a 0.5 A deadband, raises only after the
EV has had time to follow the previous change.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import ChargerConfig, CircuitConfig, SiteConfig


@dataclass(frozen=True, slots=True)
class AllocatorSettings:
    """Everything the allocator needs that changes only when the user edits settings.

    Current margins (``margin_a``) apply to the main fuse and to circuits that have a
    meter: those are limits judged against a measured load. A circuit without a meter
    feeds only our chargers, whose commands are exact, so it gets its full limit.
    ``margin_w`` applies to the maximum import power.
    ``unbalance_limit_a`` caps the difference between the loads of any two phases.

    The vehicle behind a charger (see ``vehicle``): a car offered current that draws less
    than ``idle_threshold_a`` on every phase (and is not reported charging) for
    ``settle_time_s + idle_delay_s`` is *idle* and keeps only its minimum; a car that
    settles well below its offer is capped at what it draws plus ``vehicle_headroom_a``,
    and that cap is raised by the same step every ``vehicle_probe_interval_s``.
    None switches either behaviour off.
    """

    site: SiteConfig
    chargers: tuple[ChargerConfig, ...] = ()
    circuits: tuple[CircuitConfig, ...] = ()
    margin_a: float = 2.0
    margin_w: float = 0.0
    unbalance_limit_a: float | None = None
    deadband_a: float = 0.5
    ramp_up_a: float | None = 4.0
    settle_time_s: float = 15.0
    start_hysteresis_a: float = 1.0
    pv_enable_threshold_w: float = 0.0
    pv_disable_threshold_w: float = 0.0
    pv_enable_delay_s: float = 60.0
    pv_disable_delay_s: float = 180.0
    min_on_time_s: float = 60.0
    min_off_time_s: float = 120.0
    phase_up_delay_s: float = 60.0
    phase_down_delay_s: float = 180.0
    phase_switch_pause_s: float = 30.0
    phase_switch_interval_s: float = 300.0
    battery_priority_soc_pct: float | None = None
    resolution_a: float = 0.1
    idle_delay_s: float | None = 60.0
    idle_threshold_a: float = 1.0
    vehicle_headroom_a: float | None = 2.0
    vehicle_probe_interval_s: float = 300.0

    def __post_init__(self) -> None:
        """Reject layouts that the allocator cannot evaluate."""
        _check_unique("charger", [c.id for c in self.chargers])
        _check_unique("circuit", [c.id for c in self.circuits])
        parents = {c.id: c.parent_id for c in self.circuits}
        for circuit in self.circuits:
            _check_ancestry(circuit.id, parents)
        for charger in self.chargers:
            if charger.circuit_id is not None and charger.circuit_id not in parents:
                raise ValueError(f"charger {charger.id}: unknown circuit {charger.circuit_id!r}")
        if self.resolution_a <= 0.0:
            raise ValueError("resolution must be positive")
        if self.idle_delay_s is not None and self.idle_delay_s < 0.0:
            raise ValueError("idle delay must not be negative")
        if self.idle_threshold_a < 0.0:
            raise ValueError("idle threshold must not be negative")
        if self.vehicle_headroom_a is not None and self.vehicle_headroom_a <= 0.0:
            raise ValueError("vehicle headroom must be positive")
        if self.vehicle_probe_interval_s <= 0.0:
            raise ValueError("vehicle probe interval must be positive")


def _check_unique(kind: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"duplicate {kind} id {item!r}")
        seen.add(item)


def _check_ancestry(circuit_id: str, parents: dict[str, str | None]) -> None:
    """Walk from a circuit to the main fuse; fail on unknown parents and cycles."""
    visited = [circuit_id]
    parent = parents[circuit_id]
    while parent is not None:
        if parent not in parents:
            raise ValueError(f"circuit {visited[-1]}: unknown parent {parent!r}")
        if parent in visited:
            raise ValueError(f"circuit {circuit_id}: parents form a cycle")
        visited.append(parent)
        parent = parents[parent]
