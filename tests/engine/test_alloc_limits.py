"""Rule 1 and 2: every limit, the measured non-EV load, margins and the reason details."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custom_components.smart_charging.engine.model import (
    ChargerConfig,
    CircuitConfig,
    CircuitState,
    DeratingCurve,
    ExternalLimit,
    Phase,
    PhaseValues,
    Reason,
    SiteConfig,
    SiteSnapshot,
)

from .alloc_helpers import T0, calm, currents, plugged, run, site_snapshot


def _one(result_current: float, reason: Reason, details: tuple[tuple[str, str], ...] = ()):
    return (pytest.approx(result_current, abs=0.05), reason, details)


def _decision(snapshot: SiteSnapshot, settings, charger_id: str = "a"):
    result = run(snapshot, settings)
    decision = result.get(charger_id)
    assert decision is not None
    return (decision.current_a, decision.reason, decision.details)


THREE_32 = ChargerConfig("a", max_current_a=32)


@pytest.mark.parametrize(
    ("name", "charger", "load", "expected"),
    [
        (
            "3p fast, bound by the busiest phase",
            THREE_32,
            (10.0, 5.0, 5.0),
            _one(15.0, Reason.SITE_FUSE, (("phase", "l1"),)),
        ),
        (
            "3p fast, fits under the fuse at its maximum",
            ChargerConfig("a", max_current_a=16),
            (5.0, 5.0, 5.0),
            _one(16.0, Reason.FAST),
        ),
        (
            "1p on L2 only sees L2",
            ChargerConfig("a", phases=1, phase=Phase.L2, max_current_a=32),
            (20.0, 5.0, 20.0),
            _one(20.0, Reason.SITE_FUSE, (("phase", "l2"),)),
        ),
        (
            "1p on L1 below its minimum pauses",
            ChargerConfig("a", phases=1, phase=Phase.L1, max_current_a=32),
            (20.0, 5.0, 5.0),
            _one(0.0, Reason.SITE_FUSE, (("phase", "l1"),)),
        ),
    ],
)
def test_site_fuse(name: str, charger: ChargerConfig, load, expected) -> None:
    snapshot = site_snapshot(load, chargers=[plugged("a")])
    assert _decision(snapshot, calm(charger)) == expected, name


def test_non_ev_load_subtracts_what_our_chargers_draw() -> None:
    # The grid sees 20/15/15 A, of which 10 A per phase is our charger.
    snapshot = site_snapshot(
        (20.0, 15.0, 15.0), chargers=[plugged("a", currents_a=PhaseValues.uniform(10.0))]
    )
    assert _decision(snapshot, calm(THREE_32)) == _one(15.0, Reason.SITE_FUSE, (("phase", "l1"),))


def test_single_phase_charger_current_is_attributed_to_its_wired_phase() -> None:
    # The charger reports its current in its own L1 slot; it is wired to site L3.
    charger = ChargerConfig("a", phases=1, phase=Phase.L3, max_current_a=32)
    snapshot = site_snapshot(
        (2.0, 2.0, 22.0), chargers=[plugged("a", currents_a=PhaseValues(12.0, 0.0, 0.0))]
    )
    assert _decision(snapshot, calm(charger)) == _one(15.0, Reason.SITE_FUSE, (("phase", "l3"),))


def test_margin_is_kept_below_the_fuse() -> None:
    snapshot = site_snapshot((5.0, 5.0, 5.0), chargers=[plugged("a")])
    assert _decision(snapshot, calm(THREE_32, margin_a=2.0)) == _one(
        18.0, Reason.SITE_FUSE, (("phase", "l1"),)
    )


def test_grid_power_only_is_spread_evenly_after_removing_ev_power() -> None:
    # 6.9 kW at the meter, 10 A x 3 of it is our charger: 0 A per phase of house load.
    snapshot = SiteSnapshot(
        grid_power_w=6900.0, chargers=(plugged("a", currents_a=PhaseValues.uniform(10.0)),)
    )
    assert _decision(snapshot, calm(THREE_32)) == _one(25.0, Reason.SITE_FUSE, (("phase", "l1"),))


def test_export_is_not_fuse_headroom() -> None:
    snapshot = SiteSnapshot(grid_power_w=-5000.0, chargers=(plugged("a"),))
    assert _decision(snapshot, calm(THREE_32)) == _one(25.0, Reason.SITE_FUSE, (("phase", "l1"),))


def test_single_phase_site_runs_three_phase_chargers_on_one_phase() -> None:
    settings = calm(THREE_32, site=SiteConfig(fuse_a=40, phases=1))
    snapshot = SiteSnapshot(grid_power_w=10 * 230.0, chargers=(plugged("a"),))
    result = run(snapshot, settings)
    decision = result.get("a")
    assert decision is not None
    assert (decision.current_a, decision.phases, decision.reason) == (30.0, 1, Reason.SITE_FUSE)
    assert result.headroom_a == PhaseValues(30.0, 0.0, 0.0)


TREE = (
    CircuitConfig("building", 45.0),
    CircuitConfig("garage", 32.0, parent_id="building"),
    CircuitConfig("row", 20.0, parent_id="garage"),
)


def test_three_level_circuit_tree_water_fills_level_by_level() -> None:
    chargers = (
        ChargerConfig("r1", circuit_id="row"),
        ChargerConfig("r2", circuit_id="row"),
        ChargerConfig("g", circuit_id="garage"),
        ChargerConfig("b", circuit_id="building"),
    )
    settings = calm(*chargers, fuse=63.0, circuits=TREE)
    snapshot = site_snapshot(chargers=[plugged(c.id) for c in chargers])
    result = run(snapshot, settings)
    assert currents(result) == {"r1": 10.0, "r2": 10.0, "g": 12.0, "b": 13.0}
    details = {a.charger_id: (a.reason, a.detail("circuit")) for a in result.allocations}
    assert details == {
        "r1": (Reason.CIRCUIT_LIMIT, "row"),
        "r2": (Reason.CIRCUIT_LIMIT, "row"),
        "g": (Reason.CIRCUIT_LIMIT, "garage"),
        "b": (Reason.CIRCUIT_LIMIT, "building"),
    }


def test_circuit_per_phase_limits_with_single_phase_chargers() -> None:
    # Three 1p chargers on a 16 A sub-circuit: two on L1 share it, the L2 one is alone.
    chargers = (
        ChargerConfig("x", phases=1, phase=Phase.L1, max_current_a=16, circuit_id="sub"),
        ChargerConfig("y", phases=1, phase=Phase.L1, max_current_a=16, circuit_id="sub"),
        ChargerConfig("z", phases=1, phase=Phase.L2, max_current_a=16, circuit_id="sub"),
    )
    settings = calm(*chargers, fuse=63.0, circuits=(CircuitConfig("sub", 16.0),))
    result = run(site_snapshot(chargers=[plugged(c.id) for c in chargers]), settings)
    assert currents(result) == {"x": 8.0, "y": 8.0, "z": 16.0}
    x = result.get("x")
    assert x is not None
    assert x.details == (("circuit", "sub"), ("phase", "l1"))


def test_metered_circuit_deducts_its_other_load_and_the_margin() -> None:
    settings = calm(
        ChargerConfig("a", max_current_a=32, circuit_id="garage"),
        fuse=63.0,
        margin_a=2.0,
        circuits=(CircuitConfig("garage", 32.0),),
    )
    snapshot = site_snapshot(
        (12.0, 12.0, 12.0),
        chargers=[plugged("a", currents_a=PhaseValues.uniform(6.0))],
        circuits=(CircuitState("garage", currents_a=PhaseValues.uniform(12.0)),),
    )
    # Garage: 32 - 2 margin - (12 - 6) other load = 24 A.
    assert _decision(snapshot, settings)[:2] == (pytest.approx(24.0), Reason.CIRCUIT_LIMIT)


def test_unmetered_circuit_gets_its_full_limit_despite_the_margin() -> None:
    chargers = (ChargerConfig("a", circuit_id="c"), ChargerConfig("b", circuit_id="c"))
    settings = calm(*chargers, fuse=63.0, margin_a=2.0, circuits=(CircuitConfig("c", 32.0),))
    result = run(site_snapshot(chargers=[plugged("a"), plugged("b")]), settings)
    assert currents(result) == {"a": 16.0, "b": 16.0}


def test_unbalanced_load_limit_caps_single_phase_load() -> None:
    charger = ChargerConfig("a", phases=1, phase=Phase.L1, max_current_a=32)
    settings = calm(charger, fuse=63.0, unbalance_limit_a=20.0)
    snapshot = site_snapshot((10.0, 2.0, 0.0), chargers=[plugged("a")])
    # L1 may carry at most 20 A more than the least loaded phase (L3: 0 A): 10 A of EV.
    assert _decision(snapshot, settings) == _one(10.0, Reason.PHASE_IMBALANCE, (("phase", "l1"),))


def test_unbalanced_load_limit_leaves_three_phase_chargers_alone() -> None:
    settings = calm(THREE_32, fuse=63.0, unbalance_limit_a=20.0)
    snapshot = site_snapshot((30.0, 2.0, 0.0), chargers=[plugged("a")])
    assert _decision(snapshot, settings) == _one(32.0, Reason.FAST)


@pytest.mark.parametrize(
    ("name", "grid_w", "margin_w", "expected_a"),
    [
        ("house load takes part of the import limit", 3000.0, 0.0, 8000.0 / 690.0),
        ("import margin", 3000.0, 500.0, 7500.0 / 690.0),
        ("export adds to the import allowance", -2000.0, 0.0, 13000.0 / 690.0),
    ],
)
def test_import_limit(name: str, grid_w: float, margin_w: float, expected_a: float) -> None:
    settings = calm(
        THREE_32, fuse=63.0, margin_w=margin_w, site=SiteConfig(fuse_a=63.0, max_import_w=11000)
    )
    snapshot = SiteSnapshot(grid_power_w=grid_w, chargers=(plugged("a"),))
    current, reason, _ = _decision(snapshot, settings)
    assert (current, reason) == (pytest.approx(expected_a, abs=0.1), Reason.IMPORT_LIMIT), name
    assert current <= expected_a


def test_import_limit_from_phase_currents_counts_magnitudes() -> None:
    settings = calm(THREE_32, site=SiteConfig(fuse_a=63.0, max_import_w=11000))
    snapshot = SiteSnapshot(phase_currents_a=PhaseValues(5.0, 5.0, 5.0), chargers=(plugged("a"),))
    current, reason, _ = _decision(snapshot, settings)
    assert reason is Reason.IMPORT_LIMIT
    assert current == pytest.approx((11000 - 15 * 230) / 690, abs=0.1)


@pytest.mark.parametrize(
    ("name", "limit", "now_offset_s", "expected"),
    [
        ("live signal", ExternalLimit(5000.0), 0, _one(7.2, Reason.GRID_SIGNAL)),
        (
            "not yet expired",
            ExternalLimit(5000.0, expires_at=T0 + timedelta(seconds=60)),
            0,
            _one(7.2, Reason.GRID_SIGNAL),
        ),
        (
            "stale: failsafe value applies",
            ExternalLimit(9000.0, expires_at=T0, failsafe_w=3000.0),
            0,
            _one(0.0, Reason.GRID_SIGNAL),
        ),
        (
            "stale without failsafe keeps the last value",
            ExternalLimit(5000.0, expires_at=T0 - timedelta(seconds=1)),
            0,
            _one(7.2, Reason.GRID_SIGNAL),
        ),
        (
            "§14a never below 4.2 kW",
            ExternalLimit(1000.0, is_14a=True),
            0,
            _one(6.0, Reason.GRID_SIGNAL),
        ),
        (
            "§14a failsafe never below 4.2 kW",
            ExternalLimit(11000.0, expires_at=T0, is_14a=True, failsafe_w=0.0),
            0,
            _one(6.0, Reason.GRID_SIGNAL),
        ),
    ],
)
def test_external_limit(name: str, limit: ExternalLimit, now_offset_s: int, expected) -> None:
    snapshot = site_snapshot(chargers=[plugged("a")], external_limit=limit)
    result = run(snapshot, calm(THREE_32), now=T0 + timedelta(seconds=now_offset_s))
    decision = result.get("a")
    assert decision is not None
    assert (decision.current_a, decision.reason, decision.details) == expected, name
    assert result.external_limit_w == limit.effective_w(T0)


def test_external_limit_is_shared_by_all_chargers() -> None:
    chargers = (ChargerConfig("a"), ChargerConfig("b"))
    snapshot = site_snapshot(
        chargers=[plugged("a"), plugged("b")], external_limit=ExternalLimit(11040.0)
    )
    assert currents(run(snapshot, calm(*chargers, fuse=63.0))) == {"a": 8.0, "b": 8.0}


CURVE = DeratingCurve(start_c=40.0, end_c=60.0, min_fraction=0.5)


@pytest.mark.parametrize(
    ("name", "temperature", "expected"),
    [
        ("cool", 25.0, _one(16.0, Reason.FAST)),
        ("half way down the curve", 50.0, _one(12.0, Reason.TEMPERATURE_DERATING)),
        ("past the curve", 70.0, _one(8.0, Reason.TEMPERATURE_DERATING)),
        ("unknown temperature fails safe", None, _one(8.0, Reason.TEMPERATURE_DERATING)),
    ],
)
def test_charger_temperature_derating(name: str, temperature: float | None, expected) -> None:
    charger = ChargerConfig("a", max_current_a=16, derating=CURVE)
    snapshot = site_snapshot(chargers=[plugged("a", temperature_c=temperature)])
    assert _decision(snapshot, calm(charger)) == expected, name


def test_derating_below_minimum_pauses() -> None:
    charger = ChargerConfig("a", derating=DeratingCurve(40.0, 60.0, 0.25))
    snapshot = site_snapshot(chargers=[plugged("a", temperature_c=80.0)])
    assert _decision(snapshot, calm(charger)) == _one(0.0, Reason.TEMPERATURE_DERATING)


def test_circuit_temperature_derating_names_the_circuit() -> None:
    settings = calm(
        ChargerConfig("a", max_current_a=32, circuit_id="cable"),
        fuse=63.0,
        circuits=(CircuitConfig("cable", 32.0, derating=CURVE),),
    )
    snapshot = site_snapshot(
        chargers=[plugged("a")], circuits=(CircuitState("cable", temperature_c=50.0),)
    )
    assert _decision(snapshot, settings) == _one(
        24.0, Reason.TEMPERATURE_DERATING, (("circuit", "cable"), ("phase", "l1"))
    )


def test_circuit_derating_without_a_reading_fails_safe() -> None:
    settings = calm(
        ChargerConfig("a", max_current_a=32, circuit_id="cable"),
        fuse=63.0,
        circuits=(CircuitConfig("cable", 32.0, derating=CURVE),),
    )
    snapshot = site_snapshot(chargers=[plugged("a")])
    assert _decision(snapshot, settings)[:2] == (16.0, Reason.TEMPERATURE_DERATING)


def test_result_reports_headroom_and_surplus() -> None:
    snapshot = site_snapshot((5.0, 6.0, 7.0), chargers=[plugged("a")], grid_w=-1000.0)
    result = run(snapshot, calm(THREE_32, margin_a=1.0))
    assert result.headroom_a == PhaseValues(19.0, 18.0, 17.0)
    assert result.surplus_w == pytest.approx(1000.0)
    assert not result.failsafe
