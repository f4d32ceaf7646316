"""Charging-session accounting of one charger: energy, surplus share, cost and saving.

Pure Python (no Home Assistant): the coordinator hands each charger's account one
``Sample`` per control cycle. These definitions are the ones the README documents.

**Intervals.** Between two cycles at t_k and t_k+1 the conditions seen at t_k hold (sample
and hold): the charger's power P_k, the surplus A_k available to it, the import price p_k.
The energy e_k the car took in the interval comes from the best source known at both ends:
(1) the charger's session counter (a drop means it counts from 0 again, so e_k is the new
value); (2) the charger's energy register (a drop counts as 0); (3) P_k * Δt. An interval
longer than ``MAX_GAP`` (Home Assistant was down), or a counter jump faster than the charger
could charge (catch-up after a lost connection), is a *gap*: its counter energy is counted
but is neither priced nor surplus; power is not integrated over a gap.
A counter that steps more slowly than the cycles run (meter values every 10 s, cycles every
second) stays still for some intervals while the car draws: those intervals form a span,
and the counter's next step is spread over the whole span (its surplus, its prices, its
length for the catch-up test). While the car draws nothing a still counter ends the span.

**Session.** Starts when the charger first reports a plugged-in status (or a new OCPP
transaction id) and ends when it reports ``available``. Offline, faulted or unavailable
leave a session as it is, so a restart or a lost connection does not split it. The figures
of an ended session stay until the next one starts.

**Surplus (PV) share.** pv_k = min(e_k, A_k * Δt) with A_k = S_k * P_k / ΣP_k: this
charger's pro-rata part of the site surplus S_k (the *Solar surplus* sensor: export plus
every EV's draw, home battery included, clipped at 0), or all of S_k while no EV draws.
PV share = Σ pv_k / Σ e_k. Without a surplus figure (no grid meter reading) energy counts
as grid energy.

**Cost.** The grid part at the import price plus the surplus part at the feed-in price
f_k (what that energy would have earned fed in; 0 without a feed-in price):
Σ (e_k - pv_k) * p_k + Σ pv_k * f_k, in Home Assistant's currency. A price the source stops
giving is held (prices are steps) within a session. Grid energy without any import price
is *unpriced*; the cost is unknown while a session has unpriced energy.

**Saving against charging immediately at full power.** The comparison session starts at
plug-in and draws P_full (maximum current * phases * nominal voltage, at plug-in) until it
has the session's energy E. It is evaluated on the session's 15-minute wall-clock bins as
observed: in bin b (observed for t_b, mean price p_b, mean site surplus S_b) it takes
e_b = min(P_full * t_b, what is left), of which min(e_b, S_b * t_b) is surplus (at the
bin's mean feed-in price f_b) and the rest costs p_b. Energy still left after the last bin costs the last bin's price. saving =
immediate cost - cost; unknown when either side has unpriced grid energy. Approximations:
15-minute means; a car or fuse that allows less than P_full is not modelled; with several
chargers the comparison gives this car all of the surplus (the saving is understated).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
import math
from typing import Any, Final

from .drivers.base import ChargerStatus

MAX_GAP_S: Final = 600.0  # longer without a cycle: Home Assistant was not watching
BIN_S: Final = 900.0  # bins of the comparison session, aligned to the quarter hour
MAX_BINS: Final = 7 * 24 * 4  # a week; the comparison needs far fewer
CATCH_UP_FACTOR: Final = 1.5  # a counter rising faster than this * P_full is catching up
COUNTER_NOISE_KWH: Final = 0.001  # a counter that drops by less is rounding, not a reset
IDLE_W: Final = 50.0  # below this a charger is not charging: a still counter is no news
_WS_PER_KWH: Final = 3_600_000.0


def surplus_share_w(site_surplus_w: float | None, power_w: float, ev_power_w: float) -> float:
    """Return the part of the site surplus available to a charger drawing ``power_w``."""
    if site_surplus_w is None or site_surplus_w <= 0:
        return 0.0
    if ev_power_w <= 0:
        return site_surplus_w
    return site_surplus_w * max(0.0, power_w) / ev_power_w


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    """What one control cycle saw of one charger."""

    at: datetime
    status: ChargerStatus
    power_w: float | None = None
    energy_kwh: float | None = None  # the charger's register
    session_kwh: float | None = None  # the charger's own session counter
    transaction_id: int | None = None
    surplus_w: float = 0.0  # available to this charger (A_k)
    site_surplus_w: float = 0.0  # the whole site's, clipped at 0 (for the comparison)
    price: float | None = None  # import, currency per kWh
    export_price: float | None = None  # feed-in, currency per kWh (None: surplus is free)
    full_power_w: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Return the sample as JSON-ready data."""
        return {**asdict(self), "at": self.at.isoformat(), "status": self.status.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sample:
        """Rebuild a sample stored with ``as_dict``.

        Raises ValueError (or KeyError, TypeError) on a stored figure that is not a finite
        number: a damaged store must fail at load, not in every cycle after it.
        """
        values = {**data, "at": datetime.fromisoformat(data["at"])}
        values["status"] = ChargerStatus(data["status"])
        for key in _FIGURES:
            if values.get(key) is not None:
                values[key] = _finite(values[key], key)
        if (tx := values.get("transaction_id")) is not None:
            values["transaction_id"] = int(tx)
        return cls(**values)


_FIGURES: Final = (
    "power_w",
    "energy_kwh",
    "session_kwh",
    "surplus_w",
    "site_surplus_w",
    "price",
    "export_price",
    "full_power_w",
)


def _finite(value: Any, key: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{key} is not finite: {value!r}")
    return number


@dataclass(slots=True)
class Bin:
    """What a 15-minute bin of the session saw (for the comparison session)."""

    index: int  # quarter hours since the epoch
    seconds: float = 0.0
    priced_seconds: float = 0.0
    price_seconds: float = 0.0  # Σ price * s
    surplus_ws: float = 0.0  # Σ site surplus * s
    export_price_seconds: float = 0.0  # Σ feed-in price * s (unknown counts as 0)

    @property
    def price(self) -> float | None:
        """Return the bin's mean price, None when no price was known in it."""
        return self.price_seconds / self.priced_seconds if self.priced_seconds else None

    @property
    def export_price(self) -> float:
        """Return the bin's mean feed-in price (0 where none was known)."""
        return self.export_price_seconds / self.seconds if self.seconds else 0.0


@dataclass(slots=True)
class Span:
    """The intervals since a charger's counter last moved (its energy is spread over them).

    A charger's counter may step every 10 s while the cycles run every second: the energy
    of one step was drawn over the whole span, at the span's surplus and prices.
    """

    seconds: float = 0.0
    surplus_ws: float = 0.0
    priced_seconds: float = 0.0
    price_seconds: float = 0.0
    export_price_seconds: float = 0.0
    top_power_w: float = 0.0
    gap: bool = False

    def add(self, held: Sample, seconds: float, *, gap: bool) -> None:
        """Take in one interval in which ``held`` held."""
        self.seconds += seconds
        self.gap = self.gap or gap
        if gap:
            return
        self.surplus_ws += max(0.0, held.surplus_w) * seconds
        self.top_power_w = max(self.top_power_w, held.power_w or 0.0)
        if held.price is not None:
            self.priced_seconds += seconds
            self.price_seconds += held.price * seconds
        if held.export_price is not None:
            self.export_price_seconds += held.export_price * seconds


def _delta(before: float | None, after: float | None, *, restarts: bool) -> float | None:
    if before is None or after is None:
        return None
    if after >= before:
        return after - before
    if before - after <= COUNTER_NOISE_KWH:
        return 0.0  # rounding (e.g. meter stop minus meter start): not a restart
    return after if restarts else 0.0


@dataclass(slots=True)
class SessionAccount:
    """The session figures of one charger and its lifetime energy (see the module doc)."""

    started: datetime | None = None
    ended: datetime | None = None
    transaction_id: int | None = None
    full_power_w: float = 0.0
    energy_kwh: float = 0.0
    pv_energy_kwh: float = 0.0
    cost: float = 0.0  # the grid part's and the surplus part's together
    pv_cost: float = 0.0  # the surplus part's: the feed-in it did not earn
    unpriced_kwh: float = 0.0
    lifetime_kwh: float = 0.0
    bins: list[Bin] = field(default_factory=list)
    last: Sample | None = None
    revision: int = 0  # bumped whenever something worth saving changed
    span: Span = field(default_factory=Span)  # since the counter last moved

    @property
    def active(self) -> bool:
        """Return whether a session is in progress."""
        return self.started is not None and self.ended is None

    def update(self, sample: Sample) -> None:
        """Account for the interval since the last sample, then follow the status."""
        last = self.last
        if last is not None and self.active:  # a price holds until the next one
            if sample.price is None:
                sample = replace(sample, price=last.price)
            if sample.export_price is None:
                sample = replace(sample, export_price=last.export_price)
        if sample.energy_kwh is None and sample.session_kwh is None and last is not None:
            # No counter at all (offline, or just restarted): the last ones hold, so the
            # energy that arrives meanwhile is counted once a counter is back.
            sample = replace(sample, energy_kwh=last.energy_kwh, session_kwh=last.session_kwh)
        self.last = sample
        if last is not None and self.active:
            self._count(last, sample)
        self._follow(sample)

    def _follow(self, sample: Sample) -> None:
        if sample.status.vehicle_connected:
            tx = sample.transaction_id
            new_tx = tx is not None and self.transaction_id not in (None, tx)
            if not self.active or new_tx:
                self._start(sample)
            elif self.transaction_id is None and tx is not None:
                self.transaction_id = tx
                self.revision += 1
        elif sample.status is ChargerStatus.AVAILABLE and self.active:
            self.ended = sample.at
            self.revision += 1

    def _start(self, sample: Sample) -> None:
        """Start a new session (the lifetime energy carries on)."""
        self.started, self.ended = sample.at, None
        self.transaction_id = sample.transaction_id
        self.full_power_w = sample.full_power_w
        self.energy_kwh = self.pv_energy_kwh = self.cost = self.pv_cost = 0.0
        self.unpriced_kwh = 0.0
        self.bins = []
        self.span = Span()
        self.revision += 1

    def _count(self, held: Sample, now: Sample) -> None:
        seconds = (now.at - held.at).total_seconds()
        if seconds <= 0:
            return
        self.revision += 1
        span = self.span
        span.add(held, seconds, gap=seconds > MAX_GAP_S)
        if seconds <= MAX_GAP_S:
            self._record_bins(held, now.at)
        energy = _delta(held.session_kwh, now.session_kwh, restarts=True)
        if energy is None:
            energy = _delta(held.energy_kwh, now.energy_kwh, restarts=False)
        if energy == 0.0 and (held.power_w or 0.0) > IDLE_W:
            return  # a counter that steps slower than the cycles: its span grows
        if energy is None and not span.gap and held.power_w is not None:
            energy = max(0.0, held.power_w) * seconds / _WS_PER_KWH
        if energy:
            self._attribute(energy, span)
        self.span = Span()

    def _attribute(self, energy: float, span: Span) -> None:
        """Count the energy a counter gained over ``span`` (or a power figure gave)."""
        possible = CATCH_UP_FACTOR * max(self.full_power_w, span.top_power_w) * span.seconds
        self.energy_kwh += energy
        self.lifetime_kwh += energy
        if span.gap or energy * _WS_PER_KWH > possible + 1.0:
            self.unpriced_kwh += energy
            return
        pv = min(energy, span.surplus_ws / _WS_PER_KWH)
        self.pv_energy_kwh += pv
        pv_cost = pv * span.export_price_seconds / span.seconds
        self.pv_cost += pv_cost
        self.cost += pv_cost
        grid = energy - pv
        priced = span.priced_seconds / span.seconds
        if priced > 0:
            self.cost += grid * priced * span.price_seconds / span.priced_seconds
        self.unpriced_kwh += grid * (1.0 - priced)

    def _record_bins(self, held: Sample, end: datetime) -> None:
        start, stop = held.at.timestamp(), end.timestamp()
        while start < stop:
            index = int(start // BIN_S)
            edge = min(stop, (index + 1) * BIN_S)
            if not self.bins or self.bins[-1].index != index:
                if len(self.bins) >= MAX_BINS:
                    return
                self.bins.append(Bin(index))
            current = self.bins[-1]
            seconds = edge - start
            current.seconds += seconds
            if held.price is not None:
                current.priced_seconds += seconds
                current.price_seconds += held.price * seconds
            current.surplus_ws += held.site_surplus_w * seconds
            if held.export_price is not None:
                current.export_price_seconds += held.export_price * seconds
            start = edge

    @property
    def session_cost(self) -> float | None:
        """Return the session's cost; None before a session or with unpriced energy."""
        if self.started is None or self.unpriced_kwh > 0:
            return None
        return self.cost

    @property
    def pv_share_pct(self) -> float | None:
        """Return the share of the session energy covered by surplus, in percent."""
        if self.started is None or self.energy_kwh <= 0:
            return None
        return min(100.0, 100.0 * self.pv_energy_kwh / self.energy_kwh)

    @property
    def immediate_cost(self) -> float | None:
        """Return what the session's energy would have cost charged at once at full power."""
        if self.session_cost is None or self.full_power_w <= 0:
            return None
        left = self.energy_kwh
        cost = 0.0
        price: float | None = None
        for current in self.bins:
            if left <= 0:
                break
            take = min(left, self.full_power_w * current.seconds / _WS_PER_KWH)
            solar = min(take, current.surplus_ws / _WS_PER_KWH)
            cost += solar * current.export_price
            grid = take - solar
            price = current.price
            if grid > 0:
                if price is None:
                    return None
                cost += grid * price
            left -= take
        if left > 1e-9:
            if price is None:
                return None
            cost += left * price
        return cost

    @property
    def saving(self) -> float | None:
        """Return the immediate session's cost minus this session's cost."""
        cost, immediate = self.session_cost, self.immediate_cost
        return None if cost is None or immediate is None else immediate - cost

    def as_dict(self) -> dict[str, Any]:
        """Return everything worth keeping across a restart, JSON-ready."""
        return {
            "started": None if self.started is None else self.started.isoformat(),
            "ended": None if self.ended is None else self.ended.isoformat(),
            "transaction_id": self.transaction_id,
            "full_power_w": self.full_power_w,
            "energy_kwh": self.energy_kwh,
            "pv_energy_kwh": self.pv_energy_kwh,
            "cost": self.cost,
            "pv_cost": self.pv_cost,
            "unpriced_kwh": self.unpriced_kwh,
            "lifetime_kwh": self.lifetime_kwh,
            "bins": [
                [
                    b.index,
                    b.seconds,
                    b.priced_seconds,
                    b.price_seconds,
                    b.surplus_ws,
                    b.export_price_seconds,
                ]
                for b in self.bins
            ],
            "last": None if self.last is None else self.last.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionAccount:
        """Rebuild an account stored with ``as_dict`` (raises on malformed data)."""

        def when(key: str) -> datetime | None:
            value = data.get(key)
            return None if value is None else datetime.fromisoformat(value)

        last = data.get("last")
        return cls(
            started=when("started"),
            ended=when("ended"),
            transaction_id=data.get("transaction_id"),
            full_power_w=float(data["full_power_w"]),
            energy_kwh=float(data["energy_kwh"]),
            pv_energy_kwh=float(data["pv_energy_kwh"]),
            cost=float(data["cost"]),
            pv_cost=float(data.get("pv_cost", 0.0)),  # stored before feed-in was counted
            unpriced_kwh=float(data["unpriced_kwh"]),
            lifetime_kwh=float(data["lifetime_kwh"]),
            bins=[Bin(int(b[0]), *map(float, b[1:])) for b in data.get("bins", [])],
            last=None if last is None else Sample.from_dict(last),
        )
