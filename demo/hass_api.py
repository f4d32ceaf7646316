"""A small client of Home Assistant's own HTTP and websocket APIs (aiohttp).

Everything the demo does to Home Assistant goes through the interfaces its frontend uses:
onboarding (``/api/onboarding/*``), the login flow and ``/auth/token``, config and
options flows (``/api/config/config_entries/...``), states and services (``/api/...``),
and a few websocket commands (long-lived tokens, the entity registry, flows in
progress, core settings). No ``.storage`` file is ever written by hand.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

import aiohttp

CLIENT_PATH: Final = "/"  # the frontend's client id is the instance's own URL


class HassError(Exception):
    """Home Assistant answered something unexpected."""


class Hass:
    """One Home Assistant instance, with or without a token yet."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        """Talk to ``base_url`` (``http://127.0.0.1:8123``) through ``session``."""
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.token: str | None = None
        self._ws_id = 0

    @property
    def client_id(self) -> str:
        """The OAuth client id of the demo (the instance's URL, as the frontend uses)."""
        return self.base_url + CLIENT_PATH

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Any = None,
        expect: tuple[int, ...] = (200, 201),
    ) -> Any:
        """Send one request; return the decoded JSON answer (None when it has no body)."""
        async with self.session.request(
            method,
            self.base_url + path,
            json=json,
            data=data,
            headers=self._headers(),
            timeout=aiohttp.ClientTimeout(total=30),
        ) as response:
            text = await response.text()
            if response.status not in expect:
                raise HassError(f"{method} {path}: HTTP {response.status}: {text[:300]}")
            if not text:
                return None
            try:
                return await response.json(content_type=None)
            except ValueError:
                return text

    # ---- start-up and authentication ------------------------------------------------

    async def wait_until_up(self, timeout_s: float, alive: Any = None) -> None:
        """Wait until the HTTP server answers (``alive()`` False: give up early)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            if alive is not None and not alive():
                raise HassError("Home Assistant exited while starting")
            try:
                async with self.session.get(
                    self.base_url + "/manifest.json", timeout=aiohttp.ClientTimeout(total=2)
                ) as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.5)
        raise HassError(f"Home Assistant did not answer within {timeout_s:.0f} s")

    async def onboarding_done(self) -> set[str]:
        """The onboarding steps already done."""
        steps = await self.request("GET", "/api/onboarding")
        return {step["step"] for step in steps if step.get("done")}

    async def onboard(
        self, *, name: str, username: str, password: str, language: str = "en"
    ) -> None:
        """Do the onboarding the frontend does: the owner, then the remaining steps."""
        answer = await self.request(
            "POST",
            "/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": language,
            },
        )
        await self._exchange_code(answer["auth_code"])
        await self.finish_onboarding(done={"user"})

    async def finish_onboarding(self, done: set[str]) -> None:
        """Post the onboarding steps after the owner that are not ``done`` yet (logged in)."""
        bodies: dict[str, dict[str, str]] = {
            "core_config": {},
            "analytics": {},
            "integration": {
                "client_id": self.client_id,
                "redirect_uri": self.client_id + "?auth_callback=1",
            },
        }
        for step, body in bodies.items():
            if step not in done:
                await self.request("POST", f"/api/onboarding/{step}", json=body)

    async def login(self, username: str, password: str) -> None:
        """Log in through the login flow the frontend's login page uses."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id + "?auth_callback=1",
            },
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json={"client_id": self.client_id, "username": username, "password": password},
        )
        if result.get("type") != "create_entry":
            raise HassError(f"login refused for {username!r}: {result.get('errors')}")
        await self._exchange_code(result["result"])

    async def _exchange_code(self, code: str) -> None:
        tokens = await self.request(
            "POST",
            "/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        )
        self.token = tokens["access_token"]

    async def token_valid(self) -> bool:
        """Return whether the current token is accepted."""
        if not self.token:
            return False
        try:
            await self.request("GET", "/api/")
        except HassError:
            return False
        return True

    # ---- websocket ------------------------------------------------------------------

    async def ws(self, *commands: dict[str, Any]) -> list[Any]:
        """Run websocket commands on one connection; return their results in order."""
        results: list[Any] = []
        url = self.base_url.replace("http", "ws", 1) + "/api/websocket"
        async with self.session.ws_connect(url) as socket:
            await socket.receive_json()  # auth_required
            await socket.send_json({"type": "auth", "access_token": self.token})
            if (auth := await socket.receive_json()).get("type") != "auth_ok":
                raise HassError(f"websocket auth failed: {auth}")
            for command in commands:
                self._ws_id += 1
                await socket.send_json({"id": self._ws_id, **command})
                while True:
                    answer = await socket.receive_json(timeout=30)
                    if answer.get("id") == self._ws_id and answer.get("type") == "result":
                        break
                if not answer.get("success"):
                    raise HassError(f"{command['type']}: {answer.get('error')}")
                results.append(answer.get("result"))
        return results

    async def long_lived_token(self, name: str) -> str:
        """Create a long-lived access token for the current user."""
        (token,) = await self.ws(
            {"type": "auth/long_lived_access_token", "client_name": name, "lifespan": 3650}
        )
        return str(token)

    async def entity_registry(self) -> list[dict[str, Any]]:
        """Every registered entity (with its config entry and unique id)."""
        (entries,) = await self.ws({"type": "config/entity_registry/list"})
        return list(entries)

    async def flows_in_progress(self) -> list[dict[str, Any]]:
        """Config flows waiting for the user (discoveries among them)."""
        (flows,) = await self.ws({"type": "config_entries/flow/progress"})
        return list(flows)

    # ---- states, services, config entries, flows ------------------------------------

    async def get_state(self, entity_id: str) -> dict[str, Any] | None:
        """The state of an entity, or None when it does not exist."""
        try:
            state: dict[str, Any] = await self.request("GET", f"/api/states/{entity_id}")
        except HassError as err:
            if "HTTP 404" in str(err):
                return None
            raise
        return state

    async def states(self) -> dict[str, dict[str, Any]]:
        """Every state, by entity id."""
        return {state["entity_id"]: state for state in await self.request("GET", "/api/states")}

    async def set_state(self, entity_id: str, state: str, attributes: dict[str, Any]) -> None:
        """Report a state (an unchanged one still counts as a fresh report)."""
        await self.request(
            "POST", f"/api/states/{entity_id}", json={"state": state, "attributes": attributes}
        )

    async def call_service(self, domain: str, service: str, data: dict[str, Any]) -> None:
        """Call an action."""
        await self.request("POST", f"/api/services/{domain}/{service}", json=data)

    async def config_entries(self, domain: str) -> list[dict[str, Any]]:
        """The config entries of an integration."""
        return list(await self.request("GET", f"/api/config/config_entries/entry?domain={domain}"))

    async def flow_start(self, handler: str) -> dict[str, Any]:
        """Start a config flow, as "Add integration" does."""
        return dict(
            await self.request("POST", "/api/config/config_entries/flow", json={"handler": handler})
        )

    async def flow_step(self, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Submit a form (or pick a menu item with ``{"next_step_id": ...}``)."""
        return dict(
            await self.request("POST", f"/api/config/config_entries/flow/{flow_id}", json=data)
        )

    async def options_flow_start(self, entry_id: str) -> dict[str, Any]:
        """Open an entry's options ("Configure")."""
        return dict(
            await self.request(
                "POST", "/api/config/config_entries/options/flow", json={"handler": entry_id}
            )
        )

    async def options_flow_step(self, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Submit an options form or menu choice."""
        return dict(
            await self.request(
                "POST", f"/api/config/config_entries/options/flow/{flow_id}", json=data
            )
        )
