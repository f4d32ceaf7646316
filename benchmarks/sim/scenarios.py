"""The named scenarios of the closed-loop benchmark (issue 10).

Each is one day (24 h) at a 2 s step. Summer days start at midnight, winter evenings at
noon, so that a night of charging lies inside. Arrivals and departures fall on 5-minute
boundaries (the oracle's grid). Cars follow a new limit after 5-10 s.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
import random
from zoneinfo import ZoneInfo

from custom_components.smart_charging.engine.model import ChargerMode, CircuitConfig, Phase

from .ev import Bay, ChargerSpec, EvSpec
from .profiles import Appliance, HeatPump, HouseSpec, PvSpec, Tariff
from .scenario import Dropout, GridSignal, Scenario

BERLIN = ZoneInfo("Europe/Berlin")
SUMMER = datetime(2025, 6, 18, 0, 0, tzinfo=BERLIN)
WINTER_NOON = datetime(2025, 1, 15, 12, 0, tzinfo=BERLIN)
LAGS = (8.0, 5.0, 10.0, 6.0, 9.0, 7.0)

HOME = HouseSpec(
    appliances=(
        Appliance(10.5, 25, (0.0, 2000.0, 0.0)),  # washing machine heating
        Appliance(18.5, 30, (0.0, 1500.0, 1500.0)),  # cooktop
        Appliance(20.5, 30, (2000.0, 0.0, 0.0)),  # dishwasher heating
    ),
)
WINTER_HOME = HouseSpec(
    base_w=(300.0, 250.0, 250.0),
    appliances=(
        Appliance(18.5, 35, (0.0, 1500.0, 1500.0)),
        Appliance(19.0, 45, (0.0, 0.0, 2500.0)),  # oven
        Appliance(20.5, 30, (2000.0, 0.0, 0.0)),
    ),
)


def _clock(start: datetime, hour: float, minute: float = 0.0) -> float:
    """Hours after ``start`` of a local wall-clock time (the next occurrence)."""
    first = start.hour + start.minute / 60
    return (hour + minute / 60 - first) % 24


def single_ev_clear_day() -> Scenario:
    """A home with 10 kWp PV, one car home from 09:00 to 18:00 in smart mode."""
    car = EvSpec(64.0, arrival_h=9.0, departure_h=18.0, soc_pct=30.0, target_soc_pct=80.0)
    charger = ChargerSpec("wallbox", can_switch_phases=True, mode=ChargerMode.SMART)
    return Scenario(
        name="single_ev_clear_day",
        title="Single EV, clear summer day, 10 kWp PV, smart (ready by 18:00)",
        start=SUMMER,
        fuse_a=25.0,
        bays=(Bay(charger, car),),
        house=HOME,
        pv=PvSpec(peak_w=7800.0),
        tariff=Tariff("flat", 0.30, export=0.08),
        tags=("pv",),
        seed=11,
    )


def single_ev_fast_clouds() -> Scenario:
    """The same home and car on a day of fast-moving clouds."""
    base = single_ev_clear_day()
    return Scenario(
        name="single_ev_fast_clouds",
        title="Single EV, fast clouds (sun and cloud every 1-4 min), smart",
        start=base.start,
        fuse_a=base.fuse_a,
        bays=base.bays,
        house=base.house,
        pv=PvSpec(peak_w=7800.0, clouds=True),
        tariff=base.tariff,
        tags=("pv", "cloudy"),
        seed=12,
    )


def two_evs_16a_heat_pump() -> Scenario:
    """A 16 A supply, a cycling heat pump and two cars in fast mode overnight."""
    start = WINTER_NOON
    house = HouseSpec(
        base_w=(250.0, 220.0, 220.0),
        evening_w=(250.0, 200.0, 200.0),
        appliances=(Appliance(18.5, 30, (0.0, 1200.0, 1200.0)),),
        spikes_per_day=10,
        heat_pump=HeatPump(watts=2800.0, on_min=25.0, off_min=20.0),
    )
    a = Bay(
        ChargerSpec("car_a"),
        EvSpec(58.0, _clock(start, 17, 10), _clock(start, 7, 20), 35.0, 80.0, lag_s=8.0),
    )
    b = Bay(
        ChargerSpec("car_b", phases=1, phase=Phase.L2),
        EvSpec(40.0, _clock(start, 18, 5), _clock(start, 7, 40), 50.0, 80.0, 1, lag_s=6.0),
    )
    return Scenario(
        name="two_evs_16a_heat_pump",
        title="Two EVs (3p + 1p on L2), 16 A fuse, heat pump, fast",
        start=start,
        fuse_a=16.0,
        bays=(a, b),
        house=house,
        tariff=Tariff("flat", 0.32),
        static_limit_a=10.0,
        oracle_step_s=300.0,
        seed=13,
    )


def night_tariff_ready_by_7() -> Scenario:
    """A night tariff (22:00-06:00) and a car that must be at 80 % by 07:00."""
    start = WINTER_NOON
    car = EvSpec(60.0, _clock(start, 18, 10), _clock(start, 7), 25.0, 80.0, lag_s=7.0)
    return Scenario(
        name="night_tariff_ready_by_7",
        title="Night tariff 22-06 h, one EV, smart, ready by 07:00",
        start=start,
        fuse_a=25.0,
        bays=(Bay(ChargerSpec("wallbox", mode=ChargerMode.SMART), car),),
        house=WINTER_HOME,
        tariff=Tariff("night", 0.34, night_price=0.22),
        oracle_step_s=300.0,
        tags=("tariff",),
        seed=14,
    )


def fleet_depot_10() -> Scenario:
    """Ten vans on three circuits, a dynamic tariff, smart, out again at dawn."""
    start = WINTER_NOON
    rng = random.Random(15)
    circuits = (
        CircuitConfig("row_a", 40.0),
        CircuitConfig("row_b", 32.0),
        CircuitConfig("row_c", 32.0),
    )
    rows = ["row_a"] * 4 + ["row_b"] * 3 + ["row_c"] * 3
    bays = []
    for i, row in enumerate(rows):
        arrive = _clock(start, 17) + rng.randrange(0, 31) * 5 / 60
        leave = _clock(start, 5, 30) + rng.randrange(0, 19) * 5 / 60
        car = EvSpec(
            rng.choice((60.0, 68.0, 75.0)),
            arrive,
            leave,
            soc_pct=float(rng.randrange(20, 46)),
            target_soc_pct=rng.choice((85.0, 90.0)),
            lag_s=LAGS[i % len(LAGS)],
        )
        bays.append(Bay(ChargerSpec(f"van_{i:02d}", circuit=row, mode=ChargerMode.SMART), car))
    house = HouseSpec(
        base_w=(1800.0, 1500.0, 1600.0),
        morning_w=(1500.0, 1500.0, 1500.0),
        evening_w=(600.0, 600.0, 600.0),
        spikes_per_day=20,
        heat_pump=HeatPump(watts=6000.0, on_min=20.0, off_min=25.0),
        noise_w=60.0,
    )
    return Scenario(
        name="fleet_depot_10",
        title="Fleet depot: 10 vans on 3 circuits (40/32/32 A), 80 A fuse, dynamic tariff, smart",
        start=start,
        fuse_a=80.0,
        bays=tuple(bays),
        house=house,
        tariff=Tariff("dynamic", export=0.0),
        circuits=circuits,
        static_limit_a=60.0,
        oracle_step_s=300.0,
        tags=("tariff",),
        seed=16,
    )


def apartment_garage_20() -> Scenario:
    """A 20-charger garage on a 63 A feeder behind a 100 A building fuse, fast mode."""
    start = WINTER_NOON
    rng = random.Random(17)
    bays = []
    for i in range(20):
        one_phase = i in (4, 11, 17)
        car = EvSpec(
            rng.choice((40.0, 52.0, 64.0, 77.0)),
            _clock(start, 16) + rng.randrange(0, 55) * 5 / 60,
            _clock(start, 6, 30) + rng.randrange(0, 25) * 5 / 60,
            soc_pct=float(rng.randrange(40, 66)),
            target_soc_pct=80.0,
            onboard_phases=1 if one_phase else 3,
            lag_s=LAGS[i % len(LAGS)],
        )
        bays.append(Bay(ChargerSpec(f"bay_{i:02d}", circuit="garage"), car))
    house = HouseSpec(
        base_w=(3400.0, 3200.0, 3600.0),
        morning_w=(3000.0, 3000.0, 3000.0),
        evening_w=(6000.0, 6000.0, 6000.0),
        spikes_per_day=60,
        noise_w=150.0,
    )
    return Scenario(
        name="apartment_garage_20",
        title="Apartment garage: 20 chargers, 63 A feeder, 100 A building fuse, fast",
        start=start,
        fuse_a=100.0,
        bays=tuple(bays),
        house=house,
        tariff=Tariff("flat", 0.32),
        circuits=(CircuitConfig("garage", 63.0),),
        oracle_step_s=300.0,
        seed=18,
    )


def curtailment_14a() -> Scenario:
    """A §14a control box dims the charger to 4.2 kW from 18:00 to 20:00."""
    start = WINTER_NOON
    car = EvSpec(60.0, _clock(start, 17, 30), _clock(start, 7), 20.0, 90.0, lag_s=9.0)
    return Scenario(
        name="curtailment_14a",
        title="§14a curtailment 18:00-20:00 to 4.2 kW, one EV, fast",
        start=start,
        fuse_a=25.0,
        bays=(Bay(ChargerSpec("wallbox"), car),),
        house=WINTER_HOME,
        tariff=Tariff("flat", 0.32),
        signals=(GridSignal(_clock(start, 18), _clock(start, 20), 4200.0),),
        oracle_step_s=300.0,
        seed=19,
    )


def meter_dropout_2min() -> Scenario:
    """The meter goes silent for 2 min at 18:30; at 18:30:30 a 2.6 kW oven starts on L1."""
    start = WINTER_NOON
    car = EvSpec(60.0, _clock(start, 17), _clock(start, 7), 20.0, 80.0, lag_s=10.0)
    house = HouseSpec(
        base_w=(500.0, 450.0, 450.0),
        appliances=(Appliance(18.5 + 0.5 / 60, 20, (2600.0, 0.0, 0.0), jitter_min=0.0),),
        spikes_per_day=4,
    )
    return Scenario(
        name="meter_dropout_2min",
        title="Meter silent 18:30-18:32 while a 2.6 kW oven starts on L1, one EV, fast",
        start=start,
        fuse_a=25.0,
        bays=(Bay(ChargerSpec("wallbox"), car),),
        house=house,
        tariff=Tariff("flat", 0.32),
        dropouts=(Dropout(_clock(start, 18, 30), 120.0),),
        oracle_step_s=300.0,
        seed=20,
    )


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "single_ev_clear_day": single_ev_clear_day,
    "single_ev_fast_clouds": single_ev_fast_clouds,
    "two_evs_16a_heat_pump": two_evs_16a_heat_pump,
    "night_tariff_ready_by_7": night_tariff_ready_by_7,
    "fleet_depot_10": fleet_depot_10,
    "apartment_garage_20": apartment_garage_20,
    "curtailment_14a": curtailment_14a,
    "meter_dropout_2min": meter_dropout_2min,
}
