"""The pymodbus versions we support (3.8.3 through 3.16.x) and their differences.

Home Assistant 2025.4's own modbus integration pins pymodbus 3.8.3; 3.10 renamed the
unit keyword of every request from ``slave=`` to ``device_id=``. The keyword is found by
looking at the installed client's signature, not by parsing version strings, so that a
patched or back-ported release still works.
"""

from __future__ import annotations

from collections.abc import Callable
import inspect
from typing import Any, Final

import pymodbus
from pymodbus.client import AsyncModbusTcpClient

PYMODBUS_VERSION: Final[str] = str(getattr(pymodbus, "__version__", "unknown"))


def unit_keyword(method: Callable[..., Any]) -> str:
    """Return the keyword that carries the unit id for a client request method."""
    parameters = inspect.signature(method).parameters
    if "device_id" in parameters:
        return "device_id"
    if "slave" in parameters:
        return "slave"
    raise RuntimeError(f"unsupported pymodbus {PYMODBUS_VERSION}: no unit keyword")


UNIT_KEYWORD: Final[str] = unit_keyword(AsyncModbusTcpClient.read_holding_registers)
