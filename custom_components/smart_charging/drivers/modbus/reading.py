"""Turning a poll's sample and the driver's command state into a ``ChargerReading``."""

from __future__ import annotations

from datetime import datetime

from ..base import ChargerReading, ChargerStatus
from .control import Command, limit_mismatch, refine_status
from .reader import Sample


def build_reading(
    sample: Sample | None,
    written: Command | None,
    *,
    now: datetime,
    flags: tuple[str, ...],
    rejected: bool,
    settled: bool,
) -> ChargerReading:
    """Return the reading: OFFLINE without a sample (no connection), else what it says."""
    if sample is None:
        return ChargerReading(
            status=ChargerStatus.OFFLINE, updated=now, errors=flags, limit_rejected=rejected
        )
    currents = sample.phases("current")
    status = refine_status(sample.status, written, currents)
    offered = sample.value("offered_current")
    return ChargerReading(
        status=status,
        power_w=sample.value("power"),
        currents_a=currents,
        voltage_v=sample.voltage_v,
        energy_kwh=sample.value("energy"),
        session_energy_kwh=sample.value("session_energy"),
        offered_current_a=offered,
        temperature_c=sample.value("temperature"),
        updated=now,
        errors=(*sample.errors, *flags),
        limit_mismatch=limit_mismatch(written, status, offered, currents, settled=settled),
        limit_rejected=rejected,
    )
