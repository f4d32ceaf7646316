"""Diagnostics for Smart Charging (secrets redacted)."""

from __future__ import annotations

from collections.abc import Iterable
import dataclasses
import re
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .coordinator import ChargerRuntimeData, SmartChargingRuntimeData

TO_REDACT = {
    "password",
    "ocpp_password",
    "id_tag",
    "idTag",
    "unique_id",
}
# Keys of a charger's own configuration (OCPP GetConfiguration, vendor keys) that hold
# secrets: the AuthorizationKey, Wi-Fi and backend passwords, tokens.
SECRET_KEY = re.compile(
    r"password|passwd|passphrase|secret|token|psk|authorizationkey|apikey", re.I
)
REDACTED = "**REDACTED**"


def mask(text: str) -> str:
    """Show a serial or an id partly: enough to tell chargers apart, not to copy it."""
    prefix, colon, rest = text.rpartition(":")  # "modbus:<serial>" keeps "modbus:"
    keep = 2 if len(rest) > 6 else 1 if len(rest) > 3 else 0
    return f"{prefix}{colon}{'*' * (len(rest) - keep)}{rest[len(rest) - keep :]}"


def _scrub(value: Any, ids: dict[str, str]) -> Any:
    """Mask serials and charger ids everywhere; redact secret-looking configuration keys."""
    if isinstance(value, dict):
        scrubbed: dict[Any, Any] = {}
        for key, item in value.items():
            name = _scrub(key, ids) if isinstance(key, str) else key
            if isinstance(key, str) and SECRET_KEY.search(key):
                scrubbed[name] = REDACTED
            elif key == "serial_number" and isinstance(item, str):
                scrubbed[name] = mask(item)
            else:
                scrubbed[name] = _scrub(item, ids)
        return scrubbed
    if isinstance(value, list | tuple):
        # A configuration list of {"key": name, "value": ...} entries (OCPP's shape).
        return [_scrub_entry(item, ids) for item in value]
    if isinstance(value, str):
        for charger_id, masked in ids.items():
            value = value.replace(charger_id, masked)  # also inside titles like "Box (id)"
        return value
    return value


def _scrub_entry(item: Any, ids: dict[str, str]) -> Any:
    if isinstance(item, dict) and SECRET_KEY.search(str(item.get("key", ""))):
        return {**item, "value": REDACTED}
    return _scrub(item, ids)


def _redact(data: dict[str, Any], charger_ids: Iterable[str]) -> dict[str, Any]:
    ids = {charger_id: mask(charger_id) for charger_id in charger_ids}
    scrubbed: dict[str, Any] = _scrub(async_redact_data(data, TO_REDACT), ids)
    return scrubbed


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ConfigEntry[Any]
) -> dict[str, Any]:
    """Return a site's configuration and latest cycle, or a charger's state."""
    described = {
        "title": entry.title,
        "unique_id": entry.unique_id,
        "data": dict(entry.data),
        "options": dict(entry.options),
    }
    if isinstance(entry.runtime_data, ChargerRuntimeData):
        runtime_data = entry.runtime_data
        return _redact(_charger(runtime_data, described), [runtime_data.handle.charger_id])
    runtime: SmartChargingRuntimeData = entry.runtime_data
    coordinator = runtime.coordinator
    data = coordinator.data
    link = runtime.ocpp
    return _redact(
        {
            "entry": described,
            "site": dataclasses.asdict(coordinator.site),
            "ocpp_server_port": (
                link.server.port if link is not None and link.server is not None else None
            ),
            "chargers": sorted(coordinator.chargers),
            "input_rhythms": {
                entity_id: {
                    "longest_interval_s": None
                    if (longest := rhythm.longest_interval) is None
                    else longest.total_seconds(),
                    "max_age_s": rhythm.max_age(coordinator.max_input_age).total_seconds(),
                }
                for entity_id, rhythm in sorted(coordinator.input_rhythms.items())
            },
            "last_cycle": {
                "success": coordinator.last_update_success,
                "failsafe": data.failsafe,
                "snapshot": dataclasses.asdict(data.snapshot),
                "headroom_a": None
                if data.headroom_a is None
                else dataclasses.asdict(data.headroom_a),
                "import_headroom_w": data.import_headroom_w,
                "pv_surplus_w": data.pv_surplus_w,
                "allocations": [dataclasses.asdict(a) for a in data.allocation.allocations],
            },
        },
        coordinator.chargers,
    )


def _charger(runtime: ChargerRuntimeData, described: dict[str, Any]) -> dict[str, Any]:
    handle = runtime.handle
    driver = handle.driver
    allocation = runtime.site.coordinator.data.allocation.get(handle.charger_id)
    diagnostics = getattr(driver, "diagnostics", None)
    return {
        "entry": described,
        "config": dataclasses.asdict(handle.config),
        "mode": handle.mode.value,
        "info": dataclasses.asdict(driver.info),
        "reading": dataclasses.asdict(driver.reading),
        "allocation": None if allocation is None else dataclasses.asdict(allocation),
        "session": {k: v for k, v in handle.session.as_dict().items() if k != "bins"},
        "driver": diagnostics() if callable(diagnostics) else None,
    }
