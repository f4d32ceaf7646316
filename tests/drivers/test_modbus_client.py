"""Every pymodbus failure becomes a DriverError; the unit keyword follows the version."""

from __future__ import annotations

import asyncio
from typing import Any

from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
import pytest

from custom_components.smart_charging.drivers.base import (
    ChargerProtocolError,
    ChargerTimeoutError,
    ChargerUnavailableError,
    CommandRejectedError,
)
from custom_components.smart_charging.drivers.modbus import (
    ModbusConnectionLostError,
    ModbusExceptionError,
    ModbusTimeoutError,
    ModbusUnreachableError,
    ModbusWriteRejectedError,
    ModbusWrongUnitError,
    client as client_module,
)
from custom_components.smart_charging.drivers.modbus.client import ModbusClient
from custom_components.smart_charging.drivers.modbus.compat import UNIT_KEYWORD, unit_keyword
from custom_components.smart_charging.drivers.modbus.errors import exception_name
from custom_components.smart_charging.drivers.modbus.registers import (
    DataType,
    Register,
    RegisterType,
)


class Response:
    def __init__(
        self, registers: list[int] | None = None, bits: list[bool] | None = None, code: int = 0
    ) -> None:
        self.registers = registers or []
        self.bits = bits or []
        self.exception_code = code

    def isError(self) -> bool:  # noqa: N802
        return bool(self.exception_code)


class StubPymodbus:
    """Stands in for AsyncModbusTcpClient: answers or raises as told, records calls."""

    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome
        self.connected = True
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            if isinstance(self.outcome, BaseException):
                raise self.outcome
            if self.outcome == "hang":
                await asyncio.Event().wait()
            return self.outcome

        return call


@pytest.fixture(autouse=True)
def _short_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "GUARD_MARGIN_S", 0.05)


def stubbed(outcome: Any) -> tuple[ModbusClient, StubPymodbus]:
    client = ModbusClient("charger.local", 502, 7, timeout_s=0.05, retries=0)
    stub = StubPymodbus(outcome)
    client._client = stub
    return client, stub


HOLDING = Register(address=10)


@pytest.mark.parametrize(
    ("outcome", "error", "base"),
    [
        (ConnectionException("gone"), ModbusConnectionLostError, ChargerUnavailableError),
        (ModbusIOException("No response received"), ModbusTimeoutError, ChargerTimeoutError),
        (
            ModbusIOException("request uses device id=7 but received 1"),
            ModbusWrongUnitError,
            ChargerProtocolError,
        ),
        (ModbusException("odd"), ModbusExceptionError, ChargerProtocolError),
        (OSError("reset"), ModbusConnectionLostError, ChargerUnavailableError),
        (TimeoutError(), ModbusTimeoutError, ChargerTimeoutError),
        (Response(code=2), ModbusExceptionError, ChargerProtocolError),
        (Response(code=0x0A), ModbusWrongUnitError, ChargerProtocolError),
        (None, ModbusExceptionError, ChargerProtocolError),
        (Response(registers=[1, 2]), ModbusExceptionError, ChargerProtocolError),  # 2 for 1
        ("hang", ModbusTimeoutError, ChargerTimeoutError),
    ],
)
async def test_read_errors(outcome: Any, error: type[Exception], base: type[Exception]) -> None:
    client, _ = stubbed(outcome)
    with pytest.raises(error) as caught:
        await client.read(HOLDING)
    assert isinstance(caught.value, base)


async def test_write_exception_response_is_a_rejected_command() -> None:
    client, _ = stubbed(Response(code=3))
    with pytest.raises(ModbusWriteRejectedError) as caught:
        await client.write(HOLDING, (5,), multiple=False)
    assert isinstance(caught.value, CommandRejectedError)
    assert (caught.value.code, caught.value.address) == (3, 10)
    assert not caught.value.not_supported
    assert "illegal data value" in str(caught.value)


async def test_requests_carry_the_unit_keyword() -> None:
    client, stub = stubbed(Response(registers=[5]))
    assert await client.read(HOLDING) == [5]
    assert await client.read_block(RegisterType.INPUT, 3, 1) == [5]
    await client.write(HOLDING, (5,), multiple=False)
    await client.write(HOLDING, (5,), multiple=True)
    await client.write(Register(address=10, data_type=DataType.U32), (5, 6), multiple=False)
    stub.outcome = Response(bits=[True, False, False, False, False, False, False, False])
    assert await client.read(Register(address=4, kind=RegisterType.COIL)) == [1]
    await client.write(Register(address=4, kind=RegisterType.COIL), (0,), multiple=False)
    assert [name for name, _, _ in stub.calls] == [
        "read_holding_registers",
        "read_input_registers",
        "write_register",
        "write_registers",
        "write_registers",
        "read_coils",
        "write_coil",
    ]
    assert all(kwargs[UNIT_KEYWORD] == 7 for _, _, kwargs in stub.calls)
    assert stub.calls[-1][1] == (4, False)


async def test_input_registers_cannot_be_written() -> None:
    client, _ = stubbed(Response())
    with pytest.raises(ValueError, match="cannot be written"):
        await client.write(Register(address=1, kind=RegisterType.INPUT), (1,), multiple=False)


async def test_not_connected() -> None:
    client = ModbusClient("charger.local", 502, 7, timeout_s=0.05, retries=0)
    assert not client.connected
    with pytest.raises(ModbusConnectionLostError):
        await client.read(HOLDING)
    client.close()  # harmless
    assert str(client) == "charger.local:502/7"


class FailingTcpClient:
    """AsyncModbusTcpClient whose connect fails one way or another."""

    outcome: Any = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.closed = False

    async def connect(self) -> bool:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        if self.outcome == "hang":
            await asyncio.Event().wait()
        return bool(self.outcome)

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("outcome", [False, OSError("refused"), ModbusException("x"), "hang"])
async def test_connect_failures(monkeypatch: pytest.MonkeyPatch, outcome: Any) -> None:
    monkeypatch.setattr(FailingTcpClient, "outcome", outcome)
    monkeypatch.setattr(client_module, "AsyncModbusTcpClient", FailingTcpClient)
    client = ModbusClient("charger.local", 502, 7, timeout_s=0.05, retries=0)
    with pytest.raises(ModbusUnreachableError):
        await client.connect()
    assert not client.connected


async def test_connect_switches_off_pymodbus_reconnects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FailingTcpClient, "outcome", True)
    monkeypatch.setattr(client_module, "AsyncModbusTcpClient", FailingTcpClient)
    client = ModbusClient("charger.local", 1502, 7, timeout_s=2.0, retries=2)
    await client.connect()
    stub = client._client
    assert stub.kwargs["reconnect_delay"] == 0
    assert (stub.kwargs["port"], stub.kwargs["timeout"], stub.kwargs["retries"]) == (1502, 2.0, 2)
    client.close()
    assert stub.closed


def test_unit_keyword() -> None:
    def new_api(address: int, *, count: int = 1, device_id: int = 1) -> None: ...

    def old_api(address: int, *, count: int = 1, slave: int = 1) -> None: ...

    def other(address: int) -> None: ...

    assert unit_keyword(new_api) == "device_id"
    assert unit_keyword(old_api) == "slave"
    with pytest.raises(RuntimeError, match="unsupported pymodbus"):
        unit_keyword(other)
    assert UNIT_KEYWORD in ("device_id", "slave")


def test_exception_names() -> None:
    assert exception_name(None) == "unknown error"
    assert exception_name(0x0B) == "gateway target device failed to respond"
    assert exception_name(0x42) == "exception code 66"
