"""The world around the integration in the soak tests: house load, solar, cars on chargers.

Nothing here knows Home Assistant. A ``Household`` gives the house's current per phase
and the solar power at any second of the run; a ``SimCar`` is the charge point (a
``FakeChargePoint`` over a real websocket) together with the car plugged into it: it takes
the charging profiles the central system sent, follows the limit in force (the highest
valid stack level, as OCPP's composite schedule), integrates its energy register over the
time the test moves on, and reports StatusNotification, Start/StopTransaction and
MeterValues like a charger does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
import functools
import math
import random
from typing import Any, Final

from ocpp.v16 import call

from tests.drivers.ocpp_helpers import Client, FakeChargePoint, drain, sampled

VOLTAGE: Final = 230.0
MIN_CHARGING_A: Final = 6.0  # IEC 61851: a car does not charge below 6 A
PHASE_NAMES: Final = ("L1", "L2", "L3")
IDLE_REPORT_S: Final = 60  # meter values of a charger without a transaction
Currents = tuple[float, float, float]


def _bump(hour: float, centre: float, width: float) -> float:
    """A smooth daily peak around ``centre`` (hours)."""
    distance = min(abs(hour - centre), 24 - abs(hour - centre))
    return math.exp(-((distance / width) ** 2))


@dataclass(frozen=True, slots=True)
class Appliance:
    """A load that runs from ``start_s`` to ``end_s`` of the run."""

    start_s: float
    end_s: float
    amps: Currents


# name, current per phase (a 1-phase load lands on a random phase), run time range in s
_APPLIANCES: Final = (
    ("kettle", (9.0, 0.0, 0.0), (120, 300)),
    ("oven", (13.0, 0.0, 0.0), (1800, 3600)),
    ("washer", (10.0, 0.0, 0.0), (3600, 7200)),
    ("heat pump", (5.0, 5.0, 5.0), (900, 2700)),
    ("sauna", (13.0, 13.0, 13.0), (2400, 4800)),
)


class Household:
    """House load per phase (A, unbalanced, with appliances) and solar power (W)."""

    def __init__(
        self, rng: random.Random, *, start_hour: float, duration_s: float, pv_peak_w: float
    ) -> None:
        """Draw the appliance runs and the clouds of the run from ``rng``."""
        self.start_hour = start_hour
        self.pv_peak_w = pv_peak_w
        self.appliances: list[Appliance] = []
        t = 0.0
        while t < duration_s:
            t += rng.expovariate(3 / 3600)  # about three appliance starts an hour
            _name, amps, (shortest, longest) = rng.choice(_APPLIANCES)
            if amps[1] == 0.0:  # single-phase: pick its phase
                phase = rng.randrange(3)
                amps = tuple(amps[0] if p == phase else 0.0 for p in range(3))
            self.appliances.append(Appliance(t, t + rng.uniform(shortest, longest), amps))
        self.clouds = [rng.uniform(0.35, 1.0) for _ in range(int(duration_s // 600) + 2)]

    def hour(self, t: float) -> float:
        """The hour of the day at second ``t`` of the run."""
        return (self.start_hour + t / 3600) % 24

    def house_a(self, t: float) -> Currents:
        """The house's own current per phase at second ``t``."""
        hour = self.hour(t)
        base = 1.0 + 3.0 * _bump(hour, 7.5, 1.0) + 7.0 * _bump(hour, 19.0, 1.5)
        load = [base * 1.0, base * 0.7, base * 1.3]
        for appliance in self.appliances:
            if appliance.start_s <= t < appliance.end_s:
                for p in range(3):
                    load[p] += appliance.amps[p]
        return (load[0], load[1], load[2])

    def pv_w(self, t: float) -> float:
        """Solar power at second ``t`` (a clear-sky curve with clouds every 10 minutes)."""
        hour = self.hour(t)
        if not 6.0 < hour < 20.0:
            return 0.0
        clear = math.sin(math.pi * (hour - 6.0) / 14.0) ** 1.5
        return self.pv_peak_w * clear * self.clouds[int(t // 600)]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargerSpec:
    """How one simulated charger is installed."""

    cp_id: str
    phases: int = 3
    wired: int = 0  # the site phase of a single-phase charger (0 = L1)
    max_a: float = 16.0
    circuit: str | None = None
    priority: int = 0
    mode: str = "fast"

    def site_phases(self, phases: int) -> tuple[int, ...]:
        """The site phases an allocation on ``phases`` phases loads."""
        if self.phases == 1:
            return (self.wired,)
        return (0, 1, 2) if phases == 3 else (0,)


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit:
    """One car's stay at a charger."""

    arrive_s: int
    leave_s: int
    need_wh: float
    car_a: float  # the most the car draws per phase
    car_phases: int  # 1: the car charges on the charger's first phase only


@dataclass(frozen=True, slots=True, kw_only=True)
class Traffic:
    """How long cars stay and how long a charger stays free (ranges in seconds)."""

    stay_s: tuple[int, int]
    gap_s: tuple[int, int]
    first_s: tuple[int, int] = (0, 1800)  # the first car of each charger arrives within this


def plan_visits(
    rng: random.Random, traffic: Traffic, duration_s: int, *, step_s: int, settle_s: int
) -> list[Visit]:
    """The visits of one charger, all over before the end of the run.

    Times fall on the report grid (``step_s``); a gap is at least ``settle_s`` so that an
    ended session is accounted before the next car plugs in.
    """
    visits: list[Visit] = []
    t = _on_grid(rng.uniform(*traffic.first_s), step_s)
    while True:
        stay = _on_grid(rng.uniform(*traffic.stay_s), step_s)
        if t + stay > duration_s - settle_s:
            return visits
        visits.append(
            Visit(
                arrive_s=t,
                leave_s=t + stay,
                need_wh=rng.uniform(3_000.0, 45_000.0),
                car_a=rng.choice((16.0, 16.0, 13.0, 10.0)),
                car_phases=rng.choice((3, 3, 3, 1)),
            )
        )
        t += stay + max(settle_s, _on_grid(rng.uniform(*traffic.gap_s), step_s))


def _on_grid(seconds: float, step_s: int) -> int:
    return max(step_s, int(seconds // step_s) * step_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class FinishedSession:
    """What the car's own meter says about one transaction."""

    cp_id: str
    transaction_id: int
    meter_start_wh: int
    meter_stop_wh: int
    delivered_wh: float  # integrated power, before rounding to the register's Wh

    @property
    def reported_kwh(self) -> float:
        """The energy the charger reported (register delta)."""
        return (self.meter_stop_wh - self.meter_start_wh) / 1000


@dataclass(frozen=True, slots=True)
class _Profile:
    """A charging profile as the charger keeps it."""

    precedence: tuple[bool, int]  # a TxProfile beats a TxDefaultProfile, then stack level
    unit: str
    periods: tuple[tuple[int, float], ...]  # start (s), limit
    start: datetime | None
    duration_s: float | None

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> _Profile:
        schedule = payload["charging_schedule"]
        start = schedule.get("start_schedule")
        return cls(
            precedence=(
                payload["charging_profile_purpose"] == "TxProfile",
                int(payload["stack_level"]),
            ),
            unit=str(schedule["charging_rate_unit"]),
            periods=tuple(
                (int(p["start_period"]), float(p["limit"]))
                for p in schedule["charging_schedule_period"]
            ),
            start=None if start is None else datetime.fromisoformat(start),
            duration_s=schedule.get("duration"),
        )

    def limit_a(self, now: datetime, phases: int) -> float | None:
        """The per-phase limit in force at ``now``; None outside the profile's validity."""
        elapsed = 0.0 if self.start is None else (now - self.start).total_seconds()
        if elapsed < 0 or (self.duration_s is not None and elapsed >= self.duration_s):
            return None
        limit = next(lim for start, lim in reversed(self.periods) if start <= elapsed)
        return limit / (phases * VOLTAGE) if self.unit == "W" else limit


@dataclass(slots=True)
class CarCounters:
    """What a car has seen and sent (for the report)."""

    profiles: int = 0
    meter_values: int = 0
    lapsed_s: float = 0.0  # time a live profile had expired into the fallback


class SimCar:
    """A charge point and the car plugged into it, on the test's clock."""

    def __init__(self, spec: ChargerSpec, client: Client, visits: list[Visit]) -> None:
        """Start idle (no car) with the register at 0 Wh.

        The car's own CALLs skip the library's schema validation (the central system
        validates them anyway) and raise on a CALLERROR instead of returning None.
        """
        self.spec = spec
        self.client = client
        client.cp.call = functools.partial(  # type: ignore[method-assign]
            FakeChargePoint.call, client.cp, suppress=False, skip_schema_validation=True
        )
        self.visits = visits
        self.next_visit = 0
        self.visit: Visit | None = None
        self.register_wh = 0.0
        self.delivered_wh = 0.0
        self.meter_start_wh = 0
        self.transaction_id: int | None = None
        self.status = "Available"
        self.finishing = False
        self.profiles: dict[int, _Profile] = {}
        self.draw: Currents = (0.0, 0.0, 0.0)
        self.limit_a = 0.0
        self.live = False  # the limit comes from a live profile (stack level > 0)
        self.finished: list[FinishedSession] = []
        self.counters = CarCounters()

    @property
    def cp(self) -> FakeChargePoint:
        """The library charge point."""
        return self.client.cp

    # ---- what the central system sends ----------------------------------------------

    def take_commands(self, now: datetime) -> None:
        """Apply the profiles sent (and cleared) since the last call, then follow them."""
        cp = self.cp
        for cleared in drain(cp, "ClearChargingProfile"):
            self.profiles.pop(cleared.get("id"), None)
        for payload in drain(cp, "SetChargingProfile"):
            self.profiles[int(payload["charging_profile_id"])] = _Profile.parse(payload)
            self.counters.profiles += 1
        for action in list(cp._queues):
            drain(cp, action)
        cp.calls.clear()  # the helper records every CALL; a day of them is not needed
        self.follow(now)

    def follow(self, now: datetime) -> None:
        """Set the draw from the limit in force and the car's own state."""
        spec = self.spec
        in_force = [
            (profile.precedence, limit)
            for profile in self.profiles.values()
            if (limit := profile.limit_a(now, spec.phases)) is not None
        ]
        (_tx, level), limit = max(in_force, default=((False, -1), math.inf))
        self.live, self.limit_a = level > 0, limit
        visit = self.visit
        if visit is None or self.delivered_wh >= visit.need_wh or limit < MIN_CHARGING_A:
            self.draw = (0.0, 0.0, 0.0)
            return
        amps = min(limit, visit.car_a, spec.max_a)
        site = [0.0, 0.0, 0.0]
        for own, p in enumerate(spec.site_phases(spec.phases)):
            site[p] = amps if own < visit.car_phases else 0.0
        self.draw = (site[0], site[1], site[2])

    # ---- physics ----------------------------------------------------------------------

    @property
    def power_w(self) -> float:
        """What the car draws now (W)."""
        return sum(self.draw) * VOLTAGE

    def integrate(self, seconds: float, now: datetime) -> None:
        """Run the car for ``seconds`` at its draw (it stops the moment it is full)."""
        if self.visit is not None and self.draw != (0.0, 0.0, 0.0) and not self.live:
            self.counters.lapsed_s += seconds
        energy = self.power_w * seconds / 3600
        if self.visit is not None:
            energy = min(energy, max(0.0, self.visit.need_wh - self.delivered_wh))
            self.delivered_wh += energy
        self.register_wh += energy
        self.follow(now + timedelta(seconds=seconds))

    # ---- what the charger reports -----------------------------------------------------

    async def report(self, t: int, now: datetime) -> None:
        """Arrivals, departures, status changes and the meter, at second ``t`` of the run."""
        cp = self.cp
        if self.visit is not None and t >= self.visit.leave_s:
            await self._leave(now)
        elif self.finishing:
            self.finishing = False
            await self._status("Available")
        elif self.visit is None and self._due(t):
            await self._arrive(now)
        if self.visit is not None:
            self.follow(now)
            full = self.delivered_wh >= self.visit.need_wh
            charging = self.draw != (0.0, 0.0, 0.0)
            await self._status(
                "Charging" if charging else "SuspendedEV" if full else "SuspendedEVSE"
            )
        if self.visit is None and t % IDLE_REPORT_S and self.status == "Available":
            return  # no transaction: clock-aligned meter values only
        currents = [self.draw[p] for p in self.spec.site_phases(self.spec.phases)]
        values = [
            sampled("Energy.Active.Import.Register", int(self.register_wh), "Wh"),
            sampled("Power.Active.Import", round(self.power_w, 1), "W"),
        ] + [
            sampled("Current.Import", round(amps, 2), "A", PHASE_NAMES[n])
            for n, amps in enumerate(currents)
        ]
        if self.visit is not None and math.isfinite(self.limit_a):
            values.append(sampled("Current.Offered", round(self.limit_a, 1), "A"))
        await cp.meter(values, transaction_id=self.transaction_id)
        self.counters.meter_values += 1

    def _due(self, t: int) -> bool:
        """Whether the next car arrives at second ``t`` (or has been waiting)."""
        return self.next_visit < len(self.visits) and self.visits[self.next_visit].arrive_s <= t

    async def _arrive(self, now: datetime) -> None:
        self.visit = self.visits[self.next_visit]
        self.next_visit += 1
        self.delivered_wh = 0.0
        await self._status("Preparing")
        self.meter_start_wh = int(self.register_wh)
        self.transaction_id = await self.cp.start_transaction(self.meter_start_wh)
        self.follow(now)

    async def _leave(self, now: datetime) -> None:
        transaction_id = self.transaction_id
        assert transaction_id is not None
        self.visit = None
        self.follow(now)
        meter_stop = int(self.register_wh)
        await self.cp.call(
            call.StopTransaction(
                meter_stop=meter_stop,
                timestamp=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                transaction_id=transaction_id,
                reason="EVDisconnected",
            )
        )
        self.finished.append(
            FinishedSession(
                cp_id=self.spec.cp_id,
                transaction_id=transaction_id,
                meter_start_wh=self.meter_start_wh,
                meter_stop_wh=meter_stop,
                delivered_wh=self.delivered_wh,
            )
        )
        self.transaction_id = None
        self.finishing = True
        await self._status("Finishing")

    async def _status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            await self.cp.status(status)


@dataclass(slots=True)
class Fleet:
    """The simulated chargers by charge point id."""

    cars: dict[str, SimCar] = field(default_factory=dict)

    def draw(self) -> Currents:
        """All cars' current per site phase."""
        total = [0.0, 0.0, 0.0]
        for car in self.cars.values():
            for p in range(3):
                total[p] += car.draw[p]
        return (total[0], total[1], total[2])
