"""A charger model's Modbus behaviour, described as frozen data.

One ``ChargerProfile`` per charger model says where its state and measurements live,
how a current limit is written and scaled, how charging pauses, and how the charger
falls back by itself when the controller goes quiet (failsafe current, timeout and the
writes that keep it from firing). The driver (``charger.py``) only interprets profiles;
adding a charger model means adding data under ``profiles/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import math

from ..base import ChargerStatus
from .registers import DataType, Register, RegisterType

# How often the driver re-writes a setpoint when the charger has no watchdog: often enough
# to repair a charger that rebooted into its stored current, rarely enough to be cheap.
REWRITE_WITHOUT_WATCHDOG_S = 30.0


class PauseMethod(StrEnum):
    """How a profile stops the charging current."""

    ZERO_CURRENT = "zero_current"  # write 0 A to the setpoint register
    ENABLE = "enable"  # switch an enable register or coil off (the setpoint stays)


type RawState = int | str


@dataclass(frozen=True, slots=True, kw_only=True)
class StateMap:
    """Where the charger's state is and what each raw value means."""

    register: Register
    values: tuple[tuple[RawState, ChargerStatus], ...]
    # An optional cable/plug register: a state that says "no vehicle" becomes PREPARING
    # when ``raw & plug_mask`` is set (KEBA's charging state 1 covers both cases).
    plug: Register | None = None
    plug_mask: int = 0

    def __post_init__(self) -> None:
        """Reject an empty or ambiguous mapping."""
        if not self.values:
            raise ValueError("a state map needs at least one value")
        keys = [key for key, _ in self.values]
        if len(set(keys)) != len(keys):
            raise ValueError("a raw state value appears twice")
        text = self.register.data_type is DataType.STRING
        if any(isinstance(key, str) != text for key in keys):
            raise ValueError("string states need text keys, numeric states integer keys")
        if self.plug is not None and self.plug_mask <= 0:
            raise ValueError("a plug register needs a non-zero mask")

    def status(self, raw: RawState) -> ChargerStatus | None:
        """Return the status of a raw value (None: not defined by the charger model)."""
        for key, status in self.values:
            if key == raw:
                return status
        return None

    @classmethod
    def of(cls, register: Register, values: Mapping[RawState, ChargerStatus]) -> StateMap:
        """Build a state map from a plain mapping."""
        return cls(register=register, values=tuple(values.items()))


@dataclass(frozen=True, slots=True, kw_only=True)
class Setpoint:
    """The current limit register (its scale turns raw units into amperes)."""

    register: Register
    min_a: float = 6.0  # below this the driver pauses instead
    max_a: float = 32.0
    step_a: float | None = None  # resolution; None: the register's scale (0.1 for floats)
    write_multiple: bool = False  # function 0x10 even for a single word

    def __post_init__(self) -> None:
        """Reject a range no charger has."""
        if self.register.kind is not RegisterType.HOLDING:
            raise ValueError("the setpoint must be a holding register")
        if not 0 < self.min_a <= self.max_a <= 80:
            raise ValueError(f"setpoint range invalid: {self.min_a}-{self.max_a} A")
        if self.step_a is not None and not 0 < self.step_a <= self.min_a:
            raise ValueError(f"setpoint step invalid: {self.step_a}")

    @property
    def resolution_a(self) -> float:
        """Return the smallest current step the charger takes."""
        if self.step_a is not None:
            return self.step_a
        return 0.1 if self.register.data_type.is_float else self.register.scale

    def quantize(self, current_a: float) -> float:
        """Return the largest current the charger can offer that is at most ``current_a``.

        Below the minimum the answer is 0 (pause): "at most 4 A" cannot be 6 A.
        """
        if current_a < self.min_a:
            return 0.0
        step = self.resolution_a
        steps = math.floor(min(current_a, self.max_a) / step + 1e-6)
        return round(max(self.min_a, steps * step), 6)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pause:
    """How charging pauses and resumes."""

    method: PauseMethod = PauseMethod.ZERO_CURRENT
    enable: Register | None = None  # a holding register or a coil
    on_value: int = 1
    off_value: int = 0
    write_multiple: bool = False

    def __post_init__(self) -> None:
        """An enable method needs a writable enable register."""
        if self.method is PauseMethod.ENABLE:
            if self.enable is None or not self.enable.kind.writable:
                raise ValueError("pausing by enable needs a holding register or a coil")
        elif self.enable is not None:
            raise ValueError("an enable register is only used by the enable method")


@dataclass(frozen=True, slots=True, kw_only=True)
class Watchdog:
    """How the charger falls back by itself when the controller stops talking.

    ``timeout`` (seconds after scaling) and ``failsafe_current`` (amperes) are written at
    connect; ``fixed_timeout_s`` is a validity time the charger imposes (Alfen). Every
    heartbeat period the driver writes ``alive`` (if any), re-writes the timeout
    (``rewrite_timeout``) and/or re-writes the setpoint (``rewrite_setpoint``).
    """

    timeout: Register | None = None
    timeout_range_s: tuple[float, float] = (1.0, 3600.0)
    fixed_timeout_s: float | None = None
    failsafe_current: Register | None = None
    failsafe_range_a: tuple[float, float] = (6.0, 32.0)
    failsafe_zero_allowed: bool = True
    alive: Register | None = None
    alive_value: int = 1
    rewrite_timeout: bool = False
    rewrite_setpoint: bool = False
    write_multiple: bool = False

    def __post_init__(self) -> None:
        """Reject contradictory or unwritable settings."""
        for register in (self.timeout, self.failsafe_current, self.alive):
            if register is not None and register.kind is not RegisterType.HOLDING:
                raise ValueError("watchdog registers must be holding registers")
        low, high = self.timeout_range_s
        if not 0 < low <= high:
            raise ValueError(f"timeout range invalid: {self.timeout_range_s}")
        if self.timeout is not None and self.fixed_timeout_s is not None:
            raise ValueError("a timeout is either written or fixed, not both")
        if self.rewrite_timeout and self.timeout is None:
            raise ValueError("rewrite_timeout needs a timeout register")

    @property
    def falls_back(self) -> bool:
        """Return whether the charger applies a fallback by itself when writes stop."""
        return self.timeout is not None or self.fixed_timeout_s is not None

    def timeout_s(self, requested_s: float) -> float | None:
        """Return the timeout in force: the charger's fixed one, or the request clamped."""
        if self.fixed_timeout_s is not None:
            return self.fixed_timeout_s
        if self.timeout is None:
            return None
        low, high = self.timeout_range_s
        return min(max(requested_s, low), high)

    def heartbeat_period_s(self, requested_timeout_s: float) -> float | None:
        """Return how often the heartbeat writes are due (None: nothing to write).

        A third of the timeout: one lost write still leaves a margin before the fallback.
        """
        if self.alive is None and not self.rewrite_timeout and not self.rewrite_setpoint:
            return None
        timeout = self.timeout_s(requested_timeout_s)
        if timeout is None:
            return REWRITE_WITHOUT_WATCHDOG_S
        return timeout / 3.0

    def failsafe_a(self, requested_a: float) -> float:
        """Return the failsafe current the register can hold that is closest to a request."""
        low, high = self.failsafe_range_a
        if requested_a < low:
            return 0.0 if self.failsafe_zero_allowed else low
        return min(requested_a, high)


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseSwitch:
    """A register that switches between 1-phase and 3-phase charging."""

    register: Register
    one_phase: int
    three_phase: int
    write_multiple: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurements:
    """Registers read every poll (each optional; units after scaling)."""

    currents: tuple[Register, Register, Register] | None = None  # A
    voltages: tuple[Register, Register, Register] | None = None  # V
    power: Register | None = None  # W
    energy: Register | None = None  # kWh, the charger's meter
    session_energy: Register | None = None  # kWh
    offered_current: Register | None = None  # A, what the charger offers the vehicle
    temperature: Register | None = None  # °C

    def named(self) -> tuple[tuple[str, Register], ...]:
        """Return every register with a stable name (for errors and diagnostics)."""
        named: list[tuple[str, Register]] = []
        for prefix, group in (("current", self.currents), ("voltage", self.voltages)):
            if group is not None:
                named.extend((f"{prefix}_l{n}", reg) for n, reg in enumerate(group, start=1))
        for name in ("power", "energy", "session_energy", "offered_current", "temperature"):
            register = getattr(self, name)
            if register is not None:
                named.append((name, register))
        return tuple(named)


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """Registers read once per connection to tell chargers apart."""

    serial: Register | None = None
    firmware: Register | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetupWrite:
    """A value written once per connection (e.g. Heidelberg: standby off)."""

    register: Register
    value: float
    write_multiple: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargerProfile:
    """Everything the driver needs to know about one charger model."""

    id: str
    name: str  # display name, e.g. "KEBA KeContact P30 (c-/x-series)"
    vendor: str
    default_unit: int
    state: StateMap
    setpoint: Setpoint
    pause: Pause = field(default_factory=Pause)
    measurements: Measurements = field(default_factory=Measurements)
    watchdog: Watchdog = field(default_factory=Watchdog)
    phase_switch: PhaseSwitch | None = None
    identity: Identity = field(default_factory=Identity)
    setup: tuple[SetupWrite, ...] = ()
    default_port: int = 502
    source: str = ""  # the document (and reference implementation) the map follows
    notes: str = ""
    verified_on_hardware: bool = False

    def __post_init__(self) -> None:
        """Reject an id or unit no flow could store."""
        if not self.id or not self.id.replace("_", "").isalnum() or not self.id.islower():
            raise ValueError(f"profile ids are lower-case snake case: {self.id!r}")
        if not 0 <= self.default_unit <= 255:
            raise ValueError(f"unit id out of range: {self.default_unit}")

    @property
    def falls_back_by_itself(self) -> bool:
        """Return whether the charger drops to a safe current when the controller stops.

        False means: warn the user that the last current stays in force until someone
        changes it (the driver still re-writes it periodically while running).
        """
        return self.watchdog.falls_back
