"""Take a screenshot of the running demo's dashboard with headless Chromium (for docs/).

    python -m demo.screenshot [--out docs/demo.png] [--url http://127.0.0.1:8123]

Needs a running ``scripts/develop`` and a Chromium (``apt-get install chromium``). It
drives the browser over the DevTools protocol (aiohttp only, no Selenium): it stores the
demo's long-lived token where the frontend keeps its login (``hassTokens``), opens the
dashboard, waits for it to render and saves a PNG.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
from pathlib import Path
import shutil
import socket
import sys
import tempfile
import time
from typing import Any

import aiohttp

from .run import CONFIG, DASHBOARD, ROOT

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class DevTools:
    """One page of a browser, over the DevTools protocol."""

    def __init__(self, socket_: aiohttp.ClientWebSocketResponse) -> None:
        """Drive the page behind ``socket_``."""
        self.socket = socket_
        self._ids = itertools.count(1)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command; return its result."""
        command_id = next(self._ids)
        await self.socket.send_json({"id": command_id, "method": method, "params": params})
        while True:
            message = await self.socket.receive_json(timeout=60)
            if message.get("id") == command_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def screenshot(url: str, token: str, width: int, height: int) -> bytes:
    """Open the dashboard logged in; return a PNG screenshot."""
    browser = next((b for b in BROWSERS if shutil.which(b)), None)
    if browser is None:
        raise SystemExit("no Chromium found (apt-get install chromium)")
    port = _free_port()
    profile = tempfile.mkdtemp(prefix="smart-charging-shot-")
    process = await asyncio.create_subprocess_exec(
        browser,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--remote-debugging-port={port}",
        f"--window-size={width},{height}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as session:
            pages: list[dict[str, Any]] = []
            for _ in range(50):
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                        pages = [p for p in await response.json() if p.get("type") == "page"]
                if pages:
                    break
                await asyncio.sleep(0.2)
            if not pages:
                raise SystemExit("Chromium did not start")
            async with session.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                tools = DevTools(ws)
                await tools.send("Page.enable")
                await tools.send("Page.navigate", url=f"{url}/auth/authorize")
                await asyncio.sleep(2)
                tokens = {
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": 315_360_000,
                    "hassUrl": url,
                    "clientId": f"{url}/",
                    "expires": int(time.time() * 1000) + 315_360_000_000,
                    "refresh_token": "",
                }
                script = f"localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))})"
                await tools.send("Runtime.evaluate", expression=script)
                await tools.send("Page.navigate", url=f"{url}/{DASHBOARD}")
                await asyncio.sleep(5)
                # Once more: rows drawn before the entity translations arrived keep the
                # raw option ("fast"); the second load has them from the start.
                await tools.send("Page.reload")
                await asyncio.sleep(10)  # the frontend, history graphs and gauges settle
                shot = await tools.send("Page.captureScreenshot", format="png")
        return base64.b64decode(shot["data"])
    finally:
        process.terminate()
        await process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> None:
    """Parse the command line and take the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "demo.png")
    parser.add_argument("--size", default="1400x1000", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args()
    token_file = CONFIG / ".demo" / "token"
    if not token_file.exists():
        sys.exit("no demo token: start scripts/develop first")
    width, height = (int(part) for part in args.size.split("x"))
    png = asyncio.run(screenshot(args.url, token_file.read_text().strip(), width, height))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(png)
    print(f"saved {args.out}")  # noqa: T201


if __name__ == "__main__":
    main()
