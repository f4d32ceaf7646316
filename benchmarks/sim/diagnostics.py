"""Sensitivity runs: our controller with one thing changed, to find why a target is missed.

Each entry re-runs only ``ours`` on a named scenario with one input or setting changed;
the main table is never affected. They answer "what causes it?", not "how good is it?".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from custom_components.smart_charging.engine.model import ChargerMode

from .ev import Bay
from .ours import Ours
from .profiles import VOLTS
from .scenario import Scenario


@dataclass(frozen=True)
class Diagnostic:
    """One change to one scenario (and the keywords for ``Ours``)."""

    scenario: str
    question: str
    change: Callable[[Scenario], Scenario] = lambda s: s
    ours: Callable[[Scenario], dict[str, Any]] = field(default=lambda s: {})

    def build(self, base: Scenario) -> tuple[Scenario, Ours]:
        """The changed scenario and our controller for it."""
        scenario = self.change(base)
        return scenario, Ours(scenario, **self.ours(scenario))


def _bays(s: Scenario, fn: Callable[[Bay], Bay]) -> Scenario:
    return replace(s, bays=tuple(fn(bay) for bay in s.bays))


def _no_switching(s: Scenario) -> Scenario:
    return _bays(s, lambda b: replace(b, charger=replace(b.charger, can_switch_phases=False)))


def _pv_mode(s: Scenario) -> Scenario:
    return _bays(s, lambda b: replace(b, charger=replace(b.charger, mode=ChargerMode.PV)))


def _no_taper(s: Scenario) -> Scenario:
    return _bays(s, lambda b: replace(b, ev=replace(b.ev, taper_from_pct=100.0)))


def _circuit_share(s: Scenario) -> dict[str, Any]:
    """Cap each charger's planned power at its equal share of its circuit."""
    limits = {c.id: c.limit_a for c in s.circuits}
    counts: dict[str, int] = {}
    for bay in s.bays:
        if bay.charger.circuit is not None:
            counts[bay.charger.circuit] = counts.get(bay.charger.circuit, 0) + 1
    caps = {}
    for bay in s.bays:
        spec = bay.charger
        amps = spec.max_a
        if spec.circuit is not None:
            amps = min(amps, limits[spec.circuit] / counts[spec.circuit])
        caps[spec.id] = amps * spec.phases * VOLTS / 1000
    return {"planned_max_kw": caps}


DIAGNOSTICS: dict[str, Diagnostic] = {
    "clouds_without_phase_switching": Diagnostic(
        "single_ev_fast_clouds",
        "Do the starts/stops on the cloudy day come from 1p/3p switching?",
        change=_no_switching,
    ),
    "clouds_in_pv_mode": Diagnostic(
        "single_ev_fast_clouds",
        "How much PV does surplus-only charging (pv mode, no plan) take, and is the target met?",
        change=_pv_mode,
    ),
    "clouds_planner_with_forecasts": Diagnostic(
        "single_ev_fast_clouds",
        "Does a PV and house-load forecast in the plan (not wired in the HA layer yet) help?",
        ours=lambda s: {"forecasts": True},
    ),
    "two_evs_charger_meter_2s": Diagnostic(
        "two_evs_16a_heat_pump",
        "Do the start-stop bursts go away when chargers report every 2 s instead of 10 s?",
        change=lambda s: replace(s, charger_interval_s=2.0),
    ),
    "garage_charger_meter_2s": Diagnostic(
        "apartment_garage_20",
        "The same question for the 20-charger garage.",
        change=lambda s: replace(s, charger_interval_s=2.0),
    ),
    "night_without_prices": Diagnostic(
        "night_tariff_ready_by_7",
        "Smart mode as the HA layer runs it today, before price series are wired (issue 8).",
        ours=lambda s: {"prices": False},
    ),
    "night_exact_need": Diagnostic(
        "night_tariff_ready_by_7",
        "Does the plan stay in the cheap window when the need is known exactly "
        "(SoC to 0.1 % every minute, the true 92 % efficiency)?",
        change=lambda s: replace(s, soc_interval_s=60.0, soc_decimals=1),
        ours=lambda s: {"planner_efficiency": 0.92},
    ),
    "fleet_without_prices": Diagnostic(
        "fleet_depot_10",
        "The depot with smart mode as the HA layer runs it today (no price series yet).",
        ours=lambda s: {"prices": False},
    ),
    "fleet_planner_with_forecasts": Diagnostic(
        "fleet_depot_10",
        "Does the plan get better with per-slot capacity from a house-load forecast?",
        ours=lambda s: {"forecasts": True},
    ),
    "fleet_without_taper": Diagnostic(
        "fleet_depot_10",
        "Are the missed fleet targets due to the cars' taper above 80 % (unknown to the plan)?",
        change=_no_taper,
    ),
    "fleet_plan_within_circuit_share": Diagnostic(
        "fleet_depot_10",
        "... or to the plan ignoring the circuits (planned power capped at each charger's "
        "equal share of its circuit)?",
        ours=_circuit_share,
    ),
    "dropout_max_input_age_15s": Diagnostic(
        "meter_dropout_2min",
        "How long is the fuse overloaded if the meter counts as stale after 15 s, not 60 s?",
        ours=lambda s: {"max_input_age_s": 15.0},
    ),
}
