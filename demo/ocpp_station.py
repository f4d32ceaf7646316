"""The simulated OCPP charge point's state: its car, its profiles, its transaction, its meter.

No I/O: ``demo.ocpp_charger`` moves it with the clock and talks OCPP about it. The
charger is free-vending (a car that plugs in starts a transaction at once) and offers
what its charging profiles allow, up to its hardware maximum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from . import ev
from .profiles import InstalledProfile, limit_a

HARDWARE_MAX_A: Final = 16.0
CONNECTOR: Final = 1
VOLTAGE_V: Final = 230.0
TEMPERATURE_C: Final = 31.5

# What the charger answers to GetConfiguration (and lets ChangeConfiguration change).
CONFIGURATION: Final = {
    "ChargeProfileMaxStackLevel": "8",
    "ChargingScheduleAllowedChargingRateUnit": "Current,Power",
    "ChargingScheduleMaxPeriods": "24",
    "ConnectorSwitch3to1PhaseSupported": "false",
    "HeartbeatInterval": "300",
    "MaxChargingProfilesInstalled": "10",
    "MeterValueSampleInterval": "60",
    "MeterValuesSampledData": "Energy.Active.Import.Register",
    "MeterValuesSampledDataMaxLength": "10",
    "NumberOfConnectors": "1",
    "SupportedFeatureProfiles": "Core,SmartCharging,RemoteTrigger",
}
READ_ONLY: Final = frozenset(
    {
        "ChargeProfileMaxStackLevel",
        "ChargingScheduleAllowedChargingRateUnit",
        "ChargingScheduleMaxPeriods",
        "ConnectorSwitch3to1PhaseSupported",
        "MaxChargingProfilesInstalled",
        "MeterValuesSampledDataMaxLength",
        "NumberOfConnectors",
        "SupportedFeatureProfiles",
    }
)
MEASURANDS: Final = frozenset(
    {
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "Current.Import",
        "Current.Offered",
        "Voltage",
        "SoC",
        "Temperature",
    }
)


def change_configuration(configuration: dict[str, str], key: str, value: str) -> str:
    """Apply a ChangeConfiguration; return the status to answer."""
    if key not in configuration:
        return "NotSupported"
    if key in READ_ONLY:
        return "Rejected"
    if key == "MeterValuesSampledData":
        wanted = [m.strip() for m in value.split(",") if m.strip()]
        if not wanted or not set(wanted) <= MEASURANDS:
            return "Rejected"
    interval = key in ("MeterValueSampleInterval", "HeartbeatInterval")
    if interval and (not value.isdigit() or int(value) < 1):
        return "Rejected"
    configuration[key] = value
    return "Accepted"


@dataclass
class Station:
    """One connector with a driveway in front of it."""

    car: ev.Car
    visits: ev.Visits
    driveway: ev.Driveway
    configuration: dict[str, str] = field(default_factory=lambda: dict(CONFIGURATION))
    profiles: tuple[InstalledProfile, ...] = ()
    transaction_id: int | None = None
    tx_start: datetime | None = None
    stopped_remotely: bool = False  # a RemoteStop ended the session; the car is still there
    energy_wh: float = 1_250_000.0  # the meter register

    @property
    def plugged(self) -> bool:
        """Return whether a car is plugged in."""
        return self.driveway.ev is not None

    def limit_a(self, now: datetime) -> float | None:
        """What the installed profiles allow now (A per phase); None: nothing limits."""
        return limit_a(
            self.profiles,
            connector_id=CONNECTOR,
            now=now,
            transaction_id=self.transaction_id,
            tx_start=self.tx_start,
            voltage_v=VOLTAGE_V,
        )

    def offered_a(self, now: datetime) -> float:
        """The current offered to the car (0 outside a transaction or below 6 A)."""
        if self.transaction_id is None or not self.plugged:
            return 0.0
        limit = self.limit_a(now)
        offered = HARDWARE_MAX_A if limit is None else min(HARDWARE_MAX_A, limit)
        return offered if offered >= ev.MIN_OFFER_A else 0.0

    def status(self, now: datetime) -> str:
        """The connector's OCPP status."""
        state = self.driveway.ev
        if state is None:
            return "Available"
        if self.transaction_id is None:
            return "Finishing" if self.stopped_remotely else "Preparing"
        if self.offered_a(now) < ev.MIN_OFFER_A:
            return "SuspendedEVSE"
        if ev.is_full(self.car, state):
            return "SuspendedEV"
        return "Charging"

    def tick(self, now_s: float, now: datetime, dt_s: float) -> None:
        """Advance the car by ``dt_s`` and count its energy on the meter."""
        before = self.driveway
        self.driveway = ev.park(
            self.car,
            self.visits,
            before,
            now_s=now_s,
            offered_a=self.offered_a(now),
            dt_s=dt_s,
            voltage_v=VOLTAGE_V,
        )
        after = self.driveway
        if before.ev is not None and after.ev is not None and before.visit == after.visit:
            self.energy_wh += (after.ev.session_kwh - before.ev.session_kwh) * 1000

    def currents(self) -> tuple[float, float, float]:
        """The current on each phase."""
        state = self.driveway.ev
        current = 0.0 if state is None else state.current_a
        l1, l2, l3 = (current if phase < self.car.phases else 0.0 for phase in range(3))
        return (l1, l2, l3)

    def power_w(self) -> float:
        """The power drawn now."""
        return sum(self.currents()) * VOLTAGE_V

    def sampled_values(self, now: datetime) -> list[dict[str, Any]]:
        """One MeterValues sample of the measurands configured in MeterValuesSampledData."""
        configured = self.configuration["MeterValuesSampledData"].split(",")
        values: list[dict[str, Any]] = []

        def add(measurand: str, value: float, unit: str, phase: str | None = None) -> None:
            entry = {
                "value": f"{value:.2f}",
                "context": "Sample.Periodic",
                "measurand": measurand,
                "location": "Outlet",
                "unit": unit,
            }
            if phase is not None:
                entry["phase"] = phase
            values.append(entry)

        for measurand in (m.strip() for m in configured):
            if measurand == "Energy.Active.Import.Register":
                add(measurand, round(self.energy_wh), "Wh")
            elif measurand == "Power.Active.Import":
                add(measurand, self.power_w(), "W")
            elif measurand == "Current.Import":
                for phase, current in zip(("L1", "L2", "L3"), self.currents(), strict=True):
                    add(measurand, current, "A", phase)
            elif measurand == "Current.Offered":
                add(measurand, self.offered_a(now), "A")
            elif measurand == "Voltage":
                for phase in ("L1-N", "L2-N", "L3-N"):
                    add(measurand, VOLTAGE_V, "V", phase)
            elif measurand == "SoC" and self.driveway.ev is not None:
                add(measurand, self.driveway.ev.soc_pct, "Percent")
            elif measurand == "Temperature":
                add(measurand, TEMPERATURE_C, "Celsius")
        return values

    def snapshot(self, now: datetime) -> dict[str, Any]:
        """The state for the status file (read by the site simulator and the check)."""
        state = self.driveway.ev
        return {
            "status": self.status(now),
            "limit_a": self.limit_a(now),
            "offered_a": self.offered_a(now),
            "currents_a": list(self.currents()),
            "power_w": round(self.power_w()),
            "soc_pct": None if state is None else round(state.soc_pct, 2),
            "energy_wh": round(self.energy_wh),
            "transaction_id": self.transaction_id,
        }
