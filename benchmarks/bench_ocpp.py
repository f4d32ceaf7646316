"""OCPP central system under load: N charge points metering while limits are refreshed.

For each N (10, 100, 200) a fresh server process runs ``OcppServer`` on 127.0.0.1 and a
separate client process runs N simulated charge points (``benchmarks.ocpp_sim``), so the
server's event-loop lag is its own. After every charger has booted and been configured,
for ``DURATION_S``:
- each charge point sends MeterValues every 10 s (round trip measured client side);
- the controller applies a changed limit to every charger every ``CYCLE_S`` seconds, all
  at once (``asyncio.gather``), timing each ``async_apply`` = one SetChargingProfile round
  trip (server side);
- a sampler measures the server's event-loop lag every 50 ms.
RSS per charger = (VmRSS after all are configured - VmRSS before the first connection) / N.
The limit changes every cycle, so every apply sends: the SetChargingProfile figure is the
worst case of a site-wide change (200 profiles in one burst; p99 ~ the time to drain it).
The machine is shared: the JSON records the load average, as other work skews the figures.

Run: ``.venv/bin/python -m benchmarks.bench_ocpp`` (or ``scripts/bench ocpp``); writes
``benchmarks/out/ocpp.json``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import gc
import json
import logging
import multiprocessing
from multiprocessing.connection import Connection
import os
from pathlib import Path
import statistics
import sys
import time
from typing import Any

COUNTS = (10, 100, 200)
DURATION_S = 30.0
CYCLE_S = 5.0
METER_INTERVAL_S = 10.0
LAG_PERIOD_S = 0.05
OUT = Path(__file__).parent / "out" / "ocpp.json"


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[98]


async def _server_main(count: int, pipe: Connection) -> None:
    from custom_components.smart_charging.drivers.ocpp import (  # noqa: PLC0415
        Admission,
        OcppServer,
        ServerConfig,
    )

    server = OcppServer(
        ServerConfig(host="127.0.0.1", port=0, boot_wait_s=30.0),
        admission=lambda _: Admission.ACCEPT,
    )
    await server.async_start()
    gc.collect()
    rss_before = _rss_kib()
    ready = asyncio.Event()
    chargers = [server.get_charger(f"SIM-{i:04d}") for i in range(count)]
    configured: set[str] = set()

    def listener(charger: Any) -> Callable[[], None]:
        def check() -> None:
            if charger.ready:
                configured.add(charger.charger_id)
                if len(configured) == count:
                    ready.set()

        return check

    for charger in chargers:
        charger.add_listener(listener(charger))
    pipe.send(("port", server.port))
    await ready.wait()
    gc.collect()
    rss_after = _rss_kib()

    lags: list[float] = []
    loop = asyncio.get_running_loop()

    async def sample_lag() -> None:
        while True:
            start = loop.time()
            await asyncio.sleep(LAG_PERIOD_S)
            lags.append((loop.time() - start - LAG_PERIOD_S) * 1000)

    async def timed_apply(charger: Any, limit: float) -> float:
        start = time.perf_counter()
        await charger.async_apply(limit, 3)
        return (time.perf_counter() - start) * 1000

    sampler = loop.create_task(sample_lag())
    pipe.send(("ready", None))
    setprofile: list[float] = []
    end = time.monotonic() + DURATION_S
    cycle = 0
    while time.monotonic() < end:
        limit = 16.0 if cycle % 2 else 15.0  # a change every cycle: every apply sends
        setprofile += await asyncio.gather(*(timed_apply(c, limit) for c in chargers))
        cycle += 1
        await asyncio.sleep(min(CYCLE_S, max(0.0, end - time.monotonic())))
    sampler.cancel()
    await server.async_stop()
    pipe.send(
        (
            "result",
            {
                "setprofile_p50_ms": statistics.median(setprofile),
                "setprofile_p99_ms": _p99(setprofile),
                "setprofile_samples": len(setprofile),
                "loop_lag_p99_ms": _p99(lags),
                "rss_kib_per_charger": (rss_after - rss_before) / count,
            },
        )
    )


def _server_process(count: int, pipe: Connection) -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_server_main(count, pipe))


def _client_process(port: int, count: int, pipe: Connection) -> None:
    from benchmarks.ocpp_sim import run_clients  # noqa: PLC0415

    logging.basicConfig(level=logging.WARNING)

    async def main() -> list[float]:
        go = asyncio.Event()

        async def wait_for_go() -> None:
            await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
            go.set()

        waiter = asyncio.get_running_loop().create_task(wait_for_go())
        try:
            return await run_clients(port, count, METER_INTERVAL_S, DURATION_S, go)
        finally:
            await waiter

    pipe.send(asyncio.run(main()))


def run(count: int) -> dict[str, float]:
    """Measure one charger count in fresh processes."""
    context = multiprocessing.get_context("spawn")
    server_end, server_pipe = context.Pipe()
    client_end, client_pipe = context.Pipe()
    server = context.Process(target=_server_process, args=(count, server_pipe), daemon=True)
    server.start()
    processes = [server]
    try:
        _, port = server_end.recv()  # ("port", n)
        client = context.Process(
            target=_client_process, args=(port, count, client_pipe), daemon=True
        )
        client.start()
        processes.append(client)
        if not server_end.poll(120):
            raise TimeoutError(f"{count} chargers were not configured within 120 s")
        server_end.recv()  # ("ready", None)
        client_end.send("go")
        if not client_end.poll(DURATION_S + 60):
            raise TimeoutError("the clients did not finish")
        metervalues: list[float] = client_end.recv()
        _, result = server_end.recv()  # ("result", {...})
        client.join(30)
        server.join(30)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
    return {
        "metervalues_p99_ms": _p99(metervalues),
        "metervalues_samples": len(metervalues),
        **result,
    }


def main() -> None:
    """Run every charger count, print a table, write the JSON."""
    results: dict[str, dict[str, float]] = {}
    print(
        f"{'chargers':>8}  {'MeterValues p99':>16}  {'SetChargingProfile p99':>23}"
        f"  {'loop lag p99':>12}  {'RSS/charger':>12}"
    )
    for count in COUNTS:
        figures = run(count)
        results[str(count)] = {k: round(v, 2) for k, v in figures.items()}
        print(
            f"{count:>8}  {figures['metervalues_p99_ms']:>13.1f} ms"
            f"  {figures['setprofile_p99_ms']:>20.1f} ms"
            f"  {figures['loop_lag_p99_ms']:>9.1f} ms  {figures['rss_kib_per_charger']:>8.1f} KiB",
            flush=True,
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    report = {"chargers": results, "load_average_1m_at_end": round(os.getloadavg()[0], 2)}
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}")


if __name__ == "__main__":
    sys.exit(main())
