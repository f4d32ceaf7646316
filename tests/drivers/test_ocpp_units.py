"""The pure parts of the OCPP driver: measurands, profiles, frames, options, calls."""

from __future__ import annotations

from datetime import UTC, datetime
import io
import logging
import ssl
from types import SimpleNamespace
from typing import Any
from unittest.mock import Mock

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.messages import Call, _validate_payload
import pytest

from custom_components.smart_charging.drivers.base import ChargerStatus
from custom_components.smart_charging.drivers.ocpp import (
    CompatOptions,
    ProfilePurpose,
    RateUnit,
    transport,
)
from custom_components.smart_charging.drivers.ocpp.calls import (
    change_configuration,
    clear_charging_profile,
    composite_limit,
    get_configuration,
    remote_start,
    remote_stop,
    set_charging_profile,
    trigger_message,
)
from custom_components.smart_charging.drivers.ocpp.configure import CONFIGURATION_KEYS
from custom_components.smart_charging.drivers.ocpp.control import LimitControl
from custom_components.smart_charging.drivers.ocpp.frames import (
    Frame,
    MessageType,
    Rejection,
    check_frame,
    spec_error_codes,
)
from custom_components.smart_charging.drivers.ocpp.logs import driver_logger
from custom_components.smart_charging.drivers.ocpp.measurands import (
    MeterSample,
    parse_meter_values,
    phase_currents,
)
from custom_components.smart_charging.drivers.ocpp.profiles import (
    fallback_profile,
    live_profile,
    to_amps,
    to_limit,
)
from custom_components.smart_charging.drivers.ocpp.transport import basic_auth_ok, charge_point_id


def _values(*sampled: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"timestamp": "2025-05-01T12:00:00Z", "sampled_value": list(sampled)}]


def test_energy_and_power_units() -> None:
    sample = parse_meter_values(
        _values(
            {"value": "12345"},  # no measurand, no unit: Energy.Active.Import.Register in Wh
            {"value": "3.7", "measurand": "Power.Active.Import", "unit": "kW"},
        )
    )
    assert sample.energy_kwh == pytest.approx(12.345)
    assert sample.power_w == pytest.approx(3700)


def test_per_phase_values_are_summed_and_later_values_win() -> None:
    sample = parse_meter_values(
        [
            *_values({"value": "1", "measurand": "Power.Active.Import"}),
            *_values(
                *(
                    {"value": "1000", "measurand": "Power.Active.Import", "phase": p}
                    for p in ("L1", "L2", "L3")
                ),
                {"value": "400", "measurand": "Voltage", "phase": "L1-L2"},
                {"value": "68", "measurand": "Temperature", "unit": "Fahrenheit"},
                {"value": "300.15", "measurand": "Temperature", "unit": "K"},
            ),
        ]
    )
    assert sample.power_w == 3000
    assert sample.voltage_v == pytest.approx(230.94, abs=0.01)
    assert sample.temperature_c == pytest.approx(27.0)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "nope",
        ["nope"],
        [{"timestamp": "x", "sampled_value": 5}],
        _values("nope", {"value": "abc"}, {"value": "nan"}),
        _values({"value": "5", "format": "SignedData"}),
    ],
)
def test_unusable_meter_values_are_skipped(payload: Any) -> None:
    assert parse_meter_values(payload) == MeterSample()


def test_voltage_without_phase_and_offered_per_phase() -> None:
    sample = parse_meter_values(
        _values(
            {"value": "229", "measurand": "Voltage"},
            {"value": "16", "measurand": "Current.Offered", "phase": "L1"},
            {"value": "10", "measurand": "Current.Offered", "phase": "L2"},
        )
    )
    assert sample.voltage_v == 229
    assert sample.offered_a == 16


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (MeterSample(), None),
        (MeterSample(currents_a=(10.0, None, None)), (10.0, 0.0, 0.0)),
        (MeterSample(current_a=16.0), (16.0, 16.0, 16.0)),  # unknown phases: assume all
        (MeterSample(current_a=16.0, power_w=3680.0), (16.0, 0.0, 0.0)),
        (MeterSample(current_a=16.0, power_w=7360.0), (16.0, 16.0, 0.0)),
        (MeterSample(current_a=0.1, power_w=10.0), (0.1, 0.1, 0.1)),
    ],
)
def test_phase_currents(sample: MeterSample, expected: tuple[float, ...] | None) -> None:
    assert phase_currents(sample, 230.0) == expected


def test_limits_never_round_up() -> None:
    assert to_limit(16.09, 3, RateUnit.AMPS, 230) == 16.0
    assert to_limit(6.0, 3, RateUnit.WATTS, 231.5) == 4167.0
    assert to_amps(4140.0, 3, RateUnit.WATTS, 230) == pytest.approx(6.0)
    assert to_amps(6.0, 3, RateUnit.AMPS, 230) == 6.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stack_level": -1},
        {"connector_id": 0},
        {"safe_current_a": -1},
        {"supply_phases": 4},
        {"nominal_voltage_v": 400},
        {"expiry_s": 10},
        {"refresh_s": 300},
        {"call_timeout_s": 0},
        {"meter_interval_s": 0},
        {"id_tag": "x" * 21},
        {"follow_up_s": (6.0, 3.0)},
        {"follow_up_s": (0.0,)},
        {"follow_up_s": (61.0,)},
        {"follow_up_s": tuple(range(1, 12))},
    ],
)
def test_invalid_options(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each field has its own message
        CompatOptions(**kwargs)


def test_frames() -> None:
    assert check_frame('[3,"a",{}]') == Frame(MessageType.CALL_RESULT, "a")
    assert check_frame('[4,"a","GenericError","",{}]') == Frame(MessageType.CALL_ERROR, "a")
    assert check_frame('[2,"a","Heartbeat",{}]') == Frame(MessageType.CALL, "a", "Heartbeat")
    assert check_frame('[true,"a","Heartbeat",{}]') == Rejection(
        "unknown message type id",
        check_frame('[9,"a","Heartbeat",{}]').reply,  # type: ignore[union-attr]
    )
    long_response = check_frame('[3,"' + "x" * 37 + '",{}]')
    assert isinstance(long_response, Rejection)
    assert long_response.reply is None  # never answer a response
    truncated = check_frame('[2,"esc\\"aped",')
    assert isinstance(truncated, Rejection)
    assert truncated.reply is not None
    assert '"esc\\"aped"' in truncated.reply
    assert spec_error_codes('[3,"a",{}]') == '[3,"a",{}]'
    assert spec_error_codes('[4,"a","GenericError","",{}]') == '[4,"a","GenericError","",{}]'
    assert spec_error_codes('[4,"a","OccurrenceConstraintViolation","",{}]') == (
        '[4,"a","OccurenceConstraintViolation","",{}]'
    )


def test_handshake_helpers() -> None:
    assert charge_point_id("/ocpp/CP1/?x=1") == "CP1"
    assert charge_point_id("/") is None
    assert not basic_auth_ok(None, "CP1", "pw")


class _Answer:
    def __init__(self, result: Any) -> None:
        self.result = result

    async def call(self, payload: object) -> Any:
        return self.result


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (None, None),
        ({"charging_rate_unit": "W", "charging_schedule_period": []}, None),
        ({"charging_rate_unit": "A", "charging_schedule_period": []}, None),
        ({"charging_schedule_period": [{"start_period": 0, "limit": "x"}]}, None),
        (
            {
                "charging_rate_unit": "A",
                "charging_schedule_period": [
                    {"start_period": 60, "limit": 6},
                    {"start_period": 0, "limit": 8.5},
                    "junk",
                ],
            },
            8.5,
        ),
    ],
)
async def test_composite_limit_parsing(schedule: Any, expected: float | None) -> None:
    result = SimpleNamespace(status="Accepted", charging_schedule=schedule)
    assert await composite_limit(_Answer(result), 1, 60, "A") == expected


def test_limit_control_without_an_accepted_limit() -> None:
    control = LimitControl()
    assert control.expected_a(230) is None
    control.observe_offered(10, ChargerStatus.CHARGING, 230, CompatOptions(), now=1e6)
    assert not control.mismatch


class _Recorder:
    """A caller that keeps the payloads and answers Accepted."""

    def __init__(self) -> None:
        self.payloads: list[object] = []

    async def call(self, payload: object) -> Any:
        self.payloads.append(payload)
        return SimpleNamespace(status="Accepted", configuration_key=None, charging_schedule=None)


async def test_outgoing_calls_fit_the_schemas() -> None:
    """The session skips the library's validation of our own CALLs: they are checked here."""
    recorder = _Recorder()
    start = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    watts = CompatOptions(rate_unit=RateUnit.WATTS)
    tx = CompatOptions(purpose=ProfilePurpose.TX)
    live: dict[str, Any] = {
        "current_a": 16.04,
        "phases": 1,
        "voltage_v": 231.7,
        "start": start,
        "switching": True,
        "transaction_id": 42,
    }
    profiles = [
        fallback_profile(CompatOptions(), RateUnit.AMPS, start, switching=False),
        fallback_profile(watts, RateUnit.WATTS, start, switching=True),
        live_profile(CompatOptions(), unit=RateUnit.AMPS, stack_level=1, **live),
        live_profile(watts, unit=RateUnit.WATTS, stack_level=0, **live),  # fused, 2 periods
        live_profile(tx, unit=RateUnit.AMPS, stack_level=0, **live),
    ]
    for profile in profiles:
        await set_charging_profile(recorder, profile)
    await get_configuration(recorder, list(CONFIGURATION_KEYS))
    await get_configuration(recorder, None)
    await change_configuration(recorder, "MeterValuesSampledData", "SoC")
    await clear_charging_profile(recorder, 9101)
    await trigger_message(recorder, "BootNotification", None)
    await trigger_message(recorder, "MeterValues", 1)
    await remote_start(recorder, "smart_charging", 1)
    await remote_stop(recorder, 42)
    assert await composite_limit(recorder, 1, 60, "W") is None
    for payload in recorder.payloads:
        camel = snake_to_camel_case(serialize_as_dict(payload))
        message = Call(unique_id="1", action=type(payload).__name__, payload=remove_nones(camel))
        _validate_payload(message, "1.6")  # raises on any schema violation
    assert len(recorder.payloads) == 14


def test_a_callerror_without_details_is_accepted() -> None:
    assert check_frame('[4,"a","GenericError","oops"]') == Frame(MessageType.CALL_ERROR, "a")
    assert isinstance(check_frame('[4,"a","GenericError"]'), Rejection)


def test_tls_failures_are_logged_once_a_minute_per_reason(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "_tls_reported", {})
    clock = iter([100.0, 130.0, 161.0, 161.0, 161.0])
    monkeypatch.setattr(transport, "_now", lambda: next(clock))

    def failure(reason: str) -> ssl.SSLError:
        err = ssl.SSLError(1, f"[SSL: {reason}] {reason.lower()}")
        err.reason = reason
        return err

    for err in (failure("NO_SHARED_CIPHER"),) * 3 + (failure("HTTP_REQUEST"),):
        transport._report_tls(err)
    transport._report_tls(ssl.SSLEOFError(8, "EOF occurred"))  # a peer that hung up
    reasons = [r.getMessage().split("(", 1)[1].split(")", 1)[0] for r in caplog.records]
    assert reasons == ["NO_SHARED_CIPHER", "NO_SHARED_CIPHER", "HTTP_REQUEST"]


def test_driver_logs_write_a_lone_surrogate_escaped() -> None:
    """A charger's JSON-escaped lone surrogate reaches a UTF-8 log file as ``\\ud800``."""
    logger = driver_logger("custom_components.smart_charging.drivers.ocpp.test_logs")
    stream = io.BytesIO()
    handler = logging.StreamHandler(io.TextIOWrapper(stream, encoding="utf-8", write_through=True))
    handler.handleError = Mock(side_effect=AssertionError("logging error"))  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        logger.warning("%s: DataTransfer %s", "CP1", "\ud800x")
        logger.warning("%(cp)s: %(vendor)s", {"cp": "CP1", "vendor": "\udfff"})
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue().decode() == "CP1: DataTransfer \\ud800x\nCP1: \\udfff\n"
