"""Read the site's input entities from the state machine into engine readings.

Also the guard on what chargers report: a driver may pass NaN or absurd figures on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import math
from typing import Final

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State

from .engine.model import ChargerState, InputReading, InputRole, InputStatus, PhaseValues
from .engine.units import UnitError, current_to_a, power_to_w

PERCENT: Final = "%"
# No site meters a billion watts or amperes, nor pays a billion per kWh: a figure beyond
# this comes from a broken sensor, and sums of such figures would overflow to infinity.
MAX_MAGNITUDE: Final = 1e9

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


class ReportRhythm:
    """How often one input reports, learned from its ``last_reported`` times.

    The configured maximum input age must suit the slowest meter (some integrations poll
    once a minute), but a meter that reports every few seconds and then falls silent is
    broken long before that: the house load it no longer shows may already be on the fuse.
    So an input counts as stale after ``FACTOR`` times the longest interval between its
    reports in the last ``WINDOW``, at least ``FLOOR`` and at most the configured age.

    The longest interval, not a typical one: a meter that reports on change (a delta or
    throttle filter, Zigbee reporting intervals) reports fast while the load moves and
    rarely while it is steady, and must not fall into failsafe in its first steady spell.
    One quiet spell in the window keeps the tolerance it needs; so does a silence that
    already tripped the failsafe once (it is an interval too). The rhythm is learned
    afresh after a restart: until reports have been seen for ``LEARN`` the configured age
    applies.

    Intervals are measured between the reports the cycles see, so a report that came and
    went between two cycles makes an interval look longer, never shorter: the learned age
    can only err towards the configured one.
    """

    WINDOW: Final = timedelta(hours=1)
    LEARN: Final = timedelta(minutes=10)
    FACTOR: Final = 3.0
    FLOOR: Final = timedelta(seconds=15)

    __slots__ = ("_first", "_last", "_longest")

    def __init__(self) -> None:
        """Start without any report seen."""
        self._first: datetime | None = None
        self._last: datetime | None = None
        # (report time, interval before it), intervals decreasing: the window's longest
        # interval is the first entry (a sliding-window maximum).
        self._longest: deque[tuple[datetime, timedelta]] = deque()

    def observe(self, reported: datetime) -> None:
        """Take in the input's ``last_reported`` as a cycle sees it."""
        last = self._last
        if last is not None and reported <= last:
            return
        self._last = reported
        if last is None:
            self._first = reported
            return
        interval = reported - last
        longest = self._longest
        while longest and longest[-1][1] <= interval:
            longest.pop()
        longest.append((reported, interval))
        while longest[0][0] < reported - self.WINDOW:
            longest.popleft()

    @property
    def longest_interval(self) -> timedelta | None:
        """The longest time between reports in the window; None while still learning."""
        if self._first is None or self._last is None or self._last - self._first < self.LEARN:
            return None
        return self._longest[0][1]

    def max_age(self, configured: timedelta) -> timedelta:
        """The age after which this input is stale: its rhythm's, within the bounds."""
        longest = self.longest_interval
        if longest is None:
            return configured
        return min(configured, max(self.FLOOR, longest * self.FACTOR))


class _NoUnit:
    """A unit attribute that is no string (a list, a number): no unit converts it."""


_JUNK_UNIT: Final = _NoUnit()


def _unit(state: State) -> str | _NoUnit | None:
    """The state's unit of measurement; junk (anything but a string) is kept apart."""
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    return unit if unit is None or isinstance(unit, str) else _JUNK_UNIT


def _convert(role: InputRole, value: float, unit: str | _NoUnit | None) -> float:
    if isinstance(unit, _NoUnit):
        raise UnitError(None, ("a unit name",))
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
    hass: HomeAssistant,
    spec: InputSpec,
    now: datetime,
    max_age: timedelta,
    rhythm: ReportRhythm | None = None,
) -> InputReading:
    """Return the current reading of one input, judged for health.

    A state that is no finite number, or one beyond ``MAX_MAGNITUDE`` in base units, is
    ``NON_NUMERIC``; a unit that does not convert (or no unit where one is needed) is
    ``BAD_UNIT``. Age is judged on ``last_reported``, which moves whenever the source
    reports, even with an unchanged value: a meter repeating the same figure is alive, a
    silent one is stale. With a ``rhythm`` the input is stale after its own rhythm's age
    when that is shorter than ``max_age`` (see ``ReportRhythm``).
    """
    state = hass.states.get(spec.entity_id)
    if state is None:
        return InputReading(spec.role, spec.entity_id, InputStatus.MISSING)
    if rhythm is not None and spec.check_age:
        rhythm.observe(state.last_reported)
        max_age = rhythm.max_age(max_age)
    if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return InputReading(spec.role, spec.entity_id, InputStatus.UNAVAILABLE)
    try:
        raw = float(state.state)
    except ValueError:
        return InputReading(spec.role, spec.entity_id, InputStatus.NON_NUMERIC)
    if not math.isfinite(raw):
        return InputReading(spec.role, spec.entity_id, InputStatus.NON_NUMERIC)
    try:
        value = _convert(spec.role, raw, _unit(state))
    except UnitError:
        return InputReading(spec.role, spec.entity_id, InputStatus.BAD_UNIT)
    if not abs(value) <= MAX_MAGNITUDE:  # broken, or overflowed converting from kW/MW
        return InputReading(spec.role, spec.entity_id, InputStatus.NON_NUMERIC)
    reported = state.last_reported
    if spec.check_age and now - reported > max_age:
        return InputReading(spec.role, spec.entity_id, InputStatus.STALE, value, reported)
    return InputReading(spec.role, spec.entity_id, InputStatus.OK, value, reported)


def plausible(value: float | None) -> float | None:
    """A figure a charger reported, or None when it is not finite or beyond reason."""
    return value if value is not None and abs(value) <= MAX_MAGNITUDE else None


def plausible_state(state: ChargerState) -> ChargerState:
    """A charger's state without NaN, infinity or absurd figures (drivers may pass them).

    An unusable current counts as 0 A of EV load, which leaves it in the non-EV load: less
    headroom, never more. An unusable temperature is unknown (which derates fully).
    """
    return replace(
        state,
        currents_a=PhaseValues.from_fn(lambda p: plausible(state.currents_a[p]) or 0.0),
        soc_pct=plausible(state.soc_pct),
        session_energy_kwh=plausible(state.session_energy_kwh) or 0.0,
        temperature_c=plausible(state.temperature_c),
    )


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
    return None if spec is None else read_price_entity(hass, spec.entity_id, currency)


def read_price_entity(hass: HomeAssistant, entity_id: str, currency: str) -> float | None:
    """Return a price entity's state in ``currency`` per kWh; None when unusable."""
    state = hass.states.get(entity_id)
    if state is None:
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    unit = _unit(state)
    if isinstance(unit, _NoUnit):
        return None
    price = price_per_kwh(value, unit, currency)
    return price if price is not None and abs(price) <= MAX_MAGNITUDE else None
