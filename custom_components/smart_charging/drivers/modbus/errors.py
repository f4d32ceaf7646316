"""Modbus failures as ``DriverError`` subclasses (no pymodbus type leaks out).

The connection test of the UI flow (``async_probe``) raises exactly one of four:
``ModbusUnreachableError`` (no TCP connection), ``ModbusTimeoutError`` (connected, no
answer), ``ModbusWrongUnitError`` (a gateway or the charger says the unit id is wrong),
``ModbusUnexpectedValueError`` (it answered, but not like the chosen charger model).
"""

from __future__ import annotations

from typing import Final

from ..base import (
    ChargerProtocolError,
    ChargerTimeoutError,
    ChargerUnavailableError,
    CommandRejectedError,
)

# Modbus exception codes (application protocol spec, section 7)
ILLEGAL_FUNCTION: Final = 0x01
ILLEGAL_ADDRESS: Final = 0x02
ILLEGAL_VALUE: Final = 0x03
DEVICE_FAILURE: Final = 0x04
DEVICE_BUSY: Final = 0x06
GATEWAY_PATH_UNAVAILABLE: Final = 0x0A
GATEWAY_NO_RESPONSE: Final = 0x0B
GATEWAY_CODES: Final = frozenset({GATEWAY_PATH_UNAVAILABLE, GATEWAY_NO_RESPONSE})
# the register or the function does not exist on this charger
NOT_SUPPORTED_CODES: Final = frozenset({ILLEGAL_FUNCTION, ILLEGAL_ADDRESS})

# codes in ``ChargerReading.errors``
ERROR_FAILSAFE: Final = "failsafe_not_configured"  # the failsafe registers refused our values
ERROR_HEARTBEAT: Final = "heartbeat_rejected"  # a heartbeat write was refused
ERROR_UNKNOWN_STATE: Final = "unknown_state"  # a state value the profile does not define
ERROR_STATE_UNREADABLE: Final = "state_unreadable"  # the state register answered an exception
ERROR_MEASUREMENT: Final = "measurement_unavailable"  # a measurement could not be read

_NAMES: Final = {
    ILLEGAL_FUNCTION: "illegal function",
    ILLEGAL_ADDRESS: "illegal data address",
    ILLEGAL_VALUE: "illegal data value",
    DEVICE_FAILURE: "server device failure",
    0x05: "acknowledge",
    DEVICE_BUSY: "server device busy",
    0x08: "memory parity error",
    GATEWAY_PATH_UNAVAILABLE: "gateway path unavailable",
    GATEWAY_NO_RESPONSE: "gateway target device failed to respond",
}


def exception_name(code: int | None) -> str:
    """Return the Modbus name of an exception code."""
    if code is None:
        return "unknown error"
    return _NAMES.get(code, f"exception code {code}")


class ModbusUnreachableError(ChargerUnavailableError):
    """No TCP connection to the charger (refused, no route, name not resolved, timeout)."""


class ModbusConnectionLostError(ChargerUnavailableError):
    """The connection closed, or was never opened, when a request was due."""


class ModbusTimeoutError(ChargerTimeoutError):
    """The charger did not answer a request in time."""


class ModbusExceptionError(ChargerProtocolError):
    """The charger answered a request with a Modbus exception response."""

    def __init__(self, message: str, *, code: int | None, address: int | None = None) -> None:
        """Keep the exception code and the register address."""
        super().__init__(message)
        self.code = code
        self.address = address

    @property
    def not_supported(self) -> bool:
        """Return whether the charger lacks the register or the function."""
        return self.code in NOT_SUPPORTED_CODES


class ModbusWriteRejectedError(ModbusExceptionError, CommandRejectedError):
    """The charger answered a write with an exception response."""


class ModbusWrongUnitError(ChargerProtocolError):
    """The unit id is wrong: a gateway exception, or an answer from another unit."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        """Keep the gateway exception code, if there was one."""
        super().__init__(message)
        self.code = code


class ModbusUnexpectedValueError(ChargerProtocolError):
    """The charger answered, but with a value the charger model does not define."""

    def __init__(self, message: str, *, raw: object = None) -> None:
        """Keep the raw value."""
        super().__init__(message)
        self.raw = raw


class ProfileError(ValueError):
    """A charger profile (usually the user's custom one) is not usable.

    ``field`` names the offending setting, so that a form can show the error next to it.
    """

    def __init__(self, field: str, message: str) -> None:
        """Name the field and say what is wrong with it."""
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
