"""Process plumbing shared by the demo's processes: lifetime, signals, status files, output.

Every simulator and Home Assistant itself runs as a child of ``demo.run``. A child must
never outlive it, even when it is killed without a chance to clean up: on Linux each child
asks the kernel for SIGTERM when its parent dies (``PR_SET_PDEATHSIG``, kept across
``exec``); everywhere, the Python children also watch their parent id.

``python -m demo.proc PROGRAM ARGS...`` arms that and then becomes PROGRAM (used for
``hass``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
import contextlib
import ctypes
import json
import os
from pathlib import Path
import signal
import sys
import time
from typing import Any, Final

_PR_SET_PDEATHSIG: Final = 1
STALE_S: Final = 5.0  # a status file older than this belongs to a dead simulator


def die_with_parent() -> None:
    """Ask the kernel to send SIGTERM when the parent process dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


async def _watch_parent(parent: int, stop: Callable[[], object]) -> None:
    """Call ``stop`` once the parent is gone (the process was re-parented)."""
    while True:
        await asyncio.sleep(1.0)
        if os.getppid() != parent:
            stop()
            return


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a simulator's ``main`` until SIGINT/SIGTERM or the parent's death; exit quietly."""
    die_with_parent()
    parent = os.getppid()

    async def runner() -> None:
        loop = asyncio.get_running_loop()
        task: asyncio.Task[None] = loop.create_task(main())
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        watcher = loop.create_task(_watch_parent(parent, task.cancel))
        try:
            await task
        except asyncio.CancelledError:
            pass
        finally:
            watcher.cancel()

    asyncio.run(runner())


def say(tag: str, message: str) -> None:
    """Print one line of a simulator's story (flushed: several processes share a terminal)."""
    print(f"{time.strftime('%H:%M:%S')} [{tag}] {message}", flush=True)  # noqa: T201


def write_status(path: Path, status: dict[str, Any]) -> None:
    """Publish a simulator's state atomically (readers never see half a file)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**status, "updated": time.time()}))
    tmp.replace(path)


def read_status(path: Path, *, now: float | None = None) -> dict[str, Any] | None:
    """Read a simulator's state; None when missing, unreadable or stale."""
    try:
        status: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if (now if now is not None else time.time()) - float(status.get("updated", 0)) > STALE_S:
        return None
    return status


def main() -> None:
    """``python -m demo.proc PROGRAM ARGS...``: arm the parent-death signal, become PROGRAM."""
    if len(sys.argv) < 2:
        sys.exit("usage: python -m demo.proc PROGRAM [ARGS...]")
    die_with_parent()
    os.execvp(sys.argv[1], sys.argv[1:])  # noqa: S606 - the orchestrator's own command line


if __name__ == "__main__":
    main()
