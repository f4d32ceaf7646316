"""OCPP server security: every refused attempt is logged and changes nothing.

A "real" charge point is connected, set up and given a limit first; each attack then
runs against the same server, and afterwards the real one must be untouched: the same
server-side session, the same reading, no CALL sent to it since, and it still takes the
next limit. What is refused, and how it shows in the log:

- Basic Auth wrong or missing (a password configured) → HTTP 401, warning;
- an unknown id while new ids are not auto-accepted → the handshake succeeds, boot is
  answered Pending, every other CALL a SecurityError (info), no state, no control;
- an ignored id → HTTP 404 (debug);
- TLS: a client that does not trust the certificate (another CA, the system store, a
  name mismatch), plain ws to the wss port, client certificates the server does not ask
  for or does not trust → no HTTP request at all, so no session and no charger. These are
  refused inside asyncio's TLS layer, which logs failed handshakes only in asyncio debug
  mode: the server has nothing to log them with (see the report);
- a second connection with a known id: without a password HTTP 409 (warning); with Basic
  Auth the authenticated one replaces the old (info) and the old one can no longer change
  anything: its frames are dropped (debug), a frame it had in flight is refused, and a
  command in flight to it is cancelled and goes to the new connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import ipaddress
import logging
from pathlib import Path
import ssl
from typing import Any, Final

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
import ocpp.charge_point
from ocpp.exceptions import SecurityError
from ocpp.v16 import call
import pytest

from custom_components.smart_charging.drivers.base import (
    ChargerReading,
    ChargerStatus,
    ChargerUnavailableError,
    same_reading,
)
from custom_components.smart_charging.drivers.ocpp import (
    Admission,
    OcppCharger,
    OcppServer,
    create_ssl_context,
    transport,
)
from tests.drivers.conftest import admissions, clock, make_server  # noqa: F401 (fixtures)
from tests.drivers.ocpp_helpers import (
    Admissions,
    Client,
    ClientFactory,
    boot_and_setup,
    is_ready,
    sampled,
    wait_until,
)

PASSWORD: Final = "0123456789abcdef"
LOGGER: Final = "custom_components.smart_charging.drivers.ocpp"
ENERGY: Final = "Energy.Active.Import.Register"
COMMANDS: Final = frozenset(
    {
        "ChangeConfiguration",
        "ClearChargingProfile",
        "GetCompositeSchedule",
        "GetConfiguration",
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "SetChargingProfile",
    }
)


@pytest.fixture(autouse=True)
def _debug_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)


def _logged(caplog: pytest.LogCaptureFixture, level: int, text: str) -> int:
    return sum(1 for r in caplog.records if r.levelno == level and r.getMessage() == text)


def _no_errors(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bad, bad


# ---- the real charge point ----------------------------------------------------------


@dataclass
class Watched:
    """A set-up charge point with a limit, and what it looked like before the attacks."""

    charger: OcppCharger
    client: Client
    session: Any
    reading: ChargerReading
    calls: dict[str, int]

    def assert_untouched(self) -> None:
        assert self.charger._session is self.session  # the same connection serves it
        assert self.charger.accepted
        assert self.charger.ready
        assert same_reading(self.reading, self.charger.reading), self.charger.reading
        assert self._calls() == self.calls  # no CALL reached it since

    async def assert_in_control(self, limit: float = 12) -> None:
        await self.charger.async_apply(limit, 3)
        profile = await self.client.cp.next_call("SetChargingProfile")
        assert profile["charging_schedule"]["charging_schedule_period"][0]["limit"] == limit

    def _calls(self) -> dict[str, int]:
        return {action: len(c) for action, c in self.client.cp.calls.items() if c}


async def _watch(server: OcppServer, clients: ClientFactory, cp_id: str, **connect: Any) -> Watched:
    charger, client = await boot_and_setup(server, clients, cp_id, **connect)
    await client.cp.status("Charging")
    await client.cp.meter([sampled(ENERGY, 5000), sampled("Current.Offered", 10, "A")])
    await charger.async_apply(10, 3)
    await client.cp.next_call("SetChargingProfile")
    watched = Watched(charger, client, charger._session, charger.reading, {})
    watched.calls = watched._calls()
    return watched


async def _handshake(port: int, path: str, headers: dict[str, str]) -> int:
    """A websocket upgrade request with raw headers; return the HTTP status."""
    upgrade = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Protocol": "ocpp1.6",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/{path}", headers=upgrade | headers) as response,
    ):
        return response.status


# ---- Basic Auth ---------------------------------------------------------------------


async def test_bad_credentials_are_refused_logged_and_change_nothing(
    make_server: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server: OcppServer = await make_server(config={"password": PASSWORD})
    real = await _watch(server, clients, "CP1", auth=aiohttp.BasicAuth("CP1", PASSWORD))
    attempts: list[aiohttp.BasicAuth | None] = [
        None,
        aiohttp.BasicAuth("CP1", "wrong"),
        aiohttp.BasicAuth("CP1", ""),
        aiohttp.BasicAuth("CP1", PASSWORD.upper()),
        aiohttp.BasicAuth("CP2", PASSWORD),  # the key, but the user is not the id
        aiohttp.BasicAuth("cp1", PASSWORD),
    ]
    for auth in attempts:
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await clients.connect(server.port, "CP1", auth=auth)
        assert err.value.status == 401
    for header in ("Basic !!!notbase64", "Bearer " + PASSWORD, "Basic "):
        assert await _handshake(server.port, "CP1", {"Authorization": header}) == 401
    warning = "OCPP CP1: wrong or missing credentials"
    assert _logged(caplog, logging.WARNING, warning) == len(attempts) + 3
    # An unknown id without credentials gets no further than the handshake either.
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await clients.connect(server.port, "CP9")
    assert _logged(caplog, logging.WARNING, "OCPP CP9: wrong or missing credentials") == 1
    assert set(server.chargers) == {"CP1"}
    real.assert_untouched()
    await real.assert_in_control()
    _no_errors(caplog)


# ---- unknown and ignored ids --------------------------------------------------------


async def test_unknown_id_stays_pending_without_state_or_control(
    make_server: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
    admissions: Admissions,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    server: OcppServer = await make_server()
    real = await _watch(server, clients, "KNOWN")
    admissions.default = Admission.PENDING  # auto-accept off from here on
    stranger = await clients.connect(server.port, "STRANGER")
    boot = await stranger.cp.boot()
    assert (boot.status, boot.interval) == ("Pending", 60)
    assert _logged(caplog, logging.INFO, "OCPP STRANGER connected (pending)") == 1
    attempts = [
        call.Heartbeat(),
        call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing"),
        call.MeterValues(
            connector_id=1,
            meter_value=[
                {"timestamp": "2025-05-01T12:00:00Z", "sampledValue": [sampled(ENERGY, 7)]}
            ],
        ),
        call.StartTransaction(
            connector_id=1, id_tag="TAG", meter_start=0, timestamp="2025-05-01T12:00:00Z"
        ),
        call.StopTransaction(meter_stop=5, timestamp="2025-05-01T12:00:00Z", transaction_id=101),
        call.Authorize(id_tag="TAG"),
        call.DataTransfer(vendor_id="x"),
    ]
    for attempt in attempts:
        with pytest.raises(SecurityError):
            await stranger.cp.call(attempt, suppress=False)
        action = type(attempt).__name__
        assert _logged(caplog, logging.INFO, f"STRANGER: {action} before an accepted boot") == 1
    charger = server.chargers["STRANGER"]
    assert not charger.accepted
    reading = charger.reading
    assert reading.status is ChargerStatus.UNAVAILABLE  # connected, nothing taken
    assert (reading.energy_kwh, reading.transaction_id) == (None, None)
    with pytest.raises(ChargerUnavailableError):
        await charger.async_apply(16, 3)
    await stranger.cp.call(call.Heartbeat())  # a round trip after the refused limit
    assert not set(stranger.cp.calls) & COMMANDS, dict(stranger.cp.calls)
    real.assert_untouched()
    await real.assert_in_control()
    _no_errors(caplog)


async def test_ignored_id_is_refused_and_logged(
    make_server: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
    admissions: Admissions,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    server: OcppServer = await make_server()
    real = await _watch(server, clients, "CP1")
    admissions.by_id["IGNORED"] = Admission.REJECT
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await clients.connect(server.port, "IGNORED")
    assert err.value.status == 404
    assert _logged(caplog, logging.DEBUG, "OCPP IGNORED: ignored charge point refused") == 1
    assert await _handshake(server.port, "bad%FFid", {}) == 400
    assert any("invalid charge point id" in r.getMessage() for r in caplog.records)
    assert set(server.chargers) == {"CP1"}
    real.assert_untouched()
    _no_errors(caplog)


# ---- TLS ----------------------------------------------------------------------------


@dataclass
class Pki:
    """Two certificate authorities and the certificates they issued (PEM paths)."""

    ca: Path
    other_ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path  # issued by ``ca``
    client_key: Path
    rogue_cert: Path  # a client certificate issued by ``other_ca``
    rogue_key: Path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None = None,
    *,
    for_server: bool = False,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (subject, key)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=issuer is not None,
                key_cert_sign=issuer is None,
                crl_sign=issuer is None,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if for_server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("cs.example")]
            ),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    elif issuer is not None:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Path:
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca_key, other_key = _key(), _key()
    server_key, client_key, rogue_key = _key(), _key(), _key()
    ca = _write(directory / "ca.pem", _certificate("Test CA", ca_key), ca_key)
    other = _write(directory / "other.pem", _certificate("Other CA", other_key), other_key)
    server_certificate = _certificate("127.0.0.1", server_key, ("Test CA", ca_key), for_server=True)
    client = _certificate("CP-TLS", client_key, ("Test CA", ca_key))
    rogue = _certificate("CP-TLS", rogue_key, ("Other CA", other_key))
    server_path = _write(directory / "server.pem", server_certificate, server_key)
    client_path = _write(directory / "client.pem", client, client_key)
    rogue_path = _write(directory / "rogue.pem", rogue, rogue_key)
    return Pki(
        ca=ca,
        other_ca=other,
        server_cert=server_path,
        server_key=server_path.with_suffix(".key"),
        client_cert=client_path,
        client_key=client_path.with_suffix(".key"),
        rogue_cert=rogue_path,
        rogue_key=rogue_path.with_suffix(".key"),
    )


@pytest.fixture
async def production_loop() -> AsyncGenerator[None]:
    """Run the loop as Home Assistant does outside debug mode.

    In debug mode asyncio reports every failed TLS handshake to the loop's exception
    handler (the test ``hass`` fixture then fails the test); without it they are silent.
    """
    loop = asyncio.get_running_loop()
    debug = loop.get_debug()
    loop.set_debug(False)
    yield
    loop.set_debug(debug)


def _client_context(trust: Path | None, cert: tuple[Path, Path] | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(trust) if trust else None)
    if cert is not None:
        context.load_cert_chain(str(cert[0]), str(cert[1]))
    return context


async def _tls_attempt(port: int, cp_id: str, **kwargs: Any) -> BaseException:
    """Try a connection that must fail; return why (the connection, if any, is closed)."""
    async with aiohttp.ClientSession() as session:
        try:
            websocket = await session.ws_connect(
                f"{kwargs.pop('scheme', 'wss')}://127.0.0.1:{port}/{cp_id}",
                protocols=("ocpp1.6",),
                **kwargs,
            )
        except (aiohttp.ClientError, ssl.SSLError, ConnectionError) as err:
            return err
        message = await websocket.receive(timeout=10)  # refused after the handshake?
        await websocket.close()
        raise AssertionError(f"connected: {message}")


@pytest.mark.usefixtures("production_loop")
async def test_tls_handshake_failures_create_nothing(
    pki: Pki,
    make_server: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transport, "_tls_reported", {})  # no earlier test's rate limit
    context = create_ssl_context(str(pki.server_cert), str(pki.server_key))
    server: OcppServer = await make_server(config={"ssl_context": context, "password": PASSWORD})
    auth = aiohttp.BasicAuth("CP-TLS", PASSWORD)
    real = await _watch(server, clients, "CP-TLS", auth=auth, ssl_context=_client_context(pki.ca))
    port = server.port
    assert port is not None
    cert_errors = [
        await _tls_attempt(port, "CP-TLS", auth=auth, ssl=_client_context(pki.other_ca)),
        await _tls_attempt(port, "CP-TLS", auth=auth, ssl=_client_context(None)),  # system CAs
        await _tls_attempt(
            port,
            "CP-TLS",
            auth=auth,
            ssl=_client_context(pki.ca),
            server_hostname="other.example",  # trusted, but issued to another name
        ),
    ]
    for error in cert_errors:
        assert isinstance(error, aiohttp.ClientConnectorCertificateError), repr(error)
    plain = await _tls_attempt(port, "CP-TLS", auth=auth, scheme="ws")
    assert isinstance(plain, aiohttp.ClientError), repr(plain)
    # The server says why where TLS tells it (asyncio alone would not): plain HTTP on the
    # TLS port. A client that rejects the certificate just drops the connection here.
    failures = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.getMessage().startswith("OCPP: a TLS connection")
    ]
    assert len(failures) == 1, failures
    assert "(HTTP_REQUEST)" in failures[0]
    # The server asks for no client certificate: one it would not trust changes nothing,
    # and without the key the request is still refused (401, logged).
    rogue = _client_context(pki.ca, (pki.rogue_cert, pki.rogue_key))
    refused = await _tls_attempt(port, "CP-TLS", ssl=rogue)
    assert isinstance(refused, aiohttp.WSServerHandshakeError)
    assert refused.status == 401
    assert _logged(caplog, logging.WARNING, "OCPP CP-TLS: wrong or missing credentials") == 1
    assert set(server.chargers) == {"CP-TLS"}
    connected = [r for r in caplog.records if r.getMessage().startswith("OCPP CP-TLS connected")]
    assert len(connected) == 1  # the real one only
    real.assert_untouched()
    await real.assert_in_control()
    _no_errors(caplog)


@pytest.mark.usefixtures("production_loop")
async def test_client_certificates_when_the_context_requires_them(
    pki: Pki,
    make_server: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Security profile 3: a context asking for client certificates is used as given."""
    context = create_ssl_context(str(pki.server_cert), str(pki.server_key))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=str(pki.ca))
    server: OcppServer = await make_server(config={"ssl_context": context})
    port = server.port
    assert port is not None
    trusted = _client_context(pki.ca, (pki.client_cert, pki.client_key))
    real = await _watch(server, clients, "CP-TLS", ssl_context=trusted)
    for ssl_context in (
        _client_context(pki.ca),  # no client certificate
        _client_context(pki.ca, (pki.rogue_cert, pki.rogue_key)),  # from another CA
    ):
        error = await _tls_attempt(port, "CP-TLS", ssl=ssl_context)
        assert isinstance(error, (aiohttp.ClientError, ssl.SSLError, ConnectionError)), repr(error)
    failures = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.getMessage().startswith("OCPP: a TLS connection")
    ]
    prefix = "OCPP: a TLS connection failed "
    assert failures == [  # each refusal logged, saying why
        prefix + "(PEER_DID_NOT_RETURN_A_CERTIFICATE): the charger sent no client certificate",
        prefix + "(CERTIFICATE_VERIFY_FAILED): the charger's certificate is not trusted",
    ]
    assert set(server.chargers) == {"CP-TLS"}
    real.assert_untouched()
    await real.assert_in_control()
    _no_errors(caplog)


# ---- a second connection with a known id --------------------------------------------


async def test_duplicate_id_without_auth_is_refused_and_logged(
    make_server: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server: OcppServer = await make_server()
    real = await _watch(server, clients, "CP1")
    for path in ("CP1", "ocpp/CP1", "CP%31"):  # the same id, spelled differently
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await clients.connect(server.port, "CP1", path=path)
        assert err.value.status == 409
    warning = "OCPP CP1: refused a second connection while one is open"
    assert _logged(caplog, logging.WARNING, warning) == 3
    real.assert_untouched()
    await real.assert_in_control()
    _no_errors(caplog)


async def test_duplicate_id_racing_the_handshake_is_refused_and_logged(
    make_server: Callable[..., Any],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Handshakes for one id at once: exactly one gets a session, each other one is logged.

    The upgrades wait until every handshake has passed the duplicate check, so none had
    registered its session at that check (the race the server checks a second time).
    """
    server: OcppServer = await make_server()
    prepare = web.WebSocketResponse.prepare
    arrived: list[None] = []
    all_checked = asyncio.Event()

    async def slow_prepare(self: web.WebSocketResponse, request: web.BaseRequest) -> Any:
        arrived.append(None)
        if len(arrived) == 4:
            all_checked.set()
        async with asyncio.timeout(10):
            await all_checked.wait()
        return await prepare(self, request)

    monkeypatch.setattr(web.WebSocketResponse, "prepare", slow_prepare)
    async with aiohttp.ClientSession() as session:

        async def connect() -> aiohttp.ClientWebSocketResponse | BaseException:
            try:
                return await session.ws_connect(
                    f"ws://127.0.0.1:{server.port}/RACE", protocols=("ocpp1.6",)
                )
            except aiohttp.WSServerHandshakeError as err:
                return err

        results = await asyncio.gather(*(connect() for _ in range(4)))
        sockets = [r for r in results if isinstance(r, aiohttp.ClientWebSocketResponse)]
        assert len(sockets) == len(results)  # all upgraded: the second check refused them
        for websocket in sockets:  # the losers that got past the handshake are closed
            with contextlib.suppress(ConnectionError):
                await websocket.send_str('[2,"hb","Heartbeat",{}]')
        answers = [await websocket.receive(timeout=10) for websocket in sockets]
        open_ = [a for a in answers if a.type is aiohttp.WSMsgType.TEXT]
        assert len(open_) == 1, answers
        warning = "OCPP RACE: refused a second connection while one is open"
        assert _logged(caplog, logging.WARNING, warning) == len(results) - 1
        for websocket in sockets:
            await websocket.close()
    _no_errors(caplog)


async def test_authenticated_reconnect_replaces_and_the_old_changes_nothing(
    make_server: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    accepted: list[OcppCharger] = []
    server: OcppServer = await make_server(
        config={"password": PASSWORD}, on_charger_accepted=accepted.append
    )
    auth = aiohttp.BasicAuth("CP1", PASSWORD)
    old = await _watch(server, clients, "CP1", auth=auth)
    charger = old.charger
    # A limit is on its way to the old connection when the new one arrives.
    old.client.cp.answer = False
    in_flight = asyncio.get_running_loop().create_task(charger.async_apply(14, 3))
    await old.client.cp.next_call("SetChargingProfile")
    # A CALL of the old connection is being validated when the new one arrives.
    original = ocpp.charge_point.validate_payload
    held, release = asyncio.Event(), asyncio.Event()

    async def slow(message: Any, version: str) -> None:
        if getattr(message, "unique_id", None) == "held":
            held.set()
            await release.wait()
        await original(message, version)

    ocpp.charge_point.validate_payload = slow
    try:
        await old.client.websocket.send_str(
            '[2,"held","StatusNotification",{"connectorId":1,"errorCode":"GroundFailure","status":"Faulted"}]'
        )
        await held.wait()
        new = await clients.connect(server.port, "CP1", auth=auth)
        # Frames the old connection sends from now on are dropped.
        for frame in (
            '[2,"late1","StatusNotification",{"connectorId":1,"errorCode":"OtherError","status":"Faulted"}]',
            '[2,"late2","BootNotification",{"chargePointVendor":"Evil","chargePointModel":"X"}]',
        ):
            await old.client.websocket.send_str(frame)
    finally:
        release.set()
        ocpp.charge_point.validate_payload = original
    old.client.cp.release()  # it answers the held limit now: too late, nobody listens
    assert await old.client.closed() == aiohttp.WSCloseCode.POLICY_VIOLATION
    # Nothing the old connection sent after the new one arrived was taken.
    assert charger.reading.status is ChargerStatus.UNAVAILABLE  # new: nothing reported yet
    assert charger.reading.errors == ()
    assert charger.info.vendor == "Acme"
    info = "OCPP CP1: an authenticated reconnect replaces the old connection"
    assert _logged(caplog, logging.INFO, info) == 1
    with pytest.raises(ChargerUnavailableError):  # cancelled with the old connection
        await in_flight
    assert (await new.cp.boot()).status == "Accepted"
    await wait_until(charger, is_ready)
    await new.cp.status("Charging")
    assert charger.reading.status is ChargerStatus.CHARGING
    assert charger.reading.errors == ()  # neither Faulted report was taken
    assert charger.info.vendor == "Acme"  # nor the old connection's boot
    assert len(accepted) == 2  # the first boot and the new one's
    old_calls = {action: len(c) for action, c in old.client.cp.calls.items()}
    await charger.async_apply(15, 3)  # the new connection carries the limits
    limits: list[float] = []
    while 15 not in limits:  # the fallback, the stored 14 once set up, then 15
        profile = await new.cp.next_call("SetChargingProfile")
        limits.append(profile["charging_schedule"]["charging_schedule_period"][0]["limit"])
    assert limits == [6, 14, 15]
    assert {action: len(c) for action, c in old.client.cp.calls.items()} == old_calls
    assert server.get_charger("CP1") is charger
    _no_errors(caplog)


async def test_replaced_session_refuses_work(
    make_server: Callable[..., Any],  # noqa: F811
    clients: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The replaced session itself: no calls out, no handler runs, no after-hooks."""
    server: OcppServer = await make_server(config={"password": PASSWORD})
    auth = aiohttp.BasicAuth("CP1", PASSWORD)
    old = await _watch(server, clients, "CP1", auth=auth)
    session = old.session
    await clients.connect(server.port, "CP1", auth=auth)
    await old.client.closed()
    assert session.retired
    assert session.closed
    with pytest.raises(ChargerUnavailableError):
        await session.call_trigger_boot()
    routes = session._library.route_map
    with pytest.raises(SecurityError):
        routes["Heartbeat"]["_on_action"]()
    assert routes["BootNotification"]["_after_action"]() is None
    await session._route(
        '[2,"x","StatusNotification",{"connectorId":1,"errorCode":"GroundFailure","status":"Faulted"}]'
    )
    assert _logged(caplog, logging.DEBUG, "CP1: frame on a replaced connection dropped") == 1
    assert old.charger.reading.errors == ()
