"""A charge point's side of OCPP 1.6 smart charging: installed profiles and the limit now.

What the simulated OCPP charger does with SetChargingProfile and ClearChargingProfile
(OCPP 1.6 §3.13), kept pure so ``tests/demo`` can check it with explicit times:
- a profile replaces an installed one with the same id, or with the same stack level and
  purpose on the same connector;
- the limit now: the valid ``TxProfile`` of the running transaction with the highest
  stack level, else the valid ``TxDefaultProfile`` with the highest (one for this
  connector wins a tie over one for connector 0), capped by a ``ChargePointMaxProfile``;
- a profile is valid from its ``startSchedule`` (a relative one from the transaction's
  start) for its ``duration``; outside that it gives no limit and a lower one rules;
- limits in W become A per phase with the period's ``numberPhases`` (default 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

TX_DEFAULT: Final = "TxDefaultProfile"
TX: Final = "TxProfile"
CP_MAX: Final = "ChargePointMaxProfile"


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """One schedule period."""

    start_s: int
    limit: float
    number_phases: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InstalledProfile:
    """A charging profile as the charge point stores it."""

    profile_id: int
    connector_id: int
    stack_level: int
    purpose: str
    kind: str
    unit: str  # "A" or "W"
    periods: tuple[Period, ...]
    start: datetime | None = None
    duration_s: int | None = None
    transaction_id: int | None = None
    installed_at: datetime | None = None


def parse_profile(
    connector_id: int, payload: Mapping[str, Any], installed_at: datetime
) -> InstalledProfile:
    """Read a SetChargingProfile's ``cs_charging_profiles`` (the library's snake_case)."""
    schedule = payload["charging_schedule"]
    periods = tuple(
        sorted(
            (
                Period(
                    start_s=int(period["start_period"]),
                    limit=float(period["limit"]),
                    number_phases=period.get("number_phases"),
                )
                for period in schedule["charging_schedule_period"]
            ),
            key=lambda period: period.start_s,
        )
    )
    start = schedule.get("start_schedule")
    return InstalledProfile(
        profile_id=int(payload["charging_profile_id"]),
        connector_id=connector_id,
        stack_level=int(payload["stack_level"]),
        purpose=str(payload["charging_profile_purpose"]),
        kind=str(payload.get("charging_profile_kind", "Absolute")),
        unit=str(schedule["charging_rate_unit"]),
        periods=periods,
        start=datetime.fromisoformat(start) if start else None,
        duration_s=schedule.get("duration"),
        transaction_id=payload.get("transaction_id"),
        installed_at=installed_at,
    )


def install(
    profiles: Iterable[InstalledProfile], new: InstalledProfile
) -> tuple[InstalledProfile, ...]:
    """Return the profiles after installing ``new`` (replacing what it supersedes)."""
    kept = tuple(
        profile
        for profile in profiles
        if profile.profile_id != new.profile_id
        and not (
            profile.stack_level == new.stack_level
            and profile.purpose == new.purpose
            and profile.connector_id == new.connector_id
        )
    )
    return (*kept, new)


def clear(
    profiles: Iterable[InstalledProfile],
    *,
    profile_id: int | None = None,
    connector_id: int | None = None,
    purpose: str | None = None,
    stack_level: int | None = None,
) -> tuple[tuple[InstalledProfile, ...], bool]:
    """Return the profiles left after a ClearChargingProfile, and whether any went."""
    profiles = tuple(profiles)

    def matches(profile: InstalledProfile) -> bool:
        if profile_id is not None:
            return profile.profile_id == profile_id
        return (
            (connector_id is None or profile.connector_id == connector_id)
            and (purpose is None or profile.purpose == purpose)
            and (stack_level is None or profile.stack_level == stack_level)
        )

    kept = tuple(profile for profile in profiles if not matches(profile))
    return kept, len(kept) != len(profiles)


def _origin(profile: InstalledProfile, tx_start: datetime | None) -> datetime | None:
    if profile.kind == "Relative":
        return tx_start
    return profile.start or profile.installed_at


def period_limit_a(
    profile: InstalledProfile, now: datetime, tx_start: datetime | None, voltage_v: float
) -> float | None:
    """The profile's limit now in A per phase; None when it is not valid now."""
    origin = _origin(profile, tx_start)
    if origin is None:
        return None
    elapsed = (now - origin).total_seconds()
    if elapsed < 0 or (profile.duration_s is not None and elapsed > profile.duration_s):
        return None
    current = [period for period in profile.periods if period.start_s <= elapsed]
    if not current:
        return None
    period = current[-1]
    if profile.unit == "W":
        return period.limit / ((period.number_phases or 3) * voltage_v)
    return period.limit


def _ruling(
    candidates: Iterable[InstalledProfile],
    connector_id: int,
    now: datetime,
    tx_start: datetime | None,
    voltage_v: float,
) -> float | None:
    """The limit of the valid profile with the highest stack level among ``candidates``."""
    valid = [
        (profile.stack_level, profile.connector_id == connector_id, limit)
        for profile in candidates
        if (limit := period_limit_a(profile, now, tx_start, voltage_v)) is not None
    ]
    if not valid:
        return None
    return max(valid, key=lambda item: (item[0], item[1]))[2]


def limit_a(
    profiles: Iterable[InstalledProfile],
    *,
    connector_id: int,
    now: datetime,
    transaction_id: int | None,
    tx_start: datetime | None,
    voltage_v: float,
) -> float | None:
    """The current the charge point may offer now (A per phase); None: no profile limits it."""
    profiles = [p for p in profiles if p.connector_id in (0, connector_id)]
    limit: float | None = None
    if transaction_id is not None:
        tx_profiles = [
            p for p in profiles if p.purpose == TX and p.transaction_id in (None, transaction_id)
        ]
        limit = _ruling(tx_profiles, connector_id, now, tx_start, voltage_v)
    if limit is None:
        defaults = [p for p in profiles if p.purpose == TX_DEFAULT]
        limit = _ruling(defaults, connector_id, now, tx_start, voltage_v)
    cap = _ruling([p for p in profiles if p.purpose == CP_MAX], 0, now, tx_start, voltage_v)
    if cap is not None:
        limit = cap if limit is None else min(limit, cap)
    return limit


def composite_periods(
    profiles: Iterable[InstalledProfile],
    *,
    connector_id: int,
    now: datetime,
    transaction_id: int | None,
    tx_start: datetime | None,
    voltage_v: float,
    duration_s: int,
    step_s: int = 60,
) -> list[tuple[int, float]]:
    """The limit ahead (start offset, A) sampled every ``step_s``; for GetCompositeSchedule."""
    profiles = tuple(profiles)
    periods: list[tuple[int, float]] = []
    for offset in range(0, max(duration_s, 1), step_s):
        limit = limit_a(
            profiles,
            connector_id=connector_id,
            now=now + timedelta(seconds=offset),
            transaction_id=transaction_id,
            tx_start=tx_start,
            voltage_v=voltage_v,
        )
        if limit is None:
            continue
        if not periods or abs(periods[-1][1] - limit) > 1e-6:
            periods.append((offset, round(limit, 1)))
    return periods
