"""Failsafe: the site's meter readings cannot be trusted, so nothing is measured.

Every charger that may charge gets its configured fallback current (default: its minimum)
as long as the fallbacks fit the static limits — main fuse and circuit limits (derated
where a temperature is known), the unbalanced-load allowance and the external limit (its
failsafe value once stale) — in serving order; the rest pause. Never "unlimited".

The user's master "pause smart control" switch uses the same path with its own reason:
the measurements are fine, but the controller steps back to the static fallback.
"""

from __future__ import annotations

from collections.abc import Sequence

from .circuits import CircuitTree
from .cycle import Work
from .limits import build_table
from .model import CircuitState, Reason, SiteSnapshot
from .settings import AllocatorSettings
from .sharing import OWN_CAP, consume, first_violation


def run_failsafe(
    works: Sequence[Work],
    settings: AllocatorSettings,
    tree: CircuitTree,
    snapshot: SiteSnapshot,
    external_w: float | None,
    *,
    paused: bool = False,
) -> None:
    """Give every charger its fallback current where the static limits allow it."""
    unmeasured = SiteSnapshot(
        circuits=tuple(CircuitState(c.id, None, c.temperature_c) for c in snapshot.circuits)
    )
    table = build_table(settings, tree, unmeasured, draws=[], external_w=external_w, surplus_w=0.0)
    inputs: tuple[tuple[str, str], ...] = ()
    if paused:
        reason = Reason.CONTROL_PAUSED
    else:
        names = sorted(r.entity_id for r in snapshot.failsafe_inputs)
        if not names:
            missing = snapshot.grid_power_w is None and snapshot.phase_currents_a is None
            names = ["missing" if missing else "invalid"]
        reason, inputs = Reason.FAILSAFE_INPUTS, (("inputs", ",".join(names)),)
    for work in sorted(works, key=Work.order_key):
        if work.stop is not None:
            continue
        work.uses = table.uses(work.path, work.phases, work.wired)
        fallback = work.config.fallback_current_a
        value = work.config.min_current_a if fallback is None else fallback
        value = min(value, work.intent.max_a)
        work.stop = reason
        work.details = inputs
        if value <= 0.0:
            continue
        violated = first_violation(work.uses, value, table.caps)
        if violated != OWN_CAP:
            work.details = inputs + table.bindings[violated].details
            continue
        consume(work.uses, value, table.caps)
        work.final = value
