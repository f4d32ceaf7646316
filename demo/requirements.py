"""The Python packages the demo's Home Assistant needs, checked before it starts.

The demo runs ``hass --skip-pip``: Home Assistant must not install anything at start (the
demo works offline, and a half-installed venv is hard to debug). So every requirement of
every integration the demo's configuration sets up must already be in ``.venv``;
``requirements_demo.txt`` lists them and ``scripts/setup`` installs it. When one is
missing, Home Assistant does not fail loudly: without ``home-assistant-frontend`` it goes
into recovery mode and never serves the page the demo waits for. This module finds such a
gap before Home Assistant starts and names the packages.
"""

from __future__ import annotations

from importlib import metadata
import json
from pathlib import Path
import re
from typing import Final

import homeassistant.components
from packaging.requirements import InvalidRequirement, Requirement

COMPONENTS: Final = Path(homeassistant.components.__file__).parent
TOP_LEVEL_KEY: Final = re.compile(r"^([a-z0-9_]+):", re.MULTILINE)


def configured_domains(config: Path) -> set[str]:
    """The integrations Home Assistant sets up for ``config``.

    The top-level keys of ``configuration.yaml``, the integrations in its
    ``custom_components``, and the ones Home Assistant always sets up.
    """
    # Imported here: the bootstrap module pulls in much of Home Assistant.
    from homeassistant.bootstrap import (  # noqa: PLC0415
        CORE_INTEGRATIONS,
        DEFAULT_INTEGRATIONS,
    )

    text = (config / "configuration.yaml").read_text(encoding="utf-8")
    domains = set(TOP_LEVEL_KEY.findall(text))
    custom = config / "custom_components"
    if custom.is_dir():
        domains |= {p.name for p in custom.iterdir() if (p / "manifest.json").is_file()}
    return domains | CORE_INTEGRATIONS | DEFAULT_INTEGRATIONS


def manifest(domain: str, config: Path) -> dict[str, object] | None:
    """An integration's manifest: a custom one in ``config`` first, as Home Assistant does."""
    for base in (config / "custom_components", COMPONENTS):
        path = base / domain / "manifest.json"
        if path.is_file():
            loaded: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
            return loaded
    return None


def requirements(config: Path) -> dict[str, list[str]]:
    """Each integration set up for ``config`` (with its dependencies) and its requirements.

    A key of ``configuration.yaml`` that names no integration (none does here) is skipped;
    Home Assistant reports those itself.
    """
    todo = sorted(configured_domains(config))
    found: dict[str, list[str]] = {}
    while todo:
        domain = todo.pop()
        if domain in found or (data := manifest(domain, config)) is None:
            continue
        found[domain] = [str(r) for r in data.get("requirements", [])]  # type: ignore[attr-defined]
        todo.extend(str(d) for d in data.get("dependencies", []))  # type: ignore[attr-defined]
    return found


def unmet(config: Path) -> list[str]:
    """The requirements not installed (or installed at another version), sorted."""
    missing: set[str] = set()
    for domain, reqs in requirements(config).items():
        for text in reqs:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                missing.add(f"{text} ({domain}: not a valid requirement)")
                continue
            try:
                have = metadata.version(req.name)
            except metadata.PackageNotFoundError:
                missing.add(f"{text} ({domain}: not installed)")
                continue
            if not req.specifier.contains(have, prereleases=True):
                missing.add(f"{text} ({domain}: {have} is installed)")
    return sorted(missing)
