"""Fixtures for the driver tests: loopback sockets, an OCPP server and clients."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any

import pytest

from custom_components.smart_charging.drivers.ocpp import Admission, OcppServer, ServerConfig

from .ocpp_helpers import Admissions, ClientFactory, FakeClock


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """Driver tests talk to real servers on 127.0.0.1."""


@pytest.fixture
def clock() -> FakeClock:
    """A clock the tests move by hand."""
    return FakeClock()


@pytest.fixture
def admissions() -> Admissions:
    """Admission decisions per charge point id (default: accept)."""
    return Admissions(default=Admission.ACCEPT)


@pytest.fixture
async def make_server(
    clock: FakeClock, admissions: Admissions
) -> AsyncGenerator[Callable[..., Any]]:
    """Start servers on 127.0.0.1:0 (stopped after the test)."""
    servers: list[OcppServer] = []

    async def make(**kwargs: Any) -> OcppServer:
        config_args: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": 0,
            "boot_wait_s": 5.0,
            "monotonic": clock.monotonic,
            "utcnow": clock.utcnow,
        }
        config_args.update(kwargs.pop("config", {}))
        server = OcppServer(
            ServerConfig(**config_args),
            admission=kwargs.pop("admission", admissions),
            first_transaction_id=kwargs.pop("first_transaction_id", 100),
            **kwargs,
        )
        await server.async_start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.async_stop()


@pytest.fixture
async def server(make_server: Callable[..., Any]) -> OcppServer:
    """A started server accepting every charge point."""
    started: OcppServer = await make_server()
    return started


@pytest.fixture
async def clients() -> AsyncGenerator[ClientFactory]:
    """Connect simulated charge points (closed after the test)."""
    factory = ClientFactory()
    yield factory
    await factory.close()
