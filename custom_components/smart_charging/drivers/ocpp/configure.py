"""The setup after an accepted boot (or a reconnect): read, configure, arm the fallback.

Order: GetConfiguration → MeterValueSampleInterval → MeterValuesSampledData (all wanted
measurands at once, else one by one keeping the accepted ones) → clear this controller's
live profiles → install the safe fallback → TriggerMessage StatusNotification and
MeterValues. A step the charger refuses, fails or does not answer is logged and skipped;
only a lost connection aborts the setup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final

from ..base import ChargerProtocolError, ChargerTimeoutError
from .calls import (
    Caller,
    change_configuration,
    clear_charging_profile,
    get_configuration,
    set_charging_profile,
    trigger_message,
)
from .compat import CompatOptions, PhaseSwitching, RateUnit
from .logs import driver_logger
from .measurands import WANTED
from .profiles import LIVE_PROFILE_IDS, fallback_profile, resolve_unit

_LOGGER = driver_logger(__name__)

CONFIGURATION_KEYS: Final = (
    "ChargeProfileMaxStackLevel",
    "ChargingScheduleAllowedChargingRateUnit",
    "ChargingScheduleMaxPeriods",
    "ConnectorSwitch3to1PhaseSupported",
    "MaxChargingProfilesInstalled",
    "MeterValueSampleInterval",
    "MeterValuesSampledData",
    "MeterValuesSampledDataMaxLength",
    "NumberOfConnectors",
    "SupportedFeatureProfiles",
)
_OK: Final = frozenset({"Accepted", "RebootRequired"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargePointSetup:
    """What the setup found out and installed."""

    configuration: Mapping[str, str | None] = field(default_factory=dict)
    measurands: tuple[str, ...] = ()
    unit: RateUnit = RateUnit.AMPS
    max_stack_level: int | None = None
    switching: bool = False
    fallback_accepted: bool = False
    meter_trigger: bool = False  # TriggerMessage(MeterValues) is implemented


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


async def _attempt[T](step: str, cp_id: str, awaitable: Awaitable[T]) -> T | None:
    """Run one setup step; a refusal or silence is logged, a lost connection raises."""
    try:
        return await awaitable
    except (ChargerProtocolError, ChargerTimeoutError) as err:
        _LOGGER.info("%s: setup step %s failed: %s", cp_id, step, err)
        return None


async def _read_configuration(caller: Caller, cp_id: str) -> dict[str, str | None]:
    values = await _attempt(
        "GetConfiguration", cp_id, get_configuration(caller, [*CONFIGURATION_KEYS])
    )
    if values is None:  # some firmware refuses a key list: ask for everything
        values = await _attempt("GetConfiguration(all)", cp_id, get_configuration(caller, None))
    return values or {}


async def _negotiate_measurands(
    caller: Caller, cp_id: str, configuration: Mapping[str, str | None]
) -> tuple[str, ...]:
    wanted = list(WANTED)
    if (max_length := _int(configuration.get("MeterValuesSampledDataMaxLength"))) is not None:
        wanted = wanted[: max(max_length, 1)]
    key = "MeterValuesSampledData"
    status = await _attempt(key, cp_id, change_configuration(caller, key, ",".join(wanted)))
    if status in _OK:
        return tuple(wanted)
    if status in (None, "NotSupported"):
        current = configuration.get(key) or ""
        return tuple(m.strip() for m in current.split(",") if m.strip())
    kept: list[str] = []
    for measurand in wanted:
        candidate = [*kept, measurand]
        if (
            await _attempt(key, cp_id, change_configuration(caller, key, ",".join(candidate)))
            in _OK
        ):
            kept = candidate
    return tuple(kept)


def _switching(options: CompatOptions, configuration: Mapping[str, str | None]) -> bool:
    if options.phase_switching is PhaseSwitching.AUTO:
        value = configuration.get("ConnectorSwitch3to1PhaseSupported") or ""
        return value.strip().lower() == "true"
    return options.phase_switching is PhaseSwitching.ENABLED


async def configure(
    caller: Caller, cp_id: str, options: CompatOptions, now: datetime
) -> ChargePointSetup:
    """Configure a charge point; raises only ``ChargerUnavailableError``."""
    configuration = await _read_configuration(caller, cp_id)
    interval = str(options.meter_interval_s)
    await _attempt(
        "MeterValueSampleInterval",
        cp_id,
        change_configuration(caller, "MeterValueSampleInterval", interval),
    )
    measurands = await _negotiate_measurands(caller, cp_id, configuration)
    for profile_id in LIVE_PROFILE_IDS.values():
        await _attempt("ClearChargingProfile", cp_id, clear_charging_profile(caller, profile_id))
    unit = resolve_unit(
        options.rate_unit, configuration.get("ChargingScheduleAllowedChargingRateUnit")
    )
    switching = _switching(options, configuration)
    fallback = fallback_profile(options, unit, now, switching=switching)
    status = await _attempt("fallback", cp_id, set_charging_profile(caller, fallback))
    if status != "Accepted":  # some chargers take a TxDefaultProfile only per connector
        per_connector = replace(fallback, connector_id=options.connector_id)
        status = await _attempt("fallback", cp_id, set_charging_profile(caller, per_connector))
    if status != "Accepted":
        _LOGGER.warning("%s: the safe fallback profile was refused (%s)", cp_id, status)
    triggered: dict[str, str | None] = {}
    for requested, connector in (
        ("StatusNotification", None),
        ("MeterValues", options.connector_id),
    ):
        triggered[requested] = await _attempt(
            requested, cp_id, trigger_message(caller, requested, connector)
        )
    return ChargePointSetup(
        configuration=configuration,
        measurands=measurands,
        unit=unit,
        max_stack_level=_int(configuration.get("ChargeProfileMaxStackLevel")),
        switching=switching,
        fallback_accepted=status == "Accepted",
        # Rejected may only mean "no car now"; NotImplemented or no answer: never ask.
        meter_trigger=triggered["MeterValues"] in ("Accepted", "Rejected"),
    )
