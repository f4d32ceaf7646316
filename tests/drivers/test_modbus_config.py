"""Connection settings and the real clock."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest

from custom_components.smart_charging.drivers.modbus import ModbusConfig, SystemClock


@pytest.mark.parametrize(
    "change",
    [
        {"host": ""},
        {"port": 0},
        {"port": 70000},
        {"unit_id": 256},
        {"poll_interval_s": 0},
        {"timeout_s": -1},
        {"retries": -1},
        {"failsafe_current_a": 81},
        {"failsafe_timeout_s": 0},
        {"backoff_initial_s": 0},
        {"backoff_initial_s": 10, "backoff_max_s": 5},
        {"settle_s": -1},
    ],
)
def test_rejects_unusable_settings(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        ModbusConfig(**{"host": "charger.local", **change})


def test_defaults() -> None:
    config = ModbusConfig(host="charger.local")
    assert (config.port, config.unit_id, config.failsafe_current_a) == (502, None, 6.0)


async def test_system_clock() -> None:
    clock = SystemClock()
    before = clock.monotonic()
    await clock.sleep(0)
    assert clock.monotonic() >= before
    assert clock.utcnow().tzinfo is UTC
