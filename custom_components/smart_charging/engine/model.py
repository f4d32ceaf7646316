"""Value types shared by the engine: site configuration, measurements, snapshots.

Every type here is a frozen, slotted dataclass or a StrEnum so that a snapshot can be
handed to the engine, compared, hashed and logged without surprises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


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
    """

    grid_power_w: float | None = None
    phase_currents_a: PhaseValues | None = None
    pv_power_w: float | None = None
    battery_power_w: float | None = None
    battery_soc_pct: float | None = None
    ev_power_w: float = 0.0
    ev_currents_a: PhaseValues = PhaseValues()
    inputs: tuple[InputReading, ...] = ()

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
