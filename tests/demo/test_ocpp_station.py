"""The simulated OCPP charge point's state: configuration, status, offer and meter values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from demo import ev
from demo.ocpp_station import CONFIGURATION, Station, change_configuration
from demo.profiles import TX_DEFAULT, InstalledProfile, Period

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
CAR = ev.Car(capacity_kwh=60.0, target_soc_pct=90.0)


def station(soc: float | None = 50.0, limit: float | None = None) -> Station:
    driveway = ev.Driveway(ev=None if soc is None else ev.EvState(soc_pct=soc), since_s=0.0)
    result = Station(car=CAR, visits=ev.Visits(), driveway=driveway)
    if limit is not None:
        result.profiles = (
            InstalledProfile(
                profile_id=9100,
                connector_id=0,
                stack_level=0,
                purpose=TX_DEFAULT,
                kind="Absolute",
                unit="A",
                periods=(Period(start_s=0, limit=limit),),
                start=NOW,
                installed_at=NOW,
            ),
        )
    return result


@pytest.mark.parametrize(
    ("key", "value", "status"),
    [
        ("MeterValueSampleInterval", "10", "Accepted"),
        ("MeterValueSampleInterval", "0", "Rejected"),
        ("MeterValueSampleInterval", "ten", "Rejected"),
        ("MeterValuesSampledData", "Energy.Active.Import.Register,SoC", "Accepted"),
        ("MeterValuesSampledData", "Energy.Active.Import.Register,Frequency", "Rejected"),
        ("NumberOfConnectors", "2", "Rejected"),
        ("NoSuchKey", "1", "NotSupported"),
    ],
)
def test_change_configuration(key: str, value: str, status: str) -> None:
    configuration = dict(CONFIGURATION)
    assert change_configuration(configuration, key, value) == status
    assert (configuration.get(key) == value) is (status == "Accepted")


def test_status_follows_the_car_and_the_transaction() -> None:
    assert station(soc=None).status(NOW) == "Available"
    waiting = station()
    assert waiting.status(NOW) == "Preparing"
    waiting.stopped_remotely = True
    assert waiting.status(NOW) == "Finishing"
    charging = station(limit=16.0)
    charging.transaction_id = 1
    assert charging.status(NOW) == "Charging"
    paused = station(limit=0.0)
    paused.transaction_id = 1
    assert paused.status(NOW) == "SuspendedEVSE"
    full = station(soc=90.0, limit=16.0)
    full.transaction_id = 1
    assert full.status(NOW) == "SuspendedEV"


@pytest.mark.parametrize(
    ("limit", "offered"), [(None, 16.0), (32.0, 16.0), (10.0, 10.0), (5.0, 0.0)]
)
def test_the_offer_is_the_profile_limit_within_the_hardware(
    limit: float | None, offered: float
) -> None:
    charging = station(limit=limit)
    assert charging.offered_a(NOW) == 0.0  # no transaction yet
    charging.transaction_id = 1
    assert charging.offered_a(NOW) == offered


def test_ticks_move_the_car_and_the_meter() -> None:
    charging = station(limit=16.0)
    charging.transaction_id = 1
    start_wh = charging.energy_wh
    for second in range(1, 61):
        charging.tick(float(second), NOW, 1.0)
    assert charging.currents() == pytest.approx((16.0, 16.0, 16.0), abs=0.01)
    state = charging.driveway.ev
    assert state is not None
    assert charging.energy_wh - start_wh == pytest.approx(state.session_kwh * 1000)


def test_meter_values_carry_the_configured_measurands() -> None:
    charging = station(limit=16.0)
    charging.transaction_id = 1
    charging.configuration["MeterValuesSampledData"] = (
        "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Current.Offered,SoC"
    )
    values = charging.sampled_values(NOW)
    measurands = [v["measurand"] for v in values]
    assert measurands == [
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "Current.Import",
        "Current.Import",
        "Current.Import",
        "Current.Offered",
        "SoC",
    ]
    assert [v.get("phase") for v in values if v["measurand"] == "Current.Import"] == [
        "L1",
        "L2",
        "L3",
    ]
    assert next(v for v in values if v["measurand"] == "SoC")["unit"] == "Percent"
    assert next(v for v in values if v["measurand"] == "Current.Offered")["value"] == "16.00"
