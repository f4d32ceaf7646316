"""The planning grid: input slots turned into the slots the planner optimises over.

Steps: every datetime goes to UTC (durations are real elapsed time, also across DST);
slots that ended before ``now`` are dropped and the running one starts at ``now``; gaps up
to the latest deadline are filled with price-less slots; slots are cut at every deadline
and window edge so that each (charger, slot) pair is either fully allowed or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import IntEnum
from itertools import pairwise

from .plan_model import ChargeNeed, PlannerSettings, PriceMode, PriceSlot, TimeWindow


class Access(IntEnum):
    """How a charger may use a slot."""

    NONE = 0
    FULL = 1
    """Grid import and PV surplus."""
    PV_ONLY = 2
    """PV surplus only (the import price is above the charger's price limit)."""


@dataclass(frozen=True, slots=True)
class GridSlot:
    """One slot of the planning grid (UTC), with capacities already in kW."""

    start: datetime
    end: datetime
    import_price: float | None
    export_price: float
    capacity_kw: float
    pv_kw: float

    @property
    def hours(self) -> float:
        """Length of the slot in hours."""
        return (self.end - self.start).total_seconds() / 3600.0


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """The continuous problem: slots, needs and who may charge when.

    ``cost_price`` is the import price used for costing (the highest known price for a
    slot without one); all ``None`` in ``PriceMode.NONE``.
    """

    slots: tuple[GridSlot, ...]
    needs: tuple[ChargeNeed, ...]
    access: tuple[tuple[Access, ...], ...]
    price_mode: PriceMode
    cost_price: tuple[float | None, ...]


def daily_windows(
    start: time, end: time, first_day: date, days: int, tz: tzinfo
) -> tuple[TimeWindow, ...]:
    """Expand a daily local-time window (e.g. 22:00-06:00) into absolute windows.

    ``end`` at or before ``start`` means the window runs past midnight. Wall-clock times
    are resolved in ``tz`` (on a DST day the window is shorter or longer in real time).
    """
    windows = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        end_day = day if end > start else day + timedelta(days=1)
        windows.append(
            TimeWindow(
                datetime.combine(day, start, tzinfo=tz).astimezone(UTC),
                datetime.combine(end_day, end, tzinfo=tz).astimezone(UTC),
            )
        )
    return tuple(windows)


def _utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware: {value!r}")
    return value.astimezone(UTC)


def _fill(start: datetime, end: datetime, minutes: int) -> list[tuple[datetime, datetime]]:
    """Cut ``[start, end)`` at multiples of ``minutes`` since the epoch."""
    step = minutes * 60
    pieces = []
    cursor = start
    while cursor < end:
        seconds = int(cursor.timestamp())
        boundary = datetime.fromtimestamp((seconds // step + 1) * step, UTC)
        piece_end = min(boundary, end)
        pieces.append((cursor, piece_end))
        cursor = piece_end
    return pieces


def _validate_need(need: ChargeNeed) -> None:
    if need.max_power_kw < 0 or need.min_power_kw < 0:
        raise ValueError(f"{need.charger_id}: powers must not be negative")
    if need.min_power_kw > need.max_power_kw:
        raise ValueError(f"{need.charger_id}: minimum power above maximum power")


def build_problem(  # noqa: PLR0917 - mirrors plan()
    slots: Sequence[PriceSlot],
    site_capacity: float | Sequence[float],
    pv_forecast: Sequence[float] | None,
    needs: Sequence[ChargeNeed],
    now: datetime,
    settings: PlannerSettings,
) -> PlanProblem:
    """Normalise the planner's inputs into a ``PlanProblem`` (raises ValueError on bad input).

    ``site_capacity`` is a constant or one value per slot; slots the planner adds beyond
    the given ones get the constant, or the lowest per-slot value (the plan never counts
    on more room than it was told about). ``pv_forecast`` (one value per slot) is scaled by
    the safety factor; added slots have no PV.
    """
    now = _utc(now, "now")
    if not isinstance(site_capacity, float | int) and len(site_capacity) != len(slots):
        raise ValueError("site_capacity needs one value per slot")
    if pv_forecast is not None and len(pv_forecast) != len(slots):
        raise ValueError("pv_forecast needs one value per slot")
    if settings.fill_slot_minutes <= 0 or settings.pv_safety_factor < 0:
        raise ValueError("fill_slot_minutes must be positive, pv_safety_factor not negative")
    ids = [need.charger_id for need in needs]
    if len(set(ids)) != len(ids):
        raise ValueError("charger ids must be unique")
    for need in needs:
        _validate_need(need)

    def capacity(index: int) -> float:
        if isinstance(site_capacity, float | int):
            return float(site_capacity)
        return float(site_capacity[index])

    if isinstance(site_capacity, float | int):
        fill_capacity = float(site_capacity)
    else:
        fill_capacity = min((float(value) for value in site_capacity), default=0.0)

    given = sorted(
        (
            (_utc(slot.start, "slot start"), _utc(slot.end, "slot end"), index)
            for index, slot in enumerate(slots)
        ),
        key=lambda item: item[0],
    )
    for start, end, _ in given:
        if end <= start:
            raise ValueError(f"slot ends before it starts: {start} .. {end}")
    for (_, end, _), (start, _, _) in pairwise(given):
        if start < end:
            raise ValueError(f"slots overlap at {start}")

    deadlines = [_utc(need.ready_by, "ready_by") for need in needs if need.ready_by is not None]
    known_end = given[-1][1] if given else now
    horizon = max([known_end, *deadlines])

    # (start, end, index of the given slot or None) covering [now, horizon)
    intervals: list[tuple[datetime, datetime, int | None]] = []
    cursor = now
    for slot_start, end, position in given:
        if end <= now:
            continue
        start = max(slot_start, now)
        intervals.extend((a, b, None) for a, b in _fill(cursor, start, settings.fill_slot_minutes))
        intervals.append((start, end, position))
        cursor = end
    intervals.extend((a, b, None) for a, b in _fill(cursor, horizon, settings.fill_slot_minutes))

    cuts = set(deadlines)
    for need in needs:
        for window in need.windows:
            cuts.add(_utc(window.start, "window start"))
            cuts.add(_utc(window.end, "window end"))
    ordered_cuts = sorted(cuts)

    grid: list[GridSlot] = []
    for start, end, source_index in intervals:
        inner = [cut for cut in ordered_cuts if start < cut < end]
        bounds = [start, *inner, end]
        index = source_index
        source = slots[index] if index is not None else None
        for a, b in pairwise(bounds):
            export = source.export_price if source is not None else None
            pv = pv_forecast[index] if pv_forecast is not None and index is not None else 0.0
            grid.append(
                GridSlot(
                    start=a,
                    end=b,
                    import_price=source.import_price if source is not None else None,
                    export_price=settings.default_export_price if export is None else export,
                    capacity_kw=max(0.0, capacity(index) if index is not None else fill_capacity),
                    pv_kw=max(0.0, pv) * settings.pv_safety_factor,
                )
            )

    known = [slot.import_price for slot in grid if slot.import_price is not None]
    if not known:
        mode = PriceMode.NONE
        cost_price: tuple[float | None, ...] = tuple(None for _ in grid)
    else:
        highest = max(known)
        mode = PriceMode.KNOWN if len(known) == len(grid) else PriceMode.PARTIAL
        cost_price = tuple(
            highest if slot.import_price is None else slot.import_price for slot in grid
        )

    access = tuple(_access_row(need, grid, known_end) for need in needs)
    return PlanProblem(tuple(grid), tuple(needs), access, mode, cost_price)


def _access_row(need: ChargeNeed, grid: list[GridSlot], known_end: datetime) -> tuple[Access, ...]:
    last = _utc(need.ready_by, "ready_by") if need.ready_by is not None else known_end
    windows = [(_utc(w.start, "window start"), _utc(w.end, "window end")) for w in need.windows]
    row = []
    for slot in grid:
        allowed = need.max_power_kw > 0 and slot.end <= last
        if allowed and windows:
            allowed = any(a <= slot.start and slot.end <= b for a, b in windows)
        if not allowed:
            row.append(Access.NONE)
        elif need.price_limit is None or (
            slot.import_price is not None and slot.import_price <= need.price_limit
        ):
            row.append(Access.FULL)
        elif slot.pv_kw > 0 and slot.export_price <= need.price_limit:
            row.append(Access.PV_ONLY)
        else:
            row.append(Access.NONE)
    return tuple(row)
