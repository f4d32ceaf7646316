"""Rule 7: stale or missing site inputs put every charger on its fallback current."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custom_components.smart_charging.engine.model import (
    ChargerConfig,
    ChargerMode,
    ChargerState,
    CircuitConfig,
    CircuitState,
    DeratingCurve,
    ExternalLimit,
    InputReading,
    InputRole,
    InputStatus,
    PhaseValues,
    Reason,
    SiteSnapshot,
)

from .alloc_helpers import T0, at, calm, currents, plugged, run, timeline, wants

STALE = (InputReading(InputRole.GRID_POWER, "sensor.grid", InputStatus.STALE, 1000.0),)


def _failsafe_snapshot(*states: ChargerState, **fields) -> SiteSnapshot:
    return SiteSnapshot(grid_power_w=1000.0, inputs=STALE, chargers=states, **fields)


def test_stale_meter_gives_every_charger_its_minimum() -> None:
    chargers = (ChargerConfig("a"), ChargerConfig("b", phases=1))
    result = run(_failsafe_snapshot(plugged("a"), plugged("b")), calm(*chargers))
    assert result.failsafe
    assert result.headroom_a is None
    assert currents(result) == {"a": 6.0, "b": 6.0}
    for decision in result.allocations:
        assert decision.reason is Reason.FAILSAFE_INPUTS
        assert decision.detail("inputs") == "sensor.grid"


def test_missing_readings_are_a_failsafe_too() -> None:
    result = run(SiteSnapshot(chargers=(plugged("a"),)), calm(ChargerConfig("a")))
    decision = result.get("a")
    assert decision is not None
    assert (decision.current_a, decision.detail("inputs")) == (6.0, "missing")


@pytest.mark.parametrize(
    ("name", "fallback", "expected"),
    [("configured fallback", 10.0, 10.0), ("fallback 0 pauses", 0.0, 0.0)],
)
def test_configured_fallback(name: str, fallback: float, expected: float) -> None:
    charger = ChargerConfig("a", fallback_current_a=fallback)
    result = run(_failsafe_snapshot(plugged("a")), calm(charger))
    assert currents(result) == {"a": expected}, name
    assert result.allocations[0].reason is Reason.FAILSAFE_INPUTS


def test_fallbacks_only_where_the_fuse_allows_them_by_priority() -> None:
    chargers = (ChargerConfig("a"), ChargerConfig("b", priority=1), ChargerConfig("c"))
    result = run(
        _failsafe_snapshot(plugged("a"), plugged("b"), plugged("c")), calm(*chargers, fuse=14.0)
    )
    assert currents(result) == {"a": 6.0, "b": 6.0, "c": 0.0}
    c = result.get("c")
    assert c is not None
    assert c.details == (("inputs", "sensor.grid"), ("phase", "l1"))


def test_failsafe_respects_circuits_and_the_margin() -> None:
    chargers = (ChargerConfig("a", circuit_id="c"), ChargerConfig("b", circuit_id="c"))
    settings = calm(*chargers, fuse=63.0, circuits=(CircuitConfig("c", 10.0),))
    result = run(_failsafe_snapshot(plugged("a"), plugged("b")), settings)
    assert currents(result) == {"a": 6.0, "b": 0.0}
    # The site margin still applies: 8 A fuse - 2 A margin fits one minimum only.
    settings = calm(*chargers, fuse=13.0, margin_a=2.0, circuits=(CircuitConfig("c", 32.0),))
    assert currents(run(_failsafe_snapshot(plugged("a"), plugged("b")), settings)) == {
        "a": 6.0,
        "b": 0.0,
    }


def test_failsafe_uses_a_known_circuit_temperature() -> None:
    chargers = (ChargerConfig("a", circuit_id="c"), ChargerConfig("b", circuit_id="c"))
    circuits = (CircuitConfig("c", 16.0, derating=DeratingCurve(40, 60, 0.5)),)
    snapshot = _failsafe_snapshot(
        plugged("a"),
        plugged("b"),
        circuits=(CircuitState("c", currents_a=PhaseValues(99, 99, 99), temperature_c=20.0),),
    )
    assert currents(run(snapshot, calm(*chargers, fuse=63.0, circuits=circuits))) == {
        "a": 6.0,
        "b": 6.0,
    }


def test_stale_external_limit_falls_back_to_its_failsafe_value() -> None:
    chargers = (ChargerConfig("a"), ChargerConfig("b"))
    limit = ExternalLimit(20000.0, expires_at=T0 - timedelta(seconds=1), failsafe_w=4500.0)
    snapshot = _failsafe_snapshot(plugged("a"), plugged("b"), external_limit=limit)
    result = run(snapshot, calm(*chargers, fuse=63.0))
    assert currents(result) == {"a": 6.0, "b": 0.0}
    b = result.get("b")
    assert b is not None
    assert b.reason is Reason.FAILSAFE_INPUTS
    assert result.external_limit_w == 4500.0


def test_failsafe_keeps_user_stops_and_derating() -> None:
    chargers = (
        ChargerConfig("off"),
        ChargerConfig("away"),
        ChargerConfig("hot", fallback_current_a=16.0, derating=DeratingCurve(40, 60, 0.5)),
    )
    snapshot = _failsafe_snapshot(
        plugged("off"),
        ChargerState("away"),
        plugged("hot", temperature_c=70.0),
        requests=(wants("off", ChargerMode.OFF),),
    )
    result = run(snapshot, calm(*chargers, fuse=63.0))
    assert currents(result) == {"off": 0.0, "away": 0.0, "hot": 8.0}
    assert [a.reason for a in result.allocations] == [
        Reason.MODE_OFF,
        Reason.NOT_CONNECTED,
        Reason.FAILSAFE_INPUTS,
    ]


def test_pv_charger_also_gets_its_fallback() -> None:
    snapshot = _failsafe_snapshot(plugged("a"), requests=(wants("a", ChargerMode.PV),))
    assert currents(run(snapshot, calm(ChargerConfig("a")))) == {"a": 6.0}


def test_recovery_resumes_normal_control() -> None:
    settings = calm(ChargerConfig("a"), ramp_up_a=4.0)
    steps = [
        (0, _failsafe_snapshot(plugged("a"))),
        (10, _failsafe_snapshot(plugged("a", currents_a=PhaseValues.uniform(6.0)))),
        (
            30,
            SiteSnapshot(
                grid_power_w=6 * 690.0,
                chargers=(plugged("a", currents_a=PhaseValues.uniform(6.0)),),
            ),
        ),
    ]
    results = timeline(settings, steps)
    assert [currents(r)["a"] for r in results] == [6.0, 6.0, 10.0]
    assert [r.failsafe for r in results] == [True, True, False]
    memory = results[1].memory.get("a")
    assert memory is not None
    assert memory.changed_at == at(0)


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("grid power", {"grid_power_w": float("nan")}),
        (
            "a phase current",
            {"grid_power_w": 0.0, "phase_currents_a": PhaseValues(1, float("inf"), 1)},
        ),
        (
            "a circuit meter",
            {
                "grid_power_w": 0.0,
                "circuits": (CircuitState("c", currents_a=PhaseValues(float("nan"), 0, 0)),),
            },
        ),
    ],
)
def test_readings_that_are_not_numbers_are_a_failsafe(name: str, fields) -> None:
    settings = calm(ChargerConfig("a", circuit_id="c"), circuits=(CircuitConfig("c", 32.0),))
    result = run(SiteSnapshot(chargers=(plugged("a"),), **fields), settings)
    assert result.failsafe, name
    decision = result.get("a")
    assert decision is not None
    assert (decision.current_a, decision.detail("inputs")) == (6.0, "invalid")


def test_paused_control_runs_every_charger_at_its_fallback() -> None:
    chargers = (
        ChargerConfig("a", fallback_current_a=10.0),
        ChargerConfig("b"),
        ChargerConfig("c", priority=1),
    )
    snapshot = SiteSnapshot(
        grid_power_w=0.0,
        chargers=(plugged("a"), plugged("b"), plugged("c")),
        control_paused=True,
    )
    result = run(snapshot, calm(*chargers, fuse=20.0))
    assert not result.failsafe
    # Measurements are fine, but the static limits still hold: 10 + 6 fit a 20 A fuse,
    # the third charger (served last) would not.
    assert currents(result) == {"a": 10.0, "b": 0.0, "c": 6.0}
    assert {d.charger_id: d.reason for d in result.allocations} == {
        "a": Reason.CONTROL_PAUSED,
        "b": Reason.CONTROL_PAUSED,
        "c": Reason.CONTROL_PAUSED,
    }
    b = result.get("b")
    assert b is not None
    assert b.detail("phase") == "l1"


def test_failsafe_wins_over_a_paused_control() -> None:
    snapshot = _failsafe_snapshot(plugged("a"), control_paused=True)
    result = run(snapshot, calm(ChargerConfig("a")))
    assert result.failsafe
    assert result.allocations[0].reason is Reason.FAILSAFE_INPUTS
