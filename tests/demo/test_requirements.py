"""The demo's Home Assistant has every package its configuration needs (``hass --skip-pip``).

A clean ``scripts/setup`` once left ``home-assistant-frontend`` out: Home Assistant went
into recovery mode and the demo waited for it in vain. These tests catch that in seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

from demo.requirements import configured_domains, requirements, unmet

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"


def pinned(path: Path) -> set[str]:
    """The requirement lines of a requirements file."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {line for line in lines if line}


def test_every_integration_of_the_demo_has_its_packages_installed() -> None:
    assert unmet(CONFIG) == []


def test_requirements_demo_pins_what_home_assistant_asks_for() -> None:
    """The file setup installs names each requirement of Home Assistant's own integrations.

    The demo's integrations come from Home Assistant itself, whose version the test
    requirements pin; when that pin moves, these move with it (the test names them).
    """
    wanted = {
        req
        for domain, reqs in requirements(CONFIG).items()
        if domain != "smart_charging"
        for req in reqs
    }
    assert wanted - pinned(ROOT / "requirements_demo.txt") == set()
    assert "home-assistant-frontend" in {r.split("==")[0] for r in wanted}


def test_the_configured_integrations_include_the_yaml_keys_and_the_defaults() -> None:
    domains = configured_domains(CONFIG)
    assert {"frontend", "lovelace", "input_boolean", "conversation", "history"} <= domains
    assert {"homeassistant", "analytics", "backup"} <= domains  # always set up


def test_a_missing_or_wrong_package_is_named(tmp_path: Path) -> None:
    (tmp_path / "configuration.yaml").write_text("wanting:\nhttp:\n  server_port: 1\n")
    custom = tmp_path / "custom_components"
    for domain, reqs in {
        "wanting": ["not-a-package-smart-charging==1.0", "!!"],
        "pinned": ["hassil==0.0.1"],
    }.items():
        (custom / domain).mkdir(parents=True)
        manifest = {"domain": domain, "requirements": reqs, "dependencies": ["pinned"]}
        (custom / domain / "manifest.json").write_text(json.dumps(manifest))
    missing = unmet(tmp_path)
    assert "not-a-package-smart-charging==1.0 (wanting: not installed)" in missing
    assert "!! (wanting: not a valid requirement)" in missing
    assert any(m.startswith("hassil==0.0.1 (pinned: ") and "is installed" in m for m in missing)
    assert len(missing) == 3
