"""The allocator's value types: validation, curves, windows, signals, result lookups."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from custom_components.smart_charging.engine.allocation import (
    AllocationMemory,
    ChargerAllocation,
    ChargerMemory,
)
from custom_components.smart_charging.engine.model import (
    SECTION_14A_MIN_W,
    ChargerConfig,
    CircuitConfig,
    DeratingCurve,
    ExternalLimit,
    Reason,
    SiteConfig,
    TimeWindow,
)
from custom_components.smart_charging.engine.settings import AllocatorSettings

from .alloc_helpers import T0, calm, plugged, run, site_snapshot

SITE = SiteConfig(fuse_a=25.0)


@pytest.mark.parametrize(
    ("name", "fields", "message"),
    [
        ("two phases", {"phases": 2}, "phases must be 1 or 3"),
        ("minimum above maximum", {"min_current_a": 20.0}, "min current"),
        ("zero minimum", {"min_current_a": 0.0}, "min current"),
        ("zero weight", {"weight": 0.0}, "weight"),
        ("fallback below minimum", {"fallback_current_a": 3.0}, "fallback"),
        ("fallback above maximum", {"fallback_current_a": 20.0}, "fallback"),
    ],
)
def test_charger_config_validation(name: str, fields: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ChargerConfig("a", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("fallback", [None, 0.0, 6.0, 16.0])
def test_charger_config_accepts_valid_fallbacks(fallback: float | None) -> None:
    assert ChargerConfig("a", fallback_current_a=fallback).fallback_current_a == fallback


@pytest.mark.parametrize(
    ("name", "settings", "message"),
    [
        ("duplicate charger", {"chargers": (ChargerConfig("a"), ChargerConfig("a"))}, "duplicate"),
        (
            "duplicate circuit",
            {"circuits": (CircuitConfig("c", 16), CircuitConfig("c", 16))},
            "duplicate",
        ),
        (
            "unknown parent",
            {"circuits": (CircuitConfig("c", 16, parent_id="x"),)},
            "unknown parent",
        ),
        (
            "cycle",
            {"circuits": (CircuitConfig("c", 16, parent_id="d"), CircuitConfig("d", 16, "c"))},
            "cycle",
        ),
        ("unknown circuit", {"chargers": (ChargerConfig("a", circuit_id="x"),)}, "unknown circuit"),
        ("resolution", {"resolution_a": 0.0}, "resolution"),
        ("idle delay", {"idle_delay_s": -1.0}, "idle delay"),
        ("idle threshold", {"idle_threshold_a": -0.1}, "idle threshold"),
        ("vehicle headroom", {"vehicle_headroom_a": 0.0}, "vehicle headroom"),
        ("probe interval", {"vehicle_probe_interval_s": 0.0}, "probe interval"),
    ],
)
def test_settings_validation(name: str, settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AllocatorSettings(site=SITE, **settings)  # type: ignore[arg-type]


def test_settings_accept_a_deep_tree() -> None:
    circuits = (
        CircuitConfig("a", 63),
        CircuitConfig("b", 40, parent_id="a"),
        CircuitConfig("c", 32, parent_id="b"),
    )
    settings = AllocatorSettings(
        site=SITE, circuits=circuits, chargers=(ChargerConfig("x", circuit_id="c"),)
    )
    assert settings.circuits == circuits


@pytest.mark.parametrize(
    ("start", "end", "fraction", "message"),
    [(60.0, 40.0, 0.5, "above its start"), (40.0, 60.0, 1.5, "within 0..1")],
)
def test_derating_curve_validation(start: float, end: float, fraction: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DeratingCurve(start, end, fraction)


@pytest.mark.parametrize(
    ("temperature", "expected"),
    [(20.0, 1.0), (40.0, 1.0), (45.0, 0.9), (60.0, 0.6), (90.0, 0.6), (None, 0.6)],
)
def test_derating_factor(temperature: float | None, expected: float) -> None:
    assert DeratingCurve(40.0, 60.0, 0.6).factor(temperature) == pytest.approx(expected)


def test_derating_factor_nan_fails_safe() -> None:
    assert DeratingCurve(40.0, 60.0, 0.6).factor(float("nan")) == 0.6


def test_time_window_ignores_a_time_zone_on_its_bounds() -> None:
    window = TimeWindow(time(11, tzinfo=UTC), time(13, tzinfo=UTC))
    assert window.contains(datetime(2025, 1, 1, 12, 30, tzinfo=UTC))
    assert not window.contains(datetime(2025, 1, 1, 13, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("name", "limit", "offset_s", "expected", "stale"),
    [
        ("no expiry", ExternalLimit(5000.0), 0, 5000.0, False),
        (
            "before expiry",
            ExternalLimit(5000.0, T0 + timedelta(seconds=1), False, 100.0),
            0,
            5000.0,
            False,
        ),
        ("at expiry", ExternalLimit(5000.0, T0, False, 100.0), 0, 100.0, True),
        ("negative is zero", ExternalLimit(-10.0), 0, 0.0, False),
        ("§14a floor", ExternalLimit(0.0, is_14a=True), 0, SECTION_14A_MIN_W, False),
        ("§14a above the floor", ExternalLimit(9000.0, is_14a=True), 0, 9000.0, False),
    ],
)
def test_external_limit_value(
    name: str, limit: ExternalLimit, offset_s: int, expected: float, stale: bool
) -> None:
    now = T0 + timedelta(seconds=offset_s)
    assert limit.effective_w(now) == expected, name
    assert limit.stale(now) is stale, name


def test_allocation_helpers() -> None:
    paused = ChargerAllocation("a", 0.0, 3, Reason.SITE_FUSE, (("phase", "l2"),))
    assert paused.paused
    assert paused.detail("phase") == "l2"
    assert paused.detail("circuit") is None
    assert not ChargerAllocation("b", 6.0, 1, Reason.FAST).paused
    memory = AllocationMemory((ChargerMemory("a"),))
    assert memory.get("a") == ChargerMemory("a")
    assert memory.get("zz") is None


def test_result_lookup() -> None:
    result = run(site_snapshot(chargers=[plugged("a")]), calm(ChargerConfig("a")))
    assert result.get("a") is not None
    assert result.get("nobody") is None
    assert result.memory.get("a") is not None


def test_allocation_is_deterministic_and_does_not_read_the_clock() -> None:
    settings = calm(ChargerConfig("a"), ChargerConfig("b", phases=1))
    snapshot = site_snapshot((3.0, 4.0, 5.0), chargers=[plugged("a"), plugged("b")])
    first = run(snapshot, settings, now=T0)
    assert run(snapshot, settings, now=T0) == first
    memory = first.memory.get("a")
    assert memory is not None
    assert memory.changed_at == T0
