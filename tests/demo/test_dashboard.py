"""The demo dashboard: the check reads every entity it shows."""

from __future__ import annotations

from pathlib import Path

from demo.check import dashboard_entities

DASHBOARDS = Path(__file__).resolve().parents[2] / "config" / "dashboards"


def test_the_dashboard_shows_the_site_both_chargers_and_the_oven() -> None:
    entities = dashboard_entities(DASHBOARDS)
    assert "input_boolean.demo_oven" in entities
    assert "switch.home_smart_control" in entities
    for charger in ("demo_ocpp_wallbox_driveway", "garage"):
        for key in ("status", "reason", "allocated_current", "charging_power", "plan"):
            assert f"sensor.{charger}_{key}" in entities
        assert f"select.{charger}_mode" in entities
        # What it takes to see a plan: a target and a ready-by time.
        assert f"time.{charger}_ready_by" in entities
        assert f"sensor.{charger}_next_planned_start" in entities
    assert "number.demo_ocpp_wallbox_driveway_target_state_of_charge" in entities
    assert "number.garage_target_energy" in entities
