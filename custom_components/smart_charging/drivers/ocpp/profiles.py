"""Charging profiles as pure values: the safe fallback and the live limit.

Layout on the charger (connector 0 = every connector):
- ``FALLBACK_PROFILE_ID``: TxDefaultProfile at stack level 0, no duration, limit = the
  configured safe current. It rules whenever no live profile is valid, e.g. when Home
  Assistant is down.
- ``LIVE_PROFILE_IDS[purpose]``: the live limit at a higher stack level with a
  ``duration``, so it expires into the fallback unless it is refreshed.

A charger that allows only stack level 0 (``ChargeProfileMaxStackLevel`` 0, or the option
set to 0) cannot hold both TxDefaultProfiles: there the live profile *is* the fallback, with
two periods (live limit, then the safe current from the expiry on) and no duration.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
import math
from typing import Final

from .compat import CompatOptions, ProfilePurpose, RateUnit

FALLBACK_PROFILE_ID: Final = 9100
LIVE_PROFILE_IDS: Final = {ProfilePurpose.TX_DEFAULT: 9101, ProfilePurpose.TX: 9102}
FALLBACK_STACK_LEVEL: Final = 0
# startSchedule lies this far in the past (clock skew); the duration grows to match.
START_BACKDATE_S: Final = 30
MIN_VOLTAGE_V: Final = 180.0
MAX_VOLTAGE_V: Final = 260.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """One period of a charging schedule."""

    start_s: int
    limit: float
    number_phases: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """A charging profile for one connector (0 = all)."""

    profile_id: int
    connector_id: int
    stack_level: int
    purpose: ProfilePurpose
    unit: RateUnit  # AMPS or WATTS, never AUTO
    periods: tuple[Period, ...]
    duration_s: int | None = None
    start: datetime | None = None
    transaction_id: int | None = None

    def starting(self, now: datetime | None) -> Profile:
        """Return the profile starting slightly before ``now`` (None: no start)."""
        return replace(self, start=_backdated(now))

    @property
    def first_limit(self) -> float:
        """Return the limit in force right after the start."""
        return self.periods[0].limit


def _backdated(now: datetime | None) -> datetime | None:
    return None if now is None else now - timedelta(seconds=START_BACKDATE_S)


def resolve_unit(option: RateUnit, allowed: str | None) -> RateUnit:
    """Pick A or W from the option and ``ChargingScheduleAllowedChargingRateUnit``."""
    if option is not RateUnit.AUTO:
        return option
    tokens = {token.strip().lower() for token in (allowed or "").split(",")}
    if tokens & {"current", "a"}:
        return RateUnit.AMPS
    if tokens & {"power", "w"}:
        return RateUnit.WATTS
    return RateUnit.AMPS


def usable_voltage(measured_v: float | None, nominal_v: float) -> float:
    """Return a measured phase voltage when plausible, else the nominal one."""
    if measured_v is not None and MIN_VOLTAGE_V <= measured_v <= MAX_VOLTAGE_V:
        return measured_v
    return nominal_v


def to_limit(current_a: float, phases: int, unit: RateUnit, voltage_v: float) -> float:
    """Convert a per-phase current to the schedule's unit, rounded down (never above)."""
    if unit is RateUnit.WATTS:
        return float(math.floor(current_a * phases * voltage_v + 1e-6))
    return math.floor(current_a * 10 + 1e-6) / 10


def to_amps(limit: float, phases: int, unit: RateUnit, voltage_v: float) -> float:
    """Convert a schedule limit back to a per-phase current."""
    if unit is RateUnit.WATTS:
        return limit / (max(phases, 1) * voltage_v)
    return limit


def fallback_profile(
    options: CompatOptions, unit: RateUnit, start: datetime | None, *, switching: bool
) -> Profile:
    """Return the safe TxDefaultProfile for every connector (no duration)."""
    # In W the fallback must stay safe on the fewest phases the charger may use.
    phases = 1 if switching else options.supply_phases
    limit = to_limit(options.safe_current_a, phases, unit, options.nominal_voltage_v)
    return Profile(
        profile_id=FALLBACK_PROFILE_ID,
        connector_id=0,
        stack_level=FALLBACK_STACK_LEVEL,
        purpose=ProfilePurpose.TX_DEFAULT,
        unit=unit,
        periods=(Period(start_s=0, limit=limit),),
        start=_backdated(start),
    )


def live_stack_level(options: CompatOptions, max_stack_level: int | None) -> int:
    """Return the live profile's stack level, within what the charger allows."""
    if max_stack_level is None:
        return options.stack_level
    return max(0, min(options.stack_level, max_stack_level))


def live_profile(
    options: CompatOptions,
    *,
    unit: RateUnit,
    current_a: float,
    phases: int,
    voltage_v: float,
    start: datetime | None,
    stack_level: int,
    switching: bool,
    transaction_id: int | None,
) -> Profile:
    """Return the live-limit profile that lapses into the fallback after the expiry.

    With ``start`` None the profile has no start (what the controller compares to decide
    whether anything changed); ``Profile.starting`` adds it when the profile is sent.
    """
    number_phases = phases if switching else None
    limit = to_limit(current_a, phases, unit, voltage_v)
    live = Period(start_s=0, limit=limit, number_phases=number_phases)
    duration = options.expiry_s + START_BACKDATE_S
    purpose = options.purpose
    if purpose is ProfilePurpose.TX_DEFAULT and stack_level <= FALLBACK_STACK_LEVEL:
        safe = fallback_profile(options, unit, start, switching=switching).periods[0]
        return Profile(
            profile_id=FALLBACK_PROFILE_ID,
            connector_id=0,
            stack_level=FALLBACK_STACK_LEVEL,
            purpose=purpose,
            unit=unit,
            periods=(live, replace(safe, start_s=duration)),
            start=_backdated(start),
        )
    is_tx = purpose is ProfilePurpose.TX
    return Profile(
        profile_id=LIVE_PROFILE_IDS[purpose],
        connector_id=options.connector_id if is_tx else 0,
        stack_level=stack_level,
        purpose=purpose,
        unit=unit,
        periods=(live,),
        duration_s=duration,
        start=_backdated(start),
        transaction_id=transaction_id if is_tx else None,
    )


def format_time(moment: datetime) -> str:
    """Format a timestamp the way chargers parse best (UTC, seconds, ``Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
