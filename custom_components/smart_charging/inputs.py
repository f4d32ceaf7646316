"""Read the site's input entities from the state machine into engine readings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
import math
from typing import Final

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant

from .engine.model import InputReading, InputRole, InputStatus
from .engine.units import UnitError, current_to_a, power_to_w

PERCENT: Final = "%"

# Prices: per Wh, kWh or MWh; minor units are hundredths; symbols of the main currencies.
_PER_KWH: Final = {"wh": 1000.0, "kwh": 1.0, "mwh": 0.001}
_MINOR_UNITS: Final = frozenset(
    {"ct", "c", "cent", "cents", "¢", "p", "pence", "öre", "ore", "øre", "rp"}
)
_SYMBOLS: Final = {
    "€": ("EUR",),
    "£": ("GBP",),
    "$": ("USD", "AUD", "CAD", "NZD", "SGD", "HKD"),
    "kr": ("SEK", "NOK", "DKK", "ISK"),
    "zł": ("PLN",),
    "fr.": ("CHF",),
}


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


def price_per_kwh(value: float, unit: str | None, currency: str) -> float | None:
    """Convert a price per energy (EUR/kWh, ct/kWh, €/MWh …) to ``currency`` per kWh.

    Minor units (ct, c, p, öre, Rp …) are hundredths of ``currency``. Another currency, no
    unit, or a unit that is not per Wh, kWh or MWh gives None: no cost can be told from it.
    """
    money, slash, energy = (unit or "").partition("/")
    per_kwh = _PER_KWH.get(energy.strip().lower()) if slash else None
    if per_kwh is None:
        return None
    money = money.strip()
    if money.upper() == currency.upper() or currency.upper() in _SYMBOLS.get(money.lower(), ()):
        return value * per_kwh
    if money.lower() in _MINOR_UNITS:
        return value * per_kwh / 100
    return None


def read_price(hass: HomeAssistant, specs: Iterable[InputSpec], currency: str) -> float | None:
    """Return the site's import price now in ``currency`` per kWh; None when unusable."""
    spec = next((spec for spec in specs if spec.role is InputRole.PRICE), None)
    state = None if spec is None else hass.states.get(spec.entity_id)
    if state is None:
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return price_per_kwh(value, state.attributes.get(ATTR_UNIT_OF_MEASUREMENT), currency)
