"""The demo's child processes: started out of the terminal's process group, stopped in order.

Ctrl-C reaches only ``demo.run``, which stops each child once: the simulators first, then
Home Assistant (a second signal would make it quit without closing its database). Each
child also dies with ``demo.run`` if that is killed (see ``demo.proc``).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import signal
import sys
from typing import IO, Final

from . import proc

STOP_TIMEOUT_S: Final = 30.0


class Children:
    """The demo's child processes."""

    def __init__(self, root: Path, log_dir: Path) -> None:
        """Nothing runs yet; children run in ``root``, quiet ones log to ``log_dir``."""
        self.root = root
        self.log_dir = log_dir
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self._commands: dict[str, tuple[list[str], dict[str, str] | None, bool]] = {}
        self._logs: list[IO[bytes]] = []

    def log_path(self, name: str) -> Path:
        """Where a child's output goes (the terminal's copy in the interactive demo)."""
        return self.log_dir / f"{name}.log"

    async def start(
        self, name: str, args: list[str], *, env: dict[str, str] | None = None, quiet: bool
    ) -> None:
        """Start ``python -m ARGS`` (quiet: output to its log file only)."""
        self._commands[name] = (args, env, quiet)
        output: IO[bytes] | None = None
        if quiet:
            output = self.log_path(name).open("ab")
            self._logs.append(output)
        self.processes[name] = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            *args,
            cwd=self.root,
            env={**os.environ, **(env or {})},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT if output else None,
            # Out of the terminal's process group: Ctrl-C reaches only this process, which
            # stops each child once, in order (a second signal makes Home Assistant quit
            # without closing its database).
            start_new_session=True,
        )

    async def restart(self, name: str) -> None:
        """Start an ended child again with the same command."""
        args, env, quiet = self._commands[name]
        await self.start(name, args, env=env, quiet=quiet)

    def exited(self) -> str | None:
        """The name of a child that has ended, if any."""
        return next((n for n, p in self.processes.items() if p.returncode is not None), None)

    async def wait_any(self) -> str:
        """Wait until some child ends; return its name."""
        waits = {asyncio.ensure_future(p.wait()): name for name, p in self.processes.items()}
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return waits[next(iter(done))]

    async def stop(self) -> None:
        """Stop the simulators, then Home Assistant; kill whatever does not stop in time."""
        order = [n for n in self.processes if n != "hass"] + ["hass"]
        for name in order:
            process = self.processes.get(name)
            if process is None or process.returncode is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                proc.say("demo", f"{name} did not stop in {STOP_TIMEOUT_S:.0f} s; killing it")
                process.kill()
                await process.wait()
        for log in self._logs:
            log.close()
