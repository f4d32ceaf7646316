"""Value types shared by the engine: site configuration, measurements, snapshots.

Every type here is a frozen, slotted dataclass or a StrEnum so that a snapshot can be
handed to the engine, compared, hashed and logged without surprises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
import math
from typing import Final


class Phase(StrEnum):
    """A conductor of the site's supply."""

    L1 = "l1"
    L2 = "l2"
    L3 = "l3"


ALL_PHASES: tuple[Phase, Phase, Phase] = (Phase.L1, Phase.L2, Phase.L3)


class SignConvention(StrEnum):
    """Which direction a power sensor reports as positive."""

    IMPORT_POSITIVE = "import_positive"
    EXPORT_POSITIVE = "export_positive"


class BatterySignConvention(StrEnum):
    """Which direction a home battery power sensor reports as positive."""

    DISCHARGE_POSITIVE = "discharge_positive"
    CHARGE_POSITIVE = "charge_positive"


class InputStatus(StrEnum):
    """Health of one input reading, worst last."""

    OK = "ok"
    STALE = "stale"
    NON_NUMERIC = "non_numeric"
    BAD_UNIT = "bad_unit"
    UNAVAILABLE = "unavailable"
    MISSING = "missing"


class InputRole(StrEnum):
    """What an input entity measures for the site."""

    GRID_POWER = "grid_power"
    GRID_CURRENT_L1 = "grid_current_l1"
    GRID_CURRENT_L2 = "grid_current_l2"
    GRID_CURRENT_L3 = "grid_current_l3"
    PV_POWER = "pv_power"
    BATTERY_POWER = "battery_power"
    BATTERY_SOC = "battery_soc"
    PRICE = "price"


SAFETY_ROLES: frozenset[InputRole] = frozenset(
    {
        InputRole.GRID_POWER,
        InputRole.GRID_CURRENT_L1,
        InputRole.GRID_CURRENT_L2,
        InputRole.GRID_CURRENT_L3,
    }
)
"""Roles whose loss puts the site into failsafe: the fuse cannot be guarded without them."""


@dataclass(frozen=True, slots=True)
class PhaseValues:
    """One number per phase (currents in A unless a name says otherwise)."""

    l1: float = 0.0
    l2: float = 0.0
    l3: float = 0.0

    def __getitem__(self, phase: Phase) -> float:
        """Return the value of one phase."""
        if phase is Phase.L1:
            return self.l1
        if phase is Phase.L2:
            return self.l2
        return self.l3

    def as_tuple(self) -> tuple[float, float, float]:
        """Return the values in L1, L2, L3 order."""
        return (self.l1, self.l2, self.l3)

    @classmethod
    def uniform(cls, value: float) -> PhaseValues:
        """Return the same value on every phase."""
        return cls(value, value, value)

    @classmethod
    def from_tuple(cls, values: tuple[float, float, float]) -> PhaseValues:
        """Build from an (L1, L2, L3) tuple."""
        return cls(values[0], values[1], values[2])

    @classmethod
    def from_fn(cls, fn: Callable[[Phase], float]) -> PhaseValues:
        """Build by calling ``fn`` for each phase."""
        return cls(fn(Phase.L1), fn(Phase.L2), fn(Phase.L3))


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """The site's electrical facts, as configured by the user."""

    fuse_a: float
    phases: int = 3
    voltage_v: float = 230.0
    max_import_w: float | None = None

    @property
    def active_phases(self) -> tuple[Phase, ...]:
        """Phases present at this site (L1 only on a single-phase supply)."""
        return (Phase.L1,) if self.phases == 1 else (Phase.L1, Phase.L2, Phase.L3)


@dataclass(frozen=True, slots=True)
class InputReading:
    """The state of one input entity, already converted to base units."""

    role: InputRole
    entity_id: str
    status: InputStatus
    value: float | None = None
    reported_at: datetime | None = None  # when the source last reported it

    @property
    def ok(self) -> bool:
        """Return whether the reading is usable."""
        return self.status is InputStatus.OK and self.value is not None


@dataclass(frozen=True, slots=True)
class SiteSnapshot:
    """Everything measured at the site at one instant, in base units.

    ``grid_power_w`` is positive for import. ``phase_currents_a`` holds measured grid
    currents per phase (magnitudes: import and export cannot be told apart by a clamp).
    ``battery_power_w`` is positive while the home battery charges.
    ``ev_power_w`` and ``ev_currents_a`` are what this controller's chargers draw now.
    ``chargers`` and ``circuits`` hold per-charger and per-circuit readings, ``requests``
    what the user and the planner ask of each charger this cycle (a charger without a
    request runs in ``fast``), and ``external_limit`` a grid signal, if any.
    ``control_paused`` is the user's master switch: every charger runs at its fallback
    current within the static limits, as in failsafe, until control resumes.
    """

    grid_power_w: float | None = None
    phase_currents_a: PhaseValues | None = None
    pv_power_w: float | None = None
    battery_power_w: float | None = None
    battery_soc_pct: float | None = None
    ev_power_w: float = 0.0
    ev_currents_a: PhaseValues = PhaseValues()
    inputs: tuple[InputReading, ...] = ()
    chargers: tuple[ChargerState, ...] = ()
    circuits: tuple[CircuitState, ...] = ()
    requests: tuple[ChargerRequest, ...] = ()
    external_limit: ExternalLimit | None = None
    control_paused: bool = False

    @property
    def meter_at(self) -> datetime | None:
        """When the grid readings in use were reported (the oldest); None if unknown."""
        times = [
            r.reported_at
            for r in self.inputs
            if r.role in SAFETY_ROLES and r.ok and r.reported_at is not None
        ]
        return min(times, default=None)

    @property
    def failsafe_inputs(self) -> tuple[InputReading, ...]:
        """Safety-relevant inputs that are not usable."""
        return tuple(r for r in self.inputs if r.role in SAFETY_ROLES and not r.ok)

    @property
    def degraded_inputs(self) -> tuple[InputReading, ...]:
        """Optional inputs that are not usable (the site still runs without them)."""
        return tuple(r for r in self.inputs if r.role not in SAFETY_ROLES and not r.ok)

    @property
    def failsafe(self) -> bool:
        """Return whether the fuse cannot be guarded from the measurements."""
        if self.failsafe_inputs:
            return True
        return self.grid_power_w is None and self.phase_currents_a is None


SECTION_14A_MIN_W: Final = 4_200.0
"""§14a EnWG: a grid operator may dim a controllable consumer, but never below 4.2 kW."""


class ChargerMode(StrEnum):
    """What a charger's user wants from it."""

    OFF = "off"
    FAST = "fast"
    PV = "pv"
    MIN_PV = "min_pv"
    SMART = "smart"


class PhaseMode(StrEnum):
    """How a charger that can switch between one and three phases should be run."""

    AUTO = "auto"
    ONE = "1p"
    THREE = "3p"


class Reason(StrEnum):
    """Why a charger got the current it got: the closed set shown to users."""

    FAST = "fast"
    MINIMUM_SOC = "minimum_soc"
    SITE_FUSE = "site_fuse"
    CIRCUIT_LIMIT = "circuit_limit"
    PHASE_IMBALANCE = "phase_imbalance"
    IMPORT_LIMIT = "import_limit"
    GRID_SIGNAL = "grid_signal"
    TEMPERATURE_DERATING = "temperature_derating"
    PV_SURPLUS = "pv_surplus"
    WAITING_FOR_SURPLUS = "waiting_for_surplus"
    SURPLUS_ENDING = "surplus_ending"
    MIN_CURRENT = "min_current"
    PLANNED_SLOT = "planned_slot"
    WAITING_FOR_CHEAP_SLOT = "waiting_for_cheap_slot"
    TARGET_REACHED = "target_reached"
    OUTSIDE_WINDOW = "outside_window"
    FAILSAFE_INPUTS = "failsafe_inputs"
    PAUSED_FOR_PRIORITY = "paused_for_priority"
    PHASE_SWITCHING = "phase_switching"
    MODE_OFF = "mode_off"
    NOT_CONNECTED = "not_connected"
    VEHICLE_IDLE = "vehicle_idle"
    VEHICLE_LIMITED = "vehicle_limited"
    CONTROL_PAUSED = "control_paused"


@dataclass(frozen=True, slots=True)
class DeratingCurve:
    """Linear derating: full current up to ``start_c``, ``min_fraction`` from ``end_c`` on.

    An unknown temperature (sensor configured but unavailable) derates to ``min_fraction``:
    the curve exists to protect hardware, so it must not fail open.
    """

    start_c: float
    end_c: float
    min_fraction: float = 0.0

    def __post_init__(self) -> None:
        """Reject curves that do not fall from 1 to ``min_fraction``."""
        if not self.end_c > self.start_c:
            raise ValueError("derating end temperature must be above its start")
        if not 0.0 <= self.min_fraction <= 1.0:
            raise ValueError("derating minimum fraction must be within 0..1")

    def factor(self, temperature_c: float | None) -> float:
        """Return the fraction of the rated current allowed at ``temperature_c``."""
        if temperature_c is None or math.isnan(temperature_c):
            return self.min_fraction
        if temperature_c <= self.start_c:
            return 1.0
        if temperature_c >= self.end_c:
            return self.min_fraction
        span = (temperature_c - self.start_c) / (self.end_c - self.start_c)
        return 1.0 - span * (1.0 - self.min_fraction)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A daily window of wall-clock time, compared with ``now`` in its own time zone.

    ``end`` before ``start`` wraps past midnight; ``start == end`` is the whole day.
    """

    start: time
    end: time

    def contains(self, moment: datetime) -> bool:
        """Return whether ``moment`` lies inside the window (start inclusive)."""
        clock = moment.time().replace(tzinfo=None)
        start = self.start.replace(tzinfo=None)
        end = self.end.replace(tzinfo=None)
        if start == end:
            return True
        if start < end:
            return start <= clock < end
        return clock >= start or clock < end


@dataclass(frozen=True, slots=True)
class ChargerConfig:
    """A charger's fixed facts and the installer's settings for it.

    ``phase`` is the site phase a single-phase charger is wired to, or the site phase a
    switchable three-phase charger uses while switched to one phase. ``priority``: higher
    is served first. ``weight`` scales the fair share among equal priorities.
    ``fallback_current_a`` is used while the site inputs are in failsafe; None means the
    minimum current where the fuse allows it, 0 means pause.
    """

    id: str
    phases: int = 3
    phase: Phase = Phase.L1
    min_current_a: float = 6.0
    max_current_a: float = 16.0
    fallback_current_a: float | None = None
    priority: int = 0
    weight: float = 1.0
    circuit_id: str | None = None
    can_switch_phases: bool = False
    derating: DeratingCurve | None = None

    def __post_init__(self) -> None:
        """Reject settings the allocator cannot honour."""
        if self.phases not in (1, 3):
            raise ValueError(f"charger {self.id}: phases must be 1 or 3")
        if not 0.0 < self.min_current_a <= self.max_current_a:
            raise ValueError(f"charger {self.id}: need 0 < min current <= max current")
        if not self.weight > 0.0:
            raise ValueError(f"charger {self.id}: weight must be positive")
        fallback = self.fallback_current_a
        in_range = fallback is None or self.min_current_a <= fallback <= self.max_current_a
        if not (in_range or fallback == 0.0):
            raise ValueError(f"charger {self.id}: fallback must be 0 or within min..max")


@dataclass(frozen=True, slots=True)
class CircuitConfig:
    """A sub-circuit (feeder) with a current limit on each of its phases.

    ``parent_id`` None means the circuit hangs directly off the main fuse.
    """

    id: str
    limit_a: float
    parent_id: str | None = None
    derating: DeratingCurve | None = None


@dataclass(frozen=True, slots=True)
class ChargerState:
    """What a charger reports now. ``currents_a`` are per *site* phase, in A."""

    id: str
    connected: bool = False
    charging: bool = False
    currents_a: PhaseValues = PhaseValues()
    active_phases: int | None = None
    soc_pct: float | None = None
    session_energy_kwh: float = 0.0
    temperature_c: float | None = None
    measured_at: datetime | None = None  # when the charger reported these currents


@dataclass(frozen=True, slots=True)
class CircuitState:
    """Readings of one circuit: a meter (per site phase, A) and a temperature, if any.

    Without a meter the circuit is assumed to feed only this controller's chargers.
    """

    id: str
    currents_a: PhaseValues | None = None
    temperature_c: float | None = None


@dataclass(frozen=True, slots=True)
class ExternalLimit:
    """A grid signal capping the combined power of this controller's chargers.

    Past ``expires_at`` the signal is stale and ``failsafe_w`` applies (None keeps the
    last value) — never "unlimited". With ``is_14a`` neither value dims below 4.2 kW.
    """

    power_w: float
    expires_at: datetime | None = None
    is_14a: bool = False
    failsafe_w: float | None = None

    def effective_w(self, now: datetime) -> float:
        """Return the limit in force at ``now``."""
        value = self.power_w
        if self.expires_at is not None and now >= self.expires_at:
            value = self.power_w if self.failsafe_w is None else self.failsafe_w
        value = max(0.0, value)
        return max(value, SECTION_14A_MIN_W) if self.is_14a else value

    def stale(self, now: datetime) -> bool:
        """Return whether the signal has expired."""
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True, slots=True)
class ChargerRequest:
    """What the user (and the planner, in ``smart``) asks of one charger this cycle.

    ``planned_power_w`` is the planner's power for the current slot (``smart`` only).
    ``windows`` empty means charging is allowed at any time. Below ``min_soc_pct`` the
    charger runs as in ``fast`` whatever its mode (but not in ``off``).
    """

    charger_id: str
    mode: ChargerMode = ChargerMode.FAST
    target_soc_pct: float | None = None
    target_energy_kwh: float | None = None
    min_soc_pct: float | None = None
    windows: tuple[TimeWindow, ...] = ()
    planned_power_w: float = 0.0
    phase_mode: PhaseMode = PhaseMode.AUTO
