"""``OcppCharger``: the persistent driver of one charge point id.

One object per charge point id for the server's lifetime (the Home Assistant layer keeps
it); connections come and go underneath (``attach``/``detach``). It implements
``ChargerDriver``: ``reading`` is a cached value rebuilt from StatusNotification,
MeterValues and transactions; ``async_apply`` hands the live limit to ``LimitControl``
and sends what is due from a task of the current connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict
import math
from typing import Any

from ..base import (
    ChargerCapabilities,
    ChargerInfo,
    ChargerReading,
    ChargerUnavailableError,
    CommandRejectedError,
    DriverError,
    Listeners,
    same_reading,
)
from .calls import (
    composite_limit,
    remote_start,
    remote_stop,
    set_charging_profile,
    trigger_message,
)
from .compat import CompatOptions, PhaseSwitching, ServerConfig
from .configure import ChargePointSetup, configure
from .control import Command, LimitControl, Plan
from .logs import driver_logger
from .measurands import MeterSample, phase_currents
from .profiles import Profile, usable_voltage
from .session import ChargerCallError, Session
from .state import ConnectorState

_LOGGER = driver_logger(__name__)


class OcppCharger:
    """One OCPP 1.6J charge point (one connector), across reconnects."""

    def __init__(
        self, cp_id: str, config: ServerConfig, options: CompatOptions | None = None
    ) -> None:
        """Create the driver; it is offline until the charge point connects."""
        self._cp_id = cp_id
        self._config = config
        self._options = options or CompatOptions()
        self._info = ChargerInfo()
        self._state = ConnectorState()
        self._reading = ChargerReading()
        self._session: Session | None = None
        self._setup: ChargePointSetup | None = None
        self._control = LimitControl()
        self._push_task: asyncio.Task[None] | None = None
        self._composite_supported = True
        self._trigger_supported = True
        self._follow_task: asyncio.Task[None] | None = None
        self._listeners = Listeners(cp_id)

    # ---- ChargerDriver --------------------------------------------------------------

    @property
    def charger_id(self) -> str:
        """Return the charge point id."""
        return self._cp_id

    @property
    def info(self) -> ChargerInfo:
        """Return what the last BootNotification said."""
        return self._info

    @property
    def capabilities(self) -> ChargerCapabilities:
        """Return what the charger can do (phase switching once known)."""
        if self._setup is not None:
            return ChargerCapabilities(can_switch_phases=self._setup.switching)
        enabled = self._options.phase_switching is PhaseSwitching.ENABLED
        return ChargerCapabilities(can_switch_phases=enabled)

    @property
    def reading(self) -> ChargerReading:
        """Return the latest known state (no I/O)."""
        return self._reading

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` on every change of reading, info or connection."""
        return self._listeners.add(listener)

    async def async_apply(self, current_a: float, phases: int) -> None:
        """Offer at most ``current_a`` per phase on ``phases`` phases; 0 pauses.

        Call it every control cycle: only a changed limit, or one unchanged for the
        refresh period, is sent. Returns when the charger has answered (bounded by the
        call timeout). Raises ``ChargerUnavailableError`` (not connected or not accepted),
        ``ChargerTimeoutError``, ``CommandRejectedError`` or ``ChargerProtocolError``.
        While the post-boot setup runs the limit is stored and sent when it ends.
        """
        if not math.isfinite(current_a) or current_a < 0 or phases not in (1, 2, 3):
            raise ValueError(f"invalid limit: {current_a} A on {phases} phases")
        self._control.desired = Command(current_a, phases)
        session = self._session
        if session is None or session.closed or not session.admitted:
            raise ChargerUnavailableError(f"{self._cp_id} is not connected")
        if not session.ready:
            return
        task = self._push_task
        if task is None or task.done():
            if (plan := self._plan()) is None:
                return  # unchanged and not due: the usual case
            task = self._kick(session, plan)
        await self._wait(task)
        if self._control.rejected:
            raise CommandRejectedError(f"{self._cp_id} refused the limit")

    # ---- extras for the Home Assistant layer ----------------------------------------

    @property
    def options(self) -> CompatOptions:
        """Return the compatibility options."""
        return self._options

    def set_options(self, options: CompatOptions) -> None:
        """Use new options; a connected charger is configured again."""
        if options == self._options:
            return
        self._options = options
        session = self._session
        if session is not None:
            session.update_routes()
            if session.admitted:
                session.restart_setup()

    @property
    def connected(self) -> bool:
        """Return whether a websocket is open."""
        return self._session is not None

    @property
    def accepted(self) -> bool:
        """Return whether the connected charger is accepted (not pending)."""
        return self._session is not None and self._session.admitted

    @property
    def ready(self) -> bool:
        """Return whether the post-boot setup is done (limits are sent from now on)."""
        return self._session is not None and self._session.ready

    def diagnostics(self) -> dict[str, Any]:
        """Return what the setup found (for Home Assistant diagnostics; no secrets)."""
        setup = self._setup
        return {
            "connected": self.connected,
            "accepted": self.accepted,
            "ready": self.ready,
            "options": asdict(self._options),
            "configuration": dict(setup.configuration) if setup else None,
            "measurands": list(setup.measurands) if setup else None,
            "rate_unit": str(setup.unit) if setup else None,
            "max_stack_level": setup.max_stack_level if setup else None,
            "fallback_accepted": setup.fallback_accepted if setup else None,
            "composite_supported": self._composite_supported,
            "trigger_supported": self.trigger_supported,
        }

    # ---- connection (server side) ---------------------------------------------------

    def attach(self, session: Session) -> None:
        """A new connection of this charge point."""
        self._session = session
        self._state.clear_connection()
        self._control.forget_sent()
        self._publish(force=True)

    def detach(self, session: Session) -> None:
        """A connection ended (ignored if a newer one has replaced it)."""
        if self._session is not session:
            return
        self._session = None
        self._setup = None
        self._state.clear_connection()
        self._control.forget_sent()
        self._publish(force=True)

    async def async_setup(self, session: Session) -> None:
        """Configure the charge point, then send the stored limit (a session task)."""
        setup = await configure(session, self._cp_id, self._options, self._config.utcnow())
        if self._session is not session:
            return
        self._setup = setup
        self._trigger_supported = True  # asked anew on every connection (new firmware)
        self._control.forget_sent()
        session.ready = True
        self._publish(force=True)
        if (plan := self._plan()) is not None:
            self._kick(session, plan)

    # ---- handler host ---------------------------------------------------------------

    def record_info(self, info: ChargerInfo) -> None:
        """Store what a BootNotification says."""
        if info != self._info:
            self._info = info
            self._publish(force=True)

    def record_status(
        self, connector_id: int, status: str, error_code: str, vendor_error: str | None
    ) -> None:
        """Store a StatusNotification."""
        if self._state.status(connector_id, status, error_code, vendor_error, self._options):
            self._control.status_changed(self._state.charger_status(self._options))
        self._publish()

    def record_meter_values(
        self, connector_id: int, transaction_id: int | None, sample: MeterSample
    ) -> None:
        """Store a MeterValues sample and judge Current.Offered."""
        options = self._options
        if not self._state.meter(connector_id, transaction_id, sample, options):
            return
        if sample.offered_a is not None:
            self._control.observe_offered(
                sample.offered_a,
                self._state.charger_status(options),
                usable_voltage(self._state.sample.voltage_v, options.nominal_voltage_v),
                options,
                now=self._config.monotonic(),
            )
        self._publish()

    def record_transaction_start(
        self, connector_id: int, transaction_id: int, meter_start_wh: float
    ) -> None:
        """Store a started transaction."""
        if connector_id == self._options.connector_id:
            self._state.started(transaction_id, meter_start_wh)
            self._publish()

    def record_transaction_stop(self, transaction_id: int, meter_stop_wh: float) -> None:
        """Store a stopped transaction."""
        self._state.stopped(transaction_id, meter_stop_wh)
        self._publish()

    def transaction_changed(self) -> None:
        """After a StartTransaction or MeterValues answer: send a due TxProfile."""
        session = self._session
        if not self._state.take_new_transaction() or session is None or not session.ready:
            return
        if (plan := self._plan()) is not None:
            self._kick(session, plan)

    # ---- sending --------------------------------------------------------------------

    def _plan(self) -> Plan | None:
        if self._setup is None:
            return None
        return self._control.plan(
            self._options,
            self._setup,
            self._reading,
            now=self._config.monotonic(),
            utcnow=self._config.utcnow(),
        )

    def _kick(self, session: Session, plan: Plan) -> asyncio.Task[None]:
        """Send ``plan`` (and whatever is due after it) unless a sender already runs."""
        task = self._push_task
        if task is None or task.done():
            # A follow-up request in flight would hold the connection's one CALL slot: a
            # cut must not wait for it (a raise starts the follow-ups again).
            if self._follow_task is not None and not self._follow_task.done():
                self._follow_task.cancel()
            task = session.spawn(self._deliver(session, plan), "limit")
            self._push_task = task
        return task

    @staticmethod
    async def _wait(task: asyncio.Task[None]) -> None:
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            raise ChargerUnavailableError("the connection closed") from None

    async def _deliver(self, session: Session, plan: Plan | None) -> None:
        while plan is not None:
            await self._execute(session, plan)
            plan = self._plan()  # a newer command may have come in meanwhile

    async def _execute(self, session: Session, plan: Plan) -> None:
        options = self._options
        if plan.remote_stop is not None:
            self._control.stopped(plan.remote_stop)
            status = await remote_stop(session, plan.remote_stop)
            _LOGGER.debug("%s: RemoteStopTransaction %s", self._cp_id, status)
            return
        if plan.profile is not None:
            profile = plan.profile
            status = await set_charging_profile(session, profile)
            accepted = status == "Accepted"
            flags = (self._control.rejected, self._control.mismatch)
            now = self._config.monotonic()
            changed = self._control.sent(profile, plan.phases, accepted=accepted, now=now)
            if not accepted:
                _LOGGER.warning("%s: live profile %s", self._cp_id, status)
            else:
                if self._control.raised:
                    self._follow_up(session)
                if changed and self._composite_supported and not self._state.offered_seen:
                    await self._check_composite(session, profile)
            if flags != (self._control.rejected, self._control.mismatch):
                self._publish()
        if plan.remote_start:
            self._control.started()
            status = await remote_start(session, options.id_tag, options.connector_id)
            _LOGGER.debug("%s: RemoteStartTransaction %s", self._cp_id, status)

    @property
    def trigger_supported(self) -> bool:
        """Whether the charger sends MeterValues when asked (learned at setup and after)."""
        setup = self._setup
        return setup is not None and setup.meter_trigger and self._trigger_supported

    def _follow_up(self, session: Session) -> None:
        """After a raise, ask for readings while the car follows (``follow_up_s``).

        The grid meter sees a car that starts drawing at once; until its charger reports,
        that draw counts as house load and may cut the others. A newer raise starts the
        series again. A charger that cannot be asked is not asked again.
        """
        delays = self._options.follow_up_s
        if not delays or not self.trigger_supported:
            return
        if self._follow_task is not None and not self._follow_task.done():
            self._follow_task.cancel()
        self._follow_task = session.spawn(self._ask_readings(session, delays), "follow-up")

    async def _ask_readings(self, session: Session, delays: tuple[float, ...]) -> None:
        waited = 0.0
        for delay in delays:
            await asyncio.sleep(delay - waited)
            waited = delay
            try:
                status = await trigger_message(session, "MeterValues", self._options.connector_id)
            except ChargerCallError as err:
                if err.code in ("NotImplemented", "NotSupported"):
                    self._trigger_supported = False
                    self._publish(force=True)
                return
            except DriverError:
                return  # a slow or lost charger: the regular samples will do
            if status != "Accepted":
                _LOGGER.debug("%s: TriggerMessage(MeterValues) %s", self._cp_id, status)
                if status == "NotImplemented":
                    self._trigger_supported = False
                    self._publish(force=True)
                return

    async def _check_composite(self, session: Session, profile: Profile) -> None:
        try:
            limit = await composite_limit(
                session, self._options.connector_id, 60, str(profile.unit)
            )
        except ChargerCallError as err:
            if err.code in ("NotImplemented", "NotSupported"):
                self._composite_supported = False
            return
        except DriverError as err:
            if isinstance(err, ChargerUnavailableError):
                raise
            return
        if limit is not None:
            self._control.observe_composite(limit, profile)

    # ---- reading --------------------------------------------------------------------

    def _publish(self, *, force: bool = False) -> None:
        options = self._options
        voltage = usable_voltage(self._state.sample.voltage_v, options.nominal_voltage_v)
        errors = self._state.errors(options)
        if self._setup is not None and not self._setup.fallback_accepted:
            errors = (*errors, "fallback_profile_rejected")
        reading = self._state.reading(
            connected=self._session is not None,
            options=options,
            currents=phase_currents(self._state.sample, voltage),
            errors=errors,
            limit_mismatch=self._control.mismatch,
            limit_rejected=self._control.rejected
            or (self._setup is not None and not self._setup.fallback_accepted),
            updated=self._config.utcnow(),
        )
        old = self._reading
        self._reading = reading
        if not force and same_reading(old, reading):
            return
        self._listeners.notify()
