"""``OcppServer``: the OCPP 1.6J central system (an aiohttp websocket server).

Handshake, in order (each refusal happens before the upgrade):
1. charge point id = last path segment, percent-decoded; empty/overlong → HTTP 400;
2. Basic Auth when a password applies (the charge point's own, else the site-wide one;
   user = id) → HTTP 401 when wrong/missing;
3. ``admission(id)``: REJECT → HTTP 404;
4. duplicate id: a second connection while one is open → HTTP 409, unless Basic Auth is
   on and passed, in which case it *replaces* the old one (a charger that lost its
   network reconnects before the old socket is known dead; without a password anyone on
   the network could take over a charger's session, so it must wait until the server's
   pings find the old socket dead, within 1.5 x ``ping_interval_s``); the old session is
   retired at once (``Session.retire``): whatever it still receives changes nothing;
   at most ``max_pending`` unconfirmed (PENDING) ids may be connected at once (HTTP 503);
5. subprotocol ``ocpp1.6``; a client offering none of ours gets the handshake without a
   subprotocol and is closed (1002).
Admission PENDING connections may only send BootNotification (answered Pending, the boot
info reported through ``on_new_charger``); anything else gets a SecurityError CALLERROR.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import errno
import hashlib
import secrets

from aiohttp import WSCloseCode, hdrs, web

from ..base import (
    ChargerInfo,
    PortInUseError,
    ServerStartError,
)
from .charger import OcppCharger
from .compat import SUBPROTOCOL, Admission, CompatOptions, ServerConfig
from .handlers import SessionContext
from .logs import driver_logger
from .session import Session
from .transport import (
    WebSocketConnection,
    basic_auth_ok,
    charge_point_id,
    offers_subprotocol,
    secure_context,
)

_LOGGER = driver_logger(__name__)


class OcppServer:
    """The central system: owns the listening socket, the sessions and the chargers."""

    def __init__(
        self,
        config: ServerConfig,
        *,
        admission: Callable[[str], Admission],
        on_new_charger: Callable[[str, ChargerInfo], None] | None = None,
        on_charger_accepted: Callable[[OcppCharger], None] | None = None,
        first_transaction_id: int | None = None,
    ) -> None:
        """Prepare the server (nothing is bound until ``async_start``).

        ``admission(cp_id)`` decides each connection and each BootNotification;
        ``on_new_charger(cp_id, info)`` reports a pending charger's boot (start a
        discovery flow); ``on_charger_accepted(charger)`` reports an accepted boot (make
        sure the device exists, update its firmware version). Callbacks run in the event
        loop, must not block, and their exceptions are logged, never raised.
        """
        self._config = config
        self._admission = admission
        self._on_new_charger = on_new_charger
        self._on_charger_accepted = on_charger_accepted
        self._next_tx = first_transaction_id or secrets.randbelow(1 << 30) + 1
        self._chargers: dict[str, OcppCharger] = {}
        self._pinned: set[str] = set()
        self._sessions: dict[str, Session] = {}
        self._handlers_done: set[asyncio.Future[None]] = set()
        self._runner: web.AppRunner | None = None
        self._context = SessionContext(
            config=config,
            admission=self._admit,
            next_transaction_id=self._transaction_id,
            on_pending_boot=self._pending_boot,
            on_accepted_boot=self._accepted_boot,
        )

    # ---- public API -----------------------------------------------------------------

    @property
    def port(self) -> int | None:
        """Return the bound port (useful with port 0), or None when stopped."""
        if self._runner is None or not self._runner.addresses:
            return None
        return int(self._runner.addresses[0][1])

    @property
    def chargers(self) -> Mapping[str, OcppCharger]:
        """Return the known chargers by charge point id."""
        return dict(self._chargers)

    def get_charger(self, cp_id: str, options: CompatOptions | None = None) -> OcppCharger:
        """Return the one driver of ``cp_id`` (created if new) and keep it for good.

        ``options`` (when given) replace the charger's compatibility options.
        """
        charger = self._charger(cp_id)
        self._pinned.add(cp_id)
        if options is not None:
            charger.set_options(options)
        return charger

    async def async_remove_charger(self, cp_id: str) -> None:
        """Forget a charger (deleted in Home Assistant) and close its connection."""
        self._pinned.discard(cp_id)
        self._chargers.pop(cp_id, None)
        if (session := self._sessions.get(cp_id)) is not None:
            await session.close(WSCloseCode.POLICY_VIOLATION, "removed")

    async def async_admission_changed(self, cp_id: str) -> None:
        """Re-evaluate a connected charger after the user confirmed, ignored or edited it.

        Its password changed since it signed in: close, so it signs in with the new one
        (an old or leaked key must not keep a connection). Now accepted while pending:
        TriggerMessage(BootNotification) (or a close, so it reconnects and boots); now
        rejected, or pending while accepted: close.
        """
        session = self._sessions.get(cp_id)
        if session is None or session.closed:
            return
        if session.credential != _digest(self._password(cp_id)):
            _LOGGER.warning("OCPP %s: its password changed; it must sign in again", cp_id)
            await session.close(WSCloseCode.POLICY_VIOLATION, "credentials changed")
            return
        admission = self._admit(cp_id)
        if admission is Admission.ACCEPT and not session.admitted:
            session.spawn(session.readmit(), "readmit")
        elif admission is Admission.REJECT or (admission is Admission.PENDING and session.admitted):
            await session.close(WSCloseCode.POLICY_VIOLATION, str(admission))

    async def async_start(self) -> None:
        """Bind and listen; raise ``PortInUseError`` or ``ServerStartError``."""
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=self._config.close_timeout_s)
        await runner.setup()
        config = self._config
        ssl_context = secure_context(config.ssl_context) if config.ssl_context else None
        site = web.TCPSite(runner, config.host, config.port, ssl_context=ssl_context)
        try:
            await site.start()
        except OSError as err:
            await runner.cleanup()
            if err.errno == errno.EADDRINUSE:
                raise PortInUseError(f"port {config.port} is in use") from err
            raise ServerStartError(f"cannot listen on {config.host}:{config.port}: {err}") from err
        self._runner = runner
        _LOGGER.debug("OCPP central system listening on port %s", self.port)

    async def async_stop(self) -> None:
        """Close every connection and free the port."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        sessions = list(self._sessions.values())
        await asyncio.gather(*(s.close(WSCloseCode.GOING_AWAY, "stopping") for s in sessions))
        if self._handlers_done:
            await asyncio.wait(self._handlers_done, timeout=self._config.close_timeout_s)
        await runner.cleanup()

    # ---- callbacks, made safe -------------------------------------------------------

    def _admit(self, cp_id: str) -> Admission:
        try:
            return Admission(self._admission(cp_id))
        except Exception:
            _LOGGER.exception("Admission callback failed for %s; refusing it", cp_id)
            return Admission.REJECT

    def _pending_boot(self, cp_id: str, info: ChargerInfo) -> None:
        if self._on_new_charger is None:
            return
        try:
            self._on_new_charger(cp_id, info)
        except Exception:
            _LOGGER.exception("on_new_charger callback failed for %s", cp_id)

    def _accepted_boot(self, cp_id: str) -> None:
        charger = self._chargers.get(cp_id)
        if self._on_charger_accepted is None or charger is None:
            return
        try:
            self._on_charger_accepted(charger)
        except Exception:
            _LOGGER.exception("on_charger_accepted callback failed for %s", cp_id)

    def _transaction_id(self) -> int:
        self._next_tx = self._next_tx % ((1 << 31) - 1) + 1
        return self._next_tx

    def _charger(self, cp_id: str) -> OcppCharger:
        if (charger := self._chargers.get(cp_id)) is None:
            charger = OcppCharger(cp_id, self._config)
            self._chargers[cp_id] = charger
        return charger

    # ---- connections ----------------------------------------------------------------

    def _password(self, cp_id: str) -> str | None:
        """The password a charge point must present: its own, else the site's (or none).

        An empty one counts as none, for the check and for "authenticated" alike.
        """
        return self._config.charger_password(cp_id) or self._config.password or None

    def _refusal(self, request: web.Request, cp_id: str) -> web.Response | None:
        """Return the HTTP answer that refuses this handshake, or None to go on."""
        if request.headers.get(hdrs.UPGRADE, "").lower() != "websocket":
            return web.Response(status=400, text="OCPP-J needs a websocket")
        password = self._password(cp_id)
        if password and not basic_auth_ok(request.headers.get(hdrs.AUTHORIZATION), cp_id, password):
            _LOGGER.warning("OCPP %s: wrong or missing credentials", cp_id)
            return web.Response(status=401, headers={hdrs.WWW_AUTHENTICATE: 'Basic realm="OCPP"'})
        admission = self._admit(cp_id)
        if admission is Admission.REJECT:
            _LOGGER.debug("OCPP %s: ignored charge point refused", cp_id)
            return web.Response(status=404, text="unknown charge point")
        pending = sum(1 for s in self._sessions.values() if not s.admitted)
        if admission is Admission.PENDING and pending >= self._config.max_pending:
            _LOGGER.warning("OCPP %s: too many unconfirmed charge points connected", cp_id)
            return web.Response(status=503, text="too many unconfirmed charge points")
        existing = self._sessions.get(cp_id)
        if existing is not None and not existing.closed and not password:
            _LOGGER.warning("OCPP %s: refused a second connection while one is open", cp_id)
            return web.Response(status=409, text="charge point already connected")
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        cp_id = charge_point_id(request.raw_path)
        if cp_id is None:
            _LOGGER.debug("OCPP: invalid charge point id in %.100r refused", request.raw_path)
            return web.Response(status=400, text="invalid charge point id")
        if (refusal := self._refusal(request, cp_id)) is not None:
            return refusal
        # Decided once: a password set while this handshake runs must not make an
        # unauthenticated connection look authenticated later on.
        password = self._password(cp_id)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._handlers_done.add(done)
        try:
            return await self._serve(request, cp_id, password=password)
        finally:
            done.set_result(None)
            self._handlers_done.discard(done)

    async def _serve(
        self, request: web.Request, cp_id: str, *, password: str | None
    ) -> web.StreamResponse:
        config = self._config
        websocket = web.WebSocketResponse(
            protocols=(SUBPROTOCOL,),
            heartbeat=config.ping_interval_s,
            max_msg_size=config.max_message_bytes + 1,  # aiohttp refuses len >= max_msg_size
            timeout=config.close_timeout_s,
            compress=False,
        )
        await websocket.prepare(request)
        connection = WebSocketConnection(websocket)
        if websocket.ws_protocol != SUBPROTOCOL or not offers_subprotocol(
            request.headers.get(hdrs.SEC_WEBSOCKET_PROTOCOL)
        ):
            _LOGGER.warning("OCPP %s: no ocpp1.6 subprotocol offered; closing", cp_id)
            await connection.close(WSCloseCode.PROTOCOL_ERROR, "subprotocol ocpp1.6 required")
            return websocket
        if self._password(cp_id) != password:  # changed while this handshake ran
            _LOGGER.warning("OCPP %s: its password changed; it must sign in again", cp_id)
            await connection.close(WSCloseCode.POLICY_VIOLATION, "credentials changed")
            return websocket
        old = self._sessions.get(cp_id)
        if old is not None and not old.closed:
            if password is None:  # another connection won the race since the check
                _LOGGER.warning("OCPP %s: refused a second connection while one is open", cp_id)
                await connection.close(WSCloseCode.POLICY_VIOLATION, "already connected")
                return websocket
            _LOGGER.info("OCPP %s: an authenticated reconnect replaces the old connection", cp_id)
            old.retire(WSCloseCode.POLICY_VIOLATION, "replaced")
        admitted = self._admit(cp_id) is Admission.ACCEPT
        charger = self._charger(cp_id)
        session = Session(
            cp_id,
            connection,
            charger,
            self._context,
            admitted=admitted,
            credential=_digest(password),
        )
        self._sessions[cp_id] = session
        charger.attach(session)
        _LOGGER.info("OCPP %s connected (%s)", cp_id, "accepted" if admitted else "pending")
        try:
            await session.run()
        finally:
            if self._sessions.get(cp_id) is session:
                del self._sessions[cp_id]
            charger.detach(session)
            if cp_id not in self._pinned and self._sessions.get(cp_id) is None:
                self._chargers.pop(cp_id, None)
            _LOGGER.info("OCPP %s disconnected", cp_id)
        return websocket


def _digest(password: str | None) -> bytes | None:
    """What is kept of the password a session signed in with (not the password itself)."""
    return None if password is None else hashlib.sha256(password.encode()).digest()
