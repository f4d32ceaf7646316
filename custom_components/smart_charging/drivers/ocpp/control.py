"""The live limit: what to send and when, and whether the charger follows it.

Refresh ownership: the coordinator calls ``OcppCharger.async_apply`` every control cycle;
``LimitControl.plan`` decides whether anything must go out (the profile changed, or the
refresh period has passed since the last send). Nothing refreshes on its own: if the
control loop stops, the live profile expires into the safe fallback, which is the point.

Silent caps: after a limit change has had ``settle_s`` to take effect, each
``Current.Offered`` sample (while the charger offers current: Charging/SuspendedEV) is
compared with the limit; two mismatching samples in a row set ``mismatch``, the first
matching one clears it. Chargers that do not report ``Current.Offered`` are checked once
per change through GetCompositeSchedule instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from ..base import ChargerReading, ChargerStatus
from .compat import CompatOptions, PauseMode, ProfilePurpose, RateUnit
from .configure import ChargePointSetup
from .profiles import Profile, live_profile, live_stack_level, to_amps, usable_voltage

MISMATCH_SAMPLES: Final = 2
_OFFERING: Final = frozenset({ChargerStatus.CHARGING, ChargerStatus.SUSPENDED_EV})


@dataclass(frozen=True, slots=True)
class Command:
    """What the coordinator asked for."""

    current_a: float
    phases: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What to send now."""

    phases: int = 3  # of the command the profile was made for
    profile: Profile | None = None
    remote_stop: int | None = None  # a transaction id
    remote_start: bool = False


def tolerance_a(expected_a: float) -> float:
    """Return how far an offered current may be from the limit (rounding, W↔A)."""
    return max(1.0, 0.1 * expected_a)


class LimitControl:
    """Live-limit bookkeeping of one charger (no I/O)."""

    def __init__(self) -> None:
        """Start with nothing asked and nothing sent."""
        self.desired: Command | None = None
        self.rejected = False
        self.mismatch = False
        self._sent: Profile | None = None  # without start; accepted or rejected
        self._sent_at = 0.0
        self._accepted: Profile | None = None
        self._accepted_phases = 3
        self._changed_at = 0.0
        self._mismatches = 0
        self._stopped_tx: int | None = None
        self._started_for_preparing = False
        self._voltage: float | None = None
        self.raised = False  # the last accepted profile allows more than the one before

    def forget_sent(self) -> None:
        """Send again on the next plan (new connection, new setup, new options)."""
        self._sent = None
        self._accepted = None
        self._mismatches = 0
        self.mismatch = False
        self.rejected = False

    def _stable_voltage(self, measured_v: float) -> float:
        """Return the voltage for W limits, moved only by > 2 % (no resend per sample)."""
        if self._voltage is None or abs(measured_v - self._voltage) > 0.02 * self._voltage:
            self._voltage = measured_v
        return self._voltage

    def status_changed(self, status: ChargerStatus) -> None:
        """Allow a new remote start once the charger has left Preparing."""
        if status is not ChargerStatus.PREPARING:
            self._started_for_preparing = False

    def plan(
        self,
        options: CompatOptions,
        setup: ChargePointSetup,
        reading: ChargerReading,
        *,
        now: float,
        utcnow: datetime,
    ) -> Plan | None:
        """Return what must be sent now, or None."""
        command = self.desired
        if command is None:
            return None
        tx = reading.transaction_id
        if command.current_a <= 0 and options.pause_mode is PauseMode.REMOTE_STOP:
            if tx is not None and tx != self._stopped_tx:
                return Plan(remote_stop=tx)
            return None
        profile = live_profile(
            options,
            unit=setup.unit,
            current_a=command.current_a,
            phases=command.phases,
            voltage_v=self._stable_voltage(
                usable_voltage(reading.voltage_v, options.nominal_voltage_v)
            ),
            start=None,
            stack_level=live_stack_level(options, setup.max_stack_level),
            switching=setup.switching,
            transaction_id=tx,
        )
        to_send: Profile | None = profile
        if options.purpose is ProfilePurpose.TX and tx is None:
            to_send = None  # a TxProfile needs a transaction; the fallback rules meanwhile
        elif self._sent == profile and now - self._sent_at < options.refresh_s:
            to_send = None
        remote_start = (
            options.remote_start
            and command.current_a > 0
            and reading.status is ChargerStatus.PREPARING
            and tx is None
            and not self._started_for_preparing
        )
        if to_send is None and not remote_start:
            return None
        if to_send is not None:
            to_send = to_send.starting(utcnow)
        return Plan(phases=command.phases, profile=to_send, remote_start=remote_start)

    def stopped(self, transaction_id: int) -> None:
        """Record a RemoteStopTransaction (sent once per transaction)."""
        self._stopped_tx = transaction_id

    def started(self) -> None:
        """Record a RemoteStartTransaction (sent once per Preparing)."""
        self._started_for_preparing = True

    def sent(self, profile: Profile, phases: int, *, accepted: bool, now: float) -> bool:
        """Record a SetChargingProfile answer; return whether the limit changed."""
        self._sent, self._sent_at = profile.starting(None), now
        self.rejected = not accepted
        if not accepted:
            return False
        previous, previous_phases = self._accepted, self._accepted_phases
        self._accepted, self._accepted_phases = self._sent, phases
        changed = previous is None or previous.periods[0] != profile.periods[0]
        before = 0.0 if previous is None else previous.first_limit
        # More current, or the same on more phases (a switch from 1 to 3 phases).
        self.raised = changed and (
            profile.first_limit > before or (phases > previous_phases and before > 0)
        )
        if changed:
            self._changed_at = now
            self._mismatches = 0
        return changed

    def expected_a(self, voltage_v: float) -> float | None:
        """Return the per-phase current the accepted live profile allows now."""
        if self._accepted is None:
            return None
        profile = self._accepted
        phases = self._accepted_phases
        return to_amps(profile.first_limit, phases, profile.unit, voltage_v)

    def observe_offered(
        self,
        offered_a: float,
        status: ChargerStatus,
        voltage_v: float,
        options: CompatOptions,
        *,
        now: float,
    ) -> None:
        """Judge one ``Current.Offered`` sample against the accepted limit."""
        if status not in _OFFERING or now - self._changed_at < options.settle_s:
            return
        if now - self._sent_at >= options.expiry_s:
            return  # the live profile has lapsed; the fallback rules
        expected = self.expected_a(voltage_v)
        if expected is None:
            return
        if abs(offered_a - expected) <= tolerance_a(expected):
            self._mismatches = 0
            self.mismatch = False
            return
        self._mismatches += 1
        if self._mismatches >= MISMATCH_SAMPLES:
            self.mismatch = True

    def observe_composite(self, limit: float, profile: Profile) -> None:
        """Judge the charger's composite schedule against the profile just accepted."""
        ours = profile.first_limit
        tolerance = max(1.0, 0.01 * ours) if profile.unit is RateUnit.WATTS else 0.15
        self.mismatch = abs(limit - ours) > tolerance
