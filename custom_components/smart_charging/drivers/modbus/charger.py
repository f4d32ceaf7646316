"""``ModbusCharger``: one Modbus TCP charger behind the ``ChargerDriver`` interface.

A supervisor task (``async_start``/``async_stop``) owns the connection: it connects,
arms the charger's own fallback (failsafe current and timeout), re-sends the last
command, then polls on an interval while a heartbeat task keeps the fallback from firing.
Any transport failure closes the connection; the reading turns OFFLINE and the
supervisor reconnects with a capped exponential backoff. ``async_apply`` writes only
what changed; the heartbeat repeats what the charger needs within its watchdog time,
independent of the control cycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
import math
from typing import Any

from ..base import (
    ChargerCapabilities,
    ChargerInfo,
    ChargerReading,
    ChargerUnavailableError,
    DriverError,
    Listeners,
    same_reading,
)
from .client import ModbusClient
from .compat import PYMODBUS_VERSION, UNIT_KEYWORD
from .config import Clock, ModbusConfig, SystemClock
from .control import (
    Command,
    Write,
    command,
    command_writes,
    failsafe_writes,
    heartbeat_writes,
    phase_write,
)
from .errors import (
    ERROR_FAILSAFE,
    ERROR_HEARTBEAT,
    ModbusExceptionError,
    ModbusWriteRejectedError,
)
from .model import ChargerProfile
from .reader import Sample, read_identity, read_sample
from .reading import build_reading

_LOGGER = logging.getLogger(__name__)


class ModbusCharger:
    """One charger (one unit id) on Modbus TCP, across reconnects."""

    def __init__(
        self,
        config: ModbusConfig,
        profile: ChargerProfile,
        *,
        switch_phases: bool = False,
        clock: Clock | None = None,
    ) -> None:
        """Create the driver; nothing happens until ``async_start``.

        ``switch_phases``: the user enabled 1p/3p switching and the profile has a phase
        switch register (otherwise the phase count of ``async_apply`` is ignored).
        """
        self._config = config
        self._profile = profile
        self._unit = profile.default_unit if config.unit_id is None else config.unit_id
        self._switch_phases = switch_phases and profile.phase_switch is not None
        self._clock: Clock = clock or SystemClock()
        self._id = config.charger_id or f"{config.host}:{config.port}/{self._unit}"
        self._info = ChargerInfo(vendor=profile.vendor, model=profile.name)
        self._reading = ChargerReading()
        self._listeners = Listeners(self._id)
        self._task: asyncio.Task[None] | None = None
        self._client: ModbusClient | None = None
        self._io_lock = asyncio.Lock()  # command writes: apply, heartbeat, connect
        self._lost = asyncio.Event()
        self._lost_error: DriverError | None = None
        self._sample: Sample | None = None
        self._skip: set[str] = set()
        self._desired: Command | None = None
        self._written: Command | None = None
        self._written_phases: int | None = None
        self._changed_at = 0.0
        self._rejected = False
        self._flags: set[str] = set()  # ERROR_FAILSAFE, ERROR_HEARTBEAT
        self._last_error: str | None = None
        self._offline_logged = False  # warned about this outage already

    # ---- ChargerDriver --------------------------------------------------------------

    @property
    def charger_id(self) -> str:
        """Return ``config.charger_id``, or ``host:port/unit``."""
        return self._id

    @property
    def info(self) -> ChargerInfo:
        """Return the vendor and model, and the serial and firmware once read."""
        return self._info

    @property
    def capabilities(self) -> ChargerCapabilities:
        """Return the profile's current range and whether phases are switched."""
        setpoint = self._profile.setpoint
        return ChargerCapabilities(
            can_switch_phases=self._switch_phases,
            min_current_a=setpoint.min_a,
            max_current_a=setpoint.max_a,
        )

    @property
    def reading(self) -> ChargerReading:
        """Return the latest known state (no I/O)."""
        return self._reading

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` whenever the reading changes; return the remover."""
        return self._listeners.add(listener)

    async def async_apply(self, current_a: float, phases: int) -> None:
        """Offer at most ``current_a`` per phase on ``phases`` phases; 0 pauses.

        Call it every control cycle: only a change is written (the heartbeat repeats it).
        A limit below the charger's minimum pauses. Offline, the limit is kept and sent
        on reconnect, and ``ChargerUnavailableError`` is raised. A refused write raises
        ``ModbusWriteRejectedError`` (a ``CommandRejectedError``); no answer raises
        ``ModbusTimeoutError`` and drops the connection.
        """
        if not math.isfinite(current_a) or current_a < 0 or phases not in (1, 2, 3):
            raise ValueError(f"invalid limit: {current_a} A on {phases} phases")
        wanted = command(self._profile, current_a, phases)
        self._desired = wanted
        client = self._client
        if client is None:
            raise ChargerUnavailableError(f"{self._id} is not connected")
        async with self._io_lock:
            if self._client is not client:
                raise ChargerUnavailableError(f"{self._id} reconnected; the limit is queued")
            try:
                await self._push(client, wanted)
            except DriverError as err:
                if isinstance(err, ModbusWriteRejectedError):
                    self._set_rejected(rejected=True)
                elif not isinstance(err, ModbusExceptionError):
                    self._lose(err)  # no answer: the supervisor reconnects
                raise
        self._set_rejected(rejected=False)

    # ---- lifecycle ------------------------------------------------------------------

    async def async_start(self) -> None:
        """Start the connection supervisor (returns at once; idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"modbus {self._id}")

    async def async_stop(self) -> None:
        """Stop polling and heartbeats, close the connection; the reading is OFFLINE."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
        self._close()
        self._publish()

    # ---- extras for the Home Assistant layer ----------------------------------------

    @property
    def profile(self) -> ChargerProfile:
        """Return the charger profile."""
        return self._profile

    @property
    def unit_id(self) -> int:
        """Return the unit id in use."""
        return self._unit

    @property
    def connected(self) -> bool:
        """Return whether the connection is open and set up."""
        return self._client is not None

    def diagnostics(self) -> dict[str, Any]:
        """Return the driver's state for Home Assistant diagnostics (no secrets)."""
        watchdog, config = self._profile.watchdog, self._config
        return {
            "profile": self._profile.id,
            "verified_on_hardware": self._profile.verified_on_hardware,
            "unit_id": self._unit,
            "pymodbus": PYMODBUS_VERSION,
            "unit_keyword": UNIT_KEYWORD,
            "connected": self.connected,
            "falls_back_by_itself": self._profile.falls_back_by_itself,
            "failsafe_current_a": watchdog.failsafe_a(config.failsafe_current_a)
            if watchdog.failsafe_current is not None
            else None,
            "failsafe_timeout_s": watchdog.timeout_s(config.failsafe_timeout_s),
            "heartbeat_period_s": watchdog.heartbeat_period_s(config.failsafe_timeout_s),
            "desired": _command_dict(self._desired),
            "written": _command_dict(self._written),
            "raw_state": self._sample.raw_state if self._sample else None,
            "unsupported_registers": sorted(self._skip),
            "flags": sorted(self._flags),
            "last_error": self._last_error,
        }

    # ---- connection -----------------------------------------------------------------

    async def _run(self) -> None:
        config = self._config
        delay = config.backoff_initial_s
        while True:
            try:
                client = await self._open()
            except DriverError as err:
                self._offline(err)
                await self._clock.sleep(delay)
                delay = min(delay * 2, config.backoff_max_s)
                continue
            except Exception:
                _LOGGER.exception("%s: unexpected error while connecting", self._id)
                self._offline(DriverError("unexpected error"))
                await self._clock.sleep(config.backoff_max_s)
                continue
            opened_at = self._clock.monotonic()
            try:
                await self._serve(client)
            except DriverError as err:
                self._offline(err)
            except Exception:
                _LOGGER.exception("%s: unexpected error", self._id)
                self._offline(DriverError("unexpected error"))
            if self._clock.monotonic() - opened_at >= config.backoff_max_s:
                delay = config.backoff_initial_s  # a connection that lasted resets it
            await self._clock.sleep(delay)
            delay = min(delay * 2, config.backoff_max_s)

    async def _open(self) -> ModbusClient:
        config = self._config
        client = ModbusClient(
            config.host,
            config.port,
            self._unit,
            timeout_s=config.timeout_s,
            retries=config.retries,
        )
        await client.connect()
        try:
            self._info = await read_identity(client, self._profile)
            async with self._io_lock:
                self._lost.clear()
                self._lost_error = None
                self._client = client
                self._written = self._written_phases = None
                self._skip.clear()
                await self._arm_failsafe(client)
                if self._desired is not None:
                    try:
                        await self._push(client, self._desired)
                    except ModbusWriteRejectedError as err:
                        _LOGGER.warning("%s: limit refused: %s", self._id, err)
                        self._rejected = True
                    else:
                        self._rejected = False
                # A charger that fell back while we were away takes our limit now, not
                # at the first heartbeat.
                await self._beat(client)
            await self._poll(client)
        except BaseException:
            self._close()
            client.close()
            raise
        _LOGGER.info(
            "%s: %s (%s)",
            self._id,
            "back online" if self._offline_logged else "connected",
            self._profile.name,
        )
        self._offline_logged = False
        return client

    async def _serve(self, client: ModbusClient) -> None:
        config = self._config
        period = self._profile.watchdog.heartbeat_period_s(config.failsafe_timeout_s)
        heartbeat = None
        if period is not None:
            heartbeat = asyncio.create_task(self._heartbeat(client, period))
        try:
            while True:
                await self._sleep_or_lost(config.poll_interval_s)
                await self._poll(client)
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
                await asyncio.gather(heartbeat, return_exceptions=True)
            self._close()

    async def _sleep_or_lost(self, seconds: float) -> None:
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        waiter = asyncio.ensure_future(self._lost.wait())
        try:
            await asyncio.wait((sleeper, waiter), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waiter.cancel()
            await asyncio.gather(sleeper, waiter, return_exceptions=True)
        if self._lost_error is not None:
            raise self._lost_error

    def _lose(self, err: DriverError) -> None:
        """A command or heartbeat failed on the transport: the supervisor reconnects."""
        if self._lost_error is None:
            self._lost_error = err
            self._lost.set()

    def _close(self) -> None:
        self._sample = None
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _offline(self, err: DriverError) -> None:
        """Report a lost or failed connection: a warning once, until it is back."""
        self._last_error = str(err)
        if self._offline_logged:
            _LOGGER.debug("%s: still offline: %s", self._id, err)
        else:
            _LOGGER.warning("%s: offline: %s", self._id, err)
            self._offline_logged = True
        self._publish()

    # ---- writing --------------------------------------------------------------------

    async def _write(self, client: ModbusClient, write: Write) -> None:
        await client.write(write.register, write.words(), multiple=write.multiple)

    async def _arm_failsafe(self, client: ModbusClient) -> None:
        config = self._config
        try:
            for write in failsafe_writes(
                self._profile, config.failsafe_current_a, config.failsafe_timeout_s
            ):
                await self._write(client, write)
        except ModbusExceptionError as err:
            _LOGGER.warning("%s: failsafe not configured: %s", self._id, err)
            self._flags.add(ERROR_FAILSAFE)
        else:
            self._flags.discard(ERROR_FAILSAFE)

    async def _push(self, client: ModbusClient, wanted: Command) -> None:
        """Write what differs between ``wanted`` and what the charger has (lock held)."""
        phases = 1 if wanted.phases == 1 else 3
        if self._switch_phases and phases != self._written_phases:
            write = phase_write(self._profile, phases)
            if write is not None:
                await self._write(client, write)
            self._written_phases = phases
        written = self._written
        if written is not None and written.current_a == wanted.current_a:
            self._written = wanted
            return
        for write in command_writes(self._profile, wanted, written):
            await self._write(client, write)
        self._written = wanted
        self._changed_at = self._clock.monotonic()
        _LOGGER.debug("%s: limit %.1f A", self._id, wanted.current_a)

    async def _heartbeat(self, client: ModbusClient, period: float) -> None:
        while True:
            await self._clock.sleep(period)
            async with self._io_lock:
                try:
                    await self._beat(client)
                except DriverError as err:
                    self._lose(err)
                    return

    async def _beat(self, client: ModbusClient) -> None:
        """Keep the charger's watchdog alive (lock held); transport errors propagate."""
        timeout = self._config.failsafe_timeout_s
        try:
            for write in heartbeat_writes(self._profile, self._written, timeout):
                await self._write(client, write)
        except ModbusExceptionError as err:
            if ERROR_HEARTBEAT not in self._flags:
                _LOGGER.warning("%s: heartbeat refused: %s", self._id, err)
                self._flags.add(ERROR_HEARTBEAT)
                self._publish()
            return
        if ERROR_HEARTBEAT in self._flags:
            self._flags.discard(ERROR_HEARTBEAT)
            self._publish()

    def _set_rejected(self, *, rejected: bool) -> None:
        if rejected != self._rejected:
            self._rejected = rejected
            self._publish()

    # ---- reading --------------------------------------------------------------------

    async def _poll(self, client: ModbusClient) -> None:
        self._sample = await read_sample(client, self._profile, self._skip)
        self._publish()

    def _publish(self) -> None:
        sample = self._sample if self._client is not None else None
        reading = build_reading(
            sample,
            self._written,
            now=self._clock.utcnow(),
            flags=tuple(sorted(self._flags)),
            rejected=self._rejected,
            settled=self._clock.monotonic() - self._changed_at >= self._config.settle_s,
        )
        old, self._reading = self._reading, reading
        if same_reading(old, reading):
            return
        self._listeners.notify()


def _command_dict(value: Command | None) -> dict[str, float] | None:
    if value is None:
        return None
    return {"current_a": value.current_a, "phases": value.phases}
