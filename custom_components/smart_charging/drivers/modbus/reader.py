"""Reading a charger: its state, its measurements and its identity.

Each register is read on its own request: some chargers (KEBA) refuse reads that span
two values, and a register one charger lacks then costs one measurement, not the poll.
A measurement the charger does not have (illegal address/function) is not asked for
again until the next connection. Transport failures propagate: the connection is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import logging
import math

from ..base import ChargerInfo, ChargerStatus
from .client import ModbusClient
from .errors import (
    ERROR_MEASUREMENT,
    ERROR_STATE_UNREADABLE,
    ERROR_UNKNOWN_STATE,
    ModbusExceptionError,
    ModbusUnexpectedValueError,
)
from .model import ChargerProfile, RawState, StateMap
from .registers import DataType, Register

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    """One poll's worth of values (engineering units, by measurement name)."""

    status: ChargerStatus
    raw_state: RawState | None = None
    values: dict[str, float] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    def value(self, name: str) -> float | None:
        """Return one measurement (None: not read)."""
        return self.values.get(name)

    def phases(self, prefix: str) -> tuple[float, float, float] | None:
        """Return a per-phase triple when all three were read."""
        values = [self.values.get(f"{prefix}_l{n}") for n in (1, 2, 3)]
        if any(v is None for v in values):
            return None
        l1, l2, l3 = (float(v) for v in values if v is not None)
        return (l1, l2, l3)

    @property
    def voltage_v(self) -> float | None:
        """Return the mean voltage of the live phases (an idle phase reads ~0 V)."""
        values = self.phases("voltage")
        if values is None:
            return None
        live = [v for v in values if v > 50.0]
        return round(sum(live) / len(live), 1) if live else None


def raw_state(register: Register, words: list[int]) -> RawState:
    """Return a state register's raw value: text, or an integer."""
    value = register.decode(words)
    if isinstance(value, str):
        return value
    if not value.is_integer():
        raise ModbusUnexpectedValueError(f"state {value} is not an integer", raw=value)
    return int(value)


async def read_state(client: ModbusClient, state: StateMap) -> tuple[RawState, ChargerStatus]:
    """Read and map the state; ``ModbusUnexpectedValueError`` for an undefined value."""
    raw = raw_state(state.register, await client.read(state.register))
    status = state.status(raw)
    if status is None:
        raise ModbusUnexpectedValueError(f"{client}: undefined state {raw!r}", raw=raw)
    if state.plug is not None and status is ChargerStatus.AVAILABLE:
        plug = state.plug.decode(await client.read(state.plug))
        if isinstance(plug, float) and int(plug) & state.plug_mask:
            status = ChargerStatus.PREPARING
    return raw, status


async def read_sample(client: ModbusClient, profile: ChargerProfile, skip: set[str]) -> Sample:
    """Read the state and every measurement not in ``skip`` (which this extends)."""
    errors: list[str] = []
    raw: RawState | None = None
    try:
        raw, status = await read_state(client, profile.state)
    except ModbusUnexpectedValueError as err:
        _LOGGER.warning("%s", err)
        raw = err.raw if isinstance(err.raw, (int, str)) else None
        status, errors = ChargerStatus.UNAVAILABLE, [ERROR_UNKNOWN_STATE]
    except ModbusExceptionError as err:
        _LOGGER.warning("%s: state not readable: %s", client, err)
        status, errors = ChargerStatus.UNAVAILABLE, [ERROR_STATE_UNREADABLE]
    values: dict[str, float] = {}
    for name, register in profile.measurements.named():
        if name in skip:
            continue
        try:
            value = register.decode(await client.read(register))
        except ModbusExceptionError as err:
            if err.not_supported:
                _LOGGER.info("%s: no %s register (%s); not asked again", client, name, err)
                skip.add(name)
            if ERROR_MEASUREMENT not in errors:
                errors.append(ERROR_MEASUREMENT)
            continue
        if isinstance(value, float) and math.isfinite(value):
            values[name] = value  # a float register reads NaN while it has no figure
    return Sample(status=status, raw_state=raw, values=values, errors=tuple(errors))


async def read_identity(client: ModbusClient, profile: ChargerProfile) -> ChargerInfo:
    """Read the serial number and firmware version, where the profile has them."""
    texts: dict[str, str | None] = {"serial": None, "firmware": None}
    for name in texts:
        register: Register | None = getattr(profile.identity, name)
        if register is None:
            continue
        try:
            value = register.decode(await client.read(register))
        except ModbusExceptionError as err:
            _LOGGER.debug("%s: no %s: %s", client, name, err)
            continue
        if isinstance(value, float):
            value = str(int(value)) if register.data_type is not DataType.F32 else str(value)
        texts[name] = value or None
    return ChargerInfo(
        vendor=profile.vendor,
        model=profile.name,
        serial_number=texts["serial"],
        firmware_version=texts["firmware"],
    )
