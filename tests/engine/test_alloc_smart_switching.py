"""A smart charger without a planned slot uses a small surplus on one phase, as pv does.

Found by the closed-loop benchmark (single_ev_fast_clouds): with the wait for a cheap slot
counted as a pause no phase configuration could end, a switchable charger in smart mode
never went to one phase, and surplus between 1.4 and 4.1 kW was exported.
"""

from __future__ import annotations

from custom_components.smart_charging.engine.allocation import AllocationMemory
from custom_components.smart_charging.engine.allocator import allocate
from custom_components.smart_charging.engine.model import (
    ChargerConfig,
    ChargerMode,
    Phase,
    PhaseValues,
    Reason,
    SiteConfig,
    SiteSnapshot,
)
from custom_components.smart_charging.engine.settings import AllocatorSettings

from .alloc_helpers import at, plugged, wants

SWITCHER = ChargerConfig("a", max_current_a=16, can_switch_phases=True, phase=Phase.L2)
SETTINGS = AllocatorSettings(site=SiteConfig(fuse_a=35.0), chargers=(SWITCHER,), margin_a=0.0)


def _run(surplus_w: float, times: list[float]) -> list[tuple[float, int, Reason]]:
    """A smart charger with no planned power; the car follows each command at once."""
    memory = AllocationMemory()
    current, phases = 0.0, 3
    out = []
    for seconds in times:
        drawn = PhaseValues.uniform(current) if phases == 3 else PhaseValues(0.0, current, 0.0)
        snapshot = SiteSnapshot(
            grid_power_w=sum(drawn.as_tuple()) * 230.0 - surplus_w,
            phase_currents_a=drawn,
            chargers=(plugged("a", currents_a=drawn),),
            requests=(wants("a", ChargerMode.SMART),),
        )
        result = allocate(snapshot, SETTINGS, memory, at(seconds))
        memory = result.memory
        decision = result.allocations[0]
        current, phases = decision.current_a, decision.phases
        out.append((decision.current_a, decision.phases, decision.reason))
    return out


def test_waiting_smart_charger_switches_to_one_phase_for_a_small_surplus() -> None:
    got = _run(2500.0, [0, 179, 180, 210, 270])
    assert got == [
        (0.0, 3, Reason.WAITING_FOR_CHEAP_SLOT),
        (0.0, 3, Reason.WAITING_FOR_CHEAP_SLOT),
        (0.0, 1, Reason.PHASE_SWITCHING),
        (0.0, 1, Reason.WAITING_FOR_CHEAP_SLOT),  # the PV enable delay still applies
        (10.0, 1, Reason.PV_SURPLUS),
    ]


def test_waiting_smart_charger_without_surplus_is_not_switched() -> None:
    got = _run(0.0, [0, 200, 400])
    assert got == [(0.0, 3, Reason.WAITING_FOR_CHEAP_SLOT)] * 3
