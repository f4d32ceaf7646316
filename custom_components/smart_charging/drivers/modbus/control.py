"""What to write, and when: pure functions of a profile and a command (no I/O).

A ``Command`` is what the charger should do (0 A pauses). The driver turns it into
``Write`` values with the functions here, and judges from a reading whether the charger
does what it was told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ..base import ChargerStatus
from .model import ChargerProfile, PauseMethod
from .registers import Register

# a vehicle never draws more than offered; measurements are this accurate
MISMATCH_MARGIN_A: Final = 1.0


@dataclass(frozen=True, slots=True)
class Command:
    """A quantized limit: ``current_a`` per phase (0 = paused) on ``phases`` phases."""

    current_a: float
    phases: int


@dataclass(frozen=True, slots=True)
class Write:
    """One register value to write."""

    register: Register
    value: float
    multiple: bool = False

    def words(self) -> tuple[int, ...]:
        """Return the encoded words."""
        return self.register.encode(self.value)


def command(profile: ChargerProfile, current_a: float, phases: int) -> Command:
    """Quantize a requested limit to what the charger can do (never more)."""
    return Command(profile.setpoint.quantize(current_a), phases)


def command_writes(profile: ChargerProfile, new: Command, old: Command | None) -> tuple[Write, ...]:
    """Return the writes that take the charger from ``old`` (None: unknown) to ``new``."""
    setpoint, pause = profile.setpoint, profile.pause
    current = Write(setpoint.register, new.current_a, setpoint.write_multiple)
    if pause.method is PauseMethod.ZERO_CURRENT or pause.enable is None:
        return (current,)
    enable = pause.enable
    if new.current_a == 0:
        return (Write(enable, pause.off_value, pause.write_multiple),)
    on = Write(enable, pause.on_value, pause.write_multiple)
    if old is not None and old.current_a > 0:
        return (current,)  # already enabled
    return (current, on)  # the current first, so that charging resumes at the new limit


def refresh_writes(profile: ChargerProfile, written: Command) -> tuple[Write, ...]:
    """Return the writes that repeat a command in full (heartbeat, after a reconnect)."""
    setpoint, pause = profile.setpoint, profile.pause
    if pause.method is PauseMethod.ENABLE and pause.enable is not None:
        value = pause.on_value if written.current_a > 0 else pause.off_value
        enable = Write(pause.enable, value, pause.write_multiple)
        if written.current_a == 0:
            return (enable,)
        return (Write(setpoint.register, written.current_a, setpoint.write_multiple), enable)
    return (Write(setpoint.register, written.current_a, setpoint.write_multiple),)


def phase_write(profile: ChargerProfile, phases: int) -> Write | None:
    """Return the write that selects 1 or 3 phases (None: the charger cannot switch)."""
    switch = profile.phase_switch
    if switch is None:
        return None
    value = switch.one_phase if phases == 1 else switch.three_phase
    return Write(switch.register, value, switch.write_multiple)


def failsafe_writes(
    profile: ChargerProfile, failsafe_current_a: float, timeout_s: float
) -> tuple[Write, ...]:
    """Return the writes that arm the charger's own fallback, after the setup writes."""
    watchdog = profile.watchdog
    writes = [Write(w.register, w.value, w.write_multiple) for w in profile.setup]
    if watchdog.failsafe_current is not None:
        value = watchdog.failsafe_a(failsafe_current_a)
        writes.append(Write(watchdog.failsafe_current, value, watchdog.write_multiple))
    timeout = watchdog.timeout_s(timeout_s)
    if watchdog.timeout is not None and timeout is not None:
        writes.append(Write(watchdog.timeout, timeout, watchdog.write_multiple))
    return tuple(writes)


def heartbeat_writes(
    profile: ChargerProfile, written: Command | None, timeout_s: float
) -> tuple[Write, ...]:
    """Return the writes due every heartbeat period."""
    watchdog = profile.watchdog
    writes: list[Write] = []
    if watchdog.alive is not None:
        writes.append(Write(watchdog.alive, watchdog.alive_value, watchdog.write_multiple))
    timeout = watchdog.timeout_s(timeout_s)
    if watchdog.rewrite_timeout and watchdog.timeout is not None and timeout is not None:
        writes.append(Write(watchdog.timeout, timeout, watchdog.write_multiple))
    if watchdog.rewrite_setpoint and written is not None:
        writes.extend(refresh_writes(profile, written))
    return tuple(writes)


def refine_status(
    status: ChargerStatus, written: Command | None, currents_a: Sequence[float] | None
) -> ChargerStatus:
    """A vehicle that waits while we pause it is SUSPENDED_EVSE ("paused by us").

    Chargers that report only the mode-3 letter say C (or B) for a paused vehicle; with
    the limit at 0 and no current flowing, the charger is not charging.
    """
    if written is None or written.current_a > 0:
        return status
    if status in (ChargerStatus.PREPARING, ChargerStatus.SUSPENDED_EV):
        return ChargerStatus.SUSPENDED_EVSE
    idle = currents_a is None or max(currents_a) < MISMATCH_MARGIN_A
    if status is ChargerStatus.CHARGING and idle:
        return ChargerStatus.SUSPENDED_EVSE
    return status


def limit_mismatch(
    written: Command | None,
    status: ChargerStatus,
    offered_a: float | None,
    currents_a: Sequence[float] | None,
    *,
    settled: bool,
) -> bool:
    """Return whether the charger offers or draws more than (or other than) it was told.

    Judged only once the charger had time to follow (``settled``) and while a vehicle is
    plugged in: some chargers report 0 A offered without one.
    """
    if written is None or not settled or not status.vehicle_connected:
        return False
    limit = written.current_a
    if offered_a is not None and abs(offered_a - limit) > MISMATCH_MARGIN_A:
        return True
    return currents_a is not None and max(currents_a) > limit + MISMATCH_MARGIN_A
