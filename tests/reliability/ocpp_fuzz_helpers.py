"""Raw OCPP-J charge points and hypothesis strategies for fuzzing the central system."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import copy
import json
import logging
import re
from typing import Any, Final
import uuid

import aiohttp
from hypothesis import strategies as st
from ocpp.messages import get_validator
from ocpp.v16 import enums
import pytest

from tests.drivers.ocpp_helpers import WAIT, ClientFactory

BOOT: Final = '[2,"boot","BootNotification",{"chargePointVendor":"Fuzz","chargePointModel":"F1"}]'
TIMESTAMP: Final = "2025-05-01T12:00:00Z"
# The CALLERROR codes of OCPP-J 1.6 (4.2.3), in the spec's own spelling.
OCPP16_ERROR_CODES: Final = frozenset(
    {
        "NotImplemented",
        "NotSupported",
        "InternalError",
        "ProtocolError",
        "SecurityError",
        "FormationViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",
        "TypeConstraintViolation",
        "GenericError",
    }
)
# The CALLs a charge point sends that the server answers.
ROUTED: Final = frozenset(
    {
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "SecurityEventNotification",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
    }
)
# A broken frame whose id a reader can still make out (the server answers those).
READABLE_ID: Final = re.compile(r'^\s*\[\s*2\s*,\s*"([A-Za-z0-9._-]{1,36})"')
DEEP: Final = "__deep__"  # replaced by a deeply nested value after json.dumps

Frame = str | bytes


# ---- a raw charge point -------------------------------------------------------------


class RawCharger:
    """A websocket without a library behind it: sends frames as given, queues answers.

    The server's own CALLs are answered by ``reply`` (default: NotImplemented), so the
    post-boot setup never waits; everything else the server sends is queued.
    """

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self.websocket = websocket
        self.answers: asyncio.Queue[list[Any] | None] = asyncio.Queue()
        self.calls: list[list[Any]] = []
        self.reply: Callable[[list[Any]], list[str]] = not_implemented
        self.call_seen = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, clients: ClientFactory, port: int, cp_id: str) -> RawCharger:
        return cls(await clients.raw(port, cp_id))

    async def _read(self) -> None:
        async for message in self.websocket:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(message.data, parse_constant=_not_json)
            if frame[0] == 2:
                self.calls.append(frame)
                self.call_seen.set()
                for reply in self.reply(frame):
                    with contextlib.suppress(ConnectionError):
                        await self.websocket.send_str(reply)
            else:
                self.answers.put_nowait(frame)
        self.answers.put_nowait(None)

    async def exchange(self, frame: Frame) -> list[list[Any]]:
        """Send ``frame``, then a Heartbeat; return what the server answered before it."""
        sentinel = f"sentinel-{uuid.uuid4().hex[:16]}"
        if isinstance(frame, bytes):
            await self.websocket.send_bytes(frame)
        else:
            await self.websocket.send_str(frame)
        await self.websocket.send_str(json.dumps([2, sentinel, "Heartbeat", {}]))
        answers: list[list[Any]] = []
        async with asyncio.timeout(WAIT):
            while (answer := await self.answers.get()) is not None:
                if answer[1] == sentinel:
                    return answers
                answers.append(answer)
        raise AssertionError(f"the server closed the connection ({self.websocket.close_code})")

    async def boot(self) -> None:
        await self.websocket.send_str(BOOT)
        async with asyncio.timeout(WAIT):
            answer = await self.answers.get()
        assert answer is not None
        assert answer[:2] == [3, "boot"]
        assert answer[2]["status"] == "Accepted"

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


def _not_json(constant: str) -> None:
    raise AssertionError(f"the server sent {constant}, which is not JSON")


def not_implemented(call: list[Any]) -> list[str]:
    return [json.dumps([4, call[1], "NotImplemented", "", {}])]


# ---- what the server may answer -----------------------------------------------------


def assert_conform(answer: list[Any], *, pending: bool) -> None:
    """An answer is a CALLRESULT valid for its action, or a CALLERROR with a 1.6 code."""
    assert answer[0] in (3, 4), answer
    assert isinstance(answer[1], str), answer
    assert answer[1], answer
    if answer[0] == 3:
        assert len(answer) == 3, answer
        assert isinstance(answer[2], dict), answer
        return
    assert len(answer) == 5, answer
    code, description, details = answer[2:]
    assert code in OCPP16_ERROR_CODES, answer
    # InternalError would mean a handler raised something unforeseen.
    assert code not in ("InternalError", "GenericError"), answer
    assert code != "SecurityError" or pending, answer
    assert isinstance(description, str), answer
    assert isinstance(details, dict), answer


def check_answers(frame: Frame, answers: list[list[Any]], *, pending: bool) -> None:
    """The oracle: what the server must answer to ``frame`` (see the module docstring)."""
    assert len(answers) <= 1, answers
    for answer in answers:
        assert_conform(answer, pending=pending)
    if isinstance(frame, bytes):
        assert not answers, "a binary frame is dropped"
        return
    try:
        message = json.loads(frame)
    except (ValueError, RecursionError):
        for answer in answers:
            assert answer[0] == 4, answer
            assert answer[2] == "FormationViolation", answer
        if (readable := READABLE_ID.match(frame)) is not None:
            assert [a[1] for a in answers] == [readable.group(1)], (frame[:80], answers)
        return
    if not (isinstance(message, list) and len(message) >= 2):
        assert not answers
        return
    type_id, unique_id = message[0], message[1]
    if not isinstance(unique_id, str) or not unique_id:
        assert not answers, "no id to answer"
        return
    if type_id in (3, 4) and not isinstance(type_id, bool):
        assert not answers, "a response to nothing is dropped"
        return
    is_call = type_id == 2 and not isinstance(type_id, bool)
    if not is_call and len(unique_id) > 36:
        assert not answers, "an unknown type with an overlong id is dropped"
        return
    assert [a[1] for a in answers] == [unique_id], (frame[:200], answers)
    answer = answers[0]
    if answer[0] == 3:
        action = message[2]
        assert is_call, answer
        assert action in ROUTED, answer
        get_validator(3, action, "1.6").validate(answer[2])
        if pending:  # nothing but a boot is taken from an unconfirmed charger
            assert action == "BootNotification", answer
            assert answer[2]["status"] == "Pending", answer


def assert_no_errors(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing logged as an error, and no traceback at warning level or above."""
    bad = [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR
        or (record.exc_info is not None and record.levelno >= logging.WARNING)
    ]
    assert not bad, [f"{r.name}: {r.getMessage()[:300]}" for r in bad]


# ---- strategies ---------------------------------------------------------------------


def _names(enum: Any) -> st.SearchStrategy[str]:
    return st.sampled_from([member.value for member in enum])


def _short(max_size: int) -> st.SearchStrategy[str]:
    return st.text(st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=max_size)


NUMBERS: Final = st.one_of(
    st.integers(-10, 100_000),
    st.integers(-(2**70), 2**70),
    st.sampled_from([10**309, -(10**309), 2**63, -(2**63) - 1, 0]),
    st.floats(allow_nan=False, allow_infinity=False),
)
INTEGERS: Final = st.one_of(st.integers(0, 3), NUMBERS.filter(lambda n: isinstance(n, int)))
# Sampled values: numbers as strings, huge ones (1e306 kW overflows to inf), junk.
VALUE_TEXT: Final = st.one_of(
    NUMBERS.map(str),
    st.sampled_from(["1e306", "1e308", "-1e308", "nan", "inf", "-inf", "", "abc", "1_000", "0x10"]),
    _short(12),
)
SAMPLED_VALUE: Final = st.fixed_dictionaries(
    {"value": VALUE_TEXT},
    optional={
        "measurand": _names(enums.Measurand),
        "unit": _names(enums.UnitOfMeasure),
        "phase": _names(enums.Phase),
        "context": _names(enums.ReadingContext),
        "location": _names(enums.Location),
        "format": _names(enums.ValueFormat),
    },
)
METER_VALUE: Final = st.fixed_dictionaries(
    {
        "timestamp": st.just(TIMESTAMP),
        "sampledValue": st.lists(SAMPLED_VALUE, min_size=1, max_size=4),
    }
)
PAYLOADS: Final[dict[str, st.SearchStrategy[dict[str, Any]]]] = {
    "Authorize": st.fixed_dictionaries({"idTag": _short(20)}),
    "BootNotification": st.fixed_dictionaries(
        {"chargePointVendor": _short(20), "chargePointModel": _short(20)},
        optional={
            "chargePointSerialNumber": _short(25),
            "chargeBoxSerialNumber": _short(25),
            "firmwareVersion": _short(50),
            "meterType": _short(25),
        },
    ),
    "DataTransfer": st.fixed_dictionaries(
        {"vendorId": _short(255)}, optional={"messageId": _short(50), "data": st.text(max_size=50)}
    ),
    "DiagnosticsStatusNotification": st.fixed_dictionaries(
        {"status": _names(enums.DiagnosticsStatus)}
    ),
    "FirmwareStatusNotification": st.fixed_dictionaries({"status": _names(enums.FirmwareStatus)}),
    "Heartbeat": st.just({}),
    "MeterValues": st.fixed_dictionaries(
        {"connectorId": INTEGERS, "meterValue": st.lists(METER_VALUE, min_size=1, max_size=3)},
        optional={"transactionId": INTEGERS},
    ),
    "SecurityEventNotification": st.fixed_dictionaries(
        {"type": _short(50), "timestamp": st.just(TIMESTAMP)}, optional={"techInfo": _short(50)}
    ),
    "StartTransaction": st.fixed_dictionaries(
        {
            "connectorId": INTEGERS,
            "idTag": _short(20),
            "meterStart": INTEGERS,
            "timestamp": st.just(TIMESTAMP),
        },
        optional={"reservationId": INTEGERS},
    ),
    "StatusNotification": st.fixed_dictionaries(
        {
            "connectorId": INTEGERS,
            "errorCode": _names(enums.ChargePointErrorCode),
            "status": _names(enums.ChargePointStatus),
        },
        optional={
            "info": _short(50),
            "vendorErrorCode": _short(50),
            "timestamp": st.just(TIMESTAMP),
        },
    ),
    "StopTransaction": st.fixed_dictionaries(
        {"meterStop": INTEGERS, "timestamp": st.just(TIMESTAMP), "transactionId": INTEGERS},
        optional={
            "idTag": _short(20),
            "reason": _names(enums.Reason),
            "transactionData": st.lists(METER_VALUE, max_size=2),
        },
    ),
}
JSON_VALUES: Final = st.recursive(
    st.none() | st.booleans() | NUMBERS | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
UNIQUE_IDS: Final = st.one_of(
    st.uuids().map(str),
    st.text(min_size=1, max_size=36),
    st.text(min_size=37, max_size=60),
)


def _slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) inside a payload, the payload's own keys included."""
    found: list[tuple[Any, Any]] = []
    stack = [value]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            found.append((node, key))
            if isinstance(child, (dict, list)):
                stack.append(child)
    return found


def _deep_text(depth: int, *, objects: bool) -> str:
    if objects:
        return '{"a":' * depth + "1" + "}" * depth
    return "[" * depth + "]" * depth


@st.composite
def mutated_payloads(draw: st.DrawFn, action: str) -> tuple[dict[str, Any], str | None]:
    """A valid payload of ``action``, maybe with one value broken somewhere inside.

    Returns the payload and, for a deep value, the JSON text that replaces ``DEEP``.
    """
    payload = copy.deepcopy(draw(PAYLOADS[action]))  # st.just({}) is one shared object
    mutation = draw(
        st.sampled_from(
            ["none", "wrong_type", "number", "enum", "missing", "extra", "huge", "deep"]
        )
    )
    slots = _slots(payload)
    if mutation == "none" or (not slots and mutation != "extra"):
        return payload, None
    container, key = draw(st.sampled_from(slots)) if slots else (payload, None)
    deep = None
    if mutation == "wrong_type":
        container[key] = draw(JSON_VALUES)
    elif mutation == "number":
        container[key] = draw(NUMBERS)
    elif mutation == "enum":
        container[key] = draw(st.text(max_size=30))
    elif mutation == "missing":
        del container[key]
    elif mutation == "extra":
        target = container if isinstance(container, dict) else payload
        target[draw(st.text(min_size=1, max_size=20))] = draw(JSON_VALUES)
    elif mutation == "huge":
        container[key] = "x" * draw(st.integers(256, 40_000))
    else:
        container[key] = DEEP
        objects = draw(st.booleans())
        deep = _deep_text(draw(st.integers(8, 9_000 if objects else 25_000)), objects=objects)
    return payload, deep


def _dump(message: list[Any], deep: str | None = None) -> str:
    text = json.dumps(message)
    return text if deep is None else text.replace(json.dumps(DEEP), deep, 1)


@st.composite
def calls(draw: st.DrawFn) -> str:
    """A CALL of a routed action: valid, or with one value wrong."""
    action = draw(st.sampled_from(sorted(PAYLOADS)))
    payload, deep = draw(mutated_payloads(action))
    return _dump([2, draw(UNIQUE_IDS), action, payload], deep)


@st.composite
def unknown_actions(draw: st.DrawFn) -> str:
    """A CALL the server has no handler for: a 1.6 action of the other side, or none."""
    action = draw(
        st.sampled_from(["SetChargingProfile", "Reset", "LogStatusNotification", "SignCertificate"])
        | st.text(max_size=30)
    )
    payload = draw(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3))
    return json.dumps([2, draw(UNIQUE_IDS), action, payload])


@st.composite
def envelopes(draw: st.DrawFn) -> str:
    """Broken envelopes: wrong type ids, ids, lengths, actions and payload kinds."""
    unique_id = draw(UNIQUE_IDS | JSON_VALUES)
    type_id = draw(
        st.sampled_from([0, 1, 2, 3, 4, 5, 9, -1, 2.0, 3.0, "2", True, None]) | JSON_VALUES
    )
    tail = draw(
        st.lists(st.sampled_from(["Heartbeat", "BootNotification"]) | JSON_VALUES, max_size=5)
    )
    return json.dumps([type_id, unique_id, *tail])


@st.composite
def responses(draw: st.DrawFn) -> str:
    """CALLRESULTs and CALLERRORs for ids the server never sent."""
    unique_id = draw(UNIQUE_IDS)
    if draw(st.booleans()):
        return json.dumps([3, unique_id, draw(JSON_VALUES)])
    code = draw(st.sampled_from(sorted(OCPP16_ERROR_CODES)) | st.text(max_size=20))
    extra = draw(st.lists(JSON_VALUES, max_size=3))
    return json.dumps([4, unique_id, code, *extra])


@st.composite
def truncated(draw: st.DrawFn) -> str:
    """A CALL cut anywhere."""
    frame = draw(calls())
    return frame[: draw(st.integers(0, max(0, len(frame) - 1)))]


ESCAPES: Final = st.sampled_from(
    [
        '[2,"\\q","Heartbeat",{}',  # an invalid escape in a broken frame's id
        '[2,"a\nb","Heartbeat",{}',  # a raw control character in it
        '[2,"\\u12","Heartbeat",{}',
        '[2,"\\ud800","Heartbeat",{}]',  # a lone surrogate: valid JSON, odd string
        '[2,"lone","Heartbeat",{"x":"\\udc00"}]',
        '[2,"lone2","DataTransfer",{"vendorId":"\\ud800"}]',
        "NaN",
        '[2,"nan","MeterValues",{"connectorId":NaN,"meterValue":[]}]',
        '[2,"inf","StartTransaction",{"connectorId":1,"idTag":"t","meterStart":Infinity,"timestamp":"x"}]',
        "[" * 30_000 + "]" * 30_000,  # deeper than the JSON parser goes
        '[2,"deep","Heartbeat",' + "[" * 30_000 + "]" * 30_000 + "]",
    ]
)
FRAMES: Final[st.SearchStrategy[Frame]] = st.one_of(
    calls(),
    calls(),  # twice the weight: the payload mutations are where handlers break
    unknown_actions(),
    envelopes(),
    responses(),
    truncated(),
    JSON_VALUES.filter(lambda v: not isinstance(v, list)).map(json.dumps),
    st.text(max_size=200),
    ESCAPES,
    st.binary(max_size=200),
)
