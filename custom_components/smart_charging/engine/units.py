"""Unit conversion for power, current and energy readings."""

from __future__ import annotations

from typing import Final

POWER_FACTORS_TO_W: Final[dict[str, float]] = {"W": 1.0, "kW": 1_000.0, "MW": 1_000_000.0}
CURRENT_FACTORS_TO_A: Final[dict[str, float]] = {"A": 1.0, "mA": 0.001}
ENERGY_FACTORS_TO_KWH: Final[dict[str, float]] = {"Wh": 0.001, "kWh": 1.0, "MWh": 1_000.0}


class UnitError(ValueError):
    """A reading carries a unit that cannot be converted to the wanted one."""

    def __init__(self, unit: str | None, allowed: tuple[str, ...]) -> None:
        """Name the offending unit and the ones that would have worked."""
        super().__init__(f"unit {unit!r} is not one of {', '.join(allowed)}")
        self.unit = unit
        self.allowed = allowed


def _convert(value: float, unit: str | None, factors: dict[str, float]) -> float:
    factor = factors.get(unit) if unit is not None else None
    if factor is None:
        raise UnitError(unit, tuple(factors))
    return value * factor


def power_to_w(value: float, unit: str | None) -> float:
    """Convert a power reading in W, kW or MW to watts."""
    return _convert(value, unit, POWER_FACTORS_TO_W)


def current_to_a(value: float, unit: str | None) -> float:
    """Convert a current reading in A or mA to amperes."""
    return _convert(value, unit, CURRENT_FACTORS_TO_A)


def energy_to_kwh(value: float, unit: str | None) -> float:
    """Convert an energy reading in Wh, kWh or MWh to kilowatt-hours."""
    return _convert(value, unit, ENERGY_FACTORS_TO_KWH)


def is_power_unit(unit: str | None) -> bool:
    """Return whether a unit can be converted to watts."""
    return unit in POWER_FACTORS_TO_W


def is_current_unit(unit: str | None) -> bool:
    """Return whether a unit can be converted to amperes."""
    return unit in CURRENT_FACTORS_TO_A


def amps_to_watts(current_a: float, phases: int, voltage_v: float) -> float:
    """Power drawn by a balanced load of `current_a` per phase on `phases` phases."""
    return current_a * phases * voltage_v


def watts_to_amps(power_w: float, phases: int, voltage_v: float) -> float:
    """Per-phase current of a balanced load drawing `power_w` on `phases` phases."""
    return power_w / (phases * voltage_v)
