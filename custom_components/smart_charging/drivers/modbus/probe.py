"""The connection test of the "add Modbus charger" flow: read the state register once."""

from __future__ import annotations

from dataclasses import dataclass

from ..base import ChargerStatus, ChargerTimeoutError, DriverError
from .client import ModbusClient
from .errors import (
    ModbusExceptionError,
    ModbusUnexpectedValueError,
    ModbusUnreachableError,
    ModbusWrongUnitError,
    exception_name,
)
from .model import ChargerProfile, RawState
from .reader import read_identity, read_state


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """What the charger answered."""

    status: ChargerStatus
    raw_state: RawState
    serial_number: str | None = None  # where the profile has one: a stable unique id
    firmware_version: str | None = None


async def async_probe(
    host: str,
    port: int,
    unit: int,
    profile: ChargerProfile,
    *,
    timeout_s: float = 3.0,
) -> ProbeResult:
    """Connect, read the state register (and the identity) once, and disconnect.

    Raises exactly one of (all ``DriverError``):
    - ``ModbusUnreachableError``: no TCP connection (wrong host/port, firewall, Modbus off);
    - ``ModbusTimeoutError``: connected, no answer (often a unit id the charger ignores);
    - ``ModbusWrongUnitError``: a gateway exception (0x0A/0x0B) or another unit answered;
    - ``ModbusUnexpectedValueError``: it answered, but not like this charger model (an
      exception response such as "illegal data address", or an undefined state value).
    """
    client = ModbusClient(host, port, unit, timeout_s=timeout_s, retries=0)
    await client.connect()
    try:
        raw, status = await read_state(client, profile.state)
        info = await read_identity(client, profile)
    except ModbusExceptionError as err:
        raise ModbusUnexpectedValueError(
            f"{client}: the state register answered '{exception_name(err.code)}': "
            f"is this a {profile.name}?"
        ) from err
    except (ModbusWrongUnitError, ModbusUnexpectedValueError, ChargerTimeoutError):
        raise
    except DriverError as err:  # the connection closed while asking
        raise ModbusUnreachableError(f"{client}: {err}") from err
    finally:
        client.close()
    return ProbeResult(
        status=status,
        raw_state=raw,
        serial_number=info.serial_number,
        firmware_version=info.firmware_version,
    )
