"""Every state the integration can show has an English and a German translation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.smart_charging.drivers.base import ChargerStatus
from custom_components.smart_charging.engine.model import ChargerMode, Reason
from custom_components.smart_charging.prices import PROBLEM_REASONS

ROOT = Path(__file__).parents[2] / "custom_components" / "smart_charging"


def _load(name: str) -> dict[str, Any]:
    return json.loads((ROOT / name).read_text(encoding="utf-8"))


def _keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        keys |= _keys(value, path) if isinstance(value, dict) else {path}
    return keys


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_engine_state_is_translated(language: str) -> None:
    """The reason, status and mode states come from the engine's and drivers' enums."""
    entity = _load(f"translations/{language}.json")["entity"]
    assert set(entity["sensor"]["reason"]["state"]) == {r.value for r in Reason}
    assert set(entity["sensor"]["charger_status"]["state"]) == {s.value for s in ChargerStatus}
    assert set(entity["select"]["mode"]["state"]) == {m.value for m in ChargerMode}
    for texts in (entity["sensor"]["reason"]["state"], entity["select"]["mode"]["state"]):
        assert all(isinstance(text, str) and text.strip() for text in texts.values())


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_price_problem_has_its_own_repair_text(language: str) -> None:
    """One repair text per reason a price source can fail for (no raw codes in a text)."""
    issues = _load(f"translations/{language}.json")["issues"]
    price_issues = {key for key in issues if key.startswith("price_data_")}
    assert price_issues == {f"price_data_{reason}" for reason in PROBLEM_REASONS}
    for key in price_issues:
        assert "{reason}" not in issues[key]["description"]


def test_every_entity_has_an_icon() -> None:
    """Each entity translation key has its icon in icons.json."""
    entities = _load("translations/en.json")["entity"]
    icons = _load("icons.json")["entity"]
    for platform, keys in entities.items():
        assert set(keys) <= set(icons.get(platform, {})), platform


def test_languages_cover_the_same_keys() -> None:
    """German has every string English has; strings.json is the English source."""
    english = _load("translations/en.json")
    assert _load("strings.json") == english
    assert _keys(_load("translations/de.json")) == _keys(english)


def test_every_config_field_has_a_description() -> None:
    """Every field of every form explains itself."""
    english = _load("translations/en.json")
    for section in ("config", "options"):
        for step in english[section]["step"].values():
            assert set(step.get("data", {})) == set(step.get("data_description", {}))
