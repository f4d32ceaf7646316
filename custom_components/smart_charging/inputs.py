"""Read the site's input entities from the state machine into engine readings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import math
from typing import Final

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant

from .engine.model import InputReading, InputRole, InputStatus
from .engine.units import UnitError, current_to_a, power_to_w

PERCENT: Final = "%"


@dataclass(frozen=True, slots=True, kw_only=True)
class InputSpec:
    """One configured input entity and how to read it."""

    role: InputRole
    entity_id: str
    check_age: bool = True


def _convert(role: InputRole, value: float, unit: str | None) -> float:
    if role in (InputRole.GRID_POWER, InputRole.PV_POWER, InputRole.BATTERY_POWER):
        return power_to_w(value, unit)
    if role in (
        InputRole.GRID_CURRENT_L1,
        InputRole.GRID_CURRENT_L2,
        InputRole.GRID_CURRENT_L3,
    ):
        return current_to_a(value, unit)
    if role is InputRole.BATTERY_SOC and unit != PERCENT:
        raise UnitError(unit, (PERCENT,))
    return value


def read_input(
    hass: HomeAssistant, spec: InputSpec, now: datetime, max_age: timedelta
) -> InputReading:
    """Return the current reading of one input, judged for health.

    Age is judged on ``last_reported``, which moves whenever the source reports, even
    with an unchanged value: a meter repeating the same figure is alive, a silent one is
    stale.
    """
    state = hass.states.get(spec.entity_id)
    if state is None:
        return InputReading(spec.role, spec.entity_id, InputStatus.MISSING)
    if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return InputReading(spec.role, spec.entity_id, InputStatus.UNAVAILABLE)
    try:
        raw = float(state.state)
    except ValueError:
        return InputReading(spec.role, spec.entity_id, InputStatus.NON_NUMERIC)
    if not math.isfinite(raw):
        return InputReading(spec.role, spec.entity_id, InputStatus.NON_NUMERIC)
    try:
        value = _convert(spec.role, raw, state.attributes.get(ATTR_UNIT_OF_MEASUREMENT))
    except UnitError:
        return InputReading(spec.role, spec.entity_id, InputStatus.BAD_UNIT)
    if spec.check_age and now - state.last_reported > max_age:
        return InputReading(spec.role, spec.entity_id, InputStatus.STALE, value)
    return InputReading(spec.role, spec.entity_id, InputStatus.OK, value)
