"""Table tests for the site figures: sign conventions, units, phases, headroom, surplus."""

from __future__ import annotations

import pytest

from custom_components.smart_charging.engine.model import (
    BatterySignConvention,
    InputReading,
    InputRole,
    InputStatus,
    Phase,
    PhaseValues,
    SignConvention,
    SiteConfig,
    SiteSnapshot,
)
from custom_components.smart_charging.engine.surplus import (
    headroom_a,
    import_headroom_w,
    min_headroom_a,
    non_ev_load_a,
    normalize_battery_power,
    normalize_grid_power,
    phase_load_a,
    pv_surplus_w,
)
from custom_components.smart_charging.engine.units import (
    UnitError,
    amps_to_watts,
    current_to_a,
    energy_to_kwh,
    is_current_unit,
    is_power_unit,
    power_to_w,
    watts_to_amps,
)

THREE = SiteConfig(fuse_a=25, phases=3, voltage_v=230, max_import_w=11_000)
ONE = SiteConfig(fuse_a=40, phases=1, voltage_v=230)


@pytest.mark.parametrize(
    ("name", "value", "unit", "convention", "expected_w"),
    [
        ("import, W, import-positive", 1500, "W", SignConvention.IMPORT_POSITIVE, 1500),
        ("export, W, import-positive", -800, "W", SignConvention.IMPORT_POSITIVE, -800),
        ("import, kW, export-positive", -1.5, "kW", SignConvention.EXPORT_POSITIVE, 1500),
        ("export, kW, export-positive", 2.25, "kW", SignConvention.EXPORT_POSITIVE, -2250),
        ("MW meter of a depot", 0.05, "MW", SignConvention.IMPORT_POSITIVE, 50_000),
    ],
)
def test_grid_power_sign_and_unit(
    name: str, value: float, unit: str, convention: SignConvention, expected_w: float
) -> None:
    assert normalize_grid_power(power_to_w(value, unit), convention) == pytest.approx(expected_w), (
        name
    )


@pytest.mark.parametrize(
    ("value", "convention", "expected"),
    [
        (500, BatterySignConvention.CHARGE_POSITIVE, 500),
        (500, BatterySignConvention.DISCHARGE_POSITIVE, -500),
        (-300, BatterySignConvention.DISCHARGE_POSITIVE, 300),
    ],
)
def test_battery_sign(value: float, convention: BatterySignConvention, expected: float) -> None:
    assert normalize_battery_power(value, convention) == expected


def test_units() -> None:
    assert current_to_a(16_000, "mA") == 16
    assert current_to_a(16, "A") == 16
    assert energy_to_kwh(1500, "Wh") == 1.5
    assert energy_to_kwh(2, "MWh") == 2000
    assert is_power_unit("kW")
    assert not is_power_unit("VA")
    assert is_current_unit("mA")
    assert not is_current_unit(None)
    assert amps_to_watts(16, 3, 230) == 11_040
    assert watts_to_amps(3680, 1, 230) == 16
    with pytest.raises(UnitError) as err:
        power_to_w(1, "hp")
    assert err.value.unit == "hp"
    assert err.value.allowed == ("W", "kW", "MW")
    with pytest.raises(UnitError):
        current_to_a(1, None)


@pytest.mark.parametrize(
    ("name", "snapshot", "config", "load", "room"),
    [
        (
            "3p, grid power spread evenly",
            SiteSnapshot(grid_power_w=6900),
            THREE,
            (10, 10, 10),
            (15, 15, 15),
        ),
        (
            "3p, export is no extra fuse capacity",
            SiteSnapshot(grid_power_w=-6900),
            THREE,
            (0, 0, 0),
            (25, 25, 25),
        ),
        (
            "3p, clamps win over power",
            SiteSnapshot(grid_power_w=6900, phase_currents_a=PhaseValues(2, 20, 5)),
            THREE,
            (2, 20, 5),
            (23, 5, 20),
        ),
        (
            "1p, everything on L1",
            SiteSnapshot(grid_power_w=4600),
            ONE,
            (20, 0, 0),
            (20, 0, 0),
        ),
        (
            "1p clamp ignores phases the site lacks",
            SiteSnapshot(phase_currents_a=PhaseValues(12, 7, 7)),
            ONE,
            (12, 0, 0),
            (28, 0, 0),
        ),
        (
            "negative clamp reading counts as zero",
            SiteSnapshot(phase_currents_a=PhaseValues(-3, 1, 1)),
            THREE,
            (0, 1, 1),
            (25, 24, 24),
        ),
    ],
)
def test_phase_load_and_headroom(
    name: str,
    snapshot: SiteSnapshot,
    config: SiteConfig,
    load: tuple[float, float, float],
    room: tuple[float, float, float],
) -> None:
    measured = phase_load_a(snapshot, config)
    assert measured is not None
    assert measured.as_tuple() == pytest.approx(load), name
    spare = headroom_a(snapshot, config)
    assert spare is not None
    assert spare.as_tuple() == pytest.approx(room), name
    assert min_headroom_a(snapshot, config) == pytest.approx(
        min(spare[p] for p in config.active_phases)
    )


def test_unknown_load_has_no_headroom() -> None:
    for snapshot in (
        SiteSnapshot(),
        SiteSnapshot(
            grid_power_w=100,
            inputs=(InputReading(InputRole.GRID_CURRENT_L2, "sensor.l2", InputStatus.STALE, 3),),
        ),
    ):
        assert snapshot.failsafe
        assert phase_load_a(snapshot, THREE) is None
        assert headroom_a(snapshot, THREE) is None
        assert min_headroom_a(snapshot, THREE) is None
        assert non_ev_load_a(snapshot, THREE) is None


def test_non_ev_load_subtracts_our_chargers() -> None:
    snapshot = SiteSnapshot(
        phase_currents_a=PhaseValues(20, 8, 8), ev_currents_a=PhaseValues(16, 0, 10)
    )
    load = non_ev_load_a(snapshot, THREE)
    assert load is not None
    assert load.as_tuple() == (4, 8, 0)


def test_import_headroom() -> None:
    assert import_headroom_w(SiteSnapshot(grid_power_w=4000), THREE) == 7000
    assert import_headroom_w(SiteSnapshot(grid_power_w=-2000), THREE) == 13_000
    assert import_headroom_w(SiteSnapshot(grid_power_w=4000), ONE) is None
    assert import_headroom_w(SiteSnapshot(), THREE) is None


@pytest.mark.parametrize(
    ("name", "snapshot", "priority_soc", "expected"),
    [
        ("no grid reading, no surplus", SiteSnapshot(ev_power_w=3000), None, 0),
        ("plain export", SiteSnapshot(grid_power_w=-2500), None, 2500),
        ("import is a deficit", SiteSnapshot(grid_power_w=1200), None, -1200),
        (
            "what our EVs draw is surplus they could give back",
            SiteSnapshot(grid_power_w=-500, ev_power_w=4000),
            None,
            4500,
        ),
        (
            "a discharging battery is never drained into the car",
            SiteSnapshot(grid_power_w=0, ev_power_w=3000, battery_power_w=-3000),
            None,
            0,
        ),
        (
            "a charging battery below its priority SoC keeps its power",
            SiteSnapshot(grid_power_w=-1000, battery_power_w=2000, battery_soc_pct=40),
            80,
            1000,
        ),
        (
            "above its priority SoC the battery's charge power is surplus",
            SiteSnapshot(grid_power_w=-1000, battery_power_w=2000, battery_soc_pct=85),
            80,
            3000,
        ),
        (
            "without a priority SoC the battery yields",
            SiteSnapshot(grid_power_w=-1000, battery_power_w=2000, battery_soc_pct=10),
            None,
            3000,
        ),
        (
            "unknown SoC: the battery yields",
            SiteSnapshot(grid_power_w=-1000, battery_power_w=2000),
            80,
            3000,
        ),
    ],
)
def test_pv_surplus(
    name: str, snapshot: SiteSnapshot, priority_soc: float | None, expected: float
) -> None:
    assert pv_surplus_w(snapshot, priority_soc) == pytest.approx(expected), name


def test_phase_values_helpers() -> None:
    values = PhaseValues.from_tuple((1, 2, 3))
    assert [values[p] for p in (Phase.L1, Phase.L2, Phase.L3)] == [1, 2, 3]
    assert PhaseValues.uniform(4).as_tuple() == (4, 4, 4)
    assert PhaseValues.from_fn(lambda p: 1.0 if p is Phase.L2 else 0.0).as_tuple() == (0, 1, 0)


def test_snapshot_health_split() -> None:
    good = InputReading(InputRole.GRID_POWER, "sensor.grid", InputStatus.OK, 100)
    pv = InputReading(InputRole.PV_POWER, "sensor.pv", InputStatus.UNAVAILABLE)
    snapshot = SiteSnapshot(grid_power_w=100, inputs=(good, pv))
    assert not snapshot.failsafe
    assert snapshot.degraded_inputs == (pv,)
    assert snapshot.failsafe_inputs == ()
    assert good.ok
    assert not pv.ok
