"""The aiohttp side: handshake checks and the connection the ``ocpp`` library talks to.

aiohttp is already a Home Assistant dependency (its version is managed by Home Assistant),
so the central system needs no extra requirement; it runs its own ``web.AppRunner`` on the
configured port, not Home Assistant's http server.
"""

from __future__ import annotations

import binascii
from collections.abc import Buffer
import hmac
import ssl
import time
from typing import Any, Final
from urllib.parse import unquote

from aiohttp import BasicAuth, WSCloseCode, web

from .compat import SUBPROTOCOL
from .frames import spec_error_codes
from .logs import driver_logger

_LOGGER = driver_logger(__name__)

MAX_ID_LENGTH: Final = 48  # chargeBoxIdentity (OCPP 1.6 security whitepaper)


class ConnectionClosedError(ConnectionError):
    """The websocket is closed (or closing); nothing more can be sent."""


def charge_point_id(raw_path: str) -> str | None:
    """Return the charge point id: the last segment of the (still encoded) path.

    Any prefix is allowed (``/ocpp/CP1``, ``/CP1``); the segment is percent-decoded.
    Empty, overlong or control-character ids give None.
    """
    segment = raw_path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        cp_id = unquote(segment, errors="strict")
    except UnicodeDecodeError:
        return None
    if not cp_id or len(cp_id) > MAX_ID_LENGTH:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in cp_id):
        return None
    return cp_id


def basic_auth_ok(header: str | None, cp_id: str, password: str) -> bool:
    """Check security profile 1 credentials: user = charge point id, password = key."""
    if not header:
        return False
    try:
        auth = BasicAuth.decode(header)
    except (ValueError, binascii.Error):
        return False
    user_ok = hmac.compare_digest(auth.login.encode(), cp_id.encode())
    password_ok = hmac.compare_digest(auth.password.encode(), password.encode())
    return user_ok and password_ok


def offers_subprotocol(header: str | None) -> bool:
    """Return whether the client offers ``ocpp1.6`` in Sec-WebSocket-Protocol."""
    return SUBPROTOCOL in {p.strip() for p in (header or "").split(",")}


TLS_REPORT_INTERVAL_S: Final = 60.0  # one warning per failure reason and minute
_tls_reported: dict[str, float] = {}
_now = time.monotonic


class _ReportingSSLObject(ssl.SSLObject):
    """An SSL object that logs why a TLS connection failed.

    asyncio reports those only in its debug mode, so a charger that speaks plain
    websockets to the TLS port, offers only old TLS versions or no common cipher, or sends
    an alert, would be refused without a word. The reason is logged, at most once a minute
    per reason; the peer's address is not known at this layer. A clean or abrupt close is
    not a failure (a client that rejects the certificate and just hangs up stays silent).
    """

    def do_handshake(self) -> None:
        """Run the handshake; log why it failed, if it did."""
        try:
            super().do_handshake()
        except ssl.SSLError as err:
            _report_tls(err)
            raise

    def read(self, len: int = 1024, buffer: Buffer | None = None) -> Any:  # noqa: A002
        """Read; log an alert the peer sent (a certificate it did not accept)."""
        try:
            return super().read(len, buffer)
        except ssl.SSLError as err:
            _report_tls(err)
            raise


_QUIET: Final = (
    ssl.SSLWantReadError,  # the normal course of non-blocking TLS
    ssl.SSLWantWriteError,
    ssl.SSLZeroReturnError,  # a clean close
    ssl.SSLEOFError,  # a peer that went away
)


def _report_tls(err: ssl.SSLError) -> None:
    if isinstance(err, _QUIET):
        return
    reason = str(err.reason or err.strerror or err)
    now = _now()
    if now - _tls_reported.get(reason, -TLS_REPORT_INTERVAL_S) >= TLS_REPORT_INTERVAL_S:
        _tls_reported[reason] = now
        _LOGGER.warning("OCPP: a TLS connection failed (%s)%s", reason, _TLS_HINTS.get(reason, ""))


_TLS_HINTS: Final = {
    "HTTP_REQUEST": ": a charger using ws:// on the TLS port",
    "PEER_DID_NOT_RETURN_A_CERTIFICATE": ": the charger sent no client certificate",
    "CERTIFICATE_VERIFY_FAILED": ": the charger's certificate is not trusted",
    "UNSUPPORTED_PROTOCOL": ": the charger offers only TLS versions below 1.2",
    "NO_SHARED_CIPHER": ": no cipher both sides support",
}


def secure_context(context: ssl.SSLContext) -> ssl.SSLContext:
    """Raise a server context's minimum to TLS 1.2 (security profile 2) and return it.

    Failed handshakes are logged (``_ReportingSSLObject``).
    """
    context.minimum_version = max(context.minimum_version, ssl.TLSVersion.TLSv1_2)
    context.sslobject_class = _ReportingSSLObject
    return context


def create_ssl_context(certfile: str, keyfile: str | None = None) -> ssl.SSLContext:
    """Load a server certificate (blocking: call it in an executor)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    return secure_context(context)


class WebSocketConnection:
    """What the ``ocpp`` library calls ``connection``: ``send`` (and our ``close``)."""

    def __init__(self, websocket: web.WebSocketResponse) -> None:
        """Wrap a prepared server websocket."""
        self._websocket = websocket

    @property
    def websocket(self) -> web.WebSocketResponse:
        """Return the aiohttp websocket."""
        return self._websocket

    @property
    def closed(self) -> bool:
        """Return whether the websocket is closed or closing."""
        return self._websocket.closed

    async def send(self, message: str) -> None:
        """Send one text frame (library CALLERROR codes in their 1.6 spelling)."""
        if self._websocket.closed:
            raise ConnectionClosedError("websocket closed")
        try:
            await self._websocket.send_str(spec_error_codes(message))
        except (ConnectionError, RuntimeError) as err:
            raise ConnectionClosedError(str(err)) from err

    async def close(self, code: int = WSCloseCode.OK, reason: str = "") -> None:
        """Close the websocket (idempotent, never raises)."""
        try:
            await self._websocket.close(code=code, message=reason.encode()[:120])
        except Exception:
            _LOGGER.debug("Error while closing a websocket", exc_info=True)
        # aiohttp 3.11 re-arms its ping timer when a failed ping ends ``receive()``,
        # after the socket is already closed; stop it so nothing outlives the session.
        stop_pings = getattr(self._websocket, "_cancel_heartbeat", None)
        if callable(stop_pings):
            stop_pings()
