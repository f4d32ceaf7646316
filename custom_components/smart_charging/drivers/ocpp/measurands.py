"""MeterValues parsing: sampled values to one typed sample.

Handles the units chargers use (Wh/kWh, W/kW, °C/°F/K), phase-tagged values (per-phase
currents, phase or line voltages, per-phase power and energy that must be summed) and
the defaults of OCPP 1.6 (no measurand = Energy.Active.Import.Register, no unit = the
measurand's base unit). Anything unparseable is skipped, never raised.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import math
from typing import Final

ENERGY: Final = "Energy.Active.Import.Register"
POWER: Final = "Power.Active.Import"
CURRENT: Final = "Current.Import"
OFFERED: Final = "Current.Offered"
VOLTAGE: Final = "Voltage"
SOC: Final = "SoC"
TEMPERATURE: Final = "Temperature"
# What the controller asks for, in order of importance.
WANTED: Final = (ENERGY, POWER, CURRENT, OFFERED, VOLTAGE, SOC, TEMPERATURE)

_SCALE: Final = {"wh": 0.001, "kwh": 1.0, "w": 1.0, "kw": 1000.0}
_PHASES: Final = ("L1", "L2", "L3")
_LINE_VOLTAGES: Final = ("L1-L2", "L2-L3", "L3-L1")


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterSample:
    """The values found in one MeterValues request (None = not reported)."""

    energy_kwh: float | None = None
    power_w: float | None = None
    currents_a: tuple[float | None, float | None, float | None] | None = None
    current_a: float | None = None  # a current without a phase
    voltage_v: float | None = None  # phase-to-neutral
    offered_a: float | None = None
    soc_pct: float | None = None
    temperature_c: float | None = None


def _number(raw: object) -> float | None:
    try:
        value = float(str(raw))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _temperature(value: float, unit: str) -> float:
    if unit == "fahrenheit":
        return (value - 32) * 5 / 9
    if unit == "k":
        return value - 273.15
    return value


class _Collector:
    """Sampled values of one meter value, by measurand and phase."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, float]] = defaultdict(dict)

    def add(self, sampled: Mapping[str, object]) -> None:
        if sampled.get("format") == "SignedData":
            return
        value = _number(sampled.get("value"))
        if value is None:
            return
        measurand = str(sampled.get("measurand") or ENERGY)
        unit = str(sampled.get("unit") or "").lower()
        phase = str(sampled.get("phase") or "")
        if measurand in (ENERGY, POWER):
            value *= _SCALE.get(unit, 0.001 if measurand == ENERGY else 1.0)
        elif measurand == TEMPERATURE:
            value = _temperature(value, unit)
        if math.isfinite(value):  # "1e308" kW overflows to inf
            self.values[measurand][phase] = value


def _total(by_phase: Mapping[str, float]) -> float | None:
    if "" in by_phase:
        return by_phase[""]
    parts = [by_phase[p] for p in _PHASES if p in by_phase]
    return sum(parts) if parts else None


def _voltage(by_phase: Mapping[str, float]) -> float | None:
    phase = [by_phase[p] for p in _PHASES if p in by_phase]
    phase += [by_phase[f"{p}-N"] for p in _PHASES if f"{p}-N" in by_phase]
    if phase:
        return sum(phase) / len(phase)
    line = [by_phase[p] for p in _LINE_VOLTAGES if p in by_phase]
    if line:
        return sum(line) / len(line) / math.sqrt(3)
    return by_phase.get("")


def _sample(collector: _Collector) -> MeterSample:
    values = collector.values
    currents = values.get(CURRENT, {})
    per_phase = tuple(currents.get(p) for p in _PHASES)
    offered = values.get(OFFERED, {})
    temperatures = values.get(TEMPERATURE, {})
    return MeterSample(
        energy_kwh=_total(values[ENERGY]) if ENERGY in values else None,
        power_w=_total(values[POWER]) if POWER in values else None,
        currents_a=(per_phase[0], per_phase[1], per_phase[2])
        if any(c is not None for c in per_phase)
        else None,
        current_a=currents.get(""),
        voltage_v=_voltage(values[VOLTAGE]) if VOLTAGE in values else None,
        offered_a=max(offered.values()) if offered else None,
        soc_pct=next(iter(values[SOC].values())) if SOC in values else None,
        temperature_c=max(temperatures.values()) if temperatures else None,
    )


def merge_samples(old: MeterSample, new: MeterSample) -> MeterSample:
    """Return ``old`` updated with every value ``new`` reports."""
    return MeterSample(
        energy_kwh=new.energy_kwh if new.energy_kwh is not None else old.energy_kwh,
        power_w=new.power_w if new.power_w is not None else old.power_w,
        currents_a=new.currents_a if new.currents_a is not None else old.currents_a,
        current_a=new.current_a if new.current_a is not None else old.current_a,
        voltage_v=new.voltage_v if new.voltage_v is not None else old.voltage_v,
        offered_a=new.offered_a if new.offered_a is not None else old.offered_a,
        soc_pct=new.soc_pct if new.soc_pct is not None else old.soc_pct,
        temperature_c=new.temperature_c if new.temperature_c is not None else old.temperature_c,
    )


def parse_meter_values(meter_values: object) -> MeterSample:
    """Return the latest value of each measurand in a MeterValues ``meterValue`` list.

    ``meter_values`` is the library's snake_case payload (``sampled_value`` lists); later
    meter values win over earlier ones.
    """
    result = MeterSample()
    if not isinstance(meter_values, list):
        return result
    for meter_value in meter_values:
        if not isinstance(meter_value, Mapping):
            continue
        sampled_values = meter_value.get("sampled_value")
        if not isinstance(sampled_values, Iterable):
            continue
        collector = _Collector()
        for sampled in sampled_values:
            if isinstance(sampled, Mapping):
                collector.add(sampled)
        result = merge_samples(result, _sample(collector))
    return result


def phase_currents(sample: MeterSample, voltage_v: float) -> tuple[float, float, float] | None:
    """Return per-phase currents; an unphased current is spread as safely as possible.

    An unphased ``Current.Import`` is put on the phases the power implies (power /
    (current x voltage)); without a power it is assumed on all three phases, which
    over-estimates the load rather than hiding it from the fuse check.
    """
    if sample.currents_a is not None:
        l1, l2, l3 = (c or 0.0 for c in sample.currents_a)
        return (l1, l2, l3)
    current = sample.current_a
    if current is None:
        return None
    phases = 3
    if sample.power_w is not None and current > 0.5:
        phases = max(1, min(3, round(sample.power_w / (current * voltage_v))))
    return (current, current if phases >= 2 else 0.0, current if phases >= 3 else 0.0)
