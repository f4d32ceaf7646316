"""Tariffs as published in Home Assistant, turned into planner slots.

``parse_prices`` turns what a price integration publishes (entity attributes or an action
response) into sorted, non-overlapping ``PriceSlot``s in UTC, price per kWh in the
``import_price`` field; ``with_export`` puts a second (export) series onto them.
``fixed_price_slots`` and ``time_of_use_slots`` build slots from a fixed price or a daily
schedule. PV forecasts are read by ``forecasts``; both share ``parsing``.

Rules shared by every source: a timestamp may be a ``datetime`` (attributes in-process)
or an ISO string (REST/JSON: ``T`` or space, optional fraction, offset or ``Z``); a naive
one is wall time in the caller's ``tz``. Items with a missing price (``None``, NaN, inf)
are skipped; so are malformed items (no readable start, junk price, end not after start).
A missing end is the next item's start, for the last item the series' median spacing.
On equal starts the first item wins (today's data before a forecast); an end past the
next start is cut there. Negative prices are kept. No usable item: ``TariffError``.

Shapes, as read from each integration's own code:

- ``nordpool`` (custom-components/nordpool ``sensor.py``): attributes ``raw_today`` /
  ``raw_tomorrow``, items ``{start, end, value}``, datetimes in HA's zone, ``value`` None
  for junk; unit ``EUR/kWh``, ``c/kWh``, ``Öre/kWh``, ``Øre/kWh`` or per MWh.
- ``nordpool_core`` (home-assistant/core ``nordpool/services.py``): action
  ``get_prices_for_date`` returns ``{area: [{start, end, price}]}``, ISO strings, price
  per MWh as the API sends it (excl. VAT).
- ``tibber`` (home-assistant/core ``tibber/services.py``): ``{"prices": {home name:
  [{start_time, price, level}]}}``, no end; start strings are pyTibber's ``price_total``
  keys (milliseconds and offset, per REFERENCE.md; not re-read in pyTibber).
- ``entsoe`` (JaccoR/hass-entso-e ``coordinator.py``): ``prices_today`` /
  ``prices_tomorrow`` / ``prices`` items ``{time: str(datetime), price}``, so ``time``
  has a space before the time; only the offset is trusted. Unit ``{currency}/kWh``.
- ``energi_data_service`` (MTrab/energidataservice ``sensor.py``): ``raw_today`` /
  ``raw_tomorrow`` items ``{hour, price}`` (``raw_tomorrow`` is ``None`` until
  published: ``... or None``), plus ``forecast`` (Carnot) in the same shape when enabled.
- ``octopus`` (BottlecapDave/HomeAssistant-OctopusEnergy ``rates_current_day.py``,
  ``_docs/events.md``, ``_docs/entities/electricity.md``): event entity whose attribute
  ``rates`` holds ``{start, end, value_inc_vat, is_capped}`` (item keys from the docs'
  example and a rates card's types), ``value_inc_vat`` in pounds per kWh.
- ``epex_spot`` (mampfes/ha_epex_spot ``sensor.py``, ``localization.py``): attribute
  ``data`` items ``{start_time, end_time, price_per_kwh}`` (unit ``€/kWh`` / ``£/kWh``);
  older releases ``price_eur_per_mwh`` / ``price_gbp_per_mwh`` and ``price_ct_per_kwh`` /
  ``price_pence_per_kwh``. Slot length is always ``end_time - start_time``.
- ``generic``: ``prices`` (then ``forecast``, ``data``) items with a start, an optional
  end and a price under any of the spellings in ``_GENERIC_*``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
import math
from typing import Final

from .parsing import (
    HOUR,
    Reader,
    Shape,
    TariffError,
    TariffReason,
    collect,
    first_item,
    first_per_start,
    median_gap,
    nothing_usable,
)
from .plan_model import PriceSlot

__all__ = [
    "HOUR",
    "PriceSource",
    "TariffError",
    "TariffReason",
    "currency_of",
    "detect_source",
    "fixed_price_slots",
    "parse_prices",
    "price_factor",
    "time_of_use_slots",
    "with_export",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class PriceSource(StrEnum):
    """Where a price series comes from (decides the shape and the native unit)."""

    NORDPOOL = "nordpool"
    NORDPOOL_CORE = "nordpool_core"
    TIBBER = "tibber"
    ENTSOE = "entsoe"
    ENERGI_DATA_SERVICE = "energi_data_service"
    OCTOPUS = "octopus"
    EPEX_SPOT = "epex_spot"
    GENERIC = "generic"


_GENERIC_START: Final = ("start", "start_time", "startsAt", "from", "time", "period_start", "hour")
_GENERIC_END: Final = ("end", "end_time", "endsAt", "to", "till", "period_end")
_GENERIC_PRICE: Final = ("price", "value", "total", "price_per_kwh")
_SHAPES: Final[dict[PriceSource, Shape]] = {
    PriceSource.NORDPOOL: Shape(
        ("raw_today", "raw_tomorrow"), (), ("start",), ("end",), (("value", None),)
    ),
    PriceSource.ENTSOE: Shape(
        ("prices_today", "prices_tomorrow"), ("prices",), ("time",), (), (("price", None),)
    ),
    PriceSource.ENERGI_DATA_SERVICE: Shape(
        ("raw_today", "raw_tomorrow"), ("forecast",), ("hour",), (), (("price", None),)
    ),
    PriceSource.OCTOPUS: Shape(("rates",), (), ("start",), ("end",), (("value_inc_vat", None),)),
    PriceSource.EPEX_SPOT: Shape(
        ("data",),
        (),
        ("start_time",),
        ("end_time",),
        (
            ("price_per_kwh", None),
            ("price_eur_per_mwh", 1e-3),
            ("price_gbp_per_mwh", 1e-3),
            ("price_ct_per_kwh", 1e-2),
            ("price_pence_per_kwh", 1e-2),
        ),
    ),
    PriceSource.GENERIC: Shape(
        ("prices",),
        ("forecast", "data"),
        _GENERIC_START,
        _GENERIC_END,
        tuple((key, None) for key in _GENERIC_PRICE),
    ),
    # Action responses: the items come from one series of the response.
    PriceSource.NORDPOOL_CORE: Shape((), (), ("start",), ("end",), (("price", None),)),
    PriceSource.TIBBER: Shape((), (), ("start_time",), (), (("price", None),)),
}

_CENTS: Final = frozenset({"c", "ct", "cent", "cents", "¢", "öre", "øre", "ore", "p", "pence"})
_PER_ENERGY: Final = {"wh": 1000.0, "kwh": 1.0, "mwh": 1e-3}
_CURRENCY_SIGNS: Final = {
    "€": "EUR",
    "ct": "EUR",
    "£": "GBP",
    "p": "GBP",
    "pence": "GBP",
    "öre": "SEK",
}


def price_factor(unit: str | None, source: PriceSource = PriceSource.GENERIC) -> float:
    """Factor from a source's native price unit to currency per kWh.

    Nord Pool core is per MWh by definition (the unit is ignored). Otherwise the unit is
    read as ``<money>/<energy>``: per MWh divides by 1000, cents (ct, c, öre, øre, p)
    by 100. An unknown or missing unit gives 1: the value is taken as it is.
    """
    if source is PriceSource.NORDPOOL_CORE:
        return 1e-3
    if unit is None or "/" not in unit:
        return 1.0
    money, _, energy = unit.rpartition("/")
    per = _PER_ENERGY.get(energy.strip().casefold())
    if per is None:
        return 1.0
    return per * (0.01 if money.strip().casefold() in _CENTS else 1.0)


def currency_of(unit: str | None) -> str | None:
    """ISO currency of a price unit (``EUR/kWh``, ``€/MWh``, ``p/kWh``), None if unclear.

    ``kr``, ``øre`` and ``c`` are shared by several currencies and give None.
    """
    money = (unit or "").partition("/")[0].strip()
    if len(money) == 3 and money.isascii() and money.isalpha():
        return money.upper()
    return _CURRENCY_SIGNS.get(money.casefold())


def detect_source(attributes: Mapping[str, object]) -> PriceSource | None:
    """Guess the source of a price entity from its attributes.

    Looks at the first item of the lists each source uses, so Nord Pool (``start`` /
    ``value``) and Energi Data Service (``hour``) are told apart although both call the
    list ``raw_today``. None when nothing matches or there is no item to look at yet.
    Action responses (Nord Pool core, Tibber) are never guessed.
    """
    for source, shape in _SHAPES.items():
        item = first_item(attributes, shape.lists + shape.extra)
        if (
            item is not None
            and any(key in item for key in shape.start)
            and any(key in item for key, _ in shape.prices)
        ):
            return source
    return None


def parse_prices(
    source: PriceSource,
    data: object,
    *,
    tz: tzinfo,
    unit: str | None = None,
    series: str | None = None,
) -> tuple[PriceSlot, ...]:
    """Turn a source's attributes (or action response, or bare item list) into slots.

    ``unit`` is the entity's unit of measurement (see ``price_factor``); ``series``
    names the Nord Pool area or Tibber home when a response holds more than one.
    Returns sorted, non-overlapping slots in UTC with the price in ``import_price``.
    """
    shape = _SHAPES[source]
    primary, extra = _item_lists(source, shape, data, series)
    reader = Reader(shape, price_factor(unit, source), tz)
    entries = reader.read(primary)
    last = max((entry.start for entry in entries), default=None)
    entries += [e for e in reader.read(extra) if last is None or e.start > last]
    timeline = first_per_start(entries)
    spacing = median_gap([entry.start for entry in timeline]) or HOUR
    slots = []
    for index, entry in enumerate(timeline):
        if entry.value is None:
            continue
        following = timeline[index + 1].start if index + 1 < len(timeline) else None
        end = entry.end or following or entry.start + spacing  # given, next start, typical
        if following is not None and following < end:
            end = following
        slots.append(PriceSlot(entry.start, end, entry.value))
    if not slots:
        raise nothing_usable(f"{source} prices", reader.malformed)
    return tuple(slots)


def with_export(
    import_slots: Sequence[PriceSlot], export_slots: Sequence[PriceSlot]
) -> tuple[PriceSlot, ...]:
    """Put export prices onto import slots.

    ``export_slots`` is a parsed export series (its price in ``import_price``). Each
    import slot gets the price of the export slot covering its start, None where none.
    """
    ordered = sorted(export_slots, key=lambda slot: slot.start)
    starts = [slot.start for slot in ordered]
    merged = []
    for slot in import_slots:
        index = bisect_right(starts, slot.start) - 1
        covering = ordered[index] if index >= 0 and slot.start < ordered[index].end else None
        merged.append(replace(slot, export_price=covering.import_price if covering else None))
    return tuple(merged)


def fixed_price_slots(
    price: float, start: datetime, end: datetime, *, slot: timedelta | None = HOUR
) -> tuple[PriceSlot, ...]:
    """Slots of one fixed price over ``[start, end)``.

    Slots are cut at multiples of ``slot`` counted from the Unix epoch (full UTC hours
    by default), so the first and last may be shorter; ``None`` gives one slot.
    """
    if isinstance(price, bool) or not math.isfinite(price):
        raise TariffError(TariffReason.BAD_SCHEDULE, f"fixed price {price!r} is not finite")
    lo, hi = _window(start, end, slot)
    return _pieces(lo, hi, float(price), slot)


def time_of_use_slots(
    schedule: Sequence[tuple[time, float]],
    start: datetime,
    end: datetime,
    tz: tzinfo,
    *,
    slot: timedelta | None = HOUR,
) -> tuple[PriceSlot, ...]:
    """Slots of a daily time-of-use schedule over ``[start, end)``.

    Each entry ``(local time, price)`` means "from this wall-clock time on, this price",
    wrapping past midnight. A time skipped by a DST jump takes effect at the jump; a time
    repeated on the long day takes effect at its first occurrence. Periods are cut as
    in ``fixed_price_slots``. ``tz`` must follow PEP 495 (``zoneinfo``).
    """
    entries = _checked_schedule(schedule)
    lo, hi = _window(start, end, slot)
    changes: list[tuple[datetime, float]] = []
    day = start.astimezone(tz).date() - timedelta(days=1)
    while day <= end.astimezone(tz).date():
        for at, price in entries:
            instant = _first_instant(day, at, tz)
            if changes and changes[-1][0] == instant:
                changes.pop()  # both times fall into the same DST gap: the later one holds
            changes.append((instant, price))
        day += timedelta(days=1)
    until = [instant for instant, _ in changes[1:]] + [max(hi, changes[-1][0])]  # last: open
    slots: list[PriceSlot] = []
    for (begin, price), stop in zip(changes, until, strict=True):
        period_start, period_end = max(begin, lo), min(stop, hi)
        if period_start < period_end:
            slots.extend(_pieces(period_start, period_end, price, slot))
    return tuple(slots)


# --- reading items -------------------------------------------------------------------


def _item_lists(
    source: PriceSource, shape: Shape, data: object, series: str | None
) -> tuple[list[object], list[object]]:
    """The primary and extra item lists of ``data``."""
    if isinstance(data, list | tuple):
        return list(data), []
    if not isinstance(data, Mapping):
        raise TariffError(TariffReason.UNRECOGNISED, f"{source} data is not a mapping")
    if source in (PriceSource.NORDPOOL_CORE, PriceSource.TIBBER):
        groups = data.get("prices") if source is PriceSource.TIBBER else data
        if not isinstance(groups, Mapping):
            raise TariffError(TariffReason.UNRECOGNISED, f"{source} response has no series")
        return collect({"series": _pick_series(groups, series)}, ("series",)), []
    if not any(key in data for key in shape.lists + shape.extra):
        raise TariffError(TariffReason.UNRECOGNISED, f"no {source} price list in the data")
    return collect(data, shape.lists), collect(data, shape.extra)


def _pick_series(groups: Mapping[object, object], wanted: str | None) -> object:
    names = ", ".join(str(name) for name in groups)
    if wanted is not None:
        for name, items in groups.items():
            if str(name).casefold() == wanted.casefold():
                return items
        raise TariffError(TariffReason.UNKNOWN_SERIES, f"{wanted!r} is not among: {names}")
    if len(groups) == 1:
        return next(iter(groups.values()))
    if not groups:
        raise TariffError(TariffReason.EMPTY, "the response holds no series")
    raise TariffError(TariffReason.UNKNOWN_SERIES, f"several series ({names}); name one")


# --- time ----------------------------------------------------------------------------


def _window(start: datetime, end: datetime, slot: timedelta | None) -> tuple[datetime, datetime]:
    if start.utcoffset() is None or end.utcoffset() is None:
        raise TariffError(TariffReason.BAD_WINDOW, "start and end must be timezone-aware")
    if not start < end:
        raise TariffError(TariffReason.BAD_WINDOW, "start must be before end")
    if slot is not None and slot <= timedelta(0):
        raise TariffError(TariffReason.BAD_WINDOW, "slot length must be positive")
    return start.astimezone(UTC), end.astimezone(UTC)


def _pieces(
    lo: datetime, hi: datetime, price: float, slot: timedelta | None
) -> tuple[PriceSlot, ...]:
    """``[lo, hi)`` at one price, cut at the epoch-aligned ``slot`` grid."""
    if slot is None:
        return (PriceSlot(lo, hi, price),)
    pieces = []
    cursor = lo
    while cursor < hi:
        step_end = min(_EPOCH + ((cursor - _EPOCH) // slot + 1) * slot, hi)
        pieces.append(PriceSlot(cursor, step_end, price))
        cursor = step_end
    return tuple(pieces)


def _checked_schedule(schedule: Sequence[tuple[time, float]]) -> list[tuple[time, float]]:
    """The schedule sorted by time; TariffError if empty, repeated or not finite."""
    entries = []
    for entry in schedule:
        at, price = entry
        if not isinstance(at, time) or isinstance(price, bool) or not math.isfinite(price):
            raise TariffError(TariffReason.BAD_SCHEDULE, f"bad schedule entry {entry!r}")
        entries.append((at.replace(tzinfo=None), float(price)))
    entries.sort(key=lambda entry: entry[0])
    times = [at for at, _ in entries]
    if not entries or len(set(times)) != len(times):
        raise TariffError(TariffReason.BAD_SCHEDULE, "schedule is empty or repeats a time")
    return entries


def _first_instant(day: date, at: time, tz: tzinfo) -> datetime:
    """The first instant (UTC) at which the wall clock in ``tz`` reads ``at`` or later."""
    wall = datetime.combine(day, at)
    early = wall.replace(tzinfo=tz).astimezone(UTC)
    late = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if early <= late:  # an ordinary time, or a repeated one (first occurrence)
        return early
    # ``at`` falls into a spring-forward gap: the clock jumps past it at the transition,
    # which lies in (late, early]. Find it to the second.
    after = early.astimezone(tz).utcoffset()
    lo, hi = 0, int((early - late).total_seconds())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (late + timedelta(seconds=mid)).astimezone(tz).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return late + timedelta(seconds=hi)
