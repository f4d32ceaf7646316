"""What more headroom does for ``fast`` chargers: properties, and the cases they leave out.

The rules (strict priority classes; admission at minimum current in serving order;
weighted water-filling of the amps of each phase; commands rounded down to the
resolution) let more headroom (less house load, a bigger fuse) *lower* a total in three
ways, all pinned at the end of this module:

* **It lets a charger start.** A charger that now fits its minimum joins the sharing:
  a single-phase one takes amps of its phase that a 3-phase charger turned into three
  times the watts (``test_a_second_car_of_the_same_class_may_lower_the_total``, found by
  CI), a charger served earlier shuts out a later one that could have taken more
  (``test_a_charger_earlier_in_order_may_shut_a_later_one_out``; a start hysteresis does
  the same: a charger needs its minimum plus the hysteresis to start, then takes only its
  minimum). Keeping it paused for a slightly higher total would be first come, first
  served, which the fair share exists to avoid.
* **A higher class takes it.** Strict priorities: what a lower class would have made of
  the room does not count (``test_a_higher_class_may_lower_the_total``).
* **Rounding.** Each command is rounded down to the resolution, so each running charger
  may leave up to one step unused, a little more or less of it from one site to the next
  (``test_rounding_down_may_lower_the_total``).

What holds by design: walking down the priority classes, the first class whose allocation
changes gets no less in total, beyond rounding, unless one of its chargers starts (with a
single class: the site total); and whatever the headroom, no ``fast`` charger is left
below its maximum while every limit it loads has room for it.

Sites start at rest (no EV draws yet; a lagging EV rightly holds back others for a few
seconds whatever the headroom), without ramp and without the unbalanced-load rule (less
load on *other* phases rightly shrinks what a single-phase charger may add). Half of the
examples use a fine resolution so that rounding cannot hide a loss.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import replace

from hypothesis import example, given, settings, strategies as st

from custom_components.smart_charging.engine.allocation import AllocationMemory, AllocationResult
from custom_components.smart_charging.engine.allocator import allocate
from custom_components.smart_charging.engine.model import (
    ALL_PHASES,
    ChargerConfig,
    ChargerMode,
    CircuitConfig,
    CircuitState,
    Phase,
    PhaseValues,
    SiteConfig,
)

from .alloc_helpers import T0, calm, plugged, site_snapshot, wants
from .test_alloc_properties import (
    VOLTS,
    Case,
    _assert_currents_valid,
    _assert_within_limits,
    _loaded_phases,
    _per_phase,
    _power,
    cases,
)

TOL = 1e-6
FAST_CASES = cases(modes=(ChargerMode.FAST,))
SHRINK = st.floats(0.0, 1.0)
EXTRA_FUSE = st.floats(0.0, 40.0)
RESOLUTION = st.sampled_from([0.1, 0.001])


def _at_rest(case: Case, resolution: float) -> Case:
    """The site before any EV draws, with consistent meters and no ramp or balance rule."""
    snapshot = case.snapshot
    circuits = tuple(
        c if c.currents_a is None else replace(c, currents_a=PhaseValues(*case.circuit_house[c.id]))
        for c in snapshot.circuits
    )
    return replace(
        case,
        settings=replace(
            case.settings, ramp_up_a=None, unbalance_limit_a=None, resolution_a=resolution
        ),
        snapshot=replace(
            snapshot,
            chargers=tuple(replace(s, currents_a=PhaseValues()) for s in snapshot.chargers),
            phase_currents_a=PhaseValues(*case.house),
            grid_power_w=sum(case.house) * VOLTS,
            circuits=circuits,
            external_limit=None,
        ),
    )


def _relieved(case: Case, shrink: float, extra_fuse: float) -> Case:
    """The same site with the house load scaled by ``shrink`` and a bigger main fuse."""
    house = (case.house[0] * shrink, case.house[1] * shrink, case.house[2] * shrink)
    site = case.settings.site
    return replace(
        case,
        settings=replace(case.settings, site=replace(site, fuse_a=site.fuse_a + extra_fuse)),
        snapshot=replace(
            case.snapshot, phase_currents_a=PhaseValues(*house), grid_power_w=sum(house) * VOLTS
        ),
        house=house,
    )


def _both(
    case: Case, shrink: float, extra_fuse: float, resolution: float
) -> tuple[Case, AllocationResult, Case, AllocationResult]:
    """Allocate at rest, then with more headroom; both must hold every limit."""
    less = _at_rest(case, resolution)
    more = _relieved(less, shrink, extra_fuse)
    results = []
    for site in (less, more):
        result = allocate(site.snapshot, site.settings, AllocationMemory(), T0)
        _assert_within_limits(site, result)
        _assert_currents_valid(site, result)
        results.append(result)
    return less, results[0], more, results[1]


def _one_class(case: Case) -> Case:
    """The same site with every charger in one priority class."""
    chargers = tuple(replace(c, priority=0) for c in case.settings.chargers)
    return replace(case, settings=replace(case.settings, chargers=chargers))


def _power_of(case: Case, result: AllocationResult, ids: AbstractSet[str]) -> float:
    """Total power (W) allocated to the chargers ``ids``."""
    chosen = tuple(d for d in result.allocations if d.charger_id in ids)
    return _power(case, replace(result, allocations=chosen))


def _running(case: Case, result: AllocationResult, ids: AbstractSet[str]) -> list[int]:
    """Phase counts of the running chargers among ``ids``."""
    configs = {c.id: c for c in case.settings.chargers}
    return [
        len(_loaded_phases(configs[d.charger_id], case.settings.site, d.phases))
        for d in result.allocations
        if d.charger_id in ids and d.current_a > 0.0
    ]


def _assert_no_loss_unless_one_starts(
    sites: tuple[Case, AllocationResult, Case, AllocationResult],
    ids: AbstractSet[str],
    above: AbstractSet[str] = frozenset(),
) -> None:
    """The chargers ``ids`` get no less in total with more headroom, unless one of them
    starts. ``above``: the chargers of the classes served first (allocated alike).

    Rounding down costs each running charger less than one step on each of its phases;
    a charger above, rounded alike in both, may have taken up to a step more, which can
    cost a 3-phase charger below three times that.
    """
    less, base, more, bigger = sites
    before, after = _power_of(less, base, ids), _power_of(more, bigger, ids)
    steps = sum(_running(more, bigger, ids)) + 3 * len(_running(more, bigger, above))
    if after >= before - steps * more.settings.resolution_a * VOLTS - TOL:
        return
    paused = {d.charger_id for d in base.allocations if d.current_a == 0.0}
    started = [d for d in bigger.allocations if d.charger_id in paused & ids and d.current_a > 0.0]
    assert started, (before, after)


# Sites where more headroom lowers a total by design: explicit examples of the properties,
# and tests of what the rules call for there (at the end of the module).


def _site(
    *chargers: ChargerConfig,
    house: tuple[float, float, float],
    fuse: float,
    max_import_w: float | None = None,
    circuits: tuple[CircuitConfig, ...] = (),
) -> Case:
    snapshot = site_snapshot(
        house,
        chargers=[plugged(c.id) for c in chargers],
        requests=[wants(c.id) for c in chargers],
        circuits=tuple(CircuitState(c.id) for c in circuits),
    )
    site = SiteConfig(fuse_a=fuse, max_import_w=max_import_w)
    settings_ = calm(*chargers, site=site, circuits=circuits)
    return Case(
        settings_, snapshot, house, dict.fromkeys((c.id for c in circuits), (0.0, 0.0, 0.0))
    )


MIXED_CLASS = _site(
    ChargerConfig("e0", min_current_a=8.0, max_current_a=21.4, priority=2, circuit_id="c4"),
    ChargerConfig(
        "e1",
        phases=1,
        phase=Phase.L2,
        min_current_a=6.0,
        max_current_a=30.2,
        priority=2,
        weight=2.0,
        circuit_id="c2",
    ),
    house=(0.0, 17.5, 0.0),
    fuse=28.0,
    circuits=(CircuitConfig("c2", 10.0), CircuitConfig("c4", 11.0)),
)
"""Found by CI: a 3-phase and a single-phase charger on L2, in one class."""

IN_ORDER = _site(
    ChargerConfig("first", phases=1, phase=Phase.L2, min_current_a=8.0, max_current_a=32.0),
    ChargerConfig("second", phases=1, phase=Phase.L1, min_current_a=6.0, max_current_a=10.0),
    house=(0.0, 17.5, 0.0),
    fuse=25.0,
    max_import_w=7000.0,
)
"""Two single-phase chargers of one class sharing an import limit."""

HIGHER_CLASS = _site(
    ChargerConfig("vip", phases=1, phase=Phase.L1, min_current_a=8.0, priority=1),
    ChargerConfig("van", min_current_a=6.0),
    house=(18.0, 0.0, 0.0),
    fuse=25.0,
)
"""A single-phase VIP charger on L1 above a 3-phase charger."""

ROUNDING = _site(
    ChargerConfig("a", phases=1, phase=Phase.L1, circuit_id="c1"),
    ChargerConfig("b", phases=1, phase=Phase.L1, min_current_a=8.0, weight=2.0, circuit_id="c1"),
    ChargerConfig("c", phases=1, phase=Phase.L3),
    house=(11.25, 3.75, 6.5625),
    fuse=30.0,
    max_import_w=11000.0,
    circuits=(CircuitConfig("c1", 19.0),),
)
"""Three single-phase chargers of one class on a binding import limit."""


@settings(max_examples=100, deadline=None)
@given(st.builds(_one_class, FAST_CASES), SHRINK, EXTRA_FUSE, RESOLUTION)
@example(MIXED_CLASS, 0.75, 0.0, 0.1)
@example(IN_ORDER, 1.0, 1.0, 0.1)
@example(ROUNDING, 1.0, 1.0, 0.1)
def test_more_headroom_never_lowers_the_fast_total(
    case: Case, shrink: float, extra_fuse: float, resolution: float
) -> None:
    """With one priority class, more headroom never lowers the total (beyond rounding),
    unless it lets a charger start.

    Every limit caps a sum of amps (or of watts) and more headroom only raises the caps:
    the same running chargers share more, and one that was shut out fits all the better.
    The CI counter-example of the unconditional claim is pinned as an explicit example.
    """
    sites = _both(case, shrink, extra_fuse, resolution)
    _assert_no_loss_unless_one_starts(sites, {c.id for c in case.settings.chargers})


@settings(max_examples=100, deadline=None)
@given(FAST_CASES, SHRINK, EXTRA_FUSE, RESOLUTION)
@example(HIGHER_CLASS, 1.0, 1.0, 0.1)
@example(MIXED_CLASS, 0.75, 0.0, 0.1)
def test_more_headroom_never_lowers_the_first_class_it_changes(
    case: Case, shrink: float, extra_fuse: float, resolution: float
) -> None:
    """Strict priorities: a class only sees what the classes above it leave.

    Walking down from the highest class, every class keeps its allocation until the first
    that changes; that one gets no less in total (beyond rounding) unless one of its
    chargers starts. The classes below it may get less: the room went up the ranks.
    """
    sites = _both(case, shrink, extra_fuse, resolution)
    _, base, _, bigger = sites
    configs = case.settings.chargers
    above: set[str] = set()
    for priority in sorted({c.priority for c in configs}, reverse=True):
        ids = {c.id for c in configs if c.priority == priority}
        before = [(d.current_a, d.phases) for d in base.allocations if d.charger_id in ids]
        after = [(d.current_a, d.phases) for d in bigger.allocations if d.charger_id in ids]
        if before != after:
            _assert_no_loss_unless_one_starts(sites, ids, above)
            return
        above |= ids


def _spare(case: Case, result: AllocationResult) -> dict[tuple[str | None, int], float]:
    """Room left per limit: (None, phase) the main fuse, (circuit, phase), (None, -1) the
    import limit in W."""
    settings_, site = case.settings, case.settings.site
    totals = _per_phase(case, result)
    spare: dict[tuple[str | None, int], float] = {}
    for i, phase in enumerate(ALL_PHASES):
        if phase in site.active_phases:
            spare[None, i] = site.fuse_a - settings_.margin_a - case.house[i] - totals[None][i]
    readings = {c.id: c for c in case.snapshot.circuits}
    for circuit in settings_.circuits:
        reading = readings[circuit.id]
        limit = circuit.limit_a
        if circuit.derating is not None:
            limit *= circuit.derating.factor(reading.temperature_c)
        if reading.currents_a is not None:
            limit -= settings_.margin_a
        for i in range(3):
            spare[circuit.id, i] = limit - case.circuit_house[circuit.id][i] - totals[circuit.id][i]
    if site.max_import_w is not None:
        house_w = sum(case.house) * VOLTS
        spare[None, -1] = site.max_import_w - settings_.margin_w - house_w - _power(case, result)
    return spare


def _limits_of(
    config: ChargerConfig, case: Case, phases: int
) -> dict[tuple[str | None, int], float]:
    """The limits a charger loads, each with the A per phase it takes per A of the charger."""
    settings_ = case.settings
    parents = {c.id: c.parent_id for c in settings_.circuits}
    loaded: dict[tuple[str | None, int], float] = {}
    for phase in _loaded_phases(config, settings_.site, phases):
        i = ALL_PHASES.index(phase)
        loaded[None, i] = 1.0
        node = config.circuit_id
        while node is not None:
            loaded[node, i] = 1.0
            node = parents[node]
    if settings_.site.max_import_w is not None:
        loaded[None, -1] = len(_loaded_phases(config, settings_.site, phases)) * VOLTS
    return loaded


def _assert_no_usable_room(case: Case, result: AllocationResult) -> None:
    """Every ``fast`` charger that may charge is at its maximum, or a limit it loads has no
    room for one more step (for its minimum plus start hysteresis, if paused).

    Commands are rounded down to the resolution: each charger on a limit may leave up to
    one step of it unused.
    """
    settings_ = case.settings
    step = settings_.resolution_a
    configs = {c.id: c for c in settings_.chargers}
    states = {s.id: s for s in case.snapshot.chargers}
    requests = {r.charger_id: r for r in case.snapshot.requests}
    spare = _spare(case, result)
    slack = dict.fromkeys(spare, TOL)
    for decision in result.allocations:
        if decision.current_a > 0.0:
            loaded = _limits_of(configs[decision.charger_id], case, decision.phases)
            for key, coefficient in loaded.items():
                slack[key] += step * coefficient
    for decision in result.allocations:
        config, state = configs[decision.charger_id], states[decision.charger_id]
        soc, target = state.soc_pct, requests[config.id].target_soc_pct
        if not state.connected or (soc is not None and target is not None and soc >= target):
            continue
        factor = 1.0 if config.derating is None else config.derating.factor(state.temperature_c)
        most = config.max_current_a * factor
        if most < config.min_current_a or decision.current_a >= most - step:
            continue
        start = config.min_current_a + settings_.start_hysteresis_a
        want = step if decision.current_a > 0.0 else start
        loaded = _limits_of(config, case, decision.phases)
        full = [
            key
            for key, coefficient in loaded.items()
            if spare[key] < coefficient * want + slack[key]
        ]
        assert full, (decision, {key: spare[key] for key in loaded})


@settings(max_examples=100, deadline=None)
@given(FAST_CASES, SHRINK, EXTRA_FUSE, RESOLUTION)
@example(MIXED_CLASS, 0.75, 0.0, 0.1)
@example(HIGHER_CLASS, 1.0, 1.0, 0.1)
def test_fast_chargers_leave_no_usable_room(
    case: Case, shrink: float, extra_fuse: float, resolution: float
) -> None:
    """With or without more headroom, no room a ``fast`` charger could use is left unused,
    on 1p/3p mixed sites too, where the total in watts may fall."""
    less, base, more, bigger = _both(case, shrink, extra_fuse, resolution)
    _assert_no_usable_room(less, base)
    _assert_no_usable_room(more, bigger)


def _run(
    case: Case, shrink: float = 1.0, extra_fuse: float = 0.0
) -> tuple[dict[str, float], float]:
    """Currents (A) and total (W) at rest, with the house load and fuse changed."""
    site = _relieved(case, shrink, extra_fuse)
    result = allocate(site.snapshot, site.settings, AllocationMemory(), T0)
    _assert_within_limits(site, result)
    _assert_no_usable_room(site, result)
    return {d.charger_id: d.current_a for d in result.allocations}, round(_power(site, result), 6)


def test_a_second_car_of_the_same_class_may_lower_the_total() -> None:
    """10.5 A free on L2: only one car fits its minimum, the first in order takes it all
    (3 x 10.5 A = 7245 W). 14.875 A free: both fit. Sharing 14.875 A of L2 with weights
    1:2 would give the 3-phase car about 5 A, below its minimum, so it keeps its 8 A and
    the single-phase car gets the rest (6.8 A after rounding down): 5520 + 1564 = 7084 W.
    A homeowner expects the second car to start once both fit; the lower total is the
    price of an amp of L2 being worth three times more to the 3-phase car."""
    assert _run(MIXED_CLASS) == ({"e0": 10.5, "e1": 0.0}, 7245.0)
    assert _run(MIXED_CLASS, shrink=0.75) == ({"e0": 8.0, "e1": 6.8}, 7084.0)


def test_a_charger_earlier_in_order_may_shut_a_later_one_out() -> None:
    """12.9 A of import left. 7.5 A free on L2: ``first`` does not fit its 8 A minimum,
    ``second`` takes its 10 A (2300 W). 8.5 A free on L2: ``first`` fits and is admitted
    first; the 4.9 A of import left cannot hold the 6 A minimum of ``second``, and
    ``first`` can use only 8.5 A (1955 W). Admission goes in serving order (running
    sessions first, so that cars do not take turns); it does not search for the
    combination with the largest total."""
    assert _run(IN_ORDER) == ({"first": 0.0, "second": 10.0}, 2300.0)
    assert _run(IN_ORDER, extra_fuse=1.0) == ({"first": 8.5, "second": 0.0}, 1955.0)


def test_a_higher_class_may_lower_the_total() -> None:
    """7 A free on L1: the VIP does not fit its 8 A minimum, the 3-phase van takes 7 A
    (4830 W). 8 A free: the VIP fits and is served first (1840 W); what is left on L1
    cannot hold the van's minimum, so it pauses."""
    assert _run(HIGHER_CLASS) == ({"vip": 0.0, "van": 7.0}, 4830.0)
    assert _run(HIGHER_CLASS, extra_fuse=1.0) == ({"vip": 8.0, "van": 0.0}, 1840.0)


def test_rounding_down_may_lower_the_total() -> None:
    """The import limit binds in both cases: 26.26 A in all, before rounding. With less
    room on L1, ``a`` and ``b`` stop at 6.25 and 12.5 A and ``c`` takes 7.51 A; with 1 A
    more on L1, circuit c1 stops them at 6.33 and 12.67 A and ``c`` takes 7.26 A.
    Rounded down to 0.1 A, that is 26.2 A (6026 W), then 26.1 A (6003 W)."""
    assert _run(ROUNDING) == ({"a": 6.2, "b": 12.5, "c": 7.5}, 6026.0)
    assert _run(ROUNDING, extra_fuse=1.0) == ({"a": 6.3, "b": 12.6, "c": 7.2}, 6003.0)
