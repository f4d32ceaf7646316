"""Charger readings newer than the meter's do not turn a car's rise into house headroom."""

from __future__ import annotations

import pytest

from custom_components.smart_charging.engine.allocation import AllocationMemory, ChargerMemory
from custom_components.smart_charging.engine.limits import (
    READINGS_KEPT,
    remember_reading,
    seen_by_meter,
)
from custom_components.smart_charging.engine.model import (
    ChargerConfig,
    ChargerState,
    InputReading,
    InputRole,
    InputStatus,
    Phase,
    PhaseValues,
)

from .alloc_helpers import at, calm, currents, plugged, run, site_snapshot, wants

U = PhaseValues.uniform
A = ChargerConfig("a", max_current_a=16.0)
B = ChargerConfig("b", max_current_a=16.0)


def _state(amps: float, measured_s: float | None) -> ChargerState:
    return ChargerState(
        "a",
        connected=True,
        currents_a=U(amps),
        measured_at=None if measured_s is None else at(measured_s),
    )


def _memory(*readings: tuple[float, float]) -> ChargerMemory:
    return ChargerMemory("a", readings=tuple((at(s), U(amps)) for s, amps in readings))


@pytest.mark.parametrize(
    ("name", "state", "memory", "meter_s", "expected"),
    [
        ("no reading time", _state(16, None), _memory((-10, 6)), -5, 16),
        ("no meter time", _state(16, -1), _memory((-10, 6)), None, 16),
        ("the meter saw this reading", _state(16, -5), _memory((-10, 6)), -1, 16),
        ("a rise the meter has not seen", _state(16, -1), _memory((-10, 6)), -5, 6),
        (
            "the newest reading before the meter",
            _state(16, 0),
            _memory((-20, 0), (-10, 6), (-2, 12)),
            -5,
            6,
        ),
        ("all remembered readings newer", _state(16, 0), _memory((-4, 10), (-2, 12)), -5, 10),
        ("nothing remembered", _state(16, -1), None, -5, 16),
        ("the car came down since", _state(4, -1), _memory((-10, 6)), -5, 4),
    ],
)
def test_seen_by_meter(
    name: str,
    state: ChargerState,
    memory: ChargerMemory | None,
    meter_s: float | None,
    expected: float,
) -> None:
    meter_at = None if meter_s is None else at(meter_s)
    assert seen_by_meter(state, memory, meter_at) == U(expected), name


def test_readings_are_remembered_once_and_only_the_last_few() -> None:
    readings: tuple = ()
    readings = remember_reading(readings, _state(5, None))
    assert readings == ()
    for second in range(6):
        readings = remember_reading(readings, _state(second, second))
        readings = remember_reading(readings, _state(second, second))  # seen again
    assert [amps[0] for _at, amps in readings] == [2, 3, 4, 5]
    assert len(readings) == READINGS_KEPT
    stepped_back = remember_reading(readings, _state(9, 1))  # the clock stepped back
    assert [amps[0] for _at, amps in stepped_back] == [9]


def _meter(load: float, reported_s: float) -> tuple[InputReading, ...]:
    return tuple(
        InputReading(role, f"sensor.{role.value}", InputStatus.OK, load, at(reported_s))
        for role in (
            InputRole.GRID_CURRENT_L1,
            InputRole.GRID_CURRENT_L2,
            InputRole.GRID_CURRENT_L3,
        )
    )


def test_a_rise_the_meter_has_not_seen_is_no_headroom() -> None:
    """A rose 6 -> 16 A; the meter (9 A: 3 A house + 6 A) reported before A's charger did.

    Subtracting the 16 A that A now reports from the meter's 9 A would put the house at
    0 A instead of 3 A and give B 3 A that are not there, until the meter reports again.
    """
    settings = calm(A, B)
    memory = AllocationMemory(
        (
            ChargerMemory(
                "a", current_a=16.0, active=True, started_at=at(-120), readings=((at(-10), U(6.0)),)
            ),
        )
    )
    chargers = [
        plugged("a", currents_a=U(16.0), measured_at=at(-1)),
        plugged("b"),
    ]
    requests = [wants("a"), wants("b")]
    aligned = site_snapshot(
        (9.0, 9.0, 9.0), chargers=chargers, requests=requests, inputs=_meter(9.0, -5)
    )
    assert aligned.meter_at == at(-5)
    # 22 A of room shared fairly; B gets what A's 16 A (until it follows its cut) leave.
    assert currents(run(aligned, settings, memory)) == {"a": 11.0, "b": 6.0}
    # Without reading times the rise looks like room, as before: 25 A, and 3 A too many.
    blind = site_snapshot((9.0, 9.0, 9.0), chargers=chargers, requests=requests)
    assert currents(run(blind, settings, memory)) == {"a": 12.5, "b": 9.0}
    # Once the meter has reported after A's reading, A's 16 A are in it: 19 A, house 3 A.
    caught_up = site_snapshot(
        (19.0, 19.0, 19.0), chargers=chargers, requests=requests, inputs=_meter(19.0, 0)
    )
    assert currents(run(caught_up, settings, memory)) == {"a": 11.0, "b": 6.0}


def test_the_unbalance_room_counts_the_lower_load_of_the_other_phases() -> None:
    """An overstated house load on another phase must not widen the unbalance allowance.

    A (one phase, L2) draws 16 A; the meter saw that, but A's reading before the meter's
    report said 6 A, so lined up with the meter the house seems to draw 10 A on L2. The
    unbalance room on L1 grows with the load of the other phases: there the lower
    estimate (0 A on L2, by A's latest reading) counts, and B on L1 stays within 20 A.
    """
    a = ChargerConfig("a", phases=1, phase=Phase.L2, max_current_a=16.0)
    b = ChargerConfig("b", phases=1, phase=Phase.L1, max_current_a=32.0)
    settings = calm(a, b, fuse=63.0, unbalance_limit_a=20.0)
    memory = AllocationMemory(
        (
            ChargerMemory(
                "a",
                current_a=16.0,
                phases=1,
                active=True,
                started_at=at(-120),
                readings=((at(-60), PhaseValues(0.0, 6.0, 0.0)),),
            ),
        )
    )
    snapshot = site_snapshot(
        (0.0, 16.0, 30.0),
        chargers=[
            plugged("a", currents_a=PhaseValues(0.0, 16.0, 0.0), measured_at=at(-1)),
            plugged("b"),
        ],
        requests=[wants("a"), wants("b")],
        inputs=_meter(0.0, -5),
    )
    result = run(snapshot, settings, memory)
    assert currents(result)["b"] <= 20.0 + 1e-9
