"""``scripts/develop --check``: the demo proves the main fuse is guarded, end to end.

With both chargers charging at their full 16 A, the oven goes on (+6 kW over three
phases). The site's 40 A main fuse then binds: within two control cycles both chargers
must have been given a lower limit - seen where it matters, at the simulated chargers
(the OCPP profile in force, the Modbus setpoint register) and in Home Assistant's
*Allocated current* - and their *Reason* sensors must say ``site_fuse``. Once the cars
have followed, the meter must read no phase above the fuse. Every entity the demo
dashboard shows must exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
import time
from typing import Any, Final

import yaml

from . import proc
from .hass_api import Hass, HassError
from .provision import (
    CHARGER_MAX_A,
    CONTROL_INTERVAL_S,
    MAIN_FUSE_A,
    Demo,
    entity_ids,
    wait_for,
)
from .site_runner import GRID_CURRENTS, OVEN

CYCLES: Final = 2
FULL_TIMEOUT_S: Final = 240.0
DROP_A: Final = 0.5  # a limit counts as lowered when it fell by more than this
REASON: Final = "site_fuse"
SETTLE_S: Final = 5.0


class CheckFailedError(Exception):
    """The demo did not behave."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargerView:
    """Where one charger's figures are."""

    label: str
    status_file: Path
    entities: dict[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """One charger's figures at one moment."""

    received_a: float | None  # what the simulated charger was told
    allocated_a: float | None  # Home Assistant's Allocated current
    reason: str | None
    status: str | None


def _amps(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def row(label: str, before: Reading, after: Reading, delay: str) -> str:
    """One line of the before/after table."""
    received = f"{_amps(before.received_a)} -> {_amps(after.received_a)} A"
    allocated = f"{_amps(before.allocated_a)} -> {_amps(after.allocated_a)} A"
    reason = f"{before.reason} -> {after.reason}"
    return f"{label:17}  {received:20}  {allocated:20}  {reason:22}  {delay}"


def _number(state: dict[str, Any] | None) -> float | None:
    try:
        return None if state is None else float(state["state"])
    except (KeyError, ValueError):
        return None


async def read(hass: Hass, view: ChargerView) -> Reading:
    """Read a charger's figures from its simulator and from Home Assistant."""
    status = proc.read_status(view.status_file) or {}
    allocated = await hass.get_state(view.entities["sensor.allocated_current"])
    reason = await hass.get_state(view.entities["sensor.reason"])
    limit = status.get("limit_a")
    return Reading(
        received_a=None if limit is None else float(limit),
        allocated_a=_number(allocated),
        reason=None if reason is None else str(reason["state"]),
        status=status.get("status"),
    )


def dashboard_entities(directory: Path) -> set[str]:
    """Every entity id the YAML dashboards in ``directory`` refer to."""

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "entity" and isinstance(value, str):
                    yield value
                elif key == "entities" and isinstance(value, list):
                    for item in value:
                        if isinstance(item, str):
                            yield item
                        elif isinstance(item, dict) and isinstance(item.get("entity"), str):
                            yield item["entity"]
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    found: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        found.update(walk(yaml.safe_load(path.read_text())))
    return found


async def run_check(
    hass: Hass, demo: Demo, run_dir: Path, dashboards: Path, started: float
) -> list[str]:
    """Run the check; return the report's lines or raise ``CheckFailedError``."""
    chargers = run_dir / "chargers"
    views = [
        ChargerView(
            label="driveway (OCPP)",
            status_file=chargers / "driveway.json",
            entities=await entity_ids(hass, demo.ocpp_charger),
        ),
        ChargerView(
            label="Garage (Modbus)",
            status_file=chargers / "garage.json",
            entities=await entity_ids(hass, demo.modbus_charger),
        ),
    ]

    def since() -> str:
        return f"{time.monotonic() - started:6.1f} s"

    report = [f"{'Home Assistant up, site and chargers added':46} {since()}"]

    async def readings_if(ok: Any) -> list[Reading] | None:
        readings = [await read(hass, view) for view in views]
        return readings if all(ok(r) for r in readings) else None

    async def wait_all(what: str, ok: Any) -> list[Reading]:
        try:
            return await wait_for(what, lambda: readings_if(ok), FULL_TIMEOUT_S)
        except HassError as err:
            now = [await read(hass, view) for view in views]
            lines = [f"{v.label}: {r}" for v, r in zip(views, now, strict=True)]
            raise CheckFailedError(f"{err}\n  " + "\n  ".join(lines)) from err

    await wait_all(
        "both chargers online with limits",
        lambda r: r.received_a is not None and r.allocated_a is not None,
    )
    report.append(f"{'both chargers online with limits':46} {since()}")
    full = CHARGER_MAX_A - DROP_A
    before = await wait_all(
        "both chargers charging at their full 16 A",
        lambda r: (
            (r.received_a or 0) >= full and (r.allocated_a or 0) >= full and r.status == "Charging"
        ),
    )
    report.append(f"{'both chargers charging at their full 16 A':46} {since()}")
    await hass.call_service("input_boolean", "turn_on", {"entity_id": OVEN})
    oven_at = time.monotonic()
    report.append(f"{'oven on (+6 kW over three phases)':46} {since()}")
    window = CYCLES * CONTROL_INTERVAL_S
    dropped: dict[int, tuple[float, Reading]] = {}
    latest = before
    while len(dropped) < len(views) and time.monotonic() - oven_at <= window:
        latest = [await read(hass, view) for view in views]
        for index, (old, new) in enumerate(zip(before, latest, strict=True)):
            if index in dropped or old.received_a is None or new.received_a is None:
                continue
            lowered = new.received_a < old.received_a - DROP_A
            allocated = (new.allocated_a or 0) < (old.allocated_a or 0) - DROP_A
            if lowered and allocated and new.reason == REASON:
                dropped[index] = (time.monotonic() - oven_at, new)
        await asyncio.sleep(0.25)
    report.append(
        f"{'charger':17}  {'limit at the charger':20}  {'allocated in HA':20}  "
        f"{'reason':22}  lowered after"
    )
    for index, view in enumerate(views):
        if index in dropped:
            delay, after = dropped[index]
            report.append(row(view.label, before[index], after, f"{delay:.1f} s"))
        else:
            report.append(row(view.label, before[index], latest[index], "NOT LOWERED"))
    if len(dropped) < len(views):
        raise CheckFailedError(
            f"not every charger was lowered for {REASON!r} within {CYCLES} control cycles "
            f"({window} s):\n  " + "\n  ".join(report)
        )
    await asyncio.sleep(SETTLE_S)  # the cars follow their new limits
    states = await hass.states()
    currents = [float(states[e]["state"]) for e in GRID_CURRENTS]
    shown_currents = ", ".join(f"{c:.1f}" for c in currents)
    report.append(
        f"{'grid L1, L2, L3':17}  {shown_currents} A, {SETTLE_S:.0f} s later "
        f"(main fuse {MAIN_FUSE_A} A)"
    )
    if max(currents) > MAIN_FUSE_A:
        raise CheckFailedError(f"the grid draws {max(currents)} A on a {MAIN_FUSE_A} A fuse")
    shown = dashboard_entities(dashboards)
    missing = sorted(shown - set(states))
    if missing:
        raise CheckFailedError(f"the dashboard shows entities that do not exist: {missing}")
    report.append(f"{'dashboard':17}  all {len(shown)} entities present")
    return report
