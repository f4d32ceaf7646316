"""Bring a Home Assistant instance to the demo state through its own APIs.

Idempotent, so ``scripts/develop`` can run it on every start: onboarding (first start
only) or a login, the site through the config flow, its options (OCPP server address,
control timing) through the options flow, the OCPP charger by confirming its "New
charger found" discovery, and the Modbus charger through the config flow's ``modbus``
step (which probes the simulator before anything is created).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import os
from pathlib import Path
from typing import Any, Final

from . import proc
from .hass_api import Hass, HassError
from .ocpp_charger import CAR as DRIVEWAY_CAR
from .site_runner import GRID_CURRENTS, GRID_POWER, PRICE, SOLAR

DOMAIN: Final = "smart_charging"
USERNAME: Final = "demo"
PASSWORD: Final = "smartcharging"  # noqa: S105 - the published demo password
SITE_TITLE: Final = "Home"
MAIN_FUSE_A: Final = 40
CONTROL_INTERVAL_S: Final = 10
MAX_INPUT_AGE_S: Final = 60
OCPP_ID: Final = "driveway"
MODBUS_NAME: Final = "Garage"
MODBUS_PROFILE: Final = "vestel_evc04"
CHARGER_MAX_A: Final = 16.0
# The integrations onboarding sets up for a new home (the demo has no use for them).
ONBOARDING_EXTRAS: Final = ("google_translate", "met", "radio_browser", "shopping_list")


@dataclass(frozen=True, slots=True, kw_only=True)
class Demo:
    """The entries the demo made (or found)."""

    site: str
    ocpp_charger: str
    modbus_charger: str


def machine_time_zone() -> str:
    """The machine's IANA time zone (``TZ``, else /etc/localtime's target), else UTC."""
    if (zone := os.environ.get("TZ", "").lstrip(":")) and "/" in zone:
        return zone
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return "UTC"
    _, found, zone = target.partition("zoneinfo/")
    return zone if found and zone else "UTC"


def _read_token(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def _write_token(path: Path, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(token)
    path.chmod(0o600)


async def authenticate(hass: Hass, token_file: Path) -> bool:
    """Onboard a fresh instance or log in; leave a long-lived token in ``token_file``.

    Return whether this run onboarded Home Assistant.
    """
    hass.token = await asyncio.to_thread(_read_token, token_file)
    if await hass.token_valid():
        return False
    onboarded = False
    done = await hass.onboarding_done()
    if "user" not in done:
        await hass.onboard(name="Demo", username=USERNAME, password=PASSWORD)
        await hass.ws(
            {
                "type": "config/core/update",
                "location_name": "Smart Charging demo",
                "time_zone": machine_time_zone(),
                "currency": "EUR",
                "country": "DE",
                "unit_system": "metric",
            }
        )
        proc.say("demo", f"onboarded Home Assistant with user {USERNAME!r}")
        onboarded = True
    else:
        try:
            await hass.login(USERNAME, PASSWORD)
        except HassError as err:
            raise HassError(f"{err} (scripts/develop --reset starts from scratch)") from err
        await hass.finish_onboarding(done)  # a first run stopped halfway through
    token = await hass.long_lived_token("smart_charging demo")
    await asyncio.to_thread(_write_token, token_file, token)
    hass.token = token
    return onboarded


async def remove_onboarding_extras(hass: Hass) -> None:
    """Remove what onboarding adds for a new home (weather, radio...): offline they fail."""
    for domain in ONBOARDING_EXTRAS:
        for entry in await hass.config_entries(domain):
            await hass.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")


async def wait_for(what: str, probe: Any, timeout_s: float, interval_s: float = 0.5) -> Any:
    """Poll ``probe()`` until it returns something truthy; fail after ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        if result := await probe():
            return result
        if loop.time() > deadline:
            raise HassError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await asyncio.sleep(interval_s)


async def port_open(port: int) -> bool:
    """Return whether something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


def _expect(result: dict[str, Any], kind: str, what: str) -> dict[str, Any]:
    if result.get("type") != kind:
        raise HassError(f"{what}: expected {kind}, got {result}")
    return result


async def _entry(hass: Hass, title: str) -> dict[str, Any] | None:
    return next((e for e in await hass.config_entries(DOMAIN) if e["title"] == title), None)


async def _loaded(hass: Hass, entry_id: str) -> bool:
    entries = await hass.config_entries(DOMAIN)
    return any(e["entry_id"] == entry_id and e["state"] == "loaded" for e in entries)


async def add_site(hass: Hass) -> str:
    """Add the site through the config flow (unless it exists); return its entry id."""
    if (entry := await _entry(hass, SITE_TITLE)) is not None:
        return str(entry["entry_id"])
    await wait_for(
        "the simulated meter's sensors",
        lambda: hass.get_state(GRID_POWER),
        timeout_s=30,
    )
    flow = await hass.flow_start(DOMAIN)
    if flow["type"] == "menu":  # another site exists already
        flow = await hass.flow_step(flow["flow_id"], {"next_step_id": "site"})
    _expect(flow, "form", "site form")
    result = await hass.flow_step(
        flow["flow_id"],
        {
            "name": SITE_TITLE,
            "grid_power_entity": GRID_POWER,
            "grid_sign": "import_positive",
            "grid_current_l1_entity": GRID_CURRENTS[0],
            "grid_current_l2_entity": GRID_CURRENTS[1],
            "grid_current_l3_entity": GRID_CURRENTS[2],
            "main_fuse": MAIN_FUSE_A,
            "phases": "3",
            "voltage": 230,
            "pv_power_entity": SOLAR,
            "price_entity": PRICE,
        },
    )
    entry = _expect(result, "create_entry", "site")["result"]
    proc.say("demo", f"site {SITE_TITLE!r} added (main fuse {MAIN_FUSE_A} A)")
    return str(entry["entry_id"])


async def _options(hass: Hass, entry_id: str, step: str, values: dict[str, Any]) -> None:
    flow = _expect(await hass.options_flow_start(entry_id), "menu", "site options")
    form = _expect(
        await hass.options_flow_step(flow["flow_id"], {"next_step_id": step}), "form", step
    )
    _expect(await hass.options_flow_step(form["flow_id"], values), "create_entry", step)


async def configure_site(hass: Hass, site: str, ocpp_port: int) -> None:
    """Set the control timing and the OCPP server's address through the options flow.

    Unchanged options change nothing; a change reloads the site, so wait until it is
    loaded again and its OCPP server listens.
    """
    await _options(
        hass,
        site,
        "general",
        {"control_interval": CONTROL_INTERVAL_S, "max_input_age": MAX_INPUT_AGE_S, "margin": 2},
    )
    await _options(
        hass,
        site,
        "ocpp",
        {
            "ocpp_enabled": True,
            "ocpp_host": "127.0.0.1",
            "ocpp_port": ocpp_port,
            "ocpp_auto_accept": False,
        },
    )
    await wait_for("the site to load", lambda: _loaded(hass, site), timeout_s=30)
    await wait_for(f"the OCPP server on port {ocpp_port}", lambda: port_open(ocpp_port), 30)


async def accept_ocpp_charger(hass: Hass) -> str:
    """Confirm the simulated charge point's "New charger found" (unless known already)."""
    suffix = f"({OCPP_ID})"
    if (entry := await _find(hass, lambda e: e["title"].endswith(suffix))) is not None:
        return str(entry["entry_id"])

    async def discovered() -> dict[str, Any] | None:
        return next(
            (
                flow
                for flow in await hass.flows_in_progress()
                if flow["handler"] == DOMAIN
                and flow["context"].get("unique_id") == f"ocpp:{OCPP_ID}"
            ),
            None,
        )

    flow = await wait_for(f"charge point {OCPP_ID!r} to be discovered", discovered, 60, 1.0)
    result = await hass.flow_step(flow["flow_id"], {})
    entry = _expect(result, "create_entry", "charger discovery")["result"]
    proc.say("demo", f"accepted the new charger {entry['title']!r}")
    return str(entry["entry_id"])


async def _find(hass: Hass, match: Any) -> dict[str, Any] | None:
    return next((e for e in await hass.config_entries(DOMAIN) if match(e)), None)


async def add_modbus_charger(hass: Hass, modbus_port: int) -> str:
    """Add the simulated Modbus charger through the config flow (unless it exists)."""
    if (entry := await _entry(hass, MODBUS_NAME)) is not None:
        return str(entry["entry_id"])
    await wait_for(f"the Modbus charger on port {modbus_port}", lambda: port_open(modbus_port), 30)
    flow = _expect(await hass.flow_start(DOMAIN), "menu", "add menu")
    form = _expect(await hass.flow_step(flow["flow_id"], {"next_step_id": "modbus"}), "form", "")
    result = await hass.flow_step(
        form["flow_id"],
        {
            "name": MODBUS_NAME,
            "profile": MODBUS_PROFILE,
            "host": "127.0.0.1",
            "port": modbus_port,
            "charger_phases": "3",
            "phase_wiring": "l1",
            "min_current": 6,
            "max_current": CHARGER_MAX_A,
        },
    )
    entry = _expect(result, "create_entry", "Modbus charger")["result"]
    proc.say("demo", f"added the Modbus charger {MODBUS_NAME!r} (port {modbus_port})")
    return str(entry["entry_id"])


async def tell_battery_capacity(hass: Hass, entry_id: str) -> None:
    """Give the driveway car's battery capacity (a SoC target needs it), unless known.

    The OCPP car reports its state of charge; with the capacity, a target state of
    charge and a ready-by time in smart mode give a plan.
    """
    number = (await entity_ids(hass, entry_id)).get("number.battery_capacity")
    if number is None:
        raise HassError("the driveway charger has no battery capacity number")
    state = await hass.get_state(number)
    if state is not None and state["state"] not in ("unknown", "unavailable"):
        return  # set before, perhaps by the user
    await hass.call_service(
        "number", "set_value", {"entity_id": number, "value": DRIVEWAY_CAR.capacity_kwh}
    )


async def wait_loaded(hass: Hass, *entry_ids: str) -> None:
    """Wait until every entry is loaded."""
    for entry_id in entry_ids:
        await wait_for(f"entry {entry_id} to load", lambda e=entry_id: _loaded(hass, e), 60)


async def entity_ids(hass: Hass, entry_id: str) -> dict[str, str]:
    """An entry's entity ids by ``<domain>.<translation key>`` (e.g. ``sensor.reason``)."""
    return {
        f"{entity['entity_id'].split('.')[0]}.{entity['translation_key']}": entity["entity_id"]
        for entity in await hass.entity_registry()
        if entity.get("config_entry_id") == entry_id and entity.get("translation_key")
    }
