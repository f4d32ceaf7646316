"""Site-level figures derived from a snapshot: grid import, phase load, headroom, PV surplus.

Sign conventions are resolved at the edge (``normalize_grid_power``,
``normalize_battery_power``); everything inside the engine uses import-positive grid power
and charge-positive battery power.
"""

from __future__ import annotations

from .model import (
    BatterySignConvention,
    PhaseValues,
    SignConvention,
    SiteConfig,
    SiteSnapshot,
)
from .units import watts_to_amps


def normalize_grid_power(value_w: float, convention: SignConvention) -> float:
    """Return grid power as import-positive watts."""
    return value_w if convention is SignConvention.IMPORT_POSITIVE else -value_w


def normalize_battery_power(value_w: float, convention: BatterySignConvention) -> float:
    """Return home battery power as charge-positive watts."""
    return value_w if convention is BatterySignConvention.CHARGE_POSITIVE else -value_w


def phase_load_a(snapshot: SiteSnapshot, config: SiteConfig) -> PhaseValues | None:
    """Current flowing through the main fuse on each phase, or None when unknown.

    Per-phase current sensors are used when present. Otherwise the grid power is spread
    evenly over the site's phases, which assumes a balanced house load. Export never
    counts as spare fuse capacity: a cloud can turn it into import within seconds.
    Phases the site does not have carry no load. While a safety input is unusable the
    load is unknown: an incomplete set of clamps is never filled in from an estimate.
    """
    measured = snapshot.phase_currents_a
    grid = snapshot.grid_power_w
    if snapshot.failsafe or (measured is None and grid is None):
        return None
    if measured is not None:
        return PhaseValues.from_fn(
            lambda p: max(0.0, measured[p]) if p in config.active_phases else 0.0
        )
    per_phase = max(0.0, watts_to_amps(grid or 0.0, config.phases, config.voltage_v))
    return PhaseValues.from_fn(lambda p: per_phase if p in config.active_phases else 0.0)


def headroom_a(snapshot: SiteSnapshot, config: SiteConfig) -> PhaseValues | None:
    """Spare current per phase before the main fuse trips, or None when unknown.

    A phase the site does not have has no headroom.
    """
    load = phase_load_a(snapshot, config)
    if load is None:
        return None
    return PhaseValues.from_fn(
        lambda p: config.fuse_a - load[p] if p in config.active_phases else 0.0
    )


def min_headroom_a(snapshot: SiteSnapshot, config: SiteConfig) -> float | None:
    """The smallest spare current over the site's phases, or None when unknown."""
    room = headroom_a(snapshot, config)
    if room is None:
        return None
    return min(room[p] for p in config.active_phases)


def non_ev_load_a(snapshot: SiteSnapshot, config: SiteConfig) -> PhaseValues | None:
    """Per-phase load that is not one of this controller's chargers (never negative)."""
    load = phase_load_a(snapshot, config)
    if load is None:
        return None
    ev = snapshot.ev_currents_a
    return PhaseValues.from_fn(lambda p: max(0.0, load[p] - ev[p]))


def import_headroom_w(snapshot: SiteSnapshot, config: SiteConfig) -> float | None:
    """Spare import power before the configured maximum import, or None.

    None when no maximum is configured or the grid power is unknown.
    """
    if config.max_import_w is None or snapshot.grid_power_w is None:
        return None
    return config.max_import_w - snapshot.grid_power_w


def pv_surplus_w(snapshot: SiteSnapshot, battery_priority_soc_pct: float | None = None) -> float:
    """Power that could go to the EVs without importing, in watts (negative = deficit).

    Surplus is what is exported now plus what our chargers already draw (they would stop
    drawing it if paused). A home battery that discharges reduces the surplus: it must not
    be drained into the car. A charging battery's power counts as surplus once its SoC has
    reached ``battery_priority_soc_pct`` (or when no SoC is known); below that SoC the
    battery keeps its charging power. Without a grid power reading there is no surplus.
    """
    if snapshot.grid_power_w is None:
        return 0.0
    surplus = -snapshot.grid_power_w + snapshot.ev_power_w
    battery = snapshot.battery_power_w
    if battery is not None and (
        battery < 0
        or battery_priority_soc_pct is None
        or snapshot.battery_soc_pct is None
        or snapshot.battery_soc_pct >= battery_priority_soc_pct
    ):
        surplus += battery
    return surplus
