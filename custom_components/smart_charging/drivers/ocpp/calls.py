"""Typed outgoing CALLs: the untyped ``ocpp`` payloads stay behind these functions.

Each function sends one CALL through a ``Caller`` (a ``Session``) and returns plain
values; errors are the ``DriverError`` subclasses ``Session.call`` raises.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from ocpp.v16 import call, datatypes

from .profiles import Profile, format_time


class Caller(Protocol):
    """Something that sends a CALL and returns the library's result object."""

    async def call(self, payload: object) -> Any:
        """Send ``payload``; return the result or raise a ``DriverError``."""


def _status(result: object) -> str:
    return str(getattr(result, "status", ""))


async def get_configuration(caller: Caller, keys: list[str] | None) -> dict[str, str | None]:
    """Return the requested configuration keys that the charger knows."""
    result = await caller.call(call.GetConfiguration(key=keys))
    values: dict[str, str | None] = {}
    entries = getattr(result, "configuration_key", None)
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            value = entry.get("value")
            values[entry["key"]] = None if value is None else str(value)
    return values


async def change_configuration(caller: Caller, key: str, value: str) -> str:
    """Set one configuration key; return Accepted, Rejected, RebootRequired or NotSupported."""
    return _status(await caller.call(call.ChangeConfiguration(key=key, value=value)))


async def clear_charging_profile(caller: Caller, profile_id: int) -> str:
    """Clear one of this controller's profiles by id; return Accepted or Unknown."""
    return _status(await caller.call(call.ClearChargingProfile(id=profile_id)))


def _library_profile(profile: Profile) -> Any:
    periods = [
        datatypes.ChargingSchedulePeriod(
            start_period=period.start_s, limit=period.limit, number_phases=period.number_phases
        )
        for period in profile.periods
    ]
    schedule = datatypes.ChargingSchedule(
        charging_rate_unit=str(profile.unit),
        charging_schedule_period=periods,
        duration=profile.duration_s,
        start_schedule=format_time(profile.start) if profile.start is not None else None,
    )
    return datatypes.ChargingProfile(
        charging_profile_id=profile.profile_id,
        stack_level=profile.stack_level,
        charging_profile_purpose=str(profile.purpose),
        charging_profile_kind="Absolute",
        charging_schedule=schedule,
        transaction_id=profile.transaction_id,
    )


async def set_charging_profile(caller: Caller, profile: Profile) -> str:
    """Install a profile; return Accepted, Rejected or NotSupported."""
    payload = call.SetChargingProfile(
        connector_id=profile.connector_id, cs_charging_profiles=_library_profile(profile)
    )
    return _status(await caller.call(payload))


async def trigger_message(caller: Caller, requested: str, connector_id: int | None) -> str:
    """Ask the charger to send a message; return Accepted, Rejected or NotImplemented."""
    payload = call.TriggerMessage(requested_message=requested, connector_id=connector_id)
    return _status(await caller.call(payload))


async def remote_start(caller: Caller, id_tag: str, connector_id: int) -> str:
    """Start a transaction remotely; return Accepted or Rejected."""
    payload = call.RemoteStartTransaction(id_tag=id_tag, connector_id=connector_id)
    return _status(await caller.call(payload))


async def remote_stop(caller: Caller, transaction_id: int) -> str:
    """Stop a transaction remotely; return Accepted or Rejected."""
    return _status(await caller.call(call.RemoteStopTransaction(transaction_id=transaction_id)))


async def composite_limit(
    caller: Caller, connector_id: int, duration_s: int, unit: str
) -> float | None:
    """Return the limit the charger will apply now (GetCompositeSchedule), if it says."""
    payload = call.GetCompositeSchedule(
        connector_id=connector_id, duration=duration_s, charging_rate_unit=unit
    )
    result = await caller.call(payload)
    if _status(result) != "Accepted":
        return None
    schedule = getattr(result, "charging_schedule", None)
    if not isinstance(schedule, dict) or schedule.get("charging_rate_unit", unit) != unit:
        return None
    periods = schedule.get("charging_schedule_period")
    if not isinstance(periods, list):
        return None
    first = min(
        (p for p in periods if isinstance(p, dict) and isinstance(p.get("start_period"), int)),
        key=lambda p: int(p["start_period"]),
        default=None,
    )
    if first is None:
        return None
    try:
        limit = float(first["limit"])
    except (KeyError, TypeError, ValueError, OverflowError):  # Overflow: a huge integer
        return None
    return limit if math.isfinite(limit) else None
