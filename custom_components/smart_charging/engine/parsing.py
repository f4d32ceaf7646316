"""Reading published time series: the item machinery ``tariffs`` and ``forecasts`` share.

A ``Shape`` says where a source keeps its items and what their keys are called; a
``Reader`` turns items into ``Entry``s (absolute start, optional end, value), counting the
malformed ones. A timestamp may be a ``datetime`` (attributes in-process) or an ISO string
(REST/JSON: ``T`` or space, optional fraction, offset or ``Z``); a naive one is wall time
in the caller's ``tz``. A value is a finite number; ``None``, NaN and inf mean "missing",
anything else makes the item malformed. ``first_per_start`` orders entries (on equal
starts the first wins), ``median_gap`` gives their typical spacing and ``nothing_usable``
the ``TariffError`` for a series without a usable item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from itertools import pairwise
import math
from typing import Final

HOUR: Final = timedelta(hours=1)


class TariffReason(StrEnum):
    """Why a tariff could not be read (a translation key for the repair issue)."""

    UNRECOGNISED = "unrecognised"
    """The data is not in the source's shape (or every item was malformed)."""

    EMPTY = "empty"
    """The source holds no price yet (empty lists, ``None``, only missing prices)."""

    UNKNOWN_SERIES = "unknown_series"
    """The wanted area or home is not in the response, or several are and none was named."""

    BAD_SCHEDULE = "bad_schedule"
    """A fixed price or time-of-use schedule is empty, repeats a time or is not finite."""

    BAD_WINDOW = "bad_window"
    """A window is naive or empty, or the slot length is not positive."""

    OTHER_CURRENCY = "other_currency"
    """The prices are in another currency than Home Assistant's (the price limit and the
    session costs are in Home Assistant's)."""


class TariffError(ValueError):
    """A tariff could not be turned into slots; ``reason`` says why."""

    def __init__(self, reason: TariffReason, message: str) -> None:
        """Keep the machine-readable reason next to the message."""
        super().__init__(message)
        self.reason = reason


class _MalformedError(ValueError):
    """An item that cannot be read (caught per item, never leaves the parsers)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One item read: absolute start, end if given, value (None: missing)."""

    start: datetime
    end: datetime | None
    value: float | None


@dataclass(frozen=True, slots=True)
class Shape:
    """Where a source keeps its items and what the item keys are called.

    ``lists`` are concatenated; ``extra`` lists (price forecasts, fallbacks) only
    contribute items after the last start of ``lists``. ``prices`` pairs each price key
    with its own factor to currency per kWh, ``None`` meaning "the unit's factor".
    """

    lists: tuple[str, ...]
    extra: tuple[str, ...]
    start: tuple[str, ...]
    end: tuple[str, ...]
    prices: tuple[tuple[str, float | None], ...]


@dataclass(slots=True)
class Reader:
    """Reads items of one shape, counting the malformed ones."""

    shape: Shape
    factor: float
    tz: tzinfo
    malformed: int = 0

    def read(self, items: Iterable[object]) -> list[Entry]:
        """Read the well-formed items, in order."""
        entries = []
        for item in items:
            try:
                entries.append(self._entry(item))
            except ValueError:
                self.malformed += 1
        return entries

    def _entry(self, item: object) -> Entry:
        if not isinstance(item, Mapping):
            raise _MalformedError("item is not a mapping")
        start = required(read_instant(_value(item, self.shape.start), self.tz))
        end = None
        if (raw_end := _value(item, self.shape.end)) is not None:
            end = required(read_instant(raw_end, self.tz))
            if end <= start:
                raise ValueError("item ends before it starts")
        for key, own_factor in self.shape.prices:
            if key in item:
                price = read_number(item[key])
                factor = self.factor if own_factor is None else own_factor
                return Entry(start, end, None if price is None else price * factor)
        raise ValueError("item has no price")


def collect(data: Mapping[str, object], keys: tuple[str, ...]) -> list[object]:
    """Concatenate the lists under ``keys``; a non-list value counts as one bad item."""
    items: list[object] = []
    for key in keys:
        value = data.get(key)
        if isinstance(value, list | tuple):
            items.extend(value)
        elif value is not None:
            items.append(value)
    return items


def first_item(
    attributes: Mapping[str, object], keys: tuple[str, ...]
) -> Mapping[str, object] | None:
    """The first item of the first non-empty list under ``keys``, if it is a mapping."""
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, list | tuple) and value:
            return value[0] if isinstance(value[0], Mapping) else None
    return None


def _value(item: Mapping[str, object], keys: tuple[str, ...]) -> object:
    """The value of the first key present with a non-None value."""
    return next((item[key] for key in keys if item.get(key) is not None), None)


def read_number(value: object) -> float | None:
    """A finite float; None for a missing value (None, NaN, inf); ValueError for junk."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _MalformedError(f"{value!r} is not a number")
    number = float(value)
    return number if math.isfinite(number) else None


def read_aware(value: object, tz: tzinfo) -> datetime | None:
    """A timezone-aware datetime (its own offset kept), None if unreadable."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.utcoffset() is not None else value.replace(tzinfo=tz)


def read_instant(value: object, tz: tzinfo) -> datetime | None:
    """The instant in UTC, None if unreadable."""
    aware = read_aware(value, tz)
    return aware.astimezone(UTC) if aware is not None else None


def required(instant: datetime | None) -> datetime:
    """The timestamp read; ValueError (a malformed item) if it was unreadable."""
    if instant is None:
        raise ValueError("unreadable timestamp")
    return instant


def first_per_start(entries: list[Entry]) -> list[Entry]:
    """Sort by start; on equal starts keep the entry that came first."""
    timeline: list[Entry] = []
    for entry in sorted(entries, key=lambda entry: entry.start):
        if not timeline or entry.start != timeline[-1].start:
            timeline.append(entry)
    return timeline


def median_gap(starts: Sequence[datetime]) -> timedelta | None:
    """The (lower) median spacing of sorted distinct starts, None for fewer than two."""
    gaps = sorted(later - earlier for earlier, later in pairwise(starts))
    return gaps[(len(gaps) - 1) // 2] if gaps else None


def nothing_usable(what: str, malformed: int) -> TariffError:
    """The error for a series without a usable item: unrecognised if any was malformed."""
    if malformed:
        return TariffError(TariffReason.UNRECOGNISED, f"{what}: {malformed} malformed items")
    return TariffError(TariffReason.EMPTY, f"{what}: no price (or value) available")
