"""Rule 2 and 4: EV lag is never free headroom; commands are reserved, cuts come first."""

from __future__ import annotations

from dataclasses import replace

import pytest

from custom_components.smart_charging.engine.allocation import AllocationMemory, ChargerMemory
from custom_components.smart_charging.engine.limits import trusted_draw
from custom_components.smart_charging.engine.model import (
    ChargerConfig,
    ChargerMode,
    ChargerState,
    CircuitConfig,
    Phase,
    PhaseValues,
    Reason,
)

from .alloc_helpers import (
    SimulatedEv,
    at,
    calm,
    currents,
    plugged,
    run,
    simulate,
    site_snapshot,
    wants,
)


def _memory(current: float, previous: float, changed_s: float) -> ChargerMemory:
    return ChargerMemory("a", current_a=current, previous_a=previous, changed_at=at(changed_s))


@pytest.mark.parametrize(
    ("name", "memory", "measured", "phases", "expected"),
    [
        ("first cycle trusts the reading", None, 12.0, 3, (12.0, 12.0, 12.0)),
        ("a stale high reading is capped by the command", _memory(6, 16, -60), 16.0, 3, (6.0,) * 3),
        ("inside the lag window the old command counts", _memory(6, 16, -5), 16.0, 3, (16.0,) * 3),
        ("after a raise the reading is trusted", _memory(16, 6, -5), 6.0, 3, (6.0,) * 3),
        ("a paused charger's draw is not ours", _memory(0, 0, -60), 8.0, 3, (0.0,) * 3),
        ("single phase: all on the wired phase", None, 4.0, 1, (0.0, 12.0, 0.0)),
    ],
)
def test_trusted_draw(name: str, memory, measured: float, phases: int, expected) -> None:
    state = plugged("a", currents_a=PhaseValues.uniform(measured))
    got = trusted_draw(
        state,
        memory,
        phases=phases,
        wired=Phase.L2,
        max_current_a=32.0,
        settle_time_s=15.0,
        now=at(0),
    )
    assert got == expected, name


A, B = ChargerConfig("a", max_current_a=16), ChargerConfig("b", max_current_a=16)


def _a_commanded(current: float, since_s: float, previous: float = 0.0) -> AllocationMemory:
    return AllocationMemory(
        (
            ChargerMemory(
                "a",
                current_a=current,
                previous_a=previous,
                changed_at=at(since_s),
                active=True,
                started_at=at(since_s - 60),
                mode=ChargerMode.FAST,
                connected=True,
            ),
        )
    )


def test_a_raise_the_ev_has_not_followed_is_not_given_away() -> None:
    # A was raised 6 -> 16 A five seconds ago and still draws 6 A; B plugs in.
    settings = calm(A, B)
    memory = _a_commanded(16.0, -5, previous=6.0)
    snapshot = site_snapshot(
        (9.0, 9.0, 9.0),  # 3 A house + A's 6 A
        chargers=[plugged("a", currents_a=PhaseValues.uniform(6.0)), plugged("b")],
    )
    result = run(snapshot, settings, memory)
    # Measured headroom is 16 A, but A is entitled to its command: 22 A shared fairly.
    assert currents(result) == {"a": 11.0, "b": 11.0}


def test_capacity_freed_by_a_cut_waits_until_the_ev_has_followed() -> None:
    settings = calm(A, B, fuse=25.0)
    memory = _a_commanded(16.0, -60, previous=10.0)
    lagging = site_snapshot(
        (19.0, 19.0, 19.0),
        chargers=[plugged("a", currents_a=PhaseValues.uniform(16.0)), plugged("b")],
    )
    first = run(lagging, settings, memory, at(0))
    # A is cut to its fair share at once; while A still draws 16 A, B may only start
    # with what is left beside that (22 - 16 = 6 A), not with its 11 A share.
    assert currents(first) == {"a": 11.0, "b": 6.0}
    b = first.get("b")
    assert b is not None
    assert b.reason is Reason.SITE_FUSE
    assert b.details == (("phase", "l1"), ("target_a", "11.0"))
    followed = site_snapshot(
        (20.0, 20.0, 20.0),
        chargers=[
            plugged("a", currents_a=PhaseValues.uniform(11.0)),
            plugged("b", currents_a=PhaseValues.uniform(6.0)),
        ],
    )
    second = run(followed, settings, first.memory, at(15))
    assert currents(second) == {"a": 11.0, "b": 11.0}


def test_a_start_that_does_not_fit_beside_a_lagging_ev_waits() -> None:
    settings = calm(A, B, fuse=21.0)
    memory = _a_commanded(16.0, -60, previous=10.0)
    lagging = site_snapshot(
        (19.0, 19.0, 19.0),
        chargers=[plugged("a", currents_a=PhaseValues.uniform(16.0)), plugged("b")],
    )
    first = run(lagging, settings, memory, at(0))
    # Room 18 A: shares of 9 A each, but beside A's 16 A only 2 A are left for B.
    assert currents(first) == {"a": 9.0, "b": 0.0}
    b = first.get("b")
    assert b is not None
    assert (b.reason, b.detail("phase")) == (Reason.SITE_FUSE, "l1")


def test_a_stale_reading_does_not_block_forever() -> None:
    settings = calm(A, B, fuse=21.0)
    memory = _a_commanded(16.0, -60, previous=10.0)
    lagging = site_snapshot(
        (19.0, 19.0, 19.0),
        chargers=[plugged("a", currents_a=PhaseValues.uniform(16.0)), plugged("b")],
    )
    first = run(lagging, settings, memory, at(0))
    assert currents(first) == {"a": 9.0, "b": 0.0}
    # The meter shows that A has followed (3 + 9 A), but A's own reading still says 16 A.
    stale = replace(lagging, phase_currents_a=PhaseValues.uniform(12.0), grid_power_w=None)
    assert currents(run(stale, settings, first.memory, at(5)))["b"] == 0.0
    # Once the EV has had its settle time, A is trusted to draw no more than its command.
    assert currents(run(stale, settings, first.memory, at(15))) == {"a": 9.0, "b": 9.0}


def test_pv_surplus_counts_the_command_while_the_change_settles() -> None:
    settings = calm(A, pv_enable_delay_s=0.0)
    memory = AllocationMemory(
        (
            ChargerMemory(
                "a",
                current_a=10.0,
                previous_a=7.2,
                changed_at=at(-5),
                active=True,
                started_at=at(-100),
                mode=ChargerMode.PV,
                connected=True,
            ),
        )
    )
    # PV surplus is 6.9 kW. The meter already sees the EV at 10 A (no export left),
    # but the charger's reading still says 7.2 A.
    snapshot = site_snapshot(
        chargers=[plugged("a", currents_a=PhaseValues.uniform(7.2))],
        requests=[wants("a", ChargerMode.PV)],
        grid_w=0.0,
    )
    result = run(snapshot, settings, memory, at(0))
    assert currents(result) == {"a": 10.0}
    assert result.surplus_w == pytest.approx(6900.0)


def test_closed_loop_never_allocates_into_the_lag() -> None:
    """Three chargers, EVs that follow after 10 s, a house load that steps up and down.

    The real load may only exceed the fuse right after the house load itself jumps (one
    EV lag, until the cut has been followed) — never because of a raise.
    """
    chargers = (ChargerConfig("a"), ChargerConfig("b"), ChargerConfig("c", max_current_a=32))
    settings = calm(*chargers, fuse=40.0, margin_a=0.0, ramp_up_a=4.0)
    house = [(0, (5.0, 5.0, 5.0)), (200, (20.0, 18.0, 15.0)), (400, (2.0, 2.0, 2.0))]
    house += [(600, (30.0, 10.0, 10.0)), (800, (5.0, 5.0, 5.0))]
    evs = [SimulatedEv(c, lag_s=10.0) for c in chargers]
    history = simulate(settings, house, evs, until_s=1000)
    jumps = [t for t, _ in house]
    for seconds, load, _ in history:
        if max(load) > 40.0 + 1e-6:
            assert any(0 <= seconds - j <= 10 for j in jumps), (seconds, load)
    totals = [sum(currents(r).values()) for _, _, r in history]
    assert max(totals) > 0


def test_not_connected_charger_reading_counts_as_house_load() -> None:
    settings = calm(ChargerConfig("a", max_current_a=32), B)
    memory = AllocationMemory((ChargerMemory("b", mode=ChargerMode.FAST),))
    snapshot = site_snapshot(
        (10.0, 10.0, 10.0),
        chargers=[plugged("a"), ChargerState("b", currents_a=PhaseValues.uniform(10.0))],
    )
    assert currents(run(snapshot, settings, memory))["a"] == 15.0


def test_a_raise_waits_while_a_cut_charger_still_draws() -> None:
    # A runs at 16 A, C at 6 A; the fair share is now 11 A each. A is cut at once, but
    # while it still draws 16 A, C's raise to 11 A waits.
    c = ChargerConfig("c", max_current_a=16)
    settings = calm(A, c, fuse=25.0)
    memory = AllocationMemory(
        (
            ChargerMemory("a", current_a=16.0, changed_at=at(-60), active=True, connected=True),
            ChargerMemory("c", current_a=6.0, changed_at=at(-60), active=True, connected=True),
        )
    )
    snapshot = site_snapshot(
        (25.0, 25.0, 25.0),
        chargers=[
            plugged("a", currents_a=PhaseValues.uniform(16.0)),
            plugged("c", currents_a=PhaseValues.uniform(6.0)),
        ],
    )
    result = run(snapshot, settings, memory)
    assert currents(result) == {"a": 11.0, "c": 6.0}


def test_a_raise_elsewhere_on_the_site_is_not_held_back_by_a_lagging_circuit() -> None:
    # On circuit "east", C is cut from 16 A to its fair share and still draws 16 A, so
    # B's raise there waits. A, on circuit "west", is not affected: it gets its maximum.
    east, west = CircuitConfig("east", 22.0), CircuitConfig("west", 32.0)
    chargers = (
        ChargerConfig("a", circuit_id="west"),
        ChargerConfig("b", circuit_id="east"),
        ChargerConfig("c", circuit_id="east"),
    )
    settings = calm(*chargers, fuse=63.0, circuits=(east, west))
    running = {"a": 6.0, "b": 6.0, "c": 16.0}
    memory = AllocationMemory(
        tuple(
            ChargerMemory(c, current_a=a, changed_at=at(-60), active=True, connected=True)
            for c, a in running.items()
        )
    )
    snapshot = site_snapshot(
        (28.0, 28.0, 28.0),
        chargers=[plugged(c, currents_a=PhaseValues.uniform(a)) for c, a in running.items()],
    )
    assert currents(run(snapshot, settings, memory)) == {"a": 16.0, "b": 6.0, "c": 11.0}
