"""OCPP server fuzzing: hypothesis frames over real websockets on 127.0.0.1.

One server per test; every example reuses it (and its connections), so a frame that
breaks the server for later frames fails the later example too. The pattern: ``@given``
on an ``async def`` test; pytest-asyncio runs each example in the test's event loop, where
the function-scoped async fixtures (the server, the sockets) already live. Hypothesis
frowns on function-scoped fixtures shared by examples, hence
``HealthCheck.function_scoped_fixture`` is suppressed: sharing is the point here. Each
example clears ``caplog`` first and checks it at the end.

Who is fuzzed (each example picks one): ``BOOTED`` (accepted, BootNotification answered),
``LENIENT`` (the same with ``skip_schema_validation``: the handlers get wrong types),
``UNBOOTED`` (accepted id, never booted) and ``STRANGER`` (unknown id, auto-accept off:
pending). Frames: valid CALLs of every action a charge point sends, or with one value
somewhere inside replaced (wrong type, out-of-range or overflowing number, unknown enum,
missing or extra field, a 40 kB string, nesting down to 25 000 levels); unknown actions;
broken envelopes (type ids 0-9, "2", true, null, 2.0, ids of any type and length, any
length); CALLRESULTs/CALLERRORs for ids never sent; truncated CALLs; non-array JSON;
random text; escapes the id recovery trips on; binary frames.

Properties, every example:
- the server answers at most once; a CALL with a readable id (a string) gets exactly one
  answer with that id: a CALLRESULT valid against the action's schema, or a CALLERROR with
  an OCPP 1.6 code (never InternalError, which would mean a handler blew up); a broken
  frame whose id is still readable gets FormationViolation; responses, binary frames and
  frames without an id get nothing;
- the pending charger gets a CALLRESULT only for BootNotification (status Pending), is
  never sent a command and keeps no state;
- the fuzzed connection stays open, nothing is logged as an error or with a traceback;
- a well-behaved charger on the same server keeps working: its MeterValues are taken and
  each example sends it a new SetChargingProfile.
Further properties: any answer to the server's own CALLs (during setup and limits) ends
in a ready charger and ``DriverError`` at worst; frames above ``max_message_bytes`` close
that connection (1009) and only that one.

``OCPP_FUZZ_SCALE`` multiplies the example counts (e.g. ``OCPP_FUZZ_SCALE=20`` by hand).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
import contextlib
from dataclasses import dataclass, field
import json
import logging
import os
import time
from types import SimpleNamespace
from typing import Any, Final

import aiohttp
from hypothesis import HealthCheck, example, given, settings, strategies as st
import pytest

from custom_components.smart_charging.drivers.base import (
    ChargerStatus,
    ChargerUnavailableError,
    DriverError,
)
from custom_components.smart_charging.drivers.ocpp import (
    Admission,
    CompatOptions,
    OcppCharger,
    OcppServer,
)
from tests.drivers.conftest import admissions, clock, make_server  # noqa: F401 (fixtures)
from tests.drivers.ocpp_helpers import (
    Admissions,
    Client,
    ClientFactory,
    boot_and_setup,
    is_ready,
    sampled,
    wait_until,
)

from .ocpp_fuzz_helpers import (
    BOOT,
    FRAMES,
    JSON_VALUES,
    NUMBERS,
    OCPP16_ERROR_CODES,
    Frame,
    RawCharger,
    assert_no_errors,
    check_answers,
)

SCALE: Final = float(os.environ.get("OCPP_FUZZ_SCALE", "1"))
TARGETS: Final = ("BOOTED", "LENIENT", "UNBOOTED", "STRANGER")
ENERGY: Final = "Energy.Active.Import.Register"


def _examples(count: int) -> int:
    return max(1, int(count * SCALE))


def _fuzz(count: int) -> Any:
    return settings(
        max_examples=_examples(count),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@dataclass
class FuzzEnv:
    """One server, a well-behaved charger and the fuzzed connections."""

    server: OcppServer
    good: OcppCharger
    good_client: Client
    targets: dict[str, RawCharger] = field(default_factory=dict)
    rounds: int = 0

    async def check_good(self) -> None:
        """The well-behaved charger still reports and is still controlled."""
        self.rounds += 1
        await self.good_client.cp.meter([sampled(ENERGY, self.rounds)])
        assert self.good.reading.energy_kwh == pytest.approx(self.rounds / 1000)
        assert self.good.reading.status is ChargerStatus.CHARGING
        limit = 10 + self.rounds % 2
        await self.good.async_apply(limit, 3)
        profile = await self.good_client.cp.next_call("SetChargingProfile")
        assert profile["charging_schedule"]["charging_schedule_period"][0]["limit"] == limit

    async def check_stranger(self) -> None:
        """The pending charger took no state and was sent no command."""
        stranger = self.server.chargers["STRANGER"]
        assert not stranger.accepted
        reading = stranger.reading
        assert reading.status is ChargerStatus.UNAVAILABLE  # connected, nothing taken
        assert (reading.energy_kwh, reading.power_w, reading.transaction_id) == (None, None, None)
        with pytest.raises(ChargerUnavailableError):
            await stranger.async_apply(16, 3)
        sent = {call[2] for call in self.targets["STRANGER"].calls}
        assert sent <= {"TriggerMessage"}, sent


@pytest.fixture
async def env(
    make_server: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
    admissions: Admissions,  # noqa: F811
) -> AsyncGenerator[FuzzEnv]:
    admissions.by_id["STRANGER"] = Admission.PENDING
    server: OcppServer = await make_server()
    good, good_client = await boot_and_setup(server, clients, "GOOD")
    await good_client.cp.status("Charging")
    fuzz = FuzzEnv(server, good, good_client)
    server.get_charger("LENIENT", CompatOptions(skip_schema_validation=True))
    for cp_id in TARGETS:
        fuzz.targets[cp_id] = await RawCharger.connect(clients, server.port, cp_id)
    for cp_id in ("BOOTED", "LENIENT"):
        await fuzz.targets[cp_id].boot()
    yield fuzz
    for raw in fuzz.targets.values():
        await raw.close()


# Frames that broke the server once; hypothesis runs them on every run.
@example(target="BOOTED", frame='[2,"\\q","Heartbeat",{}')  # an invalid escape in the id
@example(target="BOOTED", frame='[2,"a\nb","Heartbeat",{}')  # a raw newline in the id
@example(target="BOOTED", frame="[" * 30_000 + "]" * 30_000)  # beyond the JSON parser
@example(target="BOOTED", frame='[2,"deep","Heartbeat",' + "[" * 30_000 + "]" * 30_000 + "]")
@example(target="LENIENT", frame='[2,"d","Heartbeat",{"x":' + "[" * 3000 + "]" * 3000 + "}]")
@example(
    target="BOOTED",
    frame='[2,"kw","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2025-05-01T12:00:00Z",'
    '"sampledValue":[{"value":"1e306","measurand":"Power.Active.Import","unit":"kW"},'
    '{"value":"16","measurand":"Current.Import"}]}]}]',  # inf power broke every later update
)
@example(
    target="BOOTED",
    frame='[2,"big","StartTransaction",{"connectorId":1,"idTag":"t","meterStart":1'
    + "0" * 400
    + ',"timestamp":"2025-05-01T12:00:00Z"}]',  # too large for a float
)
@example(
    target="LENIENT",
    frame='[2,"inf","StatusNotification",{"connectorId":1e400,"errorCode":"NoError","status":"Charging"}]',
)
@_fuzz(200)
@given(target=st.sampled_from(TARGETS), frame=FRAMES)
async def test_fuzzed_frames(
    env: FuzzEnv, caplog: pytest.LogCaptureFixture, target: str, frame: Frame
) -> None:
    caplog.clear()
    answers = await env.targets[target].exchange(frame)
    check_answers(frame, answers, pending=target == "STRANGER")
    await env.check_good()
    await env.check_stranger()
    assert_no_errors(caplog)


# ---- answers to the server's own CALLs ----------------------------------------------

Reply = tuple[Any, ...]


def _proper(call: list[Any]) -> list[Any]:
    if call[2] == "GetConfiguration":
        return [3, call[1], {"configurationKey": []}]
    if call[2] == "GetCompositeSchedule":
        return [3, call[1], {"status": "Rejected"}]
    return [3, call[1], {"status": "Accepted"}]


def _render(reply: Reply, call: list[Any]) -> list[str]:
    """The frames one scripted reply sends for ``call``."""
    kind, *args = reply
    unique_id = call[1]
    proper = json.dumps(_proper(call))
    frames: dict[str, Callable[[], list[str]]] = {
        "result": lambda: [json.dumps([3, unique_id, args[0]])],
        "status": lambda: [json.dumps([3, unique_id, {"status": args[0]}])],
        "config": lambda: [json.dumps([3, unique_id, {"configurationKey": args[0]}])],
        "composite": lambda: [
            json.dumps(
                [
                    3,
                    unique_id,
                    {
                        "status": "Accepted",
                        "connectorId": 1,
                        "chargingSchedule": {
                            "chargingRateUnit": args[0],
                            "chargingSchedulePeriod": args[1],
                        },
                    },
                ]
            )
        ],
        "error": lambda: [json.dumps([4, unique_id, *args])],
        "repeat": lambda: [proper] * args[0],
        "stray": lambda: [json.dumps([3, args[0], {}]), proper],
        "short": lambda: [json.dumps([3, unique_id])],
        "deep": lambda: [f'[3,"{unique_id}",{{"x":' + "[" * 5000 + "]" * 5000 + "}]"],
        "silent": list,
    }
    return frames[kind]()


REPLIES: Final = st.one_of(
    st.tuples(st.just("result"), JSON_VALUES),
    st.tuples(
        st.just("status"), st.sampled_from(["Accepted", "Rejected", "NotSupported"]) | JSON_VALUES
    ),
    st.tuples(
        st.just("config"),
        JSON_VALUES
        | st.lists(st.dictionaries(st.sampled_from(["key", "value", "readonly"]), JSON_VALUES)),
    ),
    st.tuples(
        st.just("composite"),
        st.sampled_from(["A", "W"]) | JSON_VALUES,
        JSON_VALUES
        | st.lists(
            st.fixed_dictionaries(
                {"startPeriod": st.integers(0, 10) | JSON_VALUES, "limit": NUMBERS | JSON_VALUES}
            ),
            max_size=3,
        ),
    ),
    st.tuples(
        st.just("error"),
        st.sampled_from(sorted(OCPP16_ERROR_CODES)) | JSON_VALUES,
        JSON_VALUES,
        st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=2),
    ),
    st.tuples(st.just("error"), st.sampled_from(sorted(OCPP16_ERROR_CODES)), st.text(max_size=10)),
    st.tuples(st.just("repeat"), st.integers(2, 50)),
    st.tuples(st.just("stray"), st.uuids().map(str)),
    st.sampled_from([("short",), ("deep",), ("silent",)]),
)


@pytest.fixture
async def odd(
    make_server: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
) -> AsyncGenerator[tuple[FuzzEnv, OcppCharger, RawCharger]]:
    server: OcppServer = await make_server()
    good, good_client = await boot_and_setup(server, clients, "GOOD")
    await good_client.cp.status("Charging")
    charger = server.get_charger("ODD", CompatOptions(call_timeout_s=0.05))
    raw = await RawCharger.connect(clients, server.port, "ODD")
    yield FuzzEnv(server, good, good_client), charger, raw
    await raw.close()


@example(script=[("config", 5)], limit=10)  # GetConfiguration.conf with a number as keys
@example(script=[("repeat", 3000)], limit=10)  # repeated answers filled the queue
@example(script=[("deep",)], limit=10)
@example(
    script=[("status", "Accepted")] * 11
    + [("composite", "A", [{"startPeriod": 0, "limit": 10**400}])],
    limit=10,
)
@example(script=[("status", "Accepted")] * 11 + [("composite", "A", 5)], limit=10)
@_fuzz(40)
@given(script=st.lists(REPLIES, max_size=8), limit=st.integers(6, 32))
async def test_any_answer_to_our_calls(
    odd: tuple[FuzzEnv, OcppCharger, RawCharger],
    caplog: pytest.LogCaptureFixture,
    script: list[Reply],
    limit: int,
) -> None:
    """Setup and limits survive any answer: the charger ends ready, errors are DriverErrors."""
    caplog.clear()
    fuzz, charger, raw = odd
    queue = list(script)
    raw.reply = lambda call: _render(queue.pop(0), call) if queue else [json.dumps(_proper(call))]
    raw.call_seen.clear()
    await raw.websocket.send_str(BOOT)  # every example runs the whole setup again
    await raw.call_seen.wait()
    await wait_until(charger, is_ready)
    with contextlib.suppress(DriverError):  # refused, timed out, a bad answer: all fine
        await charger.async_apply(limit, 3)
    answers = await raw.exchange('[2,"hb","Heartbeat",{}]')  # still connected
    assert [a[:2] for a in answers if a[1] != "boot"] == [[3, "hb"]]
    await fuzz.check_good()
    assert_no_errors(caplog)


# ---- frame size ---------------------------------------------------------------------

LIMIT: Final = 1024


@pytest.fixture
async def small(
    make_server: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
) -> FuzzEnv:
    server: OcppServer = await make_server(config={"max_message_bytes": LIMIT})
    good, good_client = await boot_and_setup(server, clients, "GOOD")
    await good_client.cp.status("Charging")
    return FuzzEnv(server, good, good_client)


def _frame_of(size: int) -> str:
    head, tail = '[2,"size","DataTransfer",{"vendorId":"v","data":"', '"}]'
    return head + "y" * (size - len(head) - len(tail)) + tail


@example(size=LIMIT, binary=False)
@example(size=LIMIT + 1, binary=False)
@example(size=LIMIT, binary=True)
@_fuzz(25)
@given(size=st.integers(60, LIMIT) | st.integers(LIMIT + 1, 4 * LIMIT), binary=st.booleans())
async def test_frame_size_limit(
    small: FuzzEnv,
    clients: ClientFactory,
    caplog: pytest.LogCaptureFixture,
    size: int,
    binary: bool,
) -> None:
    """Up to the limit a frame is handled; above it only its own connection closes (1009)."""
    caplog.clear()
    cp_id = f"SIZE-{small.rounds}"
    charger = small.server.get_charger(cp_id)
    websocket = await clients.raw(small.server.port, cp_id)
    frame = _frame_of(size)
    if binary:
        await websocket.send_bytes(frame.encode())
    else:
        await websocket.send_str(frame)
    await websocket.send_str('[2,"after","Heartbeat",{}]')
    message = await websocket.receive(timeout=10)
    if size > LIMIT:
        assert message.type is aiohttp.WSMsgType.CLOSE, message
        assert websocket.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
        await wait_until(charger, lambda c: not c.connected)
    else:
        expected = "after" if binary else "size"
        assert json.loads(message.data)[:2] == [3, expected]
        await websocket.close()
        await small.server.async_remove_charger(cp_id)
    await small.check_good()
    assert_no_errors(caplog)


async def test_invalid_utf8_text_closes_only_that_connection(
    small: FuzzEnv, clients: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    charger = small.server.get_charger("UTF")
    websocket = await clients.raw(small.server.port, "UTF")
    await websocket._writer.send_frame(
        b'[2,"u","Heartbeat",{"x":"\xff\xfe"}]', aiohttp.WSMsgType.TEXT
    )
    message = await websocket.receive(timeout=10)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert websocket.close_code == aiohttp.WSCloseCode.INVALID_TEXT
    await wait_until(charger, lambda c: not c.connected)
    await small.check_good()
    assert_no_errors(caplog)


# ---- regressions with more to check than the oracle ---------------------------------


async def test_overflowing_numbers_are_refused_and_change_nothing(
    env: FuzzEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    raw = env.targets["BOOTED"]
    charger = env.server.chargers["BOOTED"]
    meter = (
        '[2,"kw","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2025-05-01T12:00:00Z",'
        '"sampledValue":[{"value":"1e306","measurand":"Power.Active.Import","unit":"kW"},'
        '{"value":"4000","measurand":"Power.Active.Import","unit":"W","phase":"L1"},'
        '{"value":"16","measurand":"Current.Import"}]}]}]'
    )
    assert (await raw.exchange(meter))[0][:2] == [3, "kw"]
    assert charger.reading.power_w == 4000  # the finite value; the overflowing one skipped
    status = (
        '[2,"s","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Charging"}]'
    )
    assert (await raw.exchange(status))[0][:2] == [3, "s"]
    assert charger.reading.status is ChargerStatus.CHARGING
    huge = "1" + "0" * 400
    start = f'[2,"t1","StartTransaction",{{"connectorId":1,"idTag":"t","meterStart":{huge},"timestamp":"2025-05-01T12:00:00Z"}}]'
    assert (await raw.exchange(start))[0][:3] == [4, "t1", "PropertyConstraintViolation"]
    assert charger.reading.transaction_id is None
    ok = start.replace(huge, "5").replace('"t1"', '"t2"')
    answer = (await raw.exchange(ok))[0]
    assert answer[2]["transactionId"] == 101  # the refused start used up no id
    stop = f'[2,"t3","StopTransaction",{{"meterStop":{huge},"timestamp":"2025-05-01T12:00:00Z","transactionId":101}}]'
    assert (await raw.exchange(stop))[0][:3] == [4, "t3", "PropertyConstraintViolation"]
    assert charger.reading.transaction_id == 101
    assert_no_errors(caplog)


async def test_deep_answers_never_reach_the_library(
    odd: tuple[FuzzEnv, OcppCharger, RawCharger], caplog: pytest.LogCaptureFixture
) -> None:
    """A deeply nested answer is dropped (the call times out) instead of raising."""
    _, charger, raw = odd
    await raw.boot()
    await wait_until(charger, is_ready)
    raw.reply = lambda call: _render(("deep",), call)
    with pytest.raises(DriverError):
        await charger.async_apply(10, 3)
    assert "nested too deeply" in caplog.text
    assert_no_errors(caplog)


async def test_an_answer_at_the_timeout_is_not_given_to_the_next_call(
    odd: tuple[FuzzEnv, OcppCharger, RawCharger], caplog: pytest.LogCaptureFixture
) -> None:
    """The answer arrives in the same loop turn as the timeout: it must not stay queued."""
    _, charger, raw = odd
    await raw.boot()
    await wait_until(charger, is_ready)
    calls: list[list[Any]] = []
    raw.reply = lambda call: calls.append(call) or []  # answered below, by hand
    raw.call_seen.clear()
    late = asyncio.get_running_loop().create_task(charger.async_apply(10, 3))
    await raw.call_seen.wait()
    await raw.websocket.send_str(json.dumps([3, calls[-1][1], {"status": "Accepted"}]))
    time.sleep(0.1)  # noqa: ASYNC251 (block the loop: the answer and the timeout both due)
    with contextlib.suppress(DriverError):
        await late
    raw.reply = lambda call: [json.dumps(_proper(call))]
    await charger.async_apply(11, 3)
    assert_no_errors(caplog)
    # Only the ended call's own answer is taken out; another call's keeps its place.
    session = charger._session
    assert session is not None
    queue = session._library._response_queue
    for unique_id in ("ended", "other", "ended"):
        queue.put_nowait(SimpleNamespace(unique_id=unique_id))
    session._drop_late_answer("ended")
    assert [queue.get_nowait().unique_id for _ in range(queue.qsize())] == ["other"]
