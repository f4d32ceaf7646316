"""One websocket connection of one charge point, on top of the ``ocpp`` library.

A ``Session`` lives as long as its websocket. It owns a library ``ChargePoint`` (used
for its CALL/CALLRESULT machinery and schema validation), routes incoming frames through
``frames.check_frame`` first, answers every CALL the charger may send, and runs all its
outgoing work (setup, limits, triggers) as tracked tasks that end with the connection.
State goes to the long-lived ``SessionHost`` (the ``OcppCharger``); handlers never call out
(a CALL from inside a handler deadlocks the library's receive loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
import contextlib
import logging
from typing import Any, Protocol
import uuid

from aiohttp import WSCloseCode, WSMsgType
from ocpp.exceptions import OCPPError, UnknownCallErrorCodeError, ValidationError
from ocpp.v16 import ChargePoint as LibraryChargePoint

from ..base import (
    ChargerProtocolError,
    ChargerTimeoutError,
    ChargerUnavailableError,
    DriverError,
)
from .calls import trigger_message
from .compat import CompatOptions
from .frames import ErrorCode, Frame, MessageType, call_error, check_frame
from .handlers import HandlerHost, Handlers, SessionContext
from .logs import driver_logger
from .transport import ConnectionClosedError, WebSocketConnection

_LOGGER = driver_logger(__name__)
_LIBRARY_TIMEOUT = 3600  # the session enforces its own, per call


class _QuietLibraryLogger(logging.LoggerAdapter[logging.Logger]):
    """Library logs, toned down: this package reports what matters itself.

    Every frame sent and received (the library logs them at info) is debug: a site with a
    few chargers would otherwise flood the log. A refused incoming CALL (logged with a
    traceback by the library) is a warning without one; a CALLERROR answer to our CALL is
    raised as a ``DriverError`` to whoever made the call, so the library's own warning
    about it is debug.
    """

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.log(logging.DEBUG, msg, *args, **kwargs)

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        kwargs.pop("exc_info", None)
        self.log(logging.WARNING, msg, *args, **kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.log(logging.DEBUG, msg, *args, **kwargs)


_LIBRARY_LOGGER = _QuietLibraryLogger(logging.getLogger(f"{__package__}.messages"))


class ChargerCallError(ChargerProtocolError):
    """The charger answered a CALL with a CALLERROR."""

    def __init__(self, code: str, description: str) -> None:
        """Keep the CALLERROR code (e.g. ``NotImplemented``)."""
        super().__init__(f"{code}: {description}")
        self.code = code


class SessionHost(HandlerHost, Protocol):
    """The long-lived charger a session reports to."""

    @property
    def options(self) -> CompatOptions:
        """Return the charger's compatibility options."""

    async def async_setup(self, session: Session) -> None:
        """Configure the charger after an accepted boot (runs as a session task)."""


class Session:
    """A connected charge point."""

    def __init__(
        self,
        cp_id: str,
        connection: WebSocketConnection,
        host: SessionHost,
        context: SessionContext,
        *,
        admitted: bool,
        credential: bytes | None = None,
    ) -> None:
        """Wrap a prepared websocket; ``admitted`` = Admission.ACCEPT at the handshake.

        ``credential`` is a digest of the password it signed in with (None: none).
        """
        self.cp_id = cp_id
        self.admitted = admitted  # may send CALLs other than BootNotification
        self.credential = credential
        self.ready = False  # set by the host when its setup is done
        self.retired = False  # replaced by a newer connection: acts no more for the charger
        self._connection = connection
        self._host = host
        self._handlers = Handlers(self, host, context)
        self._context = context
        self._tasks: set[asyncio.Task[Any]] = set()
        self._setup_task: asyncio.Task[None] | None = None
        self._booted = asyncio.Event()
        self._pending_ids: set[str] = set()
        self._closed = asyncio.Event()
        self._library: Any = LibraryChargePoint(
            cp_id, connection, response_timeout=_LIBRARY_TIMEOUT, logger=_LIBRARY_LOGGER
        )
        self.update_routes()

    @property
    def closed(self) -> bool:
        """Return whether the connection has ended (or was replaced)."""
        return self.retired or self._closed.is_set() or self._connection.closed

    def update_routes(self) -> None:
        """(Re)build the library's route map, e.g. after the options changed."""
        self._library.route_map = self._handlers.route_map(
            skip_validation=self._host.options.skip_schema_validation
        )

    # ---- lifetime -------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the connection until it closes; never raises."""
        self.spawn(self._await_boot(), "boot wait")
        try:
            async for message in self._connection.websocket:
                if message.type is WSMsgType.TEXT:
                    await self._route(message.data)
                elif message.type is WSMsgType.BINARY:
                    _LOGGER.warning("%s: binary frame dropped (OCPP-J is text)", self.cp_id)
                else:  # ERROR: a too big frame (closed 1009), a failed ping, a broken stream
                    _LOGGER.info("%s: connection error: %s", self.cp_id, message.data)
                    break
        except ConnectionClosedError:
            pass
        except Exception:
            _LOGGER.exception("%s: unexpected error, closing the connection", self.cp_id)
        finally:
            self._closed.set()
            await self._connection.close(WSCloseCode.GOING_AWAY)
            await self._cancel_tasks()

    async def close(self, code: int = WSCloseCode.GOING_AWAY, reason: str = "") -> None:
        """Close the connection; ``run`` then ends."""
        await self._connection.close(code, reason)

    def retire(self, code: int, reason: str) -> None:
        """A newer connection of this id took over: from now on this one changes nothing.

        Frames still arriving (or being validated) are dropped, its work is cancelled and
        it sends nothing more; the close runs in a task (a dead peer must not hold up the
        newer connection).
        """
        self.retired = True
        self.ready = False
        for task in list(self._tasks):
            task.cancel()
        self.spawn_close(code, reason)

    def spawn_close(self, code: int, reason: str) -> None:
        """Close the connection from a task (a handler must not wait for it)."""
        self.spawn(self.close(code, reason), "close")

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run work for this connection in a tracked task (cancelled when it closes)."""
        task = asyncio.get_running_loop().create_task(coro, name=f"ocpp {self.cp_id} {name}")
        if self._closed.is_set():
            task.cancel()
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        if (error := task.exception()) is not None:
            # Driver errors reach the caller of async_apply, or end with the connection.
            level = logging.DEBUG if isinstance(error, DriverError) else logging.WARNING
            _LOGGER.log(level, "%s: %s failed: %r", self.cp_id, task.get_name(), error)

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # ---- boot and setup -------------------------------------------------------------

    def booted(self, *, accepted: bool) -> None:
        """Record a BootNotification answer (called by the handlers after sending it)."""
        self.admitted = accepted
        self._booted.set()
        if accepted:
            self.restart_setup()
        else:
            self.ready = False
            if self._setup_task is not None:
                self._setup_task.cancel()

    def restart_setup(self) -> None:
        """(Re)run the host's setup: after each accepted boot, or after new options."""
        self.ready = False
        if self._setup_task is not None:
            self._setup_task.cancel()
        self._setup_task = self.spawn(self._host.async_setup(self), "setup")

    async def _await_boot(self) -> None:
        """A reconnect often comes without a BootNotification: ask for one.

        An accepted charger that still does not boot is configured anyway; a pending one
        stays unknown (its info is what the discovery flow needs).
        """
        wait = self._context.config.boot_wait_s
        if await self._booted_within(wait):
            return
        with contextlib.suppress(ChargerProtocolError, ChargerTimeoutError):
            status = await self.call_trigger_boot()
            if status == "Accepted" and await self._booted_within(wait):
                return
        if self.admitted:
            _LOGGER.info("%s: no BootNotification; configuring it anyway", self.cp_id)
            self.restart_setup()
        else:
            _LOGGER.info("%s: pending, and no BootNotification", self.cp_id)

    async def _booted_within(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self._booted.wait()
        except TimeoutError:
            return False
        return True

    async def readmit(self) -> None:
        """The user confirmed this pending charger: have it boot again (or reconnect)."""
        try:
            status = await self.call_trigger_boot()
        except (ChargerProtocolError, ChargerTimeoutError):
            status = "Failed"
        if status != "Accepted":
            await self.close(WSCloseCode.SERVICE_RESTART, "accepted, reconnect")

    async def call_trigger_boot(self) -> str:
        """Send TriggerMessage(BootNotification); return the status."""
        return await trigger_message(self, "BootNotification", None)

    # ---- frames ---------------------------------------------------------------------

    async def _route(self, raw: str) -> None:
        if self.retired:
            _LOGGER.debug("%s: frame on a replaced connection dropped", self.cp_id)
            return
        checked = check_frame(raw)
        if not isinstance(checked, Frame):
            _LOGGER.warning("%s: bad frame (%s): %.200s", self.cp_id, checked.reason, raw)
            if checked.reply is not None:
                await self._connection.send(checked.reply)
            return
        if checked.message_type is MessageType.CALL:
            if not self.admitted and checked.action != "BootNotification":
                _LOGGER.info("%s: %s before an accepted boot", self.cp_id, checked.action)
                reply = call_error(
                    checked.unique_id, ErrorCode.SECURITY_ERROR, "not accepted (yet)"
                )
                await self._connection.send(reply)
                return
        elif checked.unique_id in self._pending_ids:
            # The first answer consumes the id: a repeated one would stay in the library's
            # response queue and be taken (and logged as an error) by the next call.
            self._pending_ids.discard(checked.unique_id)
        else:
            _LOGGER.info("%s: response to no pending call dropped", self.cp_id)
            return
        try:
            await self._library.route_message(raw)
        except ConnectionClosedError:
            raise
        except Exception:
            _LOGGER.exception("%s: error while handling %.200s", self.cp_id, raw)

    async def call(self, payload: object) -> Any:
        """Send one CALL and return the library's result object.

        Raises ``ChargerUnavailableError`` (closed), ``ChargerTimeoutError`` (no answer
        within the option's call timeout), ``ChargerCallError`` (a CALLERROR) or
        ``ChargerProtocolError`` (an answer that does not fit the action's result).
        """
        if self.closed:
            raise ChargerUnavailableError(f"{self.cp_id} is not connected")
        unique_id = str(uuid.uuid4())
        self._pending_ids.add(unique_id)
        try:
            async with asyncio.timeout(self._host.options.call_timeout_s):
                # Our requests are valid by construction (tests check them against the
                # schemas) and ``calls`` reads answers defensively; validating both in the
                # library's executor would cost two thread hops per CALL.
                return await self._library.call(
                    payload, suppress=False, unique_id=unique_id, skip_schema_validation=True
                )
        except TimeoutError as err:
            raise ChargerTimeoutError(
                f"{self.cp_id}: no answer to {type(payload).__name__}"
            ) from err
        except ConnectionClosedError as err:
            raise ChargerUnavailableError(f"{self.cp_id} is not connected") from err
        except OCPPError as err:
            raise ChargerCallError(str(getattr(err, "code", "")), str(err.description)) from err
        except (UnknownCallErrorCodeError, ValidationError, TypeError, ValueError) as err:
            raise ChargerProtocolError(f"{self.cp_id}: bad answer: {err}") from err
        finally:
            self._pending_ids.discard(unique_id)
            self._drop_late_answer(unique_id)

    def _drop_late_answer(self, unique_id: str) -> None:
        """Take this call's answer out of the library's response queue, if it is there.

        An answer routed in the same loop turn as the call's timeout stays queued; the
        library would hand it to the next call, which skips it with an error in the log.
        Answers to other calls keep their place.
        """
        queue = self._library._response_queue  # noqa: SLF001 (the library's own queue)
        queued = [queue.get_nowait() for _ in range(queue.qsize())]
        for message in queued:
            if message.unique_id != unique_id:
                queue.put_nowait(message)
