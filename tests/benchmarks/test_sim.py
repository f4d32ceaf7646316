"""The closed-loop simulator itself: one simulated hour, checked for conservation and limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from benchmarks.sim.ev import Bay, ChargerSpec, EvSpec
from benchmarks.sim.evcc import EvccLike
from benchmarks.sim.immediate import Immediate
from benchmarks.sim.kpi import trace_kpis
from benchmarks.sim.ours import Ours
from benchmarks.sim.profiles import VOLTS, HeatPump, HouseSpec, PvSpec, Tariff
from benchmarks.sim.runner import Policy, Trace, run
from benchmarks.sim.scenario import Dropout, Scenario
from custom_components.smart_charging.engine.model import Phase


def hour() -> Scenario:
    """A tight evening hour: 16 A fuse, a heat pump, a 3p car and a 1p car that arrive late."""
    start = datetime(2025, 1, 15, 17, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    return Scenario(
        name="test_hour",
        title="test",
        start=start,
        fuse_a=16.0,
        bays=(
            Bay(ChargerSpec("a"), EvSpec(50.0, 0.05, 0.95, 40.0, 80.0, lag_s=9.0)),
            Bay(
                ChargerSpec("b", phases=1, phase=Phase.L2),
                EvSpec(40.0, 0.2, 0.9, 50.0, 80.0, onboard_phases=1, lag_s=6.0),
            ),
        ),
        house=HouseSpec(spikes_per_day=60, heat_pump=HeatPump(2800.0, 10.0, 8.0)),
        pv=PvSpec(peak_w=3000.0, sunrise_h=8.0, sunset_h=16.5),
        tariff=Tariff("flat", 0.3),
        hours=1.0,
        seed=3,
    )


def simulate(policy: type[Ours | Immediate | EvccLike]) -> Trace:
    scenario = hour()
    controller: Policy = policy(scenario)
    return run(scenario, controller)


@pytest.mark.parametrize("policy", [Ours, Immediate, EvccLike])
def test_energy_is_conserved(policy: type[Ours | Immediate | EvccLike]) -> None:
    trace = simulate(policy)
    s = trace.scenario
    house = s.series.house_w.sum(axis=1)
    assert np.allclose(trace.grid_w, house + trace.ev_w.sum(axis=1) - s.series.pv_w)
    assert np.allclose(trace.phase_a.sum(axis=1) * VOLTS, trace.grid_w)
    for j, bay in enumerate(s.bays):
        drawn_kwh = trace.ev_w[:, j].sum() * s.step_s / 3.6e6
        stored_kwh = (trace.departure_soc[j] - bay.ev.soc_pct) / 100 * bay.ev.capacity_kwh
        assert drawn_kwh > 0.1  # it charged at all
        assert stored_kwh == pytest.approx(drawn_kwh * bay.ev.efficiency, rel=1e-9)
        # a car only draws what it is offered, and never below the IEC minimum
        drawing = trace.ev_a[:, j] > 0
        assert (trace.ev_a[drawing, j] >= 6.0 - 1e-9).all()
        assert (trace.offered_a[:, j] <= bay.charger.max_a + 1e-9).all()


def test_our_controller_keeps_the_fuse() -> None:
    trace = simulate(Ours)
    figures = trace_kpis(trace)
    assert figures["over_beyond_lag_s"] == 0
    assert figures["max_overshoot_a"] < 10.0  # only a spike before the cut reaches the car
    assert figures["decisions"] > 600  # the meter reports every 4 s
    # the cars follow their commands: drawn current never above the one offered a lag ago
    lag_steps = round(10.0 / trace.scenario.step_s) + 1
    for j in range(len(trace.scenario.bays)):
        recent_max = np.array(
            [
                trace.offered_a[max(0, k - lag_steps) : k + 1, j].max()
                for k in range(len(trace.grid_w))
            ]
        )
        assert (trace.ev_a[:, j] <= recent_max + 1e-9).all()


def test_a_dropout_silences_the_meter() -> None:
    scenario = replace(hour(), dropouts=(Dropout(0.5, 120.0),))
    alive = scenario.series.meter_alive
    steps = round(120.0 / scenario.step_s)
    assert (~alive).sum() == steps
