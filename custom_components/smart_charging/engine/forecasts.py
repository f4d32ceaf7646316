"""PV forecasts as published in Home Assistant, turned into the planner's PV surplus.

``parse_solcast`` / ``parse_forecast_solar`` read a forecast into sorted, non-overlapping
``ForecastSlot``s in UTC (average kW); ``surplus_forecast`` turns one into the planner's
per-slot PV surplus. Timestamps and values are read as for prices (see ``parsing``):
malformed items are skipped, missing values leave their period uncovered, and no usable
item raises ``TariffError``.

Shapes, as read from each integration's own code:

- Solcast (BJReplay/ha-solcast-solar ``const.py``, ``sensor.py``): attribute
  ``detailedForecast`` items ``{period_start, pv_estimate, pv_estimate10, pv_estimate90}``;
  ``pv_estimate`` is average kW over the 30-minute period (REFERENCE.md, Solcast API).
- Forecast.Solar (home-assistant/core ``forecast_solar/energy.py``): ``{"wh_hours":
  {iso: Wh}}`` from the library's ``wh_period``, each value the energy of the period
  ending at its key; keys at sunrise/sunset carry seconds and zero-valued midnight keys
  are dropped by newer cores.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from typing import Final

from .parsing import (
    HOUR,
    Entry,
    TariffError,
    TariffReason,
    first_per_start,
    median_gap,
    nothing_usable,
    read_aware,
    read_instant,
    read_number,
    required,
)
from .plan_model import PriceSlot

SOLCAST_PERIOD: Final = timedelta(minutes=30)
_STEPS: Final = (timedelta(minutes=15), timedelta(minutes=30), HOUR)


@dataclass(frozen=True, slots=True)
class ForecastSlot:
    """Expected PV power (kW, average) over an absolute interval ``[start, end)``."""

    start: datetime
    end: datetime
    power_kw: float


def parse_solcast(items: object, *, tz: tzinfo) -> tuple[ForecastSlot, ...]:
    """Solcast ``detailedForecast`` items (``period_start``, ``pv_estimate`` kW average).

    The period is the series' median spacing (30 minutes for a single item) and never
    runs past the next item, so a gap in the data stays uncovered.
    """
    if not isinstance(items, list | tuple):
        raise TariffError(TariffReason.UNRECOGNISED, "Solcast forecast is not a list")
    points: list[Entry] = []
    malformed = 0
    for item in items:
        entry = _point(item, "period_start", "pv_estimate", tz)
        if entry is None:
            malformed += 1
        else:
            points.append(entry)
    timeline = first_per_start(points)
    period = median_gap([point.start for point in timeline]) or SOLCAST_PERIOD
    forecast = []
    for index, point in enumerate(timeline):
        end = point.start + period
        if index + 1 < len(timeline):
            end = min(end, timeline[index + 1].start)
        if point.value is not None:
            forecast.append(ForecastSlot(point.start, end, point.value))
    if not forecast:
        raise nothing_usable("Solcast forecast", malformed)
    return tuple(forecast)


def parse_forecast_solar(
    wh_hours: Mapping[str, object] | Mapping[datetime, object], *, tz: tzinfo = UTC
) -> tuple[ForecastSlot, ...]:
    """Forecast.Solar ``wh_hours``: Wh of the period ending at each key, as kW average.

    A period starts at the previous key, but no earlier than the previous full period
    of the series' spacing (15, 30 or 60 minutes) in the key's own offset: a sunrise key
    05:12:34 covers 05:00:00-05:12:34, the first key of a day its own period.
    """
    points: list[tuple[datetime, datetime, float | None]] = []
    malformed = 0
    for key, value in wh_hours.items():
        try:
            at = required(read_aware(key, tz))
            points.append((at.astimezone(UTC), at, read_number(value)))
        except ValueError:
            malformed += 1
    points.sort(key=lambda point: point[0])
    spacing = median_gap([end for end, _, _ in points]) or HOUR
    spacing = next((step for step in _STEPS if step >= spacing), HOUR)
    forecast = []
    previous: datetime | None = None
    for end, at, wh in points:
        start = _previous_step(at, spacing)
        if previous is not None:
            start = max(start, previous)
        if wh is not None and start < end:
            forecast.append(ForecastSlot(start, end, wh / 1000.0 / _hours(start, end)))
        previous = end
    if not forecast:
        raise nothing_usable("Forecast.Solar forecast", malformed)
    return tuple(forecast)


def surplus_forecast(
    slots: Sequence[PriceSlot], forecast: Sequence[ForecastSlot], house_load_kw: float
) -> tuple[float, ...]:
    """PV surplus (kW) per planner slot: average forecast power minus the house load.

    The average is over the whole slot, time without forecast counting as no PV; the
    result is floored at 0. ``forecast`` must not overlap (as the parsers return it).
    """
    ordered = sorted(forecast, key=lambda part: part.start)
    ends = [part.end for part in ordered]
    surplus = []
    for slot in slots:
        energy_kwh = 0.0
        index = bisect_right(ends, slot.start)
        while index < len(ordered) and ordered[index].start < slot.end:
            part = ordered[index]
            overlap = _hours(max(part.start, slot.start), min(part.end, slot.end))
            energy_kwh += part.power_kw * overlap
            index += 1
        span = _hours(slot.start, slot.end)
        pv_kw = energy_kwh / span if span > 0 else 0.0
        surplus.append(max(0.0, pv_kw - house_load_kw))
    return tuple(surplus)


def _point(item: object, time_key: str, value_key: str, tz: tzinfo) -> Entry | None:
    """A ``{time_key, value_key}`` item as an entry, None when malformed."""
    if not isinstance(item, Mapping):
        return None
    try:
        start = required(read_instant(item.get(time_key), tz))
        return Entry(start, None, read_number(item.get(value_key)))
    except ValueError:
        return None


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600.0


def _previous_step(at: datetime, step: timedelta) -> datetime:
    """The last multiple of ``step`` strictly before ``at``, in ``at``'s own offset (UTC)."""
    offset = at.utcoffset() or timedelta(0)
    wall = at.astimezone(timezone(offset)).replace(tzinfo=None)
    into_day = wall - datetime.combine(wall.date(), time())
    back = into_day % step or step
    return (wall - back).replace(tzinfo=timezone(offset)).astimezone(UTC)
