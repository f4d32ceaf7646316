"""The simulated charge point's smart charging: which profile rules, and the limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from demo.profiles import (
    CP_MAX,
    TX,
    TX_DEFAULT,
    InstalledProfile,
    Period,
    clear,
    composite_periods,
    install,
    limit_a,
    parse_profile,
)

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def profile(
    profile_id: int,
    limit: float,
    *,
    stack: int = 0,
    purpose: str = TX_DEFAULT,
    connector: int = 0,
    unit: str = "A",
    start: datetime | None = NOW,
    duration: int | None = None,
    kind: str = "Absolute",
    tx: int | None = None,
    phases: int | None = None,
) -> InstalledProfile:
    return InstalledProfile(
        profile_id=profile_id,
        connector_id=connector,
        stack_level=stack,
        purpose=purpose,
        kind=kind,
        unit=unit,
        periods=(Period(start_s=0, limit=limit, number_phases=phases),),
        start=start,
        duration_s=duration,
        transaction_id=tx,
        installed_at=NOW,
    )


def limit(profiles: Any, at: datetime = NOW, tx: int | None = None, **kwargs: Any) -> Any:
    return limit_a(
        profiles,
        connector_id=1,
        now=at,
        transaction_id=tx,
        tx_start=kwargs.get("tx_start"),
        voltage_v=230.0,
    )


def test_parse_reads_the_librarys_snake_case_payload() -> None:
    payload = {
        "charging_profile_id": 9101,
        "stack_level": 1,
        "charging_profile_purpose": "TxDefaultProfile",
        "charging_profile_kind": "Absolute",
        "charging_schedule": {
            "charging_rate_unit": "W",
            "duration": 330,
            "start_schedule": "2025-05-01T11:59:30Z",
            "charging_schedule_period": [
                {"start_period": 60, "limit": 4140.0},
                {"start_period": 0, "limit": 11040.0, "number_phases": 3},
            ],
        },
    }
    parsed = parse_profile(0, payload, NOW)
    assert parsed.profile_id == 9101
    assert parsed.unit == "W"
    assert parsed.duration_s == 330
    assert parsed.start == NOW - timedelta(seconds=30)
    assert [p.start_s for p in parsed.periods] == [0, 60]


def test_no_profile_no_limit() -> None:
    assert limit(()) is None


def test_the_highest_valid_stack_level_rules() -> None:
    fallback = profile(9100, 6.0, stack=0)
    live = profile(9101, 16.0, stack=1, duration=330)
    assert limit((fallback, live)) == 16.0


def test_an_expired_live_profile_lapses_into_the_fallback() -> None:
    fallback = profile(9100, 6.0, stack=0)
    live = profile(9101, 16.0, stack=1, duration=330)
    assert limit((fallback, live), NOW + timedelta(seconds=330)) == 16.0
    assert limit((fallback, live), NOW + timedelta(seconds=331)) == 6.0


def test_a_profile_starting_later_does_not_rule_yet() -> None:
    later = profile(9101, 10.0, stack=1, start=NOW + timedelta(minutes=5))
    assert limit((profile(9100, 6.0), later)) == 6.0


def test_periods_follow_each_other() -> None:
    two = InstalledProfile(
        profile_id=1,
        connector_id=0,
        stack_level=0,
        purpose=TX_DEFAULT,
        kind="Absolute",
        unit="A",
        periods=(Period(start_s=0, limit=16.0), Period(start_s=60, limit=8.0)),
        start=NOW,
        installed_at=NOW,
    )
    assert limit((two,), NOW + timedelta(seconds=59)) == 16.0
    assert limit((two,), NOW + timedelta(seconds=60)) == 8.0


@pytest.mark.parametrize(("phases", "expected"), [(None, 16.0), (3, 16.0), (1, 48.0)])
def test_watts_become_amps_per_phase(phases: int | None, expected: float) -> None:
    assert limit((profile(1, 11040.0, unit="W", phases=phases),)) == pytest.approx(expected)


def test_a_connector_profile_wins_a_tie_over_connector_zero() -> None:
    everywhere = profile(1, 16.0, connector=0)
    here = profile(2, 10.0, connector=1)
    assert limit((everywhere, here)) == 10.0


def test_a_tx_profile_overrides_the_default_during_its_transaction() -> None:
    default = profile(9101, 16.0, stack=1)
    tx_profile = profile(9102, 8.0, stack=1, purpose=TX, connector=1, tx=42)
    assert limit((default, tx_profile), tx=42) == 8.0
    assert limit((default, tx_profile), tx=43) == 16.0
    assert limit((default, tx_profile)) == 16.0


def test_a_relative_profile_counts_from_the_transaction_start() -> None:
    relative = profile(3, 10.0, kind="Relative", start=None, duration=60, purpose=TX, tx=7)
    started = NOW - timedelta(seconds=30)
    assert limit((relative,), tx=7, tx_start=started) == 10.0
    assert limit((relative,), NOW + timedelta(seconds=31), tx=7, tx_start=started) is None


def test_the_charge_point_maximum_caps_everything() -> None:
    cap = profile(5, 12.0, purpose=CP_MAX)
    assert limit((profile(1, 16.0), cap)) == 12.0
    assert limit((cap,)) == 12.0


def test_install_replaces_the_same_id_or_the_same_level_and_purpose() -> None:
    first = profile(9101, 10.0, stack=1)
    same_id = profile(9101, 12.0, stack=2)
    same_slot = profile(7, 14.0, stack=2)
    profiles = install(install(install((), first), same_id), same_slot)
    assert profiles == (same_slot,)


def test_clear_by_id_or_by_criteria() -> None:
    fallback, live = profile(9100, 6.0), profile(9101, 16.0, stack=1)
    assert clear((fallback, live), profile_id=9101) == ((fallback,), True)
    assert clear((fallback, live), profile_id=1) == ((fallback, live), False)
    assert clear((fallback, live), purpose=TX_DEFAULT, stack_level=0) == ((live,), True)
    assert clear((fallback, live)) == ((), True)


def test_the_composite_schedule_shows_the_lapse() -> None:
    profiles = (profile(9100, 6.0), profile(9101, 16.0, stack=1, duration=120))
    periods = composite_periods(
        profiles,
        connector_id=1,
        now=NOW,
        transaction_id=None,
        tx_start=None,
        voltage_v=230.0,
        duration_s=300,
    )
    assert periods == [(0, 16.0), (180, 6.0)]
