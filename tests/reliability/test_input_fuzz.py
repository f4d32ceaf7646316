"""Sensor-state fuzzing through Home Assistant: whatever the inputs say, the fuse holds.

Every input entity a site reads (grid power, phase currents, PV, battery power and SoC,
price, the grid-limit entity, a circuit's temperature, a charger's SoC and temperature
entities) is fed states hypothesis draws: numbers of every size and sign, "nan", "inf",
empty and junk strings, "unknown"/"unavailable", a removed entity, units that convert
(W/kW/MW, A/mA), wrong and missing units, and junk attributes. Chargers are stubs that
draw a fixed current, so one example costs one control cycle.

Properties, every example:
- the cycle never fails (``last_update_success`` stays True);
- failsafe is on exactly when a safety input (grid power, a phase current) is unusable,
  and its ``entities`` attribute names each such entity;
- in failsafe every charger gets at most its fallback current (its minimum when none is
  set), and the fallbacks together stay within the main fuse less the margin;
- otherwise the allocation per phase stays within the fuse less the margin and the
  measured non-EV load, within the maximum import and within the grid limit;
- no NaN or infinity reaches an allocation, a figure or an entity state;
- once good values return, the site leaves failsafe and reports healthy inputs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
import math
import os
from typing import Any, Final

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from hypothesis import HealthCheck, example, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_charging.const import (
    CONF_BATTERY_POWER,
    CONF_BATTERY_SOC,
    CONF_CHARGER_PHASES,
    CONF_CIRCUIT,
    CONF_CIRCUIT_LIMIT,
    CONF_CIRCUIT_NAME,
    CONF_CIRCUIT_PARENT,
    CONF_CIRCUITS,
    CONF_DERATE_END,
    CONF_DERATE_MIN,
    CONF_DERATE_START,
    CONF_FALLBACK_CURRENT,
    CONF_GRID_CURRENT_L1,
    CONF_GRID_CURRENT_L2,
    CONF_GRID_CURRENT_L3,
    CONF_GRID_LIMIT_ENTITY,
    CONF_GRID_LIMIT_FAILSAFE,
    CONF_MAX_CURRENT,
    CONF_OCPP_ENABLED,
    CONF_PHASE_WIRING,
    CONF_PRICE,
    CONF_SOC_ENTITY,
    CONF_TEMPERATURE_ENTITY,
    DOMAIN,
    MAIN_FUSE_PARENT,
)
from custom_components.smart_charging.coordinator import SiteCoordinator
from custom_components.smart_charging.drivers.base import ChargerReading, ChargerStatus
from custom_components.smart_charging.engine.model import Reason
from custom_components.smart_charging.inputs import MAX_MAGNITUDE
from custom_components.smart_charging.site_settings import allocator_settings
from tests.ha.conftest import BATTERY, BATTERY_SOC, GRID, L1, L2, L3, PRICE, PV, SITE_DATA

from .stubs import attach

LIMIT = "sensor.grid_limit"
CIRCUIT_TEMP = "sensor.garage_temperature"
CAR_SOC = "sensor.car_soc"
CHARGER_TEMP = "sensor.charger_temperature"
FAILSAFE = "binary_sensor.home_failsafe"
HEALTH = "sensor.home_input_health"

POWER: Final = {"W": 1.0, "kW": 1e3, "MW": 1e6}
CURRENT: Final = {"A": 1.0, "mA": 1e-3}
SAFETY: Final = {GRID: POWER, L1: CURRENT, L2: CURRENT, L3: CURRENT}
FUSE, MARGIN, MAX_IMPORT_W, LIMIT_FAILSAFE_W, VOLTS = 25.0, 2.0, 11000.0, 4200.0, 230.0
TOL: Final = 1e-6

# What each input reads when it is healthy: (state, unit).
GOOD: Final[dict[str, tuple[str, str | None]]] = {
    GRID: ("1150", "W"),
    L1: ("5", "A"),
    L2: ("3", "A"),
    L3: ("10", "A"),
    PV: ("2.5", "kW"),
    BATTERY: ("-500", "W"),
    BATTERY_SOC: ("80", "%"),
    PRICE: ("0.25", "EUR/kWh"),
    LIMIT: ("11000", "W"),
    CIRCUIT_TEMP: ("25", "°C"),
    CAR_SOC: ("40", "%"),
    CHARGER_TEMP: ("30", "°C"),
}

# The stub chargers: (id, options, reading). C is single-phase on L2.
CHARGERS: Final[tuple[tuple[str, dict[str, Any], ChargerReading], ...]] = (
    (
        "A",
        {
            CONF_SOC_ENTITY: CAR_SOC,
            CONF_TEMPERATURE_ENTITY: CHARGER_TEMP,
            CONF_DERATE_START: 40.0,
            CONF_DERATE_END: 60.0,
            CONF_DERATE_MIN: 0.0,
            CONF_CIRCUIT: "garage",
        },
        ChargerReading(status=ChargerStatus.CHARGING, currents_a=(6.0, 6.0, 6.0), power_w=4140.0),
    ),
    (
        "B",
        {CONF_MAX_CURRENT: 32.0, CONF_FALLBACK_CURRENT: 10.0},
        ChargerReading(
            status=ChargerStatus.CHARGING, currents_a=(10.0, 10.0, 10.0), power_w=6900.0
        ),
    ),
    (
        "C",
        {CONF_CHARGER_PHASES: 1, CONF_PHASE_WIRING: "l2", CONF_FALLBACK_CURRENT: 0.0},
        ChargerReading(status=ChargerStatus.CHARGING, power_w=1840.0),
    ),
)
FALLBACK: Final = {"A": 6.0, "B": 10.0, "C": 0.0}
EV_CURRENTS: Final = (16.0, 24.0, 16.0)  # what the stubs draw per site phase

REMOVED: Final = object()  # the entity is gone from the state machine
NO_UNIT: Final = object()  # the state has no unit attribute at all

# ---- strategies ---------------------------------------------------------------------

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**7), 10**7).map(str),
    st.sampled_from(["1e308", "-1e308", "1.7976931348623157e308", "1e309", "-0", "5e-324"]),
)
junk = st.sampled_from(
    [
        "",
        " ",
        "unknown",
        "unavailable",
        "nan",
        "NaN",
        "-nan",
        "inf",
        "-inf",
        "Infinity",
        "on",
        "12 W",
        "1,5",
        "0x10",
        "None",
        "[]",
        "1e",
    ]
)
states = st.one_of(numbers, junk, st.text(max_size=12))
units = st.one_of(
    st.sampled_from(["W", "kW", "MW", "A", "mA", "%", "°C", "EUR/kWh", "ct/kWh", "VA", "kWh"]),
    st.sampled_from(["", "w", "KW", " W", "EUR", "/kWh"]),
    st.just(NO_UNIT),
    st.sampled_from([None, 5, 1.5, True, ("W",), ["kW"], {"unit": "W"}]),
)
# Price attributes of every supported format, filled with junk.
series_keys = st.sampled_from(
    ["raw_today", "raw_tomorrow", "prices", "forecast", "data", "rates", "prices_today"]
)
junk_items = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=6),
    st.floats(allow_nan=True),
    st.dictionaries(
        st.sampled_from(["start", "end", "price", "value", "value_inc_vat", "price_per_kwh"]),
        st.one_of(st.none(), st.text(max_size=25), st.floats(allow_nan=True), st.integers()),
        max_size=4,
    ),
)
extras = st.dictionaries(
    st.one_of(series_keys, st.sampled_from(["device_class", "state_class"])),
    st.one_of(junk_items, st.lists(junk_items, max_size=3)),
    max_size=2,
)


def _fuzzed(entity_id: str) -> st.SearchStrategy[Any]:
    """A healthy reading in a random unit it converts to, or anything at all."""
    value, unit = GOOD[entity_id]
    healthy = st.just((value, unit, {}))
    if unit in POWER:
        healthy = st.sampled_from(list(POWER)).map(
            lambda u, v=value, f=POWER[unit]: (repr(float(v) * f / POWER[u]), u, {})
        )
    elif unit in CURRENT:
        healthy = st.sampled_from(list(CURRENT)).map(
            lambda u, v=value: (repr(float(v) / CURRENT[u]), u, {})
        )
    return st.one_of(healthy, st.just(REMOVED), st.tuples(states, units, extras))


def _fine_number(units_to_base: Mapping[str, float]) -> st.SearchStrategy[tuple[str, str]]:
    """Any finite reading in a unit that converts (huge, tiny, negative)."""
    return st.tuples(
        st.one_of(
            st.floats(-1e7, 1e7, allow_nan=False),
            st.floats(allow_nan=False, allow_infinity=False),
        ),
        st.sampled_from(list(units_to_base)),
    ).map(lambda pair: (repr(pair[0]), pair[1]))


everything = st.fixed_dictionaries({entity_id: _fuzzed(entity_id) for entity_id in GOOD})

# ---- the site -----------------------------------------------------------------------


def _write(hass: HomeAssistant, entity_id: str, reading: Any) -> None:
    if reading is REMOVED:
        hass.states.async_remove(entity_id)
        return
    state, unit, extra = reading
    attributes = dict(extra)
    if unit is not NO_UNIT:
        attributes["unit_of_measurement"] = unit
    hass.states.async_set(entity_id, state, attributes)


def _write_good(hass: HomeAssistant) -> None:
    for entity_id, (state, unit) in GOOD.items():
        _write(hass, entity_id, (state, unit, {}))


@pytest.fixture
async def site(hass: HomeAssistant) -> SiteCoordinator:
    """A site with every input, a grid-limit entity, a derated circuit and three chargers."""
    _write_good(hass)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Home",
        unique_id=GRID,
        data={
            **SITE_DATA,
            CONF_GRID_CURRENT_L1: L1,
            CONF_GRID_CURRENT_L2: L2,
            CONF_GRID_CURRENT_L3: L3,
            CONF_BATTERY_POWER: BATTERY,
            CONF_BATTERY_SOC: BATTERY_SOC,
            CONF_PRICE: PRICE,
        },
        options={
            CONF_OCPP_ENABLED: False,
            CONF_GRID_LIMIT_ENTITY: LIMIT,
            CONF_GRID_LIMIT_FAILSAFE: LIMIT_FAILSAFE_W,
            CONF_CIRCUITS: [
                {
                    "id": "garage",
                    CONF_CIRCUIT_NAME: "Garage",
                    CONF_CIRCUIT_LIMIT: 20.0,
                    CONF_CIRCUIT_PARENT: MAIN_FUSE_PARENT,
                    CONF_TEMPERATURE_ENTITY: CIRCUIT_TEMP,
                    CONF_DERATE_START: 40.0,
                    CONF_DERATE_END: 60.0,
                    CONF_DERATE_MIN: 0.25,
                }
            ],
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: SiteCoordinator = entry.runtime_data.coordinator
    for charger_id, options, reading in CHARGERS:
        attach(coordinator, charger_id, options, reading)
    await coordinator.async_refresh()
    assert not coordinator.data.failsafe
    return coordinator


# ---- the oracle ---------------------------------------------------------------------


def _number(reading: Any, units_to_base: Mapping[str, float] | None) -> float | None:
    """What a reading is worth in base units, or None when it cannot be used."""
    if reading is REMOVED:
        return None
    state, unit, _extra = reading
    try:
        value = float(state)
    except ValueError:
        return None
    if units_to_base is not None:
        if not isinstance(unit, str) or unit not in units_to_base:
            return None
        value *= units_to_base[unit]
    return value if abs(value) <= MAX_MAGNITUDE else None


def _entity_number(reading: Any) -> float | None:
    """A finite number from a state, whatever its unit."""
    if reading is REMOVED:
        return None
    try:
        value = float(reading[0])
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _limit_w(reading: Any) -> float | None:
    """The grid limit in W: W, kW or MW (no unit: W); another unit reads as no limit."""
    value = _entity_number(reading)
    if value is None or reading[1] is None:
        return value
    factors = {"W": 1.0, "kW": 1e3, "MW": 1e6}
    unit = reading[1]
    return value * factors[unit] if isinstance(unit, str) and unit in factors else None


def _finite(value: float | None) -> bool:
    return value is None or math.isfinite(value)


def _phase_totals(coordinator: SiteCoordinator) -> list[float]:
    """Allocated current per site phase.

    C is wired to L2. A three-phase charger loads every phase, unless its car charges on
    one phase only (or it was told to use one): then it loads its wired phase, L1.
    """
    single = {s.id for s in coordinator.data.snapshot.chargers if s.active_phases == 1}
    totals = [0.0, 0.0, 0.0]
    for allocation in coordinator.data.allocation.allocations:
        if allocation.charger_id == "C":
            totals[1] += allocation.current_a
        elif allocation.charger_id in single or allocation.phases == 1:
            totals[0] += allocation.current_a
        else:
            for p in range(3):
                totals[p] += allocation.current_a
    return totals


def _site_states(hass: HomeAssistant) -> Iterator[tuple[str, str]]:
    for state in hass.states.async_all(("sensor", "binary_sensor", "number", "switch")):
        if state.entity_id.split(".", 1)[1].startswith("home_"):
            yield state.entity_id, state.state


def _check_cycle(hass: HomeAssistant, coordinator: SiteCoordinator, inputs: dict[str, Any]) -> None:
    assert coordinator.last_update_success
    data = coordinator.data
    unusable = {e for e, units_ in SAFETY.items() if _number(inputs[e], units_) is None}

    # Failsafe exactly when a safety input is unusable, and it names them.
    assert data.failsafe == bool(unusable)
    failsafe = hass.states.get(FAILSAFE)
    assert failsafe is not None
    assert failsafe.state == (STATE_ON if unusable else STATE_OFF)
    assert set(failsafe.attributes["entities"]) == unusable
    assert (hass.states.get(HEALTH).state == "failsafe") == bool(unusable)

    # Nothing non-finite anywhere.
    allocation = data.allocation
    assert all(math.isfinite(a.current_a) and a.current_a >= 0 for a in allocation.allocations)
    assert math.isfinite(allocation.surplus_w)
    for figure in (data.min_headroom_a, data.import_headroom_w, data.pv_surplus_w):
        assert _finite(figure)
    if data.headroom_a is not None:
        assert all(math.isfinite(v) for v in data.headroom_a.as_tuple())
    for entity_id, state in _site_states(hass):
        assert state.lower() not in ("nan", "inf", "-inf"), entity_id

    totals = _phase_totals(coordinator)
    if unusable:
        assert data.headroom_a is None
        for a in allocation.allocations:
            assert a.current_a <= FALLBACK[a.charger_id] + TOL
            if a.reason is Reason.FAILSAFE_INPUTS:
                assert set(a.detail("inputs").split(",")) == unusable
        assert all(total <= FUSE - MARGIN + TOL for total in totals)
        return
    currents = [_number(inputs[e], CURRENT) or 0.0 for e in (L1, L2, L3)]
    for p in range(3):
        non_ev = max(0.0, max(0.0, currents[p]) - EV_CURRENTS[p])
        assert totals[p] <= max(0.0, FUSE - MARGIN - non_ev) + TOL
    power = sum(totals) * VOLTS
    grid_w = _number(inputs[GRID], POWER)
    assert grid_w is not None
    ev_w = sum(EV_CURRENTS) * VOLTS
    assert power <= max(0.0, MAX_IMPORT_W - (grid_w - ev_w)) + 1e-3
    limit = _limit_w(inputs[LIMIT])
    limit = LIMIT_FAILSAFE_W if limit is None or limit < 0 else limit
    assert power <= limit + 1e-3


async def _recover(hass: HomeAssistant, coordinator: SiteCoordinator) -> None:
    _write_good(hass)
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert not coordinator.data.failsafe
    assert hass.states.get(FAILSAFE).state == STATE_OFF
    assert hass.states.get(HEALTH).state == "ok"


FUZZ = settings(
    deadline=None,
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(inputs=everything)
async def test_fuzzed_inputs_keep_the_site_safe(
    hass: HomeAssistant, site: SiteCoordinator, inputs: dict[str, Any]
) -> None:
    """Any mix of junk, removed entities and odd units: no failure, failsafe as due."""
    for entity_id, reading in inputs.items():
        _write(hass, entity_id, reading)
    await coordinator_cycle(hass, site)
    _check_cycle(hass, site, inputs)
    await _recover(hass, site)


@FUZZ
@given(
    meters=st.fixed_dictionaries(
        {GRID: _fine_number(POWER), **{e: _fine_number(CURRENT) for e in (L1, L2, L3)}}
    ),
    others=st.fixed_dictionaries(
        {e: _fuzzed(e) for e in GOOD if e not in SAFETY},
    ),
)
async def test_any_valid_meter_reading_keeps_the_fuse(
    hass: HomeAssistant,
    site: SiteCoordinator,
    meters: dict[str, tuple[str, str]],
    others: dict[str, Any],
) -> None:
    """Huge, tiny and negative meter readings in any unit: within fuse, import and limit."""
    inputs: dict[str, Any] = {e: (state, unit, {}) for e, (state, unit) in meters.items()}
    inputs.update(others)
    for entity_id, reading in inputs.items():
        _write(hass, entity_id, reading)
    await coordinator_cycle(hass, site)
    _check_cycle(hass, site, inputs)
    await _recover(hass, site)


async def coordinator_cycle(hass: HomeAssistant, coordinator: SiteCoordinator) -> None:
    """Run one control cycle on the states just written (no waiting for the debounce)."""
    await hass.async_block_till_done()
    await coordinator.async_refresh()


@pytest.mark.parametrize(
    ("entity_id", "readings", "expected"),
    [
        (GRID, [("2300", "W"), ("2.3", "kW"), ("0.0023", "MW")], 2300.0),
        (L2, [("12", "A"), ("12000", "mA")], 12.0),
    ],
)
async def test_unit_changes_keep_the_value(
    hass: HomeAssistant,
    site: SiteCoordinator,
    entity_id: str,
    readings: list[tuple[str, str]],
    expected: float,
) -> None:
    """A meter that switches between convertible units means the same power or current."""
    for state, unit in readings:
        _write(hass, entity_id, (state, unit, {}))
        await coordinator_cycle(hass, site)
        snapshot = site.data.snapshot
        value = snapshot.grid_power_w if entity_id == GRID else snapshot.phase_currents_a.l2
        assert value == pytest.approx(expected)
        assert not site.data.failsafe


@pytest.mark.parametrize(
    ("unit", "reason"),
    [
        ("VA", "bad_unit"),
        ("kWh", "bad_unit"),
        (NO_UNIT, "bad_unit"),
        (None, "bad_unit"),
        (["W"], "bad_unit"),
        ({"unit": "W"}, "bad_unit"),
    ],
)
async def test_wrong_or_missing_unit_is_failsafe(
    hass: HomeAssistant, site: SiteCoordinator, unit: Any, reason: str
) -> None:
    """A grid meter in a unit that is no power (or none at all) is not trusted."""
    _write(hass, GRID, ("1150", unit, {}))
    await coordinator_cycle(hass, site)
    assert site.last_update_success
    failsafe = hass.states.get(FAILSAFE)
    assert failsafe.state == STATE_ON
    assert failsafe.attributes == failsafe.attributes | {"reason": reason, "entities": [GRID]}
    await _recover(hass, site)


async def test_settings_reach_the_engine(site: SiteCoordinator) -> None:
    """The fixture's settings are what the oracle assumes (fuse, margin, import)."""
    settings_ = allocator_settings(site.site, site.config_entry.options, ())
    assert settings_.margin_a == MARGIN
    assert site.site.fuse_a == FUSE
    assert site.site.max_import_w == MAX_IMPORT_W
    assert {h.charger_id for h in site.chargers.values()} == set(FALLBACK)


@pytest.mark.parametrize(
    "readings",
    [
        {GRID: ("1e308", "kW")},
        {GRID: ("-1e303", "MW")},
        {L1: ("1e308", "A"), L2: ("-1e308", "A")},
        {GRID: ("-1.7976931348623157e308", "W"), BATTERY: ("-1.7976931348623157e308", "W")},
        {GRID: ("1.7976931348623157e308", "W"), PV: ("1.7976931348623157e308", "W")},
    ],
)
async def test_huge_readings(
    hass: HomeAssistant, site: SiteCoordinator, readings: dict[str, tuple[str, str]]
) -> None:
    """Figures that overflow on conversion or when added up never become infinite."""
    inputs: dict[str, Any] = {e: (state, unit, {}) for e, (state, unit) in GOOD.items()}
    inputs.update({e: (state, unit, {}) for e, (state, unit) in readings.items()})
    for entity_id, reading in inputs.items():
        _write(hass, entity_id, reading)
    await coordinator_cycle(hass, site)
    _check_cycle(hass, site, inputs)
    await _recover(hass, site)


weird = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -1e308, 1e308, -5.0, 0.0]),
)
charger_readings = st.builds(
    ChargerReading,
    status=st.sampled_from(ChargerStatus),
    power_w=weird,
    currents_a=st.one_of(
        st.none(),
        st.tuples(weird, weird, weird).map(lambda t: tuple(0.0 if v is None else v for v in t)),
    ),
    energy_kwh=weird,
    session_energy_kwh=weird,
    offered_current_a=weird,
    soc_pct=weird,
    temperature_c=weird,
    active_phases=st.sampled_from([None, 0, 1, 2, 3, 7]),
    transaction_id=st.one_of(st.none(), st.integers()),
)


ABSURD = ChargerReading(
    status=ChargerStatus.CHARGING,
    power_w=1e308,
    currents_a=(math.nan, math.inf, -math.inf),
    energy_kwh=math.nan,
    session_energy_kwh=math.inf,
    soc_pct=math.nan,
    temperature_c=math.nan,
)


@FUZZ
@given(readings=st.tuples(charger_readings, charger_readings, charger_readings))
@example(readings=(ABSURD, ABSURD, ABSURD))
async def test_fuzzed_charger_readings_keep_the_site_safe(
    hass: HomeAssistant, site: SiteCoordinator, readings: tuple[ChargerReading, ...]
) -> None:
    """Chargers that report NaN, infinity or absurd figures: no failure, fuse kept."""
    for handle, reading in zip(site.chargers.values(), readings, strict=True):
        handle.driver.set_reading(**{f: getattr(reading, f) for f in reading.__slots__})
    await coordinator_cycle(hass, site)
    assert site.last_update_success
    data = site.data
    assert all(math.isfinite(a.current_a) and a.current_a >= 0 for a in data.allocation.allocations)
    assert math.isfinite(data.allocation.surplus_w)
    for figure in (data.min_headroom_a, data.import_headroom_w, data.pv_surplus_w):
        assert _finite(figure)
    totals = _phase_totals(site)
    assert all(total <= FUSE - MARGIN + TOL for total in totals)
    for entity_id, state in _site_states(hass):
        assert state.lower() not in ("nan", "inf", "-inf"), entity_id


@pytest.mark.parametrize("unit", [["EUR/kWh"], {"u": 1}, 5, None, "EUR/kWh"])
async def test_a_price_with_a_junk_unit_is_no_price(
    hass: HomeAssistant, site: SiteCoordinator, unit: Any
) -> None:
    """A price sensor whose unit attribute is no string costs nothing, and breaks nothing."""
    _write(hass, PRICE, ("0.30", unit, {}))
    await coordinator_cycle(hass, site)
    assert site.last_update_success
    junk_unit = unit is not None and not isinstance(unit, str)
    assert hass.states.get(HEALTH).state == ("degraded" if junk_unit else "ok")
    assert hass.states.get(HEALTH).attributes["price"] == ("bad_unit" if junk_unit else "ok")


async def test_a_grid_limit_entity_in_kw(hass: HomeAssistant, site: SiteCoordinator) -> None:
    """A control box reporting 11 kW is a limit of 11000 W, not 11 W."""
    _write(hass, LIMIT, ("11", "kW", {}))
    await coordinator_cycle(hass, site)
    assert site.data.allocation.external_limit_w == 11000.0
