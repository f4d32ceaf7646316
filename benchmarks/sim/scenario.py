"""What a scenario is: the site, its visitors, its weather and tariff, and its events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

import numpy as np

from custom_components.smart_charging.engine.model import CircuitConfig

from .ev import Bay
from .profiles import (
    Array,
    BoolArray,
    HouseSpec,
    PvSpec,
    Tariff,
    clock_hours,
    house_series,
    pv_series,
    slot_prices,
)


@dataclass(frozen=True)
class GridSignal:
    """An external limit on the chargers' combined power (e.g. a §14a control box)."""

    start_h: float
    end_h: float
    power_w: float


@dataclass(frozen=True)
class Dropout:
    """The site meter stops reporting (its entity keeps its last value)."""

    start_h: float
    seconds: float


@dataclass(frozen=True)
class Scenario:
    """One named site-day. Times are hours after ``start`` (local, no DST change inside).

    ``static_limit_a``: the cluster limit a plain wallbox installation would be set to
    (static load management, see ``immediate``); None for a single wallbox at its rating.
    ``oracle_step_s``: the resolution of the perfect-foresight reference.
    """

    name: str
    title: str
    start: datetime
    fuse_a: float
    bays: tuple[Bay, ...]
    house: HouseSpec = field(default_factory=HouseSpec)
    pv: PvSpec = field(default_factory=PvSpec)
    tariff: Tariff = field(default_factory=Tariff)
    circuits: tuple[CircuitConfig, ...] = ()
    max_import_w: float | None = None
    signals: tuple[GridSignal, ...] = ()
    dropouts: tuple[Dropout, ...] = ()
    static_limit_a: float | None = None
    hours: float = 24.0
    step_s: float = 2.0
    meter_interval_s: float = 4.0
    meter_noise_w: float = 20.0
    meter_noise_a: float = 0.1
    charger_interval_s: float = 10.0  # OCPP MeterValueSampleInterval set by the driver
    soc_interval_s: float = 300.0  # the car's own integration polls its SoC
    soc_decimals: int = 0  # ... and reports whole percent
    oracle_step_s: float = 60.0
    seed: int = 1
    tags: tuple[str, ...] = ()  # "pv", "tariff", "cloudy": which targets apply

    @property
    def steps(self) -> int:
        """Number of simulation steps."""
        return round(self.hours * 3600 / self.step_s)

    @property
    def start_utc(self) -> datetime:
        """Start as UTC."""
        return self.start.astimezone(UTC)

    def at(self, seconds: float) -> datetime:
        """The local aware datetime ``seconds`` after the start (like ``dt_util.now()``)."""
        return (self.start_utc + timedelta(seconds=seconds)).astimezone(self.start.tzinfo)

    @cached_property
    def series(self) -> SiteSeries:
        """The scenario's time series (built once, shared by every policy)."""
        return SiteSeries.build(self)


@dataclass(frozen=True)
class SiteSeries:
    """Per-step truth and forecasts (W), per-slot prices, per-step prices."""

    house_w: Array  # (n, 3) per phase
    house_forecast_w: Array  # (n,) total, smooth
    pv_w: Array  # (n,)
    pv_forecast_w: Array  # (n,)
    slots: tuple[tuple[datetime, float, float], ...]  # (start, import, export) per 15 min
    import_price: Array  # (n,)
    export_price: Array  # (n,)
    signal_w: Array  # (n,) external limit in force (nan: none)
    meter_alive: BoolArray  # (n,)

    @classmethod
    def build(cls, s: Scenario) -> SiteSeries:
        """Generate every series from the scenario's seed."""
        rng = np.random.default_rng(s.seed)
        n, step = s.steps, s.step_s
        hours = clock_hours(s.start, n, step)
        house, house_fc = house_series(s.house, hours, step, rng)
        pv, pv_fc = pv_series(s.pv, hours, step, rng)
        slots = tuple(slot_prices(s.tariff, s.start, s.hours, rng))
        index = (np.arange(n) * step // 900).astype(int)
        imports = np.array([slot[1] for slot in slots])[index]
        exports = np.array([slot[2] for slot in slots])[index]
        elapsed_h = np.arange(n) * step / 3600
        signal = np.full(n, np.nan)
        for item in s.signals:
            signal[(elapsed_h >= item.start_h) & (elapsed_h < item.end_h)] = item.power_w
        alive = np.ones(n, dtype=bool)
        for gap in s.dropouts:
            alive[(elapsed_h >= gap.start_h) & (elapsed_h < gap.start_h + gap.seconds / 3600)] = 0
        return cls(house, house_fc, pv, pv_fc, slots, imports, exports, signal, alive)
