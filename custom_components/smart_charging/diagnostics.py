"""Diagnostics for Smart Charging (secrets redacted)."""

from __future__ import annotations

import dataclasses
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
    "serial_number",
    "unique_id",
}


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
        return async_redact_data(_charger(entry.runtime_data, described), TO_REDACT)
    runtime: SmartChargingRuntimeData = entry.runtime_data
    coordinator = runtime.coordinator
    data = coordinator.data
    link = runtime.ocpp
    return async_redact_data(
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
        TO_REDACT,
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
