"""Diagnostics for Smart Charging (secrets redacted)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import dataclasses
import re
from typing import Any, Final

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
# secrets: the AuthorizationKey, Wi-Fi and backend passwords, tokens, any "...Key".
SECRET_KEY = re.compile(r"password|passwd|passphrase|secret|token|psk|apikey|.key$|_key$", re.I)
URL_CREDENTIALS = re.compile(r"(?<=://)[^\s?#]*@")  # user:password@ in a URL (to the last @)
REDACTED = "**REDACTED**"
MASK_FROM: Final = 4  # shorter ids ("CP1") are names, not serials: shown as they are
MODBUS_PREFIX: Final = "modbus:"


def mask(text: str) -> str:
    """Show a serial or an id partly: enough to tell chargers apart, not to copy it."""
    prefix = MODBUS_PREFIX if text.startswith(MODBUS_PREFIX) else ""
    rest = text[len(prefix) :]
    keep = 2 if len(rest) > 6 else 1 if len(rest) > 3 else 0
    return f"{prefix}{'*' * (len(rest) - keep)}{rest[len(rest) - keep :]}"


def _plain(value: Any) -> Any:
    """Tuples as lists (``async_redact_data`` looks into dicts and lists only)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _is_secret(key: Any) -> bool:
    return isinstance(key, str) and key.lower() != "key" and bool(SECRET_KEY.search(key))


def _scrub(value: Any, ids: re.Pattern[str] | None, masks: dict[str, str]) -> Any:
    """Mask serials and charger ids; redact secret-looking configuration keys."""
    if isinstance(value, dict):
        scrubbed: dict[Any, Any] = {}
        for key, item in value.items():
            if _is_secret(key):
                scrubbed[key] = REDACTED
            elif key == "serial_number" and isinstance(item, str):
                scrubbed[key] = mask(item)
            else:
                scrubbed[_scrub(key, ids, masks)] = _scrub(item, ids, masks)
        return scrubbed
    if isinstance(value, list):
        # A configuration list of {"key": name, "value": ...} entries (OCPP's shape).
        return [
            {**item, "value": REDACTED}
            if isinstance(item, dict) and _is_secret(item.get("key"))
            else _scrub(item, ids, masks)
            for item in value
        ]
    if isinstance(value, str):
        value = URL_CREDENTIALS.sub("***@", value)
        if ids is not None:  # whole ids only, also inside titles like "Box (id)"
            value = ids.sub(lambda match: masks[match.group(0)], value)
        return value
    return value


def _redact(data: dict[str, Any], charger_ids: Iterable[str]) -> dict[str, Any]:
    masks = {cid: mask(cid) for cid in charger_ids if len(cid) >= MASK_FROM}
    ids = None
    if masks:
        alternatives = "|".join(re.escape(cid) for cid in sorted(masks, key=len, reverse=True))
        ids = re.compile(rf"(?<![\w:-])(?:{alternatives})(?![\w-])")
    scrubbed: dict[str, Any] = _scrub(async_redact_data(_plain(data), TO_REDACT), ids, masks)
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
