"""The central system: binding, handshake, admission, security, duplicate ids."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import ipaddress
from pathlib import Path
import ssl
from typing import Any
import warnings

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ocpp.exceptions import SecurityError
from ocpp.v16 import call
import pytest

from custom_components.smart_charging.drivers.base import (
    ChargerInfo,
    ChargerStatus,
    PortInUseError,
    ServerStartError,
)
from custom_components.smart_charging.drivers.ocpp import (
    Admission,
    OcppCharger,
    OcppServer,
    create_ssl_context,
)

from .ocpp_helpers import (
    Admissions,
    ClientFactory,
    FakeChargePoint,
    boot_and_setup,
    is_ready,
    wait_until,
)


async def test_start_stop_frees_the_port(make_server: Any) -> None:
    first: OcppServer = await make_server()
    port = first.port
    assert port is not None
    assert port > 0
    with pytest.raises(PortInUseError):
        await make_server(config={"port": port})
    await first.async_stop()
    assert first.port is None
    await first.async_stop()  # idempotent
    again: OcppServer = await make_server(config={"port": port})
    assert again.port == port
    await again.async_start()  # already started: no-op
    assert again.port == port


async def test_other_bind_errors(make_server: Any) -> None:
    with pytest.raises(ServerStartError) as err:
        await make_server(config={"host": "192.0.2.1"})  # TEST-NET-1: not ours
    assert not isinstance(err.value, PortInUseError)


async def test_pending_charger_is_discovered_then_accepted(
    make_server: Any, clients: ClientFactory, admissions: Admissions
) -> None:
    admissions.default = Admission.PENDING
    found: list[tuple[str, ChargerInfo]] = []
    accepted: list[OcppCharger] = []
    server: OcppServer = await make_server(
        on_new_charger=lambda cp_id, info: found.append((cp_id, info)),
        on_charger_accepted=accepted.append,
    )
    client = await clients.connect(server.port, "NEW-1")
    result = await client.cp.boot(vendor="Elecq", model="AU101")
    assert (result.status, result.interval) == ("Pending", 60)
    assert found == [
        (
            "NEW-1",
            ChargerInfo(
                vendor="Elecq", model="AU101", serial_number="SN-1", firmware_version="1.2.3"
            ),
        )
    ]
    charger = server.chargers["NEW-1"]
    assert charger.connected
    assert not charger.accepted
    assert charger.info.model == "AU101"
    # Nothing but BootNotification is taken from a charger that is not accepted.
    with pytest.raises(SecurityError):
        await client.cp.call(call.Heartbeat(), suppress=False)
    assert await client.cp.status("Charging") is None  # a CALLERROR (suppressed)
    assert charger.reading.status is ChargerStatus.UNAVAILABLE
    with pytest.raises(Exception, match="not connected"):
        await charger.async_apply(10, 3)

    admissions.by_id["NEW-1"] = Admission.ACCEPT
    await server.async_admission_changed("NEW-1")  # TriggerMessage(BootNotification)
    await wait_until(charger, is_ready)
    assert charger.accepted
    assert accepted == [charger]
    assert server.get_charger("NEW-1") is charger


async def test_pending_charger_without_trigger_is_asked_to_reconnect(
    make_server: Any, clients: ClientFactory, admissions: Admissions
) -> None:
    admissions.default = Admission.PENDING
    server: OcppServer = await make_server()
    client = await clients.connect(server.port, "NEW-2")
    client.cp.trigger_status = "Rejected"
    assert (await client.cp.boot()).status == "Pending"
    charger = server.chargers["NEW-2"]
    admissions.by_id["NEW-2"] = Admission.ACCEPT
    await server.async_admission_changed("NEW-2")
    assert await client.closed() == aiohttp.WSCloseCode.SERVICE_RESTART
    await wait_until(charger, lambda c: not c.connected)
    # A pending charger the Home Assistant layer never asked for is forgotten.
    assert "NEW-2" not in server.chargers


async def test_rejected_id_gets_404(
    server: OcppServer, clients: ClientFactory, admissions: Admissions
) -> None:
    admissions.by_id["IGNORED"] = Admission.REJECT
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await clients.connect(server.port, "IGNORED")
    assert err.value.status == 404


async def test_rejection_while_connected_closes(
    server: OcppServer, clients: ClientFactory, admissions: Admissions
) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    await server.async_admission_changed("CP-unknown")  # not connected: nothing happens
    admissions.by_id["CP1"] = Admission.REJECT
    await server.async_admission_changed("CP1")
    assert await client.closed() == aiohttp.WSCloseCode.POLICY_VIOLATION
    await wait_until(charger, lambda c: c.reading.status is ChargerStatus.OFFLINE)


async def test_boot_rejected_closes(
    server: OcppServer, clients: ClientFactory, admissions: Admissions
) -> None:
    client = await clients.connect(server.port, "CP1")
    admissions.by_id["CP1"] = Admission.REJECT  # after the handshake, before the boot
    assert (await client.cp.boot()).status == "Rejected"
    assert await client.closed() == aiohttp.WSCloseCode.POLICY_VIOLATION


async def test_failing_callbacks_are_contained(make_server: Any, clients: ClientFactory) -> None:
    def explode(*_: Any) -> Any:
        raise RuntimeError("boom")

    server: OcppServer = await make_server(
        admission=explode, on_new_charger=explode, on_charger_accepted=explode
    )
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await clients.connect(server.port, "CP1")
    assert err.value.status == 404  # fail closed

    answers = iter([Admission.PENDING, Admission.PENDING, Admission.PENDING])
    pending: OcppServer = await make_server(
        admission=lambda _: next(answers), on_new_charger=explode
    )
    client = await clients.connect(pending.port, "CP2")
    assert (await client.cp.boot()).status == "Pending"

    accept: OcppServer = await make_server(on_charger_accepted=explode)
    await boot_and_setup(accept, clients, "CP3")


async def test_basic_auth(make_server: Any, clients: ClientFactory) -> None:
    server: OcppServer = await make_server(config={"password": "0123456789abcdef"})
    for auth in (
        None,
        aiohttp.BasicAuth("CP1", "wrong"),
        aiohttp.BasicAuth("CP2", "0123456789abcdef"),  # user must be the charge point id
    ):
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await clients.connect(server.port, "CP1", auth=auth)
        assert err.value.status == 401
        assert err.value.headers is not None
        assert err.value.headers["WWW-Authenticate"] == 'Basic realm="OCPP"'
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await clients.raw(server.port, "CP1", protocols=("ocpp1.6",))
    charger, _ = await boot_and_setup(
        server, clients, "CP1", auth=aiohttp.BasicAuth("CP1", "0123456789abcdef")
    )
    assert charger.accepted


async def test_a_charge_points_own_password_replaces_the_sites(
    make_server: Any, clients: ClientFactory
) -> None:
    """CP1 has its own key: the site's password no longer opens CP1, nor CP1's any other."""
    own = {"CP1": "cp1-own-key-0123456"}
    server: OcppServer = await make_server(
        config={"password": "site-wide-0123456", "charger_password": own.get}
    )
    for cp_id, password in (
        ("CP1", "site-wide-0123456"),
        ("CP2", "cp1-own-key-0123456"),
    ):
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await clients.connect(server.port, cp_id, auth=aiohttp.BasicAuth(cp_id, password))
        assert err.value.status == 401
    first, _ = await boot_and_setup(
        server, clients, "CP1", auth=aiohttp.BasicAuth("CP1", "cp1-own-key-0123456")
    )
    second, _ = await boot_and_setup(
        server, clients, "CP2", auth=aiohttp.BasicAuth("CP2", "site-wide-0123456")
    )
    assert first.accepted
    assert second.accepted


async def test_a_charge_points_own_password_without_a_site_password(
    make_server: Any, clients: ClientFactory
) -> None:
    """Only CP1 must authenticate; its authenticated reconnect replaces the old socket."""
    server: OcppServer = await make_server(config={"charger_password": {"CP1": "k" * 16}.get})
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await clients.connect(server.port, "CP1")
    assert err.value.status == 401
    await boot_and_setup(server, clients, "CP2")
    auth = aiohttp.BasicAuth("CP1", "k" * 16)
    _charger, first = await boot_and_setup(server, clients, "CP1", auth=auth)
    second = await clients.connect(server.port, "CP1", auth=auth)
    assert await first.closed() == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert (await second.cp.boot()).status == "Accepted"


@pytest.mark.parametrize(
    ("site_password", "own_password"),
    [(None, "k" * 16), ("", None)],
    ids=["own password set meanwhile", "empty site password"],
)
async def test_an_unauthenticated_handshake_never_replaces_a_connection(
    make_server: Any,
    clients: ClientFactory,
    monkeypatch: pytest.MonkeyPatch,
    site_password: str | None,
    own_password: str | None,
) -> None:
    """Two handshakes for one id race past the checks without a password.

    The one that connects second was not authenticated, so it must not replace the
    first: it is refused as a duplicate, and the first carries on. Neither a password
    set while it ran nor an empty site password makes it authenticated.
    """
    own: dict[str, str] = {}
    server: OcppServer = await make_server(
        config={"password": site_password, "charger_password": own.get}
    )
    charger = server.get_charger("CP1")
    prepare = web.WebSocketResponse.prepare
    arrived: list[str] = []  # the clients, in the order their handshakes were checked
    both_checked = asyncio.Event()

    async def racing_prepare(response: web.WebSocketResponse, request: web.Request) -> Any:
        second = len(arrived) == 1
        arrived.append(request.headers["X-Client"])
        if len(arrived) == 2:
            both_checked.set()
        await both_checked.wait()  # both passed the checks while neither was connected
        if second:
            await wait_until(charger, lambda c: c.connected)
            if own_password is not None:
                own["CP1"] = own_password  # the user sets CP1's own password just now
        return await prepare(response, request)

    monkeypatch.setattr(web.WebSocketResponse, "prepare", racing_prepare)
    both = await asyncio.gather(
        *(clients.connect(server.port, "CP1", headers={"X-Client": n}) for n in "ab")
    )
    client = dict(zip("ab", both, strict=True))
    first, second = (client[n] for n in arrived)
    assert await second.closed() == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert (await first.cp.boot()).status == "Accepted"
    await wait_until(charger, is_ready)
    assert not first.task.done()


async def test_a_changed_password_ends_the_connection_made_with_the_old_one(
    make_server: Any, clients: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """The user gives CP1 a new key: its connection signed in with the old one is closed."""
    own = {"CP1": "old-key-0123456789"}
    server: OcppServer = await make_server(config={"charger_password": own.get})
    old_auth = aiohttp.BasicAuth("CP1", "old-key-0123456789")
    charger, client = await boot_and_setup(server, clients, "CP1", auth=old_auth)
    await server.async_admission_changed("CP1")  # nothing changed: it stays
    assert not client.task.done()

    own["CP1"] = "new-key-0123456789"
    await server.async_admission_changed("CP1")
    assert await client.closed() == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert "CP1: its password changed; it must sign in again" in caplog.text
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await clients.connect(server.port, "CP1", auth=old_auth)
    assert err.value.status == 401
    new_auth = aiohttp.BasicAuth("CP1", "new-key-0123456789")
    again, _ = await boot_and_setup(server, clients, "CP1", auth=new_auth)
    assert again is charger
    assert charger.connected


async def test_a_password_changed_during_the_handshake_closes_it(
    make_server: Any, clients: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signed in with the old key while the new one was being saved: closed at once."""
    own = {"CP1": "old-key-0123456789"}
    server: OcppServer = await make_server(config={"charger_password": own.get})
    prepare = web.WebSocketResponse.prepare

    async def changing_prepare(response: web.WebSocketResponse, request: web.Request) -> Any:
        own["CP1"] = "new-key-0123456789"  # saved while this handshake runs
        return await prepare(response, request)

    monkeypatch.setattr(web.WebSocketResponse, "prepare", changing_prepare)
    client = await clients.connect(
        server.port, "CP1", auth=aiohttp.BasicAuth("CP1", "old-key-0123456789")
    )
    assert await client.closed() == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert not server.get_charger("CP1").connected


async def test_malformed_basic_auth_header(make_server: Any) -> None:
    server: OcppServer = await make_server(config={"password": "secret"})
    async with aiohttp.ClientSession() as session:
        for header in ("Basic !!!notbase64", "Bearer abc"):
            response = await session.get(
                f"http://127.0.0.1:{server.port}/CP1",
                headers={"Authorization": header, "Upgrade": "websocket", "Connection": "Upgrade"},
            )
            assert response.status == 401


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_tls_with_basic_auth(
    tmp_path: Path, make_server: Any, clients: ClientFactory
) -> None:
    cert, key = _self_signed(tmp_path)
    server_context = create_ssl_context(str(cert), str(key))
    assert server_context.minimum_version >= ssl.TLSVersion.TLSv1_2
    server: OcppServer = await make_server(
        config={"ssl_context": server_context, "password": "key"}
    )
    client_context = ssl.create_default_context(cafile=str(cert))
    charger, _ = await boot_and_setup(
        server,
        clients,
        "CP-TLS",
        auth=aiohttp.BasicAuth("CP-TLS", "key"),
        ssl_context=client_context,
    )
    assert charger.accepted


async def test_a_weak_server_context_is_raised_to_tls12(make_server: Any) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
    await make_server(config={"ssl_context": context})
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2


async def test_duplicate_id_is_refused_without_auth(
    server: OcppServer, clients: ClientFactory
) -> None:
    charger, first = await boot_and_setup(server, clients, "CP1")
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await clients.connect(server.port, "CP1")
    assert err.value.status == 409
    assert charger.connected  # the first connection carries on
    await first.cp.call(call.Heartbeat())


async def test_duplicate_id_replaces_with_auth(make_server: Any, clients: ClientFactory) -> None:
    server: OcppServer = await make_server(config={"password": "pw"})
    auth = aiohttp.BasicAuth("CP1", "pw")
    charger, first = await boot_and_setup(server, clients, "CP1", auth=auth)
    second = await clients.connect(server.port, "CP1", auth=auth)
    assert await first.closed() == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert (await second.cp.boot()).status == "Accepted"
    await wait_until(charger, is_ready)
    assert server.get_charger("CP1") is charger
    assert charger.connected


async def test_handshake_refusals(server: OcppServer, clients: ClientFactory) -> None:
    # No acceptable subprotocol: the handshake completes, then the server closes (1002).
    websocket = await clients.raw(server.port, "CP1", protocols=("ocpp2.0.1",))
    message = await websocket.receive()
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert websocket.close_code == aiohttp.WSCloseCode.PROTOCOL_ERROR
    assert "CP1" not in server.chargers
    async with aiohttp.ClientSession() as session:
        base = f"http://127.0.0.1:{server.port}"
        upgrade = {"Upgrade": "websocket", "Connection": "Upgrade"}
        for path in ("/", "/" + "x" * 49, "/bad%7Fid", "/bad%FFid"):
            response = await session.get(base + path, headers=upgrade)
            assert response.status == 400, path
        response = await session.get(base + "/bad%0Aid", headers=upgrade)
        assert response.status == 404  # the router refuses a newline itself
        response = await session.get(base + "/CP1")  # plain HTTP
        assert response.status == 400


async def test_id_with_prefix_and_encoding(server: OcppServer, clients: ClientFactory) -> None:
    charger, _ = await boot_and_setup(server, clients, "CP 1/ä", path="ocpp/CP%201%2F%C3%A4")
    assert charger.charger_id == "CP 1/ä"


async def test_stop_closes_connections(make_server: Any, clients: ClientFactory) -> None:
    server: OcppServer = await make_server()
    charger, client = await boot_and_setup(server, clients, "CP1")
    await server.async_stop()
    assert await client.closed() == aiohttp.WSCloseCode.GOING_AWAY
    assert charger.reading.status is ChargerStatus.OFFLINE


async def test_remove_charger(server: OcppServer, clients: ClientFactory) -> None:
    charger, client = await boot_and_setup(server, clients, "CP1")
    await server.async_remove_charger("CP1")
    assert await client.closed() == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert "CP1" not in server.chargers
    assert server.get_charger("CP1") is not charger
    await server.async_remove_charger("CP-never")


async def test_pending_charger_that_does_not_boot_is_asked_to(
    make_server: Any, clients: ClientFactory, admissions: Admissions
) -> None:
    admissions.default = Admission.PENDING
    found = asyncio.Event()
    server: OcppServer = await make_server(
        config={"boot_wait_s": 0.01}, on_new_charger=lambda *_: found.set()
    )
    client = await clients.connect(server.port, "SILENT")  # connects, never boots by itself
    async with asyncio.timeout(10):
        await found.wait()
    assert client.cp.calls["TriggerMessage"] == [{"requested_message": "BootNotification"}]
    assert not server.chargers["SILENT"].accepted


async def test_pending_charger_that_never_boots_stays_unknown(
    make_server: Any, clients: ClientFactory, admissions: Admissions
) -> None:
    admissions.default = Admission.PENDING
    server: OcppServer = await make_server(config={"boot_wait_s": 0.01})

    def mute(cp: FakeChargePoint) -> None:
        cp.trigger_status = "Rejected"

    client = await clients.connect(server.port, "MUTE", setup=mute)
    await client.cp.next_call("TriggerMessage")
    charger = server.chargers["MUTE"]
    assert charger.connected
    assert not charger.accepted


async def test_unconfirmed_connections_are_capped(
    make_server: Any, clients: ClientFactory, admissions: Admissions
) -> None:
    admissions.default = Admission.PENDING
    admissions.by_id["KNOWN"] = Admission.ACCEPT
    server: OcppServer = await make_server(config={"max_pending": 1})
    await clients.connect(server.port, "STRANGER-1")
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await clients.connect(server.port, "STRANGER-2")
    assert err.value.status == 503
    charger, _ = await boot_and_setup(server, clients, "KNOWN")  # confirmed ids still get in
    assert charger.accepted
