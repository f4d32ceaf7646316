"""Planned power within the circuits: each plugged-in charger's share of every circuit."""

from __future__ import annotations

import pytest

from custom_components.smart_charging.engine.model import (
    ChargerConfig,
    CircuitConfig,
    Phase,
    SiteConfig,
)
from custom_components.smart_charging.engine.plan_circuits import (
    circuit_power_caps,
    within_circuits,
)
from custom_components.smart_charging.engine.plan_model import ChargeNeed
from custom_components.smart_charging.engine.settings import AllocatorSettings

KW_PER_A_3P = 3 * 230 / 1000
KW_PER_A_1P = 230 / 1000


def settings(
    chargers: list[ChargerConfig], circuits: tuple[CircuitConfig, ...] = (), phases: int = 3
) -> AllocatorSettings:
    return AllocatorSettings(
        site=SiteConfig(fuse_a=63.0, phases=phases),
        chargers=tuple(chargers),
        circuits=circuits,
    )


def three(cid: str, circuit: str | None, max_a: float = 16.0) -> ChargerConfig:
    return ChargerConfig(id=cid, circuit_id=circuit, max_current_a=max_a)


def one(cid: str, circuit: str | None, phase: Phase) -> ChargerConfig:
    return ChargerConfig(id=cid, circuit_id=circuit, phases=1, phase=phase, max_current_a=16.0)


def test_without_circuits_every_charger_keeps_its_maximum() -> None:
    chargers = [three("a", None), three("b", None, max_a=32.0)]
    caps = circuit_power_caps(settings(chargers), {"a", "b"})
    assert caps == pytest.approx({"a": 16 * KW_PER_A_3P, "b": 32 * KW_PER_A_3P})


def test_a_feeder_is_shared_equally_among_the_plugged_in_chargers() -> None:
    """Four 16 A vans on a 40 A feeder: 10 A each; the fifth, elsewhere, keeps 16 A."""
    row = (CircuitConfig("row_a", 40.0),)
    chargers = [three(f"van{i}", "row_a") for i in range(4)] + [three("van4", None)]
    caps = circuit_power_caps(settings(chargers, row), {f"van{i}" for i in range(5)})
    assert caps == pytest.approx(
        {**{f"van{i}": 10 * KW_PER_A_3P for i in range(4)}, "van4": 16 * KW_PER_A_3P}
    )


def test_only_plugged_in_chargers_share_and_get_a_cap() -> None:
    """An empty charger neither shares nor is capped."""
    row = (CircuitConfig("row_a", 40.0),)
    chargers = [three(f"van{i}", "row_a") for i in range(4)]
    caps = circuit_power_caps(settings(chargers, row), {"van0", "van1"})
    assert caps == pytest.approx({"van0": 16 * KW_PER_A_3P, "van1": 16 * KW_PER_A_3P})


def test_nested_circuits_bind_at_the_tightest_level() -> None:
    """Two chargers on a 32 A sub-feeder and two more beside it under a 40 A feeder."""
    circuits = (CircuitConfig("feeder", 40.0), CircuitConfig("sub", 32.0, parent_id="feeder"))
    chargers = [
        three("s1", "sub"),
        three("s2", "sub"),
        three("f1", "feeder"),
        three("f2", "feeder"),
    ]
    caps = circuit_power_caps(settings(chargers, circuits), {"s1", "s2", "f1", "f2"})
    assert caps == pytest.approx(dict.fromkeys(("s1", "s2", "f1", "f2"), 10 * KW_PER_A_3P))
    alone = circuit_power_caps(settings(chargers, circuits), {"s1", "s2"})
    assert alone == pytest.approx({"s1": 16 * KW_PER_A_3P, "s2": 16 * KW_PER_A_3P})


def test_single_phase_chargers_share_only_their_own_phase() -> None:
    """Two on L1 split its 20 A; the one on L2 has L2 to itself; a 3p one shares all three."""
    circuit = (CircuitConfig("garage", 20.0),)
    chargers = [
        one("l1a", "garage", Phase.L1),
        one("l1b", "garage", Phase.L1),
        one("l2", "garage", Phase.L2),
    ]
    caps = circuit_power_caps(settings(chargers, circuit), {"l1a", "l1b", "l2"})
    assert caps == pytest.approx(
        {"l1a": 10 * KW_PER_A_1P, "l1b": 10 * KW_PER_A_1P, "l2": 16 * KW_PER_A_1P}
    )
    mixed = [*chargers, three("c3", "garage")]
    caps = circuit_power_caps(settings(mixed, circuit), {"l1a", "l1b", "l2", "c3"})
    third = 20 / 3  # L1 carries l1a, l1b and c3
    assert caps == pytest.approx(
        {
            "l1a": third * KW_PER_A_1P,
            "l1b": third * KW_PER_A_1P,
            "l2": 10 * KW_PER_A_1P,
            "c3": third * KW_PER_A_3P,
        }
    )


def test_a_single_phase_site_puts_every_charger_on_l1() -> None:
    circuit = (CircuitConfig("garage", 20.0),)
    chargers = [one("a", "garage", Phase.L2), one("b", "garage", Phase.L3)]
    caps = circuit_power_caps(settings(chargers, circuit, phases=1), {"a", "b"})
    assert caps == pytest.approx({"a": 10 * KW_PER_A_1P, "b": 10 * KW_PER_A_1P})


def test_the_cap_never_falls_below_the_minimum_current() -> None:
    """Four vans on a 16 A feeder would get 4 A; the plan keeps their 6 A minimum."""
    row = (CircuitConfig("row_a", 16.0),)
    chargers = [three(f"van{i}", "row_a") for i in range(4)]
    caps = circuit_power_caps(settings(chargers, row), {f"van{i}" for i in range(4)})
    assert caps == pytest.approx({f"van{i}": 6 * KW_PER_A_3P for i in range(4)})


def test_needs_are_capped_among_every_car_plugged_in() -> None:
    """Two vans on a 30 A feeder plan 15 A each; with a car in fast mode beside them, 10 A."""
    row = (CircuitConfig("row_a", 30.0),)
    config = settings(
        [three("a", "row_a"), three("b", "row_a"), three("fast", "row_a"), three("free", None)],
        row,
    )
    max_kw = 16 * KW_PER_A_3P
    needs = [
        ChargeNeed("a", energy_kwh=20.0, max_power_kw=max_kw),
        ChargeNeed("b", energy_kwh=30.0, max_power_kw=max_kw),
        ChargeNeed("free", energy_kwh=30.0, max_power_kw=max_kw),
    ]
    capped = {n.charger_id: n.max_power_kw for n in within_circuits(config, needs, {"a", "b"})}
    assert capped == pytest.approx({"a": 15 * KW_PER_A_3P, "b": 15 * KW_PER_A_3P, "free": max_kw})
    plugged = {"a", "b", "fast", "free"}
    capped = {n.charger_id: n.max_power_kw for n in within_circuits(config, needs, plugged)}
    assert capped == pytest.approx({"a": 10 * KW_PER_A_3P, "b": 10 * KW_PER_A_3P, "free": max_kw})
