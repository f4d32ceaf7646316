"""OCPP-J frame checks the library does not do.

The ``ocpp`` library logs and drops a frame it cannot parse, so the charger waits for an
answer until its own timeout. ``check_frame`` looks at each incoming text frame first:
when a frame is broken but its unique id can be recovered, the answer is the CALLERROR
the spec asks for (``FormationViolation`` for syntax, ``ProtocolError`` for structure);
otherwise the frame is dropped (and logged by the caller). Frames nested deeper than
``MAX_NESTING`` are broken too: no OCPP 1.6 message comes close, and the library converts
payloads recursively (a deep one would raise ``RecursionError`` instead of an answer).

``spec_error_codes`` rewrites the two CALLERROR codes the library spells the OCPP 2.x way
(``FormatViolation``, ``OccurrenceConstraintViolation``) to their 1.6 names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
import json
import re
from typing import Final

MAX_UNIQUE_ID_LENGTH: Final = 36
MAX_NESTING: Final = 32  # arrays/objects inside each other; OCPP 1.6 needs at most 6
_ID_PREFIX: Final = re.compile(r'^\s*\[\s*2\s*,\s*"((?:[^"\\]|\\.){1,36})"')
_LIBRARY_CODES: Final = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
}


class MessageType(IntEnum):
    """OCPP-J message type ids."""

    CALL = 2
    CALL_RESULT = 3
    CALL_ERROR = 4


class ErrorCode(StrEnum):
    """The CALLERROR codes this module answers with (OCPP 1.6 spelling)."""

    FORMATION_VIOLATION = "FormationViolation"
    PROTOCOL_ERROR = "ProtocolError"
    SECURITY_ERROR = "SecurityError"


@dataclass(frozen=True, slots=True)
class Frame:
    """A structurally valid frame."""

    message_type: MessageType
    unique_id: str
    action: str | None = None  # CALL only


@dataclass(frozen=True, slots=True)
class Rejection:
    """A broken frame: ``reply`` is the CALLERROR to send, or None to drop it."""

    reason: str
    reply: str | None = None


def call_error(unique_id: str, code: ErrorCode, description: str) -> str:
    """Return a CALLERROR frame."""
    return json.dumps([4, unique_id, str(code), description, {}], separators=(",", ":"))


def _reject(unique_id: str | None, code: ErrorCode, reason: str) -> Rejection:
    reply = call_error(unique_id, code, reason) if unique_id is not None else None
    return Rejection(reason, reply)


def _recover_id(raw: str) -> str | None:
    """Return the unique id of a broken CALL when its start is still readable."""
    if (match := _ID_PREFIX.match(raw)) is None:
        return None
    try:
        recovered: str = json.loads(f'"{match.group(1)}"')
    except ValueError:  # an invalid escape or a raw control character in the id
        return None
    return recovered


def _too_deep(value: object) -> bool:
    """Return whether ``value`` nests arrays/objects deeper than ``MAX_NESTING``."""
    level, depth = [value], 0
    while level := [node for node in level if isinstance(node, (list, dict))]:
        depth += 1
        if depth > MAX_NESTING:
            return True
        level = [
            child for node in level for child in (node.values() if isinstance(node, dict) else node)
        ]
    return False


def check_frame(raw: str) -> Frame | Rejection:
    """Check the OCPP-J envelope of one text frame (the payload is the library's job)."""
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested beyond the parser
        return _reject(_recover_id(raw), ErrorCode.FORMATION_VIOLATION, "invalid JSON")
    if not isinstance(message, list) or len(message) < 2:
        return Rejection("not an OCPP-J array")
    type_id, unique_id = message[0], message[1]
    if not isinstance(unique_id, str) or not unique_id:
        return Rejection("unique id is not a string")
    is_call = type_id == MessageType.CALL and not isinstance(type_id, bool)
    answer = unique_id if is_call else None
    if len(unique_id) > MAX_UNIQUE_ID_LENGTH:
        return _reject(answer, ErrorCode.FORMATION_VIOLATION, "unique id longer than 36")
    if type_id in (MessageType.CALL_RESULT, MessageType.CALL_ERROR) and not isinstance(
        type_id, bool
    ):
        # Some firmware leaves out a CALLERROR's (empty) details: accept 4 elements too.
        allowed = (3,) if type_id == MessageType.CALL_RESULT else (4, 5)
        if len(message) not in allowed:
            return Rejection(f"message type {type_id} needs {allowed[-1]} elements")
        if _too_deep(message):
            return Rejection("nested too deeply")
        return Frame(MessageType(type_id), unique_id)
    if not is_call:
        return _reject(unique_id, ErrorCode.PROTOCOL_ERROR, "unknown message type id")
    if len(message) != 4 or not isinstance(message[2], str):
        return _reject(unique_id, ErrorCode.PROTOCOL_ERROR, "a CALL needs [2, id, action, {}]")
    if not isinstance(message[3], dict):
        return _reject(unique_id, ErrorCode.FORMATION_VIOLATION, "payload is not an object")
    if _too_deep(message):
        return _reject(unique_id, ErrorCode.FORMATION_VIOLATION, "nested too deeply")
    return Frame(MessageType.CALL, unique_id, message[2])


def spec_error_codes(frame: str) -> str:
    """Rewrite library CALLERROR codes to their OCPP 1.6 spelling."""
    if not frame.startswith("[4,"):
        return frame
    message = json.loads(frame)
    code = _LIBRARY_CODES.get(message[2])
    if code is None:
        return frame
    message[2] = code
    return json.dumps(message, separators=(",", ":"))
