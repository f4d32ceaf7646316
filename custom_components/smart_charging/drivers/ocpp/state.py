"""The cached state of one connector, from StatusNotification, MeterValues and transactions.

Connector 0 stands for the whole charge point: its Faulted/Unavailable wins over the
connector's own status, and its MeterValues count for the (single) connector the driver
controls. The transaction id comes from StartTransaction or, after a reconnect, from the
``transactionId`` of MeterValues.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Final

from ..base import ChargerReading, ChargerStatus
from .compat import CompatOptions
from .measurands import MeterSample, merge_samples

_STATUSES: Final = {
    "Available": ChargerStatus.AVAILABLE,
    "Preparing": ChargerStatus.PREPARING,
    "Charging": ChargerStatus.CHARGING,
    "SuspendedEV": ChargerStatus.SUSPENDED_EV,
    "SuspendedEVSE": ChargerStatus.SUSPENDED_EVSE,
    "Finishing": ChargerStatus.FINISHING,
    "Reserved": ChargerStatus.RESERVED,
    "Unavailable": ChargerStatus.UNAVAILABLE,
    "Faulted": ChargerStatus.FAULTED,
}
_WHOLE_CHARGER: Final = frozenset({ChargerStatus.FAULTED, ChargerStatus.UNAVAILABLE})


class ConnectorState:
    """Mutable state behind ``OcppCharger.reading``."""

    def __init__(self) -> None:
        """Start with nothing known."""
        self._statuses: dict[int, tuple[ChargerStatus, str, str | None]] = {}
        self.sample = MeterSample()
        self.transaction_id: int | None = None
        self._start_kwh: float | None = None
        self._session_kwh: float | None = None
        self._new_transaction = False
        self.offered_seen = False  # the charger reports Current.Offered

    def clear_connection(self) -> None:
        """Forget what only holds while connected (statuses, live values)."""
        self._statuses.clear()
        self.sample = MeterSample(energy_kwh=self.sample.energy_kwh, soc_pct=self.sample.soc_pct)

    def status(
        self,
        connector_id: int,
        status: str,
        error_code: str,
        vendor_error: str | None,
        options: CompatOptions,
    ) -> bool:
        """Store a StatusNotification; return whether the charger status changed."""
        before = self.charger_status(options)
        mapped = _STATUSES.get(status, ChargerStatus.UNAVAILABLE)
        self._statuses[connector_id] = (mapped, error_code, vendor_error)
        return self.charger_status(options) is not before

    def charger_status(self, options: CompatOptions) -> ChargerStatus:
        """Return the status of the controlled connector (connected)."""
        whole = self._statuses.get(0)
        own = self._statuses.get(options.connector_id)
        if whole is not None and (whole[0] in _WHOLE_CHARGER or own is None):
            return whole[0]
        if own is not None:
            return own[0]
        return ChargerStatus.UNAVAILABLE  # connected, status not reported yet

    def errors(self, options: CompatOptions) -> tuple[str, ...]:
        """Return the error codes other than NoError (connector 0 and ours)."""
        errors: list[str] = []
        for connector in (0, options.connector_id):
            entry = self._statuses.get(connector)
            if entry is None or entry[1] == "NoError":
                continue
            errors.append(f"{entry[1]} ({entry[2]})" if entry[2] else entry[1])
        return tuple(errors)

    def meter(
        self,
        connector_id: int,
        transaction_id: int | None,
        sample: MeterSample,
        options: CompatOptions,
    ) -> bool:
        """Merge a MeterValues sample; return False when it is for another connector."""
        if connector_id not in (0, options.connector_id):
            return False
        known = transaction_id is None or transaction_id == self.transaction_id
        if not known and connector_id == options.connector_id:
            self.transaction_id = transaction_id
            self._start_kwh = None
            self._session_kwh = None
            self._new_transaction = True
        self.sample = merge_samples(self.sample, sample)
        if sample.offered_a is not None:
            self.offered_seen = True
        energy = self.sample.energy_kwh
        if self.transaction_id is not None and self._start_kwh is not None and energy is not None:
            self._session_kwh = max(0.0, energy - self._start_kwh)
        return True

    def started(self, transaction_id: int, meter_start_wh: float) -> None:
        """Store a StartTransaction of the controlled connector."""
        self.transaction_id = transaction_id
        self._start_kwh = meter_start_wh / 1000
        self._session_kwh = 0.0
        self._new_transaction = True

    def stopped(self, transaction_id: int, meter_stop_wh: float) -> None:
        """Store a StopTransaction (of our transaction; others are ignored)."""
        if transaction_id != self.transaction_id:
            return
        if self._start_kwh is not None:
            self._session_kwh = max(0.0, meter_stop_wh / 1000 - self._start_kwh)
        self.sample = replace(self.sample, energy_kwh=meter_stop_wh / 1000)
        self.transaction_id = None
        self._start_kwh = None

    def take_new_transaction(self) -> bool:
        """Return (once) whether a transaction id became known."""
        new, self._new_transaction = self._new_transaction, False
        return new

    def reading(
        self,
        *,
        connected: bool,
        options: CompatOptions,
        currents: tuple[float, float, float] | None,
        errors: tuple[str, ...],
        limit_mismatch: bool,
        limit_rejected: bool,
        updated: datetime,
    ) -> ChargerReading:
        """Return the reading for the driver."""
        sample = self.sample
        active = sum(1 for c in currents if c > 1.0) if currents is not None else None
        return ChargerReading(
            status=self.charger_status(options) if connected else ChargerStatus.OFFLINE,
            power_w=sample.power_w,
            currents_a=currents,
            voltage_v=sample.voltage_v,
            energy_kwh=sample.energy_kwh,
            session_energy_kwh=self._session_kwh,
            offered_current_a=sample.offered_a,
            soc_pct=sample.soc_pct,
            temperature_c=sample.temperature_c,
            active_phases=active or None,
            transaction_id=self.transaction_id,
            updated=updated,
            errors=errors,
            limit_mismatch=limit_mismatch,
            limit_rejected=limit_rejected,
        )
