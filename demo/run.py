"""``scripts/develop``: Home Assistant with the integration and a complete simulated site.

    python -m demo.run            # the demo on http://127.0.0.1:8123 until Ctrl-C
    python -m demo.run --check    # headless self-test on free ports, in a temporary copy
    python -m demo.run --reset    # forget the demo's state (users, entries, history) first

Starts Home Assistant (``hass --config config``, the integration symlinked from this
tree), onboards it or logs in, runs the simulators (``demo.site_runner``,
``demo.ocpp_charger``, ``demo.modbus_charger``) and adds the site and the chargers
through the integration's config flows (``demo.provision``). Every child is stopped on
Ctrl-C, on SIGTERM and on any failure, and dies with this process even if it is killed.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from pathlib import Path
import shutil
import signal
import socket
import sys
import tempfile
import time
from typing import Final

import aiohttp

from . import proc
from .check import CheckFailedError, run_check
from .children import Children
from .hass_api import Hass, HassError
from .provision import (
    MODBUS_NAME,
    OCPP_ID,
    PASSWORD,
    USERNAME,
    Demo,
    accept_ocpp_charger,
    add_modbus_charger,
    add_site,
    authenticate,
    configure_site,
    remove_onboarding_extras,
    tell_battery_capacity,
    wait_loaded,
)
from .requirements import unmet
from .site_runner import TOKEN_ENV

ROOT: Final = Path(__file__).resolve().parent.parent
CONFIG: Final = ROOT / "config"
INTEGRATION: Final = ROOT / "custom_components" / "smart_charging"
BLUEPRINTS: Final = ROOT / "blueprints" / "automation" / "smart_charging"
HTTP_PORT: Final = 8123
OCPP_PORT: Final = 9100
MODBUS_PORT: Final = 5020
DASHBOARD: Final = "smart-charging/0"
RESTART_CODE: Final = 100  # Home Assistant asks its supervisor to start it again
# What Home Assistant and the demo keep in config/ (git-ignored); --reset removes it.
STATE: Final = (
    ".storage",
    ".demo",
    ".HA_VERSION",
    "home-assistant_v2.db",
    "home-assistant.log",
    "automations.yaml",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """Where the demo runs."""

    config: Path
    http_port: int
    ocpp_port: int
    modbus_port: int
    check: bool

    @property
    def run_dir(self) -> Path:
        """The demo's own files: token, logs, the chargers' status files."""
        return self.config / ".demo"

    @property
    def url(self) -> str:
        """Home Assistant's address."""
        return f"http://127.0.0.1:{self.http_port}"


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (held open together, so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_in_use(port: int) -> bool:
    """Return whether a local TCP port is taken."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _link(target: Path, source: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.exists():
        if target.resolve() == source:
            return
        target.unlink()
    target.symlink_to(source)


def link_tree(config: Path) -> None:
    """Use this tree's integration and blueprints in ``config`` (symlinks)."""
    _link(config / "custom_components" / "smart_charging", INTEGRATION)
    _link(config / "blueprints" / "automation" / "smart_charging", BLUEPRINTS)
    automations = config / "automations.yaml"  # where the UI saves automations
    if not automations.exists():
        automations.write_text("[]\n")


def check_layout() -> Layout:
    """A temporary copy of config/ on free ports (the user's demo state stays untouched)."""
    http, ocpp, modbus = free_ports(3)
    config = Path(tempfile.mkdtemp(prefix="smart-charging-check-"))
    text = (CONFIG / "configuration.yaml").read_text()
    marker = f"server_port: {HTTP_PORT}"
    if marker not in text:
        raise SystemExit(f"config/configuration.yaml has no {marker!r} to replace")
    (config / "configuration.yaml").write_text(text.replace(marker, f"server_port: {http}"))
    shutil.copytree(CONFIG / "dashboards", config / "dashboards")
    return Layout(config=config, http_port=http, ocpp_port=ocpp, modbus_port=modbus, check=True)


def reset(config: Path) -> None:
    """Remove the demo's state from config/ (only what Home Assistant and the demo wrote)."""
    for name in STATE:
        for path in config.glob(f"{name}*"):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def tail(path: Path, lines: int = 25) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} is missing)"


async def start(
    layout: Layout, children: Children, session: aiohttp.ClientSession
) -> tuple[Hass, Demo]:
    """Start Home Assistant and the simulators; set up the site and both chargers."""
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    chargers = layout.run_dir / "chargers"
    chargers.mkdir(exist_ok=True)
    for stale in chargers.glob("*.json"):
        stale.unlink()
    link_tree(layout.config)
    if missing := unmet(layout.config):
        raise HassError(
            "Home Assistant would start without packages the demo's configuration needs"
            " (run scripts/setup, which installs requirements_demo.txt):\n  " + "\n  ".join(missing)
        )
    quiet = layout.check
    # The Modbus charger first: a saved entry makes Home Assistant connect to it at start.
    await children.start(
        "garage",
        [
            "demo.modbus_charger",
            "--port",
            str(layout.modbus_port),
            "--status-file",
            str(chargers / "garage.json"),
        ],
        quiet=quiet,
    )
    hass_bin = str(Path(sys.executable).parent / "hass")
    await children.start(
        "hass",
        ["demo.proc", hass_bin, "--config", str(layout.config), "--skip-pip"],
        quiet=True,
    )
    hass = Hass(layout.url, session)
    await hass.wait_until_up(180, alive=lambda: children.exited() != "hass")
    proc.say("demo", f"Home Assistant is up on {layout.url}")
    onboarded = await authenticate(hass, layout.run_dir / "token")
    token = {TOKEN_ENV: hass.token or ""}
    solar = ["--solar-peak", "0"] if layout.check else []  # the check must not depend on the hour
    await children.start(
        "site",
        ["demo.site_runner", "--url", layout.url, "--chargers", str(chargers), *solar],
        env=token,
        quiet=quiet,
    )
    site = await add_site(hass)
    await configure_site(hass, site, layout.ocpp_port)
    await children.start(
        "driveway",
        [
            "demo.ocpp_charger",
            "--url",
            f"ws://127.0.0.1:{layout.ocpp_port}",
            "--id",
            OCPP_ID,
            "--status-file",
            str(chargers / f"{OCPP_ID}.json"),
        ],
        quiet=quiet,
    )
    modbus = await add_modbus_charger(hass, layout.modbus_port)
    ocpp = await accept_ocpp_charger(hass)
    await wait_loaded(hass, site, ocpp, modbus)
    await tell_battery_capacity(hass, ocpp)
    if onboarded:
        await remove_onboarding_extras(hass)
    return hass, Demo(site=site, ocpp_charger=ocpp, modbus_charger=modbus)


def banner(layout: Layout) -> str:
    """What runs where."""
    config = (
        layout.config.relative_to(ROOT) if layout.config.is_relative_to(ROOT) else layout.config
    )
    return "\n".join(
        [
            "",
            "Smart Charging demo is running",
            f"  Home Assistant  {layout.url}  (user {USERNAME!r}, password {PASSWORD!r})",
            f"  Dashboard       {layout.url}/{DASHBOARD}",
            f"  OCPP charger    {OCPP_ID!r} connected to ws://127.0.0.1:{layout.ocpp_port}",
            f"  Modbus charger  {MODBUS_NAME!r}, Vestel EVC04 map on 127.0.0.1:{layout.modbus_port}",
            f"  Logs            {config}/home-assistant.log, {config}/.demo/",
            "Turn on the oven on the dashboard: both chargers back off to keep the 40 A main",
            "fuse. Ctrl-C stops everything.",
            "",
        ]
    )


async def demo(layout: Layout) -> int:
    """Run the demo (or the check); return the exit code."""
    started = time.monotonic()
    children = Children(ROOT, layout.run_dir)
    code = 1
    try:
        async with aiohttp.ClientSession() as session:
            hass, entries = await start(layout, children, session)
            if not layout.check:
                print(banner(layout), flush=True)  # noqa: T201
                while True:
                    name = await children.wait_any()
                    if name == "hass" and children.processes[name].returncode == RESTART_CODE:
                        proc.say("demo", "Home Assistant restarts")  # Settings > Restart
                        await children.restart(name)
                        continue
                    log = children.log_path(name)
                    proc.say("demo", f"{name} ended unexpectedly; stopping (see {log})")
                    return 1
            report = await run_check(
                hass, entries, layout.run_dir, layout.config / "dashboards", started
            )
            report.append(f"PASSED in {time.monotonic() - started:.1f} s")
            print("\n".join(["", "== scripts/develop --check ==", *report]), flush=True)  # noqa: T201
            code = 0
    except asyncio.CancelledError:
        proc.say("demo", "stopping")
        code = 130
    except (HassError, CheckFailedError, aiohttp.ClientError, TimeoutError) as err:
        print(f"\ndemo failed: {err}", file=sys.stderr, flush=True)  # noqa: T201
        if (ended := children.exited()) is not None:
            log = tail(children.log_path(ended))
            print(f"{ended} exited; its log:\n{log}", file=sys.stderr)  # noqa: T201
        code = 1
    finally:
        await children.stop()
        proc.say("demo", f"stopped ({time.monotonic() - started:.1f} s in all)")
    return code


def main() -> None:
    """Parse the command line, run, and always clean up."""
    parser = argparse.ArgumentParser(description="The Smart Charging demo.")
    parser.add_argument(
        "--check", action="store_true", help="headless self-test; exit 0 on success"
    )
    parser.add_argument("--reset", action="store_true", help="forget the demo's state first")
    args = parser.parse_args()
    if args.check:
        layout = check_layout()
    else:
        if args.reset:
            reset(CONFIG)
        layout = Layout(
            config=CONFIG,
            http_port=HTTP_PORT,
            ocpp_port=OCPP_PORT,
            modbus_port=MODBUS_PORT,
            check=False,
        )
        busy = [port for port in (HTTP_PORT, OCPP_PORT, MODBUS_PORT) if port_in_use(port)]
        if busy:
            raise SystemExit(f"port(s) {busy} in use: is the demo already running?")
    proc.die_with_parent()

    async def run() -> int:
        loop = asyncio.get_running_loop()
        task = loop.create_task(demo(layout))

        def interrupt() -> None:
            """The first signal stops the demo; more would only cut the clean-up short."""
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
                loop.add_signal_handler(signum, lambda: None)
            task.cancel()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, interrupt)
        try:
            return await task
        except asyncio.CancelledError:
            return 130

    code = asyncio.run(run())
    if layout.check:
        if code == 0:
            shutil.rmtree(layout.config, ignore_errors=True)
        else:
            print(f"the check's files are kept in {layout.config}", file=sys.stderr)  # noqa: T201
    sys.exit(code)


if __name__ == "__main__":
    main()
