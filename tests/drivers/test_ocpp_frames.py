"""Bad input over a real websocket: each frame gets the spec's answer or is dropped."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from custom_components.smart_charging.drivers.ocpp import Admission, CompatOptions, OcppServer

from .ocpp_helpers import Admissions, ClientFactory, boot_and_setup, wait_until

HEARTBEAT = '[2,"hb","Heartbeat",{}]'


async def _answer(websocket: aiohttp.ClientWebSocketResponse, frame: str) -> list[Any]:
    """Send ``frame``, then a Heartbeat; return the first answer (the frame's, if any)."""
    await websocket.send_str(frame)
    await websocket.send_str(HEARTBEAT)
    message = await websocket.receive(timeout=10)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    answer: list[Any] = json.loads(message.data)
    if answer[1] != "hb":  # the frame's own answer: the Heartbeat's comes next
        heartbeat = json.loads((await websocket.receive(timeout=10)).data)
        assert heartbeat[1] == "hb"
    return answer


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ("hello", None),  # not JSON, no id to answer: dropped
        ("{}", None),
        ('[2, 5, "Heartbeat", {}]', None),  # a unique id must be a string
        ("[3]", None),
        ('[3,"x",{},"extra"]', None),  # a malformed response: dropped
        ('[2,"t1","Heartbeat",{', [4, "t1", "FormationViolation"]),  # truncated
        ('[2,"t2","Heartbeat"]', [4, "t2", "ProtocolError"]),
        ('[2,"t3",7,{}]', [4, "t3", "ProtocolError"]),
        ('[2,"t4","Heartbeat",[]]', [4, "t4", "FormationViolation"]),
        ('[9,"t5","Heartbeat",{}]', [4, "t5", "ProtocolError"]),
        ('[2,"' + "x" * 40 + '","Heartbeat",{}]', [4, "x" * 40, "FormationViolation"]),
        ('[2,"t6","FooBar",{}]', [4, "t6", "NotSupported"]),  # unknown action
        (
            '[2,"t7","LogStatusNotification",{"status":"Idle","requestId":1}]',
            [4, "t7", "NotImplemented"],
        ),
        (
            '[2,"t8","StatusNotification",{"connectorId":"one","errorCode":"NoError","status":"Available"}]',
            [4, "t8", "TypeConstraintViolation"],
        ),
        ('[2,"t9","Heartbeat",{"unexpected":1}]', [4, "t9", "FormationViolation"]),  # 1.6 name
        ('[2,"t10","StatusNotification",{}]', [4, "t10", "ProtocolError"]),  # missing fields
    ],
)
async def test_bad_frames(
    server: OcppServer, clients: ClientFactory, frame: str, expected: list[Any] | None
) -> None:
    charger = server.get_charger("CP1")
    websocket = await clients.raw(server.port, "CP1")
    answer = await _answer(websocket, frame)
    if expected is None:
        assert answer[:2] == [3, "hb"]
    else:
        assert answer[:3] == expected
    assert charger.connected  # the connection carries on


async def test_skipped_validation_still_answers_wrong_types(
    server: OcppServer, clients: ClientFactory
) -> None:
    charger = server.get_charger("CP1", CompatOptions(skip_schema_validation=True))
    websocket = await clients.raw(server.port, "CP1")
    frame = '[2,"w1","StatusNotification",{"connectorId":"one","errorCode":"NoError","status":"Available"}]'
    assert (await _answer(websocket, frame))[:3] == [4, "w1", "TypeConstraintViolation"]
    frame = '[2,"w2","StatusNotification",{"status":"Available"}]'  # missing arguments
    assert (await _answer(websocket, frame))[:3] == [4, "w2", "TypeConstraintViolation"]
    frame = '[2,"w3","Heartbeat",{"vendorExtension":true}]'  # extra fields are fine
    assert (await _answer(websocket, frame))[:2] == [3, "w3"]
    assert charger.connected


async def test_calls_before_an_accepted_boot(
    server: OcppServer, clients: ClientFactory, admissions: Admissions
) -> None:
    admissions.default = Admission.PENDING
    websocket = await clients.raw(server.port, "CP1")
    frame = '[2,"m1","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2025-05-01T12:00:00Z","sampledValue":[{"value":"5"}]}]}]'
    answer = await _answer(websocket, frame)
    assert answer[:3] == [4, "m1", "SecurityError"]
    assert server.chargers["CP1"].reading.energy_kwh is None  # no state taken


async def test_oversized_frame_closes_only_that_connection(
    make_server: Any, clients: ClientFactory
) -> None:
    server: OcppServer = await make_server(config={"max_message_bytes": 1024})
    other, _ = await boot_and_setup(server, clients, "OTHER")
    charger = server.get_charger("BIG")
    websocket = await clients.raw(server.port, "BIG")
    await websocket.send_str(
        '[2,"big","DataTransfer",{"vendorId":"x","data":"' + "y" * 2000 + '"}]'
    )
    message = await websocket.receive(timeout=10)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert websocket.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    await wait_until(charger, lambda c: not c.connected)
    assert other.connected
    await other.async_apply(10, 3)  # the other charger carries on
