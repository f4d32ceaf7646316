"""Deterministic time series for the simulator: PV, house load and tariffs.

Every series is sampled at the simulation step and built from a seeded generator, so a
scenario is the same on every run and for every policy. Loads are in W per site phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import math

import numpy as np
import numpy.typing as npt

VOLTS = 230.0
Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int_]


def clock_hours(start: datetime, count: int, step_s: float) -> Array:
    """Local wall-clock hour (0..24) of every step (no DST change inside a scenario)."""
    first = start.hour + start.minute / 60 + start.second / 3600
    return (first + np.arange(count) * step_s / 3600.0) % 24.0


# ---- PV ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PvSpec:
    """A PV system: AC peak on a clear day, sunrise/sunset (local hours), clouds."""

    peak_w: float = 0.0
    sunrise_h: float = 5.0
    sunset_h: float = 21.7
    clouds: bool = False
    clear_mean_s: float = 150.0  # mean length of a sunny spell on a cloudy day
    cloud_mean_s: float = 110.0  # mean length of a cloud passing
    cloud_depth: tuple[float, float] = (0.15, 0.4)  # share of clear-sky power under a cloud


def clear_sky_w(spec: PvSpec, hours: Array) -> Array:
    """A clear day's AC power: a flattened sine between sunrise and sunset."""
    span = spec.sunset_h - spec.sunrise_h
    phase = np.clip((hours - spec.sunrise_h) / span, 0.0, 1.0)
    return spec.peak_w * np.sin(np.pi * phase) ** 1.3


def cloud_factor(spec: PvSpec, count: int, step_s: float, rng: np.random.Generator) -> Array:
    """Share of clear-sky power reaching the panels: sunny spells and passing clouds.

    Spells and clouds alternate with exponential lengths; a cloud edge takes ~20 s.
    """
    factor = np.ones(count)
    k, sunny = 0, True
    while k < count:
        mean = spec.clear_mean_s if sunny else spec.cloud_mean_s
        length = max(1, round(rng.exponential(mean) / step_s))
        if not sunny:
            factor[k : k + length] = rng.uniform(*spec.cloud_depth)
        k += length
        sunny = not sunny
    width = max(1, round(20.0 / step_s))
    kernel = np.ones(width) / width
    smooth: Array = np.convolve(factor, kernel, mode="same").astype(np.float64)
    return smooth


def pv_series(
    spec: PvSpec, hours: Array, step_s: float, rng: np.random.Generator
) -> tuple[Array, Array]:
    """Actual PV power and the forecast a forecast service would give (both W).

    On a cloudy day the forecast is the clear-sky curve scaled by the day's mean cloud
    factor: the energy is right, the minutes are not.
    """
    clear = clear_sky_w(spec, hours)
    if not spec.clouds:
        return clear, clear.copy()
    factor = cloud_factor(spec, len(hours), step_s, rng)
    return clear * factor, clear * float(factor[clear > 0].mean())


# ---- house -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Appliance:
    """A load that runs once a day: start (local hour), minutes, W per phase it loads."""

    start_h: float
    minutes: float
    watts: tuple[float, float, float]
    jitter_min: float = 10.0


@dataclass(frozen=True)
class HeatPump:
    """A three-phase heat pump cycling on and off all day (W in total while on)."""

    watts: float = 2800.0
    on_min: float = 25.0
    off_min: float = 20.0
    offset_min: float = 7.0


@dataclass(frozen=True)
class HouseSpec:
    """Non-EV load: base, daily humps, one-off appliances, short spikes, a heat pump."""

    base_w: tuple[float, float, float] = (180.0, 150.0, 150.0)
    morning_w: tuple[float, float, float] = (250.0, 150.0, 150.0)  # 06:30-08:30
    evening_w: tuple[float, float, float] = (350.0, 300.0, 300.0)  # 17:30-22:30
    appliances: tuple[Appliance, ...] = ()
    spikes_per_day: int = 12  # kettle, microwave, hair dryer: 1.5-2.2 kW, 1-4 min
    heat_pump: HeatPump | None = None
    noise_w: float = 25.0
    scale: float = 1.0  # many flats behind one meter: everything times this


def _hump(hours: Array, start: float, end: float) -> Array:
    """1 inside [start, end) with half-hour ramps at both ends."""
    rise = np.clip((hours - start) / 0.5 + 0.5, 0.0, 1.0)
    fall = np.clip((end - hours) / 0.5 + 0.5, 0.0, 1.0)
    return np.minimum(rise, fall)


def house_series(
    spec: HouseSpec, hours: Array, step_s: float, rng: np.random.Generator
) -> tuple[Array, Array]:
    """Actual load per phase (n x 3, W) and the smooth forecast of the total (W).

    The forecast is what a load forecast would know: base, humps and the heat pump's mean
    duty, but not when an appliance runs.
    """
    count = len(hours)
    morning = _hump(hours, 6.5, 8.5)
    evening = _hump(hours, 17.5, 22.5)
    load = np.zeros((count, 3))
    for p in range(3):
        load[:, p] = spec.base_w[p] + spec.morning_w[p] * morning + spec.evening_w[p] * evening
    forecast = load.sum(axis=1)
    minutes = np.arange(count) * step_s / 60.0
    for item in spec.appliances:
        start = item.start_h + rng.uniform(-item.jitter_min, item.jitter_min) / 60
        on = _window(hours, start, item.minutes / 60)
        load += on[:, None] * np.array(item.watts)[None, :]
    for _ in range(spec.spikes_per_day):
        hour = rng.choice([rng.uniform(6.5, 9.0), rng.uniform(11.5, 13.5), rng.uniform(17, 23)])
        on = _window(hours, hour, rng.uniform(1, 4) / 60)
        load[:, int(rng.integers(3))] += on * rng.uniform(1500, 2200)
    if spec.heat_pump is not None:
        pump = spec.heat_pump
        cycle = pump.on_min + pump.off_min
        running = ((minutes + pump.offset_min) % cycle) < pump.on_min
        load += running[:, None] * (pump.watts / 3)
        forecast = forecast + pump.watts * pump.on_min / cycle
    load += rng.normal(0.0, spec.noise_w, size=load.shape)
    return np.maximum(load, 0.0) * spec.scale, forecast * spec.scale


def _window(hours: Array, start_h: float, length_h: float) -> Array:
    """1.0 where the clock is inside [start, start + length) (wrapping past midnight)."""
    offset = (hours - start_h) % 24.0
    return (offset < length_h).astype(float)


# ---- tariffs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tariff:
    """Import and export prices (EUR/kWh) per 15-min slot.

    ``flat``: one price. ``night``: ``night_price`` from 22:00 to 06:00. ``dynamic``: a
    day-ahead-like hourly curve (cheap night, morning and evening peaks, a midday dip).
    """

    kind: str = "flat"
    price: float = 0.30
    night_price: float = 0.22
    export: float = 0.08


def _dynamic_hourly(rng: np.random.Generator) -> list[float]:
    shape = [
        0.21, 0.20, 0.19, 0.185, 0.19, 0.21, 0.26, 0.31, 0.33, 0.30, 0.27, 0.25,
        0.24, 0.245, 0.26, 0.28, 0.31, 0.36, 0.40, 0.38, 0.33, 0.29, 0.25, 0.23,
    ]  # fmt: skip
    return [round(value + rng.normal(0.0, 0.008), 4) for value in shape]


def slot_prices(
    tariff: Tariff, start: datetime, hours: float, rng: np.random.Generator
) -> list[tuple[datetime, float, float]]:
    """(start, import, export) for every 15-min slot of the scenario (aware datetimes)."""
    hourly = _dynamic_hourly(rng)
    slots = []
    for k in range(math.ceil(hours * 4)):
        begin = start + timedelta(minutes=15 * k)
        hour = begin.hour
        if tariff.kind == "night":
            value = tariff.night_price if hour >= 22 or hour < 6 else tariff.price
        elif tariff.kind == "dynamic":
            value = hourly[hour]
        else:
            value = tariff.price
        slots.append((begin, value, tariff.export))
    return slots
