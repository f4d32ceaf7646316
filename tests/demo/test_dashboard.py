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
