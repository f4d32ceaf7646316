"""Rule 3: modes, minimum SoC, targets, allowed windows — one cycle each."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

from custom_components.smart_charging.engine.model import (
    ChargerConfig,
    ChargerMode,
    ChargerRequest,
    ChargerState,
    DeratingCurve,
    PhaseValues,
    Reason,
    SiteSnapshot,
    TimeWindow,
)

from .alloc_helpers import T0, calm, plugged, run, site_snapshot, wants

CHARGER = ChargerConfig("a", max_current_a=16)
SETTINGS = calm(CHARGER, fuse=63.0, pv_enable_delay_s=0.0)


def _decide(
    request: ChargerRequest | None,
    state: ChargerState | None = None,
    *,
    export_w: float = 0.0,
    now: datetime = T0,
    settings=SETTINGS,
) -> tuple[float, Reason]:
    snapshot = site_snapshot(
        chargers=[state or plugged("a")],
        requests=[request] if request else [],
        grid_w=-export_w,
    )
    decision = run(snapshot, settings, now=now).get("a")
    assert decision is not None
    return (decision.current_a, decision.reason)


@pytest.mark.parametrize(
    ("name", "request_", "state", "export_w", "expected"),
    [
        ("off", wants("a", ChargerMode.OFF), None, 9000.0, (0.0, Reason.MODE_OFF)),
        ("fast", wants("a"), None, 0.0, (16.0, Reason.FAST)),
        ("no request means fast", None, None, 0.0, (16.0, Reason.FAST)),
        ("not connected", wants("a"), ChargerState("a"), 0.0, (0.0, Reason.NOT_CONNECTED)),
        (
            "pv without surplus",
            wants("a", ChargerMode.PV),
            None,
            0.0,
            (0.0, Reason.WAITING_FOR_SURPLUS),
        ),
        ("pv with 6.9 kW", wants("a", ChargerMode.PV), None, 6900.0, (10.0, Reason.PV_SURPLUS)),
        ("pv with plenty", wants("a", ChargerMode.PV), None, 20000.0, (16.0, Reason.PV_SURPLUS)),
        (
            "min_pv without surplus",
            wants("a", ChargerMode.MIN_PV),
            None,
            0.0,
            (6.0, Reason.MIN_CURRENT),
        ),
        (
            "min_pv with 6.9 kW",
            wants("a", ChargerMode.MIN_PV),
            None,
            6900.0,
            (10.0, Reason.PV_SURPLUS),
        ),
        (
            "smart follows the plan",
            wants("a", ChargerMode.SMART, planned_power_w=6900.0),
            None,
            0.0,
            (10.0, Reason.PLANNED_SLOT),
        ),
        (
            "smart: a small plan is raised to the minimum",
            wants("a", ChargerMode.SMART, planned_power_w=2000.0),
            None,
            0.0,
            (6.0, Reason.PLANNED_SLOT),
        ),
        (
            "smart: a large plan is capped at the maximum",
            wants("a", ChargerMode.SMART, planned_power_w=50000.0),
            None,
            0.0,
            (16.0, Reason.PLANNED_SLOT),
        ),
        (
            "smart: surplus on top of the plan",
            wants("a", ChargerMode.SMART, planned_power_w=4140.0),
            None,
            6900.0 + 2070.0,
            (13.0, Reason.PV_SURPLUS),
        ),
        (
            "smart: no slot, no surplus",
            wants("a", ChargerMode.SMART),
            None,
            0.0,
            (0.0, Reason.WAITING_FOR_CHEAP_SLOT),
        ),
        (
            "smart: no slot, but surplus",
            wants("a", ChargerMode.SMART),
            None,
            6900.0,
            (10.0, Reason.PV_SURPLUS),
        ),
        (
            "below minimum SoC charges as fast whatever the mode",
            wants("a", ChargerMode.PV, min_soc_pct=20.0),
            plugged("a", soc_pct=10.0),
            0.0,
            (16.0, Reason.MINIMUM_SOC),
        ),
        (
            "above minimum SoC the mode applies again",
            wants("a", ChargerMode.PV, min_soc_pct=20.0),
            plugged("a", soc_pct=30.0),
            0.0,
            (0.0, Reason.WAITING_FOR_SURPLUS),
        ),
        (
            "off beats the minimum SoC",
            wants("a", ChargerMode.OFF, min_soc_pct=20.0),
            plugged("a", soc_pct=10.0),
            0.0,
            (0.0, Reason.MODE_OFF),
        ),
        (
            "target SoC reached",
            wants("a", target_soc_pct=80.0),
            plugged("a", soc_pct=80.0),
            0.0,
            (0.0, Reason.TARGET_REACHED),
        ),
        (
            "target SoC not yet reached",
            wants("a", target_soc_pct=80.0),
            plugged("a", soc_pct=79.0),
            0.0,
            (16.0, Reason.FAST),
        ),
        (
            "target SoC without a SoC reading is not reached",
            wants("a", target_soc_pct=80.0),
            plugged("a"),
            0.0,
            (16.0, Reason.FAST),
        ),
        (
            "target energy reached",
            wants("a", target_energy_kwh=10.0),
            plugged("a", session_energy_kwh=10.5),
            0.0,
            (0.0, Reason.TARGET_REACHED),
        ),
        (
            "target energy not yet reached",
            wants("a", target_energy_kwh=10.0),
            plugged("a", session_energy_kwh=9.5),
            0.0,
            (16.0, Reason.FAST),
        ),
    ],
)
def test_modes_and_session_rules(
    name: str,
    request_: ChargerRequest | None,
    state: ChargerState | None,
    export_w: float,
    expected: tuple[float, Reason],
) -> None:
    assert _decide(request_, state, export_w=export_w) == expected, name


def test_charger_without_a_reading_is_not_connected() -> None:
    result = run(SiteSnapshot(grid_power_w=0.0), SETTINGS)
    decision = result.get("a")
    assert decision is not None
    assert (decision.current_a, decision.reason) == (0.0, Reason.NOT_CONNECTED)


def test_smart_plan_at_derated_maximum_names_the_derating() -> None:
    charger = ChargerConfig("a", derating=DeratingCurve(40.0, 60.0, 0.5))
    settings = calm(charger, fuse=63.0)
    request = wants("a", ChargerMode.SMART, planned_power_w=50000.0)
    state = plugged("a", temperature_c=60.0)
    assert _decide(request, state, settings=settings) == (8.0, Reason.TEMPERATURE_DERATING)


def test_pv_at_derated_maximum_names_the_derating() -> None:
    charger = ChargerConfig("a", derating=DeratingCurve(40.0, 60.0, 0.5))
    settings = calm(charger, fuse=63.0, pv_enable_delay_s=0.0)
    request = wants("a", ChargerMode.PV)
    state = plugged("a", temperature_c=60.0)
    assert _decide(request, state, export_w=20000.0, settings=settings) == (
        8.0,
        Reason.TEMPERATURE_DERATING,
    )


NIGHT = TimeWindow(time(22, 0), time(6, 0))
NOON = TimeWindow(time(11, 0), time(13, 0))


@pytest.mark.parametrize(
    ("name", "windows", "now", "expected"),
    [
        ("inside a day window", (NOON,), T0, (16.0, Reason.FAST)),
        ("outside a day window", (NIGHT,), T0, (0.0, Reason.OUTSIDE_WINDOW)),
        ("night window before midnight", (NIGHT,), T0 + timedelta(hours=11), (16.0, Reason.FAST)),
        ("night window after midnight", (NIGHT,), T0 + timedelta(hours=15), (16.0, Reason.FAST)),
        ("end is exclusive", (NOON,), T0 + timedelta(hours=1), (0.0, Reason.OUTSIDE_WINDOW)),
        ("any of several windows", (NIGHT, NOON), T0, (16.0, Reason.FAST)),
        ("start == end is the whole day", (TimeWindow(time(3), time(3)),), T0, (16.0, Reason.FAST)),
        (
            "windows use now's own time zone",
            (TimeWindow(time(14, 0), time(15, 0)),),
            T0.astimezone(timezone(timedelta(hours=2))),
            (16.0, Reason.FAST),
        ),
    ],
)
def test_allowed_windows(
    name: str, windows: tuple[TimeWindow, ...], now: datetime, expected: tuple[float, Reason]
) -> None:
    assert _decide(wants("a", windows=windows), now=now) == expected, name


def test_minimum_soc_charges_outside_the_window() -> None:
    request = wants("a", ChargerMode.PV, windows=(NIGHT,), min_soc_pct=30.0)
    assert _decide(request, plugged("a", soc_pct=5.0)) == (16.0, Reason.MINIMUM_SOC)


def test_surplus_counts_what_our_charger_already_draws() -> None:
    # Export is 0, but our charger draws 10 A x 3: that is surplus it may keep.
    snapshot = site_snapshot(
        chargers=[plugged("a", currents_a=PhaseValues.uniform(10.0))],
        requests=[wants("a", ChargerMode.PV)],
        grid_w=0.0,
    )
    decision = run(snapshot, SETTINGS).get("a")
    assert decision is not None
    assert (decision.current_a, decision.reason) == (10.0, Reason.PV_SURPLUS)


@pytest.mark.parametrize(
    ("name", "battery_w", "soc", "expected_a"),
    [
        ("battery below priority SoC keeps its power", 2070.0, 50.0, 0.0),
        ("battery above priority SoC yields its power", 2070.0, 95.0, 6.0),
        ("discharging battery is not surplus", -2070.0, 95.0, 0.0),
    ],
)
def test_battery_policy(name: str, battery_w: float, soc: float, expected_a: float) -> None:
    settings = calm(CHARGER, fuse=63.0, pv_enable_delay_s=0.0, battery_priority_soc_pct=90.0)
    # Export 2.07 kW while the battery charges 2.07 kW: 4.14 kW would be 6 A x 3.
    export = 2070.0 if battery_w > 0 else 4140.0
    snapshot = site_snapshot(
        chargers=[plugged("a")],
        requests=[wants("a", ChargerMode.PV)],
        grid_w=-export,
        battery_power_w=battery_w,
        battery_soc_pct=soc,
    )
    decision = run(snapshot, settings).get("a")
    assert decision is not None
    assert decision.current_a == expected_a, name


def test_no_surplus_without_a_grid_power_reading() -> None:
    snapshot = SiteSnapshot(
        phase_currents_a=PhaseValues(0.0, 0.0, 0.0),
        chargers=(plugged("a"),),
        requests=(wants("a", ChargerMode.PV),),
    )
    result = run(snapshot, SETTINGS)
    assert result.surplus_w == 0.0
    decision = result.get("a")
    assert decision is not None
    assert decision.reason is Reason.WAITING_FOR_SURPLUS
