"""The simulated site: house load, solar, the day-ahead price and the grid meter.

Pure functions of an explicit local time (an aware ``datetime`` in Home Assistant's time
zone), deterministic so that ``tests/demo`` can pin them down:
- ``solar_w``: a sun curve whose day length follows the season, with passing clouds;
- ``house_w``: a household's base load with morning and evening peaks, split unevenly
  over the phases, plus the oven when it is on;
- ``price_slots``: day-ahead prices in 15-minute slots shaped like a European market
  (cheap at night and around noon, dear in the evening), in the Nord Pool custom
  component's format (``raw_today``, ``raw_tomorrow`` from 13:00);
- ``grid``: what the meter at the main fuse reads, house + chargers - solar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
import math
from typing import Any, Final
import zlib

VOLTAGE_V: Final = 230.0
SLOT: Final = timedelta(minutes=15)
PRICES_PUBLISHED: Final = time(13, 0)  # day-ahead prices for tomorrow appear at 13:00
# Where the house's own load sits: L1 carries the most (fridge, lights, sockets).
HOUSE_SPLIT: Final = (0.45, 0.30, 0.25)
SOLAR_PEAK_W: Final = 6000.0  # at noon on a clear midsummer day


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteModel:
    """The simulated site's figures."""

    solar_peak_w: float = SOLAR_PEAK_W
    house_base_w: float = 350.0
    oven_w: float = 6000.0  # three-phase, evenly split
    price_base: float = 0.21  # EUR/kWh


def _hours(moment: datetime) -> float:
    return moment.hour + moment.minute / 60 + moment.second / 3600


def day_length_h(day: date) -> float:
    """Hours of daylight at about 50° N: 8 h at midwinter, 16 h at midsummer."""
    return 12.0 + 4.0 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 172) / 365)


def clear_sky_w(model: SiteModel, moment: datetime) -> float:
    """Solar power under a clear sky: a sine from sunrise to sunset around 13:00."""
    length = day_length_h(moment.date())
    sunrise = 13.0 - length / 2
    progress = (_hours(moment) - sunrise) / length
    if not 0.0 < progress < 1.0:
        return 0.0
    season = 0.45 + 0.55 * (length - 8.0) / 8.0  # a low winter sun gives less
    return model.solar_peak_w * season * math.sin(math.pi * progress) ** 1.5


def cloud_factor(moment: datetime) -> float:
    """Passing clouds: 0.55 to 1.0, smooth over minutes, different every day."""
    seed = zlib.crc32(moment.date().isoformat().encode()) % 1000
    minutes = _hours(moment) * 60
    wave = (
        math.sin(minutes / 7.0 + seed)
        + 0.6 * math.sin(minutes / 2.3 + 2 * seed)
        + 0.4 * math.sin(minutes / 17.0 + 3 * seed)
    ) / 2.0  # about -1 .. 1
    return max(0.55, min(1.0, 0.85 + 0.2 * wave))


def solar_w(model: SiteModel, moment: datetime) -> float:
    """Solar production now (W)."""
    return round(clear_sky_w(model, moment) * cloud_factor(moment), 0)


def _bump(hours: float, centre: float, width: float) -> float:
    return math.exp(-(((hours - centre) / width) ** 2))


def house_w(model: SiteModel, moment: datetime) -> float:
    """The house's own load without the oven (W): base, fridge, morning and evening peaks."""
    hours = _hours(moment)
    fridge = 90.0 if (moment.minute // 20) % 2 == 0 else 0.0
    daily = 700.0 * _bump(hours, 7.5, 1.0) + 250.0 * _bump(hours, 13.0, 2.0)
    daily += 1100.0 * _bump(hours, 19.5, 1.6)
    return round(model.house_base_w + fridge + daily, 0)


def house_phases_w(model: SiteModel, moment: datetime, *, oven: bool) -> tuple[float, ...]:
    """The house's load per phase (W), the oven included when it is on."""
    base = house_w(model, moment)
    extra = model.oven_w / 3 if oven else 0.0
    return tuple(base * share + extra for share in HOUSE_SPLIT)


@dataclass(frozen=True, slots=True, kw_only=True)
class GridReading:
    """What the meter at the main fuse reads (import positive)."""

    power_w: float
    currents_a: tuple[float, float, float]  # magnitudes, as current clamps report them


def grid(
    house_w_by_phase: Sequence[float],
    ev_currents_a: Sequence[float],
    solar_w: float,
    voltage_v: float = VOLTAGE_V,
) -> GridReading:
    """House + chargers - solar, per phase; the inverter feeds all three phases evenly."""
    per_phase = [
        house + ev * voltage_v - solar_w / 3
        for house, ev in zip(house_w_by_phase, ev_currents_a, strict=True)
    ]
    l1, l2, l3 = (round(abs(p) / voltage_v, 2) for p in per_phase)
    return GridReading(power_w=round(sum(per_phase), 0), currents_a=(l1, l2, l3))


# ---- prices ---------------------------------------------------------------------------


def price_at(model: SiteModel, slot_start: datetime) -> float:
    """The day-ahead price of the slot starting at ``slot_start`` (EUR/kWh, with taxes)."""
    hours = _hours(slot_start)
    day_seed = zlib.crc32(slot_start.date().isoformat().encode())
    day_shift = ((day_seed % 61) - 30) / 1000  # -0.03 .. +0.03 from day to day
    shape = (
        0.13 * _bump(hours, 19.0, 1.8)
        + 0.07 * _bump(hours, 8.0, 1.2)
        - 0.08 * _bump(hours, 13.0, 2.2)
        - 0.04 * _bump(hours, 3.0, 2.0)
    )
    return round(model.price_base + day_shift + shape, 4)


def day_slots(day: date, tzinfo: Any) -> list[datetime]:
    """The starts of a local day's 15-minute slots (92, 96 or 100 across DST changes)."""
    start = datetime.combine(day, time(0), tzinfo)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo)
    slots, moment = [], start
    while moment < end:
        slots.append(moment)
        # step in absolute time so that DST days get their real number of slots
        moment = (moment.astimezone(UTC) + SLOT).astimezone(tzinfo)
    return slots


def raw_prices(model: SiteModel, day: date, tzinfo: Any) -> list[dict[str, Any]]:
    """A day's prices as Nord Pool's ``raw_today``: ``{"start", "end", "value"}`` each."""
    return [
        {
            "start": start.isoformat(),
            "end": (start.astimezone(UTC) + SLOT).astimezone(tzinfo).isoformat(),
            "value": price_at(model, start),
        }
        for start in day_slots(day, tzinfo)
    ]


def slot_start(moment: datetime) -> datetime:
    """The start of the 15-minute slot ``moment`` lies in."""
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def price_sensor(model: SiteModel, now: datetime, currency: str = "EUR") -> dict[str, Any]:
    """The state and attributes of a Nord Pool (custom component) price sensor now."""
    tzinfo = now.tzinfo
    today = raw_prices(model, now.date(), tzinfo)
    published = now.time() >= PRICES_PUBLISHED
    tomorrow = raw_prices(model, now.date() + timedelta(days=1), tzinfo) if published else []
    values = [slot["value"] for slot in today]
    current = price_at(model, slot_start(now))
    return {
        "state": f"{current:.4f}",
        "attributes": {
            "unit_of_measurement": f"{currency}/kWh",
            "currency": currency,
            "unit": "kWh",
            "price_in_cents": False,
            "current_price": current,
            "average": round(sum(values) / len(values), 4),
            "min": min(values),
            "max": max(values),
            "today": values,
            "tomorrow": [slot["value"] for slot in tomorrow],
            "tomorrow_valid": bool(tomorrow),
            "raw_today": today,
            "raw_tomorrow": tomorrow,
            "friendly_name": "Demo electricity price (Nord Pool)",
            "icon": "mdi:cash",
        },
    }
