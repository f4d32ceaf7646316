"""``FakeModbusServer``: a pymodbus TCP server on 127.0.0.1 serving one ``FakeCharger``.

pymodbus 3.8 and 3.16 differ in how a server reaches its datastore: 3.16 asks the
device for values or an exception code (``async_OLD_getValues``); 3.8 asks a slave
context for values and cannot return an exception code from there, so errors go in
through the trace hooks instead (which 3.8 does not hand to connections by itself).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Self

from pymodbus import datastore
from pymodbus.server import ModbusTcpServer

from .modbus_fake import WRITE_TABLES, FakeCharger

_NEW_API = hasattr(datastore.ModbusSimulatorContext, "async_OLD_getValues")  # >= 3.11-ish
_SERVER_PARAMS = inspect.signature(ModbusTcpServer.__init__).parameters
_IGNORE_KEYWORD = (
    "ignore_missing_devices"
    if "ignore_missing_devices" in _SERVER_PARAMS
    else "ignore_missing_slaves"
)
_WRITE_FUNCTIONS = frozenset(WRITE_TABLES)


class _Echo:
    """Write requests re-read what they wrote (0x05/0x06): answer with those values."""

    def __init__(self) -> None:
        self.values: dict[tuple[int, int], list[int]] = {}

    def remember(self, function: int, address: int, values: list[int]) -> None:
        self.values[(function, address)] = list(values)

    def get(self, function: int, address: int, count: int) -> list[int]:
        return self.values.get((function, address), [0] * count)[:count]


def _build_context(server: FakeModbusServer) -> Any:
    charger, echo = server.charger, _Echo()
    if _NEW_API:
        from pymodbus.constants import ExcCodes  # noqa: PLC0415

        class NewContext(datastore.ModbusSimulatorContext):
            """pymodbus >= 3.11: the server asks the device for values or ExcCodes."""

            def __init__(self) -> None:
                super().__init__({}, None)

            async def async_OLD_getValues(  # noqa: N802
                self, func_code: int, address: int, count: int = 1
            ) -> Any:
                if func_code in _WRITE_FUNCTIONS:
                    return echo.get(func_code, address, count)
                result = charger.read(func_code, address, count)
                return ExcCodes(result) if isinstance(result, int) else result

            async def async_OLD_setValues(  # noqa: N802
                self, func_code: int, address: int, values: list[int]
            ) -> Any:
                values = [int(v) for v in values]
                code = charger.write(func_code, address, values)
                echo.remember(func_code, address, values)
                return ExcCodes(code) if code else None

        return datastore.ModbusServerContext({server.unit: NewContext()}, single=False)

    base = getattr(datastore, "ModbusBaseDeviceContext", None) or datastore.ModbusBaseSlaveContext

    class OldContext(base):
        """pymodbus 3.8: the datastore answers values; errors go in through trace_pdu."""

        def reset(self) -> None:
            """Nothing to reset."""

        def validate(self, fc_as_hex: int, address: int, count: int = 1) -> bool:
            return True

        def getValues(self, fc_as_hex: int, address: int, count: int = 1) -> list[int]:  # noqa: N802
            if fc_as_hex in _WRITE_FUNCTIONS:
                return echo.get(fc_as_hex, address, count)
            result = charger.read(fc_as_hex, address, count)
            if isinstance(result, int):
                server.pending_code = result
                return [0] * count
            return result

        def setValues(self, fc_as_hex: int, address: int, values: list[int]) -> None:  # noqa: N802
            values = [int(v) for v in values]
            code = charger.write(fc_as_hex, address, values)
            echo.remember(fc_as_hex, address, values)
            if code:
                server.pending_code = code

    return datastore.ModbusServerContext({server.unit: OldContext()}, single=False)


class _TracedServer(ModbusTcpServer):
    """Hands our trace hooks to each connection (pymodbus 3.8 does not pass them on)."""

    def __init__(self, owner: FakeModbusServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owner = owner

    def callback_new_connection(self) -> Any:
        handler = super().callback_new_connection()
        handler.trace_packet = self._owner.trace_packet
        handler.trace_pdu = self._owner.trace_pdu
        return handler


class FakeModbusServer:
    """A pymodbus TCP server on 127.0.0.1 serving one ``FakeCharger`` as one unit id.

    ``unknown_unit``: "gateway" answers other unit ids with exception 0x0B (gateway
    target failed to respond), "ignore" does not answer them (the client times out).
    ``muted`` drops every answer (the charger hangs).
    """

    def __init__(
        self, charger: FakeCharger, *, unit: int | None = None, unknown_unit: str = "gateway"
    ) -> None:
        self.charger = charger
        self.unit = charger.vendor.unit if unit is None else unit
        self.unknown_unit = unknown_unit
        self.port = 0
        self.muted = False
        self.pending_code: int | None = None
        self._request: Any = None
        self._server: Any = None

    async def start(self) -> None:
        """Listen (on the same port again after ``stop``)."""
        server = _TracedServer(
            self,
            _build_context(self),
            address=("127.0.0.1", self.port),
            **{_IGNORE_KEYWORD: self.unknown_unit == "ignore"},
        )
        await server.serve_forever(background=True)
        self._server = server
        self.port = server.transport.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.shutdown()
            await asyncio.sleep(0)  # let the transports finish closing

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def trace_packet(self, sending: bool, data: bytes) -> bytes:
        return b"" if sending and self.muted else data

    def trace_pdu(self, sending: bool, pdu: Any) -> Any:
        if not sending:
            self._request = pdu
            self.pending_code = None
            return pdu
        request, code = self._request, self.pending_code
        self.pending_code = None
        if request is None:
            return pdu
        if code is not None:  # pymodbus 3.8: an error the datastore could not return
            return _exception(request, code)
        if getattr(pdu, "function_code", 0) == 0x80:  # pymodbus 3.8 answers 0x80 here
            pdu.function_code = request.function_code | 0x80
        return pdu


def _exception(request: Any, code: int) -> Any:
    from pymodbus.pdu import ExceptionResponse  # noqa: PLC0415

    response = ExceptionResponse(request.function_code, code)
    response.transaction_id = request.transaction_id
    response.dev_id = request.dev_id
    return response
