"""OCPP 1.6J central system (protocol layer; no Home Assistant imports).

Wiring, for the Home Assistant layer::

    server = OcppServer(
        ServerConfig(port=9100, password=key_or_None, ssl_context=ctx_or_None),
        admission=admission,  # (cp_id) -> Admission.ACCEPT | PENDING | REJECT
        on_new_charger=on_new,  # (cp_id, ChargerInfo): a pending charger booted
        on_charger_accepted=on_accepted,  # (OcppCharger): an accepted charger booted
    )
    await server.async_start()  # PortInUseError / ServerStartError -> repair issue
    charger = server.get_charger("CP1", CompatOptions(...))  # the one driver of "CP1"
    unsub = charger.add_listener(coordinator_callback)  # reading/info/connection changed
    await asyncio.gather(*(c.async_apply(amps, phases) for c in chargers))  # every cycle
    await server.async_admission_changed("CP1")  # after the user confirmed/ignored it
    await server.async_stop()  # closes every connection, frees the port

Contract:
- ``admission`` is asked at every handshake and every BootNotification (keep it fast and
  synchronous). ACCEPT = confirmed, or new ids auto-accepted; PENDING = unknown: the boot
  is answered Pending (retry every ``pending_interval_s``), ``on_new_charger`` reports its
  info on every pending boot (dedupe by unique id in the discovery flow), and every other
  CALL gets a SecurityError CALLERROR; REJECT = ignored: HTTP 404 at the handshake.
- ``get_charger`` creates the ``OcppCharger`` on first use and returns the same object
  for good, across reconnects (call it for every configured charger at setup, and from
  ``on_charger_accepted``). A charger that connects without ever being asked for is
  forgotten when it disconnects. ``async_remove_charger`` forgets one (device deleted).
- ``OcppCharger`` implements ``drivers.base.ChargerDriver``. Extras: ``connected``,
  ``accepted``, ``ready`` (post-boot setup done), ``options``/``set_options`` (a connected
  charger is configured again), ``diagnostics()`` (no secrets).
- Refresh ownership: the coordinator calls ``async_apply`` every cycle for every charger,
  concurrently (one slow charger must not delay the others); the driver sends only when
  the profile changed or ``refresh_s`` has passed, and returns after the answer (bounded
  by ``call_timeout_s``). Nothing refreshes by itself: if the loop stops, the live
  profile expires into the safe fallback after ``expiry_s``. While the setup runs,
  ``async_apply`` stores the limit (sent when the setup ends) and returns at once.
- ``reading.limit_mismatch`` (silent cap, or the charger ignores the limit) and
  ``reading.limit_rejected`` (live profile or safe fallback refused; ``reading.errors``
  then holds ``fallback_profile_rejected``) are for reasons and repair issues.
- Errors: ``ChargerUnavailableError`` (offline or pending), ``ChargerTimeoutError``,
  ``CommandRejectedError``, ``ChargerProtocolError`` (``ChargerCallError`` for a
  CALLERROR, with its ``code``); ``ValueError`` for an impossible limit.
- Duplicate ids: see ``server`` (HTTP 409, or replacement when Basic Auth passed).
- ``create_ssl_context(cert, key)`` loads a TLS certificate (blocking: use an executor).
- Requirement: ``ocpp>=2.1,<3`` (tested with 2.1.0); aiohttp comes with Home Assistant.
"""

from __future__ import annotations

from .charger import OcppCharger
from .compat import (
    DEFAULT_PORT,
    Admission,
    CompatOptions,
    PauseMode,
    PhaseSwitching,
    ProfilePurpose,
    RateUnit,
    ServerConfig,
)
from .server import OcppServer
from .session import ChargerCallError
from .transport import create_ssl_context

__all__ = [
    "DEFAULT_PORT",
    "Admission",
    "ChargerCallError",
    "CompatOptions",
    "OcppCharger",
    "OcppServer",
    "PauseMode",
    "PhaseSwitching",
    "ProfilePurpose",
    "RateUnit",
    "ServerConfig",
    "create_ssl_context",
]
