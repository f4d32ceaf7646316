"""A simulated Modbus TCP charger (Vestel EVC04 register map) with a car.

    python -m demo.modbus_charger --port 5020 --status-file F

The registers and the pymodbus server are the test suite's (``tests/drivers/
modbus_fake*.py``, written to be shared with the demo: ``modbus_vendors.Vestel`` is typed
in from the vendor's document and tested against the driver's profile on pymodbus 3.8
through 3.16). This module puts the demo's car behind them: the charger offers its
setpoint (or its failsafe current once the controller's watchdog lapses) and the car
follows with the lag and taper of ``demo.ev``.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
import logging
from pathlib import Path
import time
from typing import Any, Final

from tests.drivers.modbus_fake import FakeCharger
from tests.drivers.modbus_fake_server import FakeModbusServer
from tests.drivers.modbus_vendors import Vestel

from . import ev, proc

TICK_S: Final = 1.0
HARDWARE_MAX_A: Final = 16.0
CAR: Final = ev.Car(capacity_kwh=77.0, max_current_a=16.0, phases=3, target_soc_pct=100.0)
VISITS: Final = ev.Visits(arrival_socs=(50.0, 30.0, 65.0, 25.0))
# Vestel's input register 1000, as the status file names it.
STATES: Final = {
    0: "Available",
    1: "Preparing",
    2: "Charging",
    3: "SuspendedEVSE",
    4: "SuspendedEV",
    8: "Faulted",
}


@dataclass
class SimulatedCharger(FakeCharger):
    """The test suite's charger model with the demo's car plugged in."""

    car: ev.Car = CAR
    visits: ev.Visits = VISITS
    driveway: ev.Driveway = field(default_factory=lambda: ev.arrive(VISITS, 0, time.monotonic()))
    last_request: float = 0.0

    def __post_init__(self) -> None:
        """Start at the installation's maximum (the vendor map boots at 32 A)."""
        super().__post_init__()
        self.setpoint_a = HARDWARE_MAX_A
        self.session_wh = 0.0
        self.vehicle.phases = self.car.phases
        self._sync_vehicle()

    @property
    def current_a(self) -> float:
        """What the car draws now (per phase), not what it is offered."""
        state = self.driveway.ev
        return 0.0 if state is None or self.fault else state.current_a

    @property
    def received_a(self) -> float:
        """The limit the controller gave (the failsafe current once it went quiet)."""
        return self.failsafe_a if self.expired else self.setpoint_a

    def offered_a(self) -> float:
        """What the charger offers the car (0 while nothing is plugged in)."""
        if not self.vehicle.plugged:
            return 0.0
        return min(HARDWARE_MAX_A, self.limit_a)

    def tick(self, now_s: float, dt_s: float) -> None:
        """Advance the car; count the energy on the meter and in the session."""
        before = self.driveway
        self.driveway = ev.park(
            self.car, self.visits, before, now_s=now_s, offered_a=self.offered_a(), dt_s=dt_s
        )
        after = self.driveway
        if before.ev is not None and after.ev is not None and before.visit == after.visit:
            delta_wh = (after.ev.session_kwh - before.ev.session_kwh) * 1000
            self.energy_wh += delta_wh
            self.session_wh += delta_wh
        elif after.ev is not None and before.ev is None:
            self.session_wh = 0.0
        self._sync_vehicle()

    def _sync_vehicle(self) -> None:
        state = self.driveway.ev
        self.vehicle.plugged = state is not None
        self.vehicle.wants = state is not None and not ev.is_full(self.car, state)

    def _record(self, function: int, table: str, address: int, values: list[int]) -> None:
        """Note the contact only: the demo runs for hours, the test log would grow forever."""
        self.last_request = time.monotonic()

    def snapshot(self) -> dict[str, Any]:
        """The state for the status file (read by the site simulator and the check)."""
        state = self.driveway.ev
        return {
            "status": STATES.get(Vestel().state(self), "Unknown"),
            "connected": time.monotonic() - self.last_request < 10.0,
            "limit_a": self.received_a,
            "offered_a": self.offered_a(),
            "currents_a": list(self.currents()),
            "power_w": round(self.power_w),
            "soc_pct": None if state is None else round(state.soc_pct, 2),
            "energy_wh": round(self.energy_wh),
        }


async def serve(port: int, name: str, status_file: Path | None) -> None:
    """Serve the charger on 127.0.0.1:``port`` and move its car every second."""
    charger = SimulatedCharger(vendor=Vestel(), now=time.monotonic)
    server = FakeModbusServer(charger)
    server.port = port
    await server.start()
    proc.say(name, f"Modbus TCP charger (Vestel EVC04 map, unit 255) on 127.0.0.1:{server.port}")
    said: dict[str, Any] = {}
    last = time.monotonic()
    try:
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            charger.tick(now, now - last)
            last = now
            snapshot = charger.snapshot()
            _tell_changes(name, charger, snapshot, said)
            if status_file is not None:
                proc.write_status(status_file, {"name": name, **snapshot})
    finally:
        await server.stop()


def _tell_changes(
    name: str, charger: SimulatedCharger, snapshot: dict[str, Any], said: dict[str, Any]
) -> None:
    for key, text in (
        ("limit_a", lambda v: f"limit {v:.1f} A" + (" (failsafe)" if charger.expired else "")),
        ("status", lambda v: f"status {v}"),
        ("connected", lambda v: "controller connected" if v else "controller silent"),
    ):
        value = snapshot[key]
        if said.get(key) != value:
            if key != "connected" or key in said or value:
                proc.say(name, text(value))
            said[key] = value
    plugged = charger.vehicle.plugged
    if said.get("plugged") != plugged:
        state = charger.driveway.ev
        proc.say(name, f"car plugged in at {state.soc_pct:.0f} %" if state else "car left")
        said["plugged"] = plugged


def main() -> None:
    """Parse the command line and serve until stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5020, help="TCP port on 127.0.0.1")
    parser.add_argument("--name", default="garage", help="the name in the output")
    parser.add_argument("--status-file", type=Path, help="publish the state here (JSON)")
    args = parser.parse_args()
    # pymodbus 3.16 warns that the datastore API the shared fake uses goes away in v4.
    logging.getLogger("pymodbus").setLevel(logging.ERROR)
    proc.run(lambda: serve(args.port, args.name, args.status_file))


if __name__ == "__main__":
    main()
