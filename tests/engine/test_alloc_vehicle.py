"""Idle cars and cars that take less than offered: the verdict, and single cycles.

The verdict (``vehicle.observe``) is checked as a table; single cycles check the reasons,
phase switching and what resets the verdict. Timelines are in
``test_alloc_vehicle_timelines``, properties in ``test_alloc_vehicle_properties``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from custom_components.smart_charging.engine.allocation import (
    AllocationMemory,
    AllocationResult,
    ChargerMemory,
)
from custom_components.smart_charging.engine.model import (
    ChargerConfig,
    ChargerMode,
    ChargerState,
    CircuitConfig,
    DeratingCurve,
    Phase,
    PhaseMode,
    PhaseValues,
    Reason,
)
from custom_components.smart_charging.engine.settings import AllocatorSettings
from custom_components.smart_charging.engine.vehicle import VehicleWatch, observe

from .alloc_helpers import (
    at,
    calm,
    currents,
    plugged,
    reasons,
    run,
    site_snapshot,
    wants,
)

CAR = ChargerConfig("a", max_current_a=16)
SETTINGS = AllocatorSettings(site=calm().site)


def _memory(current: float = 16.0, changed_s: float = -600.0, **fields: Any) -> ChargerMemory:
    return ChargerMemory(
        "a", current_a=current, changed_at=at(changed_s), active=current > 0, **fields
    )


def _watch(
    memory: ChargerMemory,
    drawn: float,
    *,
    now: datetime | None = None,
    settings: AllocatorSettings = SETTINGS,
    **state: Any,
) -> VehicleWatch:
    fields = {"connected": True, **state}
    return observe(
        CAR, ChargerState("a", **fields), memory, drawn=drawn, settings=settings, now=now or at(0)
    )


@pytest.mark.parametrize(
    ("name", "memory", "drawn", "state", "expected"),
    [
        (
            "unplugged: nothing is known",
            _memory(vehicle_idle=True),
            0.0,
            {"connected": False},
            VehicleWatch(),
        ),
        ("quiet: the clock starts", _memory(), 0.5, {}, VehicleWatch(quiet_since=at(0))),
        (
            "quiet for 74 s",
            _memory(quiet_since=at(-74)),
            0.0,
            {},
            VehicleWatch(quiet_since=at(-74)),
        ),
        (
            "quiet for settle + delay (75 s): idle",
            _memory(quiet_since=at(-75)),
            0.0,
            {},
            VehicleWatch(idle=True, quiet_since=at(-75)),
        ),
        (
            "idle drops the cap of the last charge",
            _memory(quiet_since=at(-75), vehicle_limit_a=8.0, vehicle_limit_at=at(-100)),
            0.0,
            {},
            VehicleWatch(idle=True, quiet_since=at(-75)),
        ),
        (
            "it draws: idle ends at once",
            _memory(6.0, vehicle_idle=True, quiet_since=at(-300)),
            1.0,
            {},
            VehicleWatch(),
        ),
        (
            "no current, but the charger says charging (no meter): no verdict",
            _memory(quiet_since=at(-300)),
            0.0,
            {"charging": True},
            VehicleWatch(),
        ),
        (
            "paused by us: an idle car stays idle, the clock stops",
            _memory(0.0, vehicle_idle=True, quiet_since=at(-300)),
            0.0,
            {},
            VehicleWatch(idle=True),
        ),
        ("paused, never idle", _memory(0.0, quiet_since=at(-30)), 0.0, {}, VehicleWatch()),
        (
            "10 A of 16 A: capped at 12 A",
            _memory(),
            10.0,
            {},
            VehicleWatch(limit_a=12.0, limit_at=at(0)),
        ),
        ("still settling: no verdict yet", _memory(changed_s=-10), 10.0, {}, VehicleWatch()),
        ("14 A of 16 A: inside the deadband", _memory(), 14.0, {}, VehicleWatch()),
        ("3 A of 6 A: nothing to free below the minimum", _memory(6.0), 3.0, {}, VehicleWatch()),
        (
            "2 A of 16 A (preconditioning): capped at the minimum",
            _memory(),
            2.0,
            {},
            VehicleWatch(limit_a=6.0, limit_at=at(0)),
        ),
        (
            "tapering: the cap follows down",
            _memory(12.0, vehicle_limit_a=12.0, vehicle_limit_at=at(-60)),
            9.0,
            {},
            VehicleWatch(limit_a=11.0, limit_at=at(0)),
        ),
        (
            "steady under its cap: kept",
            _memory(12.0, vehicle_limit_a=12.0, vehicle_limit_at=at(-60)),
            10.0,
            {},
            VehicleWatch(limit_a=12.0, limit_at=at(-60)),
        ),
        (
            "takes nearly all its cap: one step up",
            _memory(12.0, vehicle_limit_a=12.0, vehicle_limit_at=at(-60)),
            11.2,
            {},
            VehicleWatch(limit_a=14.0, limit_at=at(0)),
        ),
        (
            "probe due: one step up",
            _memory(12.0, vehicle_limit_a=12.0, vehicle_limit_at=at(-300)),
            10.0,
            {},
            VehicleWatch(limit_a=14.0, limit_at=at(0)),
        ),
        (
            "a step up to the maximum ends the cap",
            _memory(14.0, vehicle_limit_a=14.0, vehicle_limit_at=at(-60)),
            13.5,
            {},
            VehicleWatch(),
        ),
        (
            "a car still draining after a pause keeps its cap",
            _memory(0.0, vehicle_limit_a=9.0, vehicle_limit_at=at(-60)),
            5.0,
            {},
            VehicleWatch(limit_a=9.0, limit_at=at(-60)),
        ),
        (
            "unsettled: the cap is kept as it is",
            _memory(changed_s=-5, vehicle_limit_a=9.0, vehicle_limit_at=at(-400)),
            5.0,
            {},
            VehicleWatch(limit_a=9.0, limit_at=at(-400)),
        ),
    ],
)
def test_verdict(
    name: str,
    memory: ChargerMemory,
    drawn: float,
    state: dict[str, bool],
    expected: VehicleWatch,
) -> None:
    assert _watch(memory, drawn, **state) == expected, name


def test_either_behaviour_can_be_switched_off() -> None:
    off = replace(SETTINGS, idle_delay_s=None, vehicle_headroom_a=None)
    quiet = _memory(quiet_since=at(-600), vehicle_limit_a=8.0, vehicle_limit_at=at(-60))
    assert _watch(quiet, 0.0, settings=off) == VehicleWatch()
    assert _watch(_memory(), 10.0, settings=off) == VehicleWatch()


def test_the_real_limit_is_named_when_it_binds_below_the_cars_cap() -> None:
    settings = calm(
        ChargerConfig("a", max_current_a=32, circuit_id="c"), circuits=(CircuitConfig("c", 10.0),)
    )
    memory = AllocationMemory((_memory(10.0, vehicle_limit_a=14.0, vehicle_limit_at=at(-60)),))
    snapshot = site_snapshot(chargers=[plugged("a", currents_a=PhaseValues.uniform(10.0))])
    decision = run(snapshot, settings, memory).get("a")
    assert decision is not None
    assert (decision.current_a, decision.reason) == (10.0, Reason.CIRCUIT_LIMIT)


def test_a_limited_pv_car_and_a_derated_one_say_the_car_is_the_limit() -> None:
    hot = ChargerConfig("a", max_current_a=16, derating=DeratingCurve(40.0, 70.0, 0.5))
    settings = calm(hot, fuse=63.0, pv_enable_delay_s=0.0)
    memory = AllocationMemory((_memory(8.0, vehicle_limit_a=9.0, vehicle_limit_at=at(-60)),))
    state = plugged("a", currents_a=PhaseValues.uniform(7.5), temperature_c=55.0)
    for mode in (ChargerMode.PV, ChargerMode.FAST):
        snapshot = site_snapshot(chargers=[state], requests=[wants("a", mode)], grid_w=-20000.0)
        decision = run(snapshot, settings, memory).get("a")
        assert decision is not None
        # Derated to 12 A, capped at 9 A by the car: the car is the limit.
        assert (decision.current_a, decision.reason) == (9.0, Reason.VEHICLE_LIMITED), mode


def test_a_charger_without_a_meter_keeps_its_share() -> None:
    # It says it is charging but shows no current: no verdict, however long.
    a, b = ChargerConfig("a", max_current_a=32), ChargerConfig("b", max_current_a=32)
    settings = calm(a, b, fuse=25.0)
    steps = [plugged("a", charging=True), plugged("b", currents_a=PhaseValues.uniform(11.0))]
    memory = AllocationMemory()
    for seconds in range(0, 600, 30):
        snapshot = site_snapshot((14.0, 14.0, 14.0), chargers=steps)
        result = run(snapshot, settings, memory, at(seconds))
        memory = result.memory
    assert reasons(result) == {"a": "site_fuse", "b": "site_fuse"}
    assert currents(result) == {"a": 11.0, "b": 11.0}


def test_a_plug_event_forgets_what_was_learnt_of_the_car() -> None:
    settings = calm(CAR)
    memory = AllocationMemory(
        (
            _memory(
                6.0,
                vehicle_idle=True,
                quiet_since=at(-300),
                mode=ChargerMode.FAST,
                connected=False,
            ),
        )
    )
    result = run(site_snapshot(chargers=[plugged("a")]), settings, memory)
    assert reasons(result) == {"a": "fast"}
    assert currents(result) == {"a": 16.0}
    remembered = result.memory.get("a")
    assert remembered is not None
    assert (remembered.vehicle_idle, remembered.quiet_since) == (False, at(0))


def test_a_phase_switch_forgets_the_cars_cap() -> None:
    switcher = ChargerConfig("a", max_current_a=16, can_switch_phases=True, phase=Phase.L2)
    settings = calm(switcher)
    memory = AllocationMemory(
        (_memory(12.0, vehicle_limit_a=12.0, vehicle_limit_at=at(-60), phases=3),)
    )
    snapshot = site_snapshot(
        chargers=[plugged("a", currents_a=PhaseValues.uniform(10.0))],
        requests=[wants("a", phase_mode=PhaseMode.ONE)],
    )
    result = run(snapshot, settings, memory)
    assert reasons(result) == {"a": "phase_switching"}
    remembered = result.memory.get("a")
    assert remembered is not None
    assert (remembered.vehicle_limit_a, remembered.vehicle_limit_at) == (None, None)


def _one_phase_pv(memory: ChargerMemory, drawn: float) -> AllocationResult:
    """A switchable charger on one phase, with surplus for three phases at maximum."""
    switcher = ChargerConfig("a", max_current_a=16, can_switch_phases=True, phase=Phase.L2)
    settings = calm(switcher, fuse=63.0, pv_enable_delay_s=0.0, phase_up_delay_s=0.0)
    snapshot = site_snapshot(
        (0.0, drawn, 0.0),
        chargers=[plugged("a", currents_a=PhaseValues(0.0, drawn, 0.0))],
        requests=[wants("a", ChargerMode.PV)],
        grid_w=-20000.0,
    )
    return run(snapshot, settings, AllocationMemory((memory,)))


@pytest.mark.parametrize(
    ("name", "memory", "drawn", "expected"),
    [
        ("a car that takes all it gets is switched up", _memory(16.0, phases=1), 16.0, (0.0, 3)),
        (
            "a car that takes less is not",
            _memory(11.0, phases=1, vehicle_limit_a=11.0, vehicle_limit_at=at(-60)),
            9.0,
            (11.0, 1),
        ),
        ("nor is an idle one", _memory(6.0, phases=1, vehicle_idle=True), 0.0, (6.0, 1)),
    ],
)
def test_phase_switching_follows_what_the_car_takes(
    name: str, memory: ChargerMemory, drawn: float, expected: tuple[float, int]
) -> None:
    decision = _one_phase_pv(memory, drawn).get("a")
    assert decision is not None
    assert (decision.current_a, decision.phases) == expected, name
