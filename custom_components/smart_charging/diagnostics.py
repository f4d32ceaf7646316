"""Diagnostics for Smart Charging (secrets redacted)."""

from __future__ import annotations

import dataclasses
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .coordinator import SmartChargingConfigEntry

TO_REDACT = {"password", "auth_password", "id_tag", "serial_number", "unique_id"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartChargingConfigEntry
) -> dict[str, Any]:
    """Return the site's configuration and its latest cycle."""
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    return {
        "entry": async_redact_data(
            {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            TO_REDACT,
        ),
        "site": dataclasses.asdict(coordinator.site),
        "last_cycle": {
            "success": coordinator.last_update_success,
            "failsafe": data.failsafe,
            "snapshot": dataclasses.asdict(data.snapshot),
            "headroom_a": None if data.headroom_a is None else dataclasses.asdict(data.headroom_a),
            "import_headroom_w": data.import_headroom_w,
            "pv_surplus_w": data.pv_surplus_w,
        },
    }
