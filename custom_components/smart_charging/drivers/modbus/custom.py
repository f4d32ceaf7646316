"""A profile built from registers the user enters (the "custom" charger model).

``custom_profile(settings)`` turns a flat dict of form values into a validated
``ChargerProfile`` and raises ``ProfileError(field, message)`` naming the offending
field. ``CUSTOM_FIELDS`` lists every key with its kind and default, so that the UI can
build its form from it. A register is given by ``<prefix>_address`` plus the optional
``<prefix>_register_type``, ``<prefix>_data_type`` and ``<prefix>_scale``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import math
import re
from typing import Any, Final

from ..base import ChargerStatus
from .errors import ProfileError
from .model import (
    ChargerProfile,
    Measurements,
    Pause,
    PauseMethod,
    RawState,
    Setpoint,
    StateMap,
    Watchdog,
)
from .registers import DataType, Register, RegisterType, WordOrder

CUSTOM_PROFILE_ID: Final = "custom"


@dataclass(frozen=True, slots=True)
class CustomField:
    """One setting of the custom profile form."""

    key: str
    kind: str  # "int", "float", "bool", "text", or "choice"
    default: Any = None  # None: optional (or, with required, no default)
    required: bool = False
    choices: tuple[str, ...] = ()


_REGISTER_TYPES = tuple(RegisterType)
_NUMBERS = tuple(t for t in DataType if t is not DataType.STRING)


def _register_fields(
    prefix: str, *, required: bool = False, types: tuple[str, ...] = ("holding", "input")
) -> tuple[CustomField, ...]:
    return (
        CustomField(f"{prefix}_address", "int", required=required),
        CustomField(f"{prefix}_register_type", "choice", types[0], choices=types),
        CustomField(f"{prefix}_data_type", "choice", "u16", choices=tuple(DataType)),
        CustomField(f"{prefix}_scale", "float", 1.0),
    )


CUSTOM_FIELDS: Final[tuple[CustomField, ...]] = (
    CustomField("word_order", "choice", "big", choices=tuple(WordOrder)),
    CustomField("write_multiple", "bool", default=True),  # 0x10 instead of 0x06
    *_register_fields("state", required=True),
    CustomField("state_length", "int", 1),  # words, for a text state
    # "raw=status" pairs, e.g. "0=available, 1=preparing, 2=charging" or "A=available"
    CustomField("state_map", "text", required=True),
    *_register_fields("setpoint", required=True, types=("holding",)),
    CustomField("setpoint_min_a", "float", 6.0),
    CustomField("setpoint_max_a", "float", 32.0),
    CustomField("pause_method", "choice", "zero_current", choices=tuple(PauseMethod)),
    *_register_fields("enable", types=("holding", "coil")),
    CustomField("enable_on_value", "int", 1),
    CustomField("enable_off_value", "int", 0),
    CustomField("current_l1_address", "int"),
    CustomField("current_l2_address", "int"),
    CustomField("current_l3_address", "int"),
    CustomField("currents_register_type", "choice", "holding", choices=("holding", "input")),
    CustomField("currents_data_type", "choice", "u16", choices=_NUMBERS),
    CustomField("currents_scale", "float", 1.0),  # A per raw unit (mA: 0.001)
    *_register_fields("power"),  # W per raw unit
    *_register_fields("energy"),  # kWh per raw unit (Wh: 0.001)
    *_register_fields("failsafe_current", types=("holding",)),  # A per raw unit
    *_register_fields("failsafe_timeout", types=("holding",)),  # s per raw unit (ms: 0.001)
    CustomField("failsafe_timeout_min_s", "float", 1.0),
    CustomField("failsafe_timeout_max_s", "float", 3600.0),
    *_register_fields("alive", types=("holding",)),
    CustomField("alive_value", "int", 1),
    # re-write the setpoint every heartbeat (the only keep-alive some chargers know)
    CustomField("rewrite_setpoint", "bool", default=True),
)
_DEFAULTS: Final = {field.key: field.default for field in CUSTOM_FIELDS}
_STATUS_WORDS: Final = {
    status.value: status for status in ChargerStatus if status is not ChargerStatus.OFFLINE
}


def custom_profile(settings: Mapping[str, Any], *, default_unit: int = 1) -> ChargerProfile:
    """Build and validate the custom profile; ``ProfileError`` names a bad field.

    Keys not in ``CUSTOM_FIELDS`` are ignored; empty strings count as not given.
    """
    given = {k: v for k, v in settings.items() if k in _DEFAULTS and v not in (None, "")}
    values = {**_DEFAULTS, **given}
    order = WordOrder(_choice(values, "word_order", tuple(WordOrder)))
    multiple = bool(values["write_multiple"])
    state = _state(values, order)
    setpoint = _setpoint(values, order, multiple=multiple)
    pause = _pause(values, order, multiple=multiple)
    measurements = Measurements(
        currents=_currents(values, order),
        power=_register(values, "power", order),
        energy=_register(values, "energy", order),
    )
    watchdog = _watchdog(values, order, multiple=multiple)
    return ChargerProfile(
        id=CUSTOM_PROFILE_ID,
        name="Custom register map",
        vendor="Custom",
        default_unit=default_unit,
        state=state,
        setpoint=setpoint,
        pause=pause,
        measurements=measurements,
        watchdog=watchdog,
        source="entered by the user",
    )


def parse_state_map(
    text: str | Mapping[str, str], *, numeric: bool
) -> dict[RawState, ChargerStatus]:
    """Parse "raw=status" pairs (comma, semicolon or newline separated)."""
    pairs = text.items() if isinstance(text, Mapping) else _pairs(text)
    result: dict[RawState, ChargerStatus] = {}
    for raw_key, raw_status in pairs:
        key_text, word = str(raw_key).strip(), str(raw_status).strip().lower()
        status = _STATUS_WORDS.get(word)
        if status is None or not key_text:
            raise ProfileError("state_map", f"not a 'value=status' pair: {raw_key}={raw_status}")
        key: RawState = key_text
        if numeric:
            try:
                key = int(key_text, 0)
            except ValueError:
                raise ProfileError("state_map", f"not an integer: {key_text}") from None
        if key in result:
            raise ProfileError("state_map", f"value {key_text} appears twice")
        result[key] = status
    if not result:
        raise ProfileError("state_map", "at least one 'value=status' pair is needed")
    return result


def _pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in re.split(r"[,;\n]+", text):
        if item.strip():
            key, sep, status = item.partition("=")
            if not sep:
                raise ProfileError("state_map", f"not a 'value=status' pair: {item.strip()}")
            pairs.append((key, status))
    return pairs


def _choice(
    values: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str | None = None
) -> str:
    value = str(values.get(key) or default)
    if value not in allowed:
        raise ProfileError(key, f"must be one of {', '.join(allowed)}")
    return value


def _number(values: Mapping[str, Any], key: str, *, integer: bool = False) -> float:
    value = values[key]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ProfileError(key, f"not a number: {value!r}") from None
    if not math.isfinite(number) or (integer and not number.is_integer()):
        raise ProfileError(key, f"not {'an integer' if integer else 'a number'}: {value!r}")
    return number


def _register(
    values: Mapping[str, Any],
    prefix: str,
    order: WordOrder,
    *,
    kinds: tuple[str, ...] = ("holding", "input"),
    length: int = 0,
) -> Register | None:
    """Build the register ``<prefix>_*`` (None when its address is not given)."""
    key = f"{prefix}_address"
    if values.get(key) is None:
        return None
    kind = RegisterType(_choice(values, f"{prefix}_register_type", kinds, kinds[0]))
    data_type = DataType(_choice(values, f"{prefix}_data_type", tuple(DataType), "u16"))
    if kind.is_bit:
        data_type = DataType.U16
    scale_key = f"{prefix}_scale"
    scale = _number(values, scale_key) if values.get(scale_key) is not None else 1.0
    if scale <= 0:
        raise ProfileError(scale_key, "must be a positive number")
    address = int(_number(values, key, integer=True))
    try:
        return Register(
            address=address,
            kind=kind,
            data_type=data_type,
            scale=scale,
            word_order=order,
            length=length if data_type is DataType.STRING else 0,
        )
    except ValueError as err:
        raise ProfileError(key, str(err)) from None


def _required(values: Mapping[str, Any], prefix: str, order: WordOrder, **kwargs: Any) -> Register:
    register = _register(values, prefix, order, **kwargs)
    if register is None:
        raise ProfileError(f"{prefix}_address", "required")
    return register


def _state(values: Mapping[str, Any], order: WordOrder) -> StateMap:
    length = int(_number(values, "state_length", integer=True))
    if not 1 <= length <= 125:
        raise ProfileError("state_length", "1 to 125 words")
    register = _required(values, "state", order, length=length)
    numeric = register.data_type is not DataType.STRING
    return StateMap.of(register, parse_state_map(values["state_map"], numeric=numeric))


def _setpoint(values: Mapping[str, Any], order: WordOrder, *, multiple: bool) -> Setpoint:
    register = _required(values, "setpoint", order, kinds=("holding",))
    low, high = _number(values, "setpoint_min_a"), _number(values, "setpoint_max_a")
    try:
        setpoint = Setpoint(register=register, min_a=low, max_a=high, write_multiple=multiple)
        register.encode(high)  # the largest value must fit the data type
        register.encode(0.0)
    except ValueError as err:
        raise ProfileError("setpoint_max_a", str(err)) from None
    return setpoint


def _pause(values: Mapping[str, Any], order: WordOrder, *, multiple: bool) -> Pause:
    method = PauseMethod(_choice(values, "pause_method", tuple(PauseMethod)))
    if method is PauseMethod.ZERO_CURRENT:
        return Pause()
    enable = _required(values, "enable", order, kinds=("holding", "coil"))
    return Pause(
        method=method,
        enable=enable,
        on_value=int(_number(values, "enable_on_value", integer=True)),
        off_value=int(_number(values, "enable_off_value", integer=True)),
        write_multiple=multiple,
    )


def _currents(
    values: Mapping[str, Any], order: WordOrder
) -> tuple[Register, Register, Register] | None:
    keys = [f"current_l{n}_address" for n in (1, 2, 3)]
    given = [values.get(key) is not None for key in keys]
    if not any(given):
        return None
    if not all(given):
        raise ProfileError(keys[given.index(False)], "give all three phase currents or none")
    registers = [
        _required(
            {
                f"current_l{n}_address": values[key],
                f"current_l{n}_register_type": values["currents_register_type"],
                f"current_l{n}_data_type": values["currents_data_type"],
                f"current_l{n}_scale": values["currents_scale"],
            },
            f"current_l{n}",
            order,
        )
        for n, key in enumerate(keys, start=1)
    ]
    return (registers[0], registers[1], registers[2])


def _watchdog(values: Mapping[str, Any], order: WordOrder, *, multiple: bool) -> Watchdog:
    holding = ("holding",)
    timeout = _register(values, "failsafe_timeout", order, kinds=holding)
    failsafe = _register(values, "failsafe_current", order, kinds=holding)
    alive = _register(values, "alive", order, kinds=holding)
    alive_value = int(_number(values, "alive_value", integer=True))
    low = _number(values, "failsafe_timeout_min_s")
    high = _number(values, "failsafe_timeout_max_s")
    current_range = (_number(values, "setpoint_min_a"), _number(values, "setpoint_max_a"))
    try:
        return Watchdog(
            timeout=timeout,
            timeout_range_s=(low, high),
            failsafe_current=failsafe,
            failsafe_range_a=current_range,
            alive=alive,
            alive_value=alive_value,
            rewrite_setpoint=bool(values["rewrite_setpoint"]),
            write_multiple=multiple,
        )
    except ValueError as err:
        raise ProfileError("failsafe_timeout_min_s", str(err)) from None
