"""A typed wrapper around pymodbus' TCP client; every failure becomes a ``DriverError``.

pymodbus reports failures three ways: it raises (``ConnectionException``,
``ModbusIOException`` when no answer came, other ``ModbusException``), it returns an
exception response (``isError()``), or asyncio times out. This module is the only place
that touches the client, so the rest of the driver sees registers and ``DriverError``.
pymodbus' own reconnect is switched off (``reconnect_delay=0``): the driver reconnects
with its own capped backoff and knows when it is offline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
import logging
from typing import Any

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

from ..base import DriverError
from .compat import UNIT_KEYWORD
from .errors import (
    GATEWAY_CODES,
    ModbusConnectionLostError,
    ModbusExceptionError,
    ModbusTimeoutError,
    ModbusUnreachableError,
    ModbusWriteRejectedError,
    ModbusWrongUnitError,
    exception_name,
)
from .registers import Register, RegisterType

_LOGGER = logging.getLogger(__name__)

# pymodbus waits timeout_s per attempt itself; this margin on top only catches a hung client
GUARD_MARGIN_S = 1.0

_READ_METHODS = {
    RegisterType.HOLDING: "read_holding_registers",
    RegisterType.INPUT: "read_input_registers",
    RegisterType.COIL: "read_coils",
    RegisterType.DISCRETE: "read_discrete_inputs",
}


class ModbusClient:
    """One TCP connection to one unit id."""

    def __init__(self, host: str, port: int, unit: int, *, timeout_s: float, retries: int) -> None:
        """Describe the connection; ``connect`` opens it."""
        self.host = host
        self.port = port
        self.unit = unit
        self._timeout_s = timeout_s
        self._retries = retries
        self._guard_s = timeout_s * (retries + 1) + GUARD_MARGIN_S
        self._client: Any = None

    @property
    def connected(self) -> bool:
        """Return whether the TCP connection is open."""
        return self._client is not None and bool(self._client.connected)

    async def connect(self) -> None:
        """Open the TCP connection; ``ModbusUnreachableError`` if that fails."""
        self.close()
        client = AsyncModbusTcpClient(
            self.host,
            port=self.port,
            timeout=self._timeout_s,
            retries=self._retries,
            reconnect_delay=0,
            name=f"smart_charging {self.host}:{self.port}",
        )
        try:
            async with asyncio.timeout(self._guard_s):
                opened = await client.connect()
        # ValueError: a host no resolver takes (a NUL character, a label over 63 letters)
        except (TimeoutError, OSError, ValueError, ModbusException) as err:
            client.close()
            raise ModbusUnreachableError(f"cannot connect to {self}: {err}") from err
        if not opened:
            client.close()
            raise ModbusUnreachableError(f"cannot connect to {self}")
        self._client = client

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def read(self, register: Register) -> list[int]:
        """Read the words (or the bit, as 0/1) of one register."""
        return await self.read_block(register.kind, register.address, register.count)

    async def read_block(self, kind: RegisterType, address: int, count: int) -> list[int]:
        """Read ``count`` words (or bits) from ``address`` of one table."""
        response = await self._call(
            _READ_METHODS[kind], address, count=count, what=f"read {kind} {address}"
        )
        if kind.is_bit:
            values = [1 if bit else 0 for bit in list(response.bits)[:count]]
        else:
            values = [int(word) for word in response.registers]
        if len(values) != count:
            raise ModbusExceptionError(
                f"{self}: {len(values)} values from {kind} {address}, asked for {count}",
                code=None,
                address=address,
            )
        return values

    async def write(self, register: Register, words: Sequence[int], *, multiple: bool) -> None:
        """Write one register: a coil (0x05), one word (0x06) or words (0x10)."""
        what = f"write {register.kind} {register.address}"
        if register.kind is RegisterType.COIL:
            await self._call("write_coil", register.address, bool(words[0]), what=what)
        elif register.kind is not RegisterType.HOLDING:
            raise ValueError(f"{register.kind} registers cannot be written")
        elif multiple or len(words) > 1:
            await self._call("write_registers", register.address, list(words), what=what)
        else:
            await self._call("write_register", register.address, words[0], what=what)

    async def _call(self, method: str, *args: Any, what: str, **kwargs: Any) -> Any:
        client = self._client
        if client is None or not client.connected:
            raise ModbusConnectionLostError(f"{self} is not connected ({what})")
        kwargs[UNIT_KEYWORD] = self.unit
        try:
            async with asyncio.timeout(self._guard_s):
                response = await getattr(client, method)(*args, **kwargs)
        except TimeoutError as err:
            raise ModbusTimeoutError(f"{self}: no answer to {what}") from err
        except ConnectionException as err:
            raise ModbusConnectionLostError(f"{self}: connection lost ({what})") from err
        except ModbusIOException as err:
            raise _io_error(self, what, err) from err
        except ModbusException as err:
            raise ModbusExceptionError(f"{self}: {what}: {err}", code=None) from err
        except OSError as err:
            raise ModbusConnectionLostError(f"{self}: {what}: {err}") from err
        if response is None or response.isError():
            raise _exception_response(self, what, response, args[0], write=method[:5] == "write")
        return response

    def __str__(self) -> str:
        """Return ``host:port/unit``."""
        return f"{self.host}:{self.port}/{self.unit}"


def _io_error(client: ModbusClient, what: str, err: ModbusIOException) -> DriverError:
    # pymodbus >= 3.10 checks the unit id of an answer; an answer from another unit
    # means the id is wrong (or a gateway routes it elsewhere)
    if "device id" in str(err):
        return ModbusWrongUnitError(f"{client}: {what}: answered by another unit id")
    return ModbusTimeoutError(f"{client}: no answer to {what}")


def _exception_response(
    client: ModbusClient, what: str, response: Any, address: int, *, write: bool
) -> DriverError:
    code = getattr(response, "exception_code", None)
    code = int(code) if code is not None else None
    message = f"{client}: {what}: {exception_name(code)}"
    if code in GATEWAY_CODES:
        return ModbusWrongUnitError(message, code=code)
    if write:
        return ModbusWriteRejectedError(message, code=code, address=address)
    return ModbusExceptionError(message, code=code, address=address)
