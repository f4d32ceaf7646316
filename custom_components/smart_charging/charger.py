"""One charger as the site sees it: its driver, its settings and its latest command."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Final

from homeassistant.util import dt as dt_util

from .const import (
    CONF_CAN_SWITCH_PHASES,
    CONF_CHARGER_PHASES,
    CONF_CIRCUIT,
    CONF_FALLBACK_CURRENT,
    CONF_FOLLOW_UP_READINGS,
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_MODBUS_HOST,
    CONF_MODBUS_PORT,
    CONF_MODBUS_UNIT,
    CONF_PHASE_WIRING,
    CONF_PRIORITY,
    CONF_PROFILE_PURPOSE,
    CONF_RATE_UNIT,
    CONF_REMOTE_START,
    CONF_SAFE_CURRENT,
    CONF_SKIP_VALIDATION,
    CONF_SOC_ENTITY,
    CONF_STACK_LEVEL,
    CONF_TEMPERATURE_ENTITY,
    CONF_WINDOW_END,
    CONF_WINDOW_START,
)
from .drivers.base import ChargerDriver, ChargerReading, ChargerStatus
from .drivers.modbus import ModbusConfig
from .drivers.ocpp import CompatOptions, PhaseSwitching, ProfilePurpose, RateUnit
from .engine.model import (
    ALL_PHASES,
    ChargerConfig,
    ChargerMode,
    ChargerRequest,
    ChargerState,
    Phase,
    PhaseMode,
    PhaseValues,
    TimeWindow,
)
from .flow_charger import DEFAULT_CHARGER_OPTIONS
from .session import SessionAccount
from .site_settings import derating_curve

DEFAULT_BOOST_DURATION: Final = timedelta(hours=1)


def charger_config(charger_id: str, options: Mapping[str, Any]) -> ChargerConfig:
    """Build the engine's view of a charger from its entry options."""
    values = {**DEFAULT_CHARGER_OPTIONS, **options}
    fallback = values.get(CONF_FALLBACK_CURRENT)
    return ChargerConfig(
        id=charger_id,
        phases=int(values[CONF_CHARGER_PHASES]),
        phase=Phase(values[CONF_PHASE_WIRING]),
        min_current_a=float(values[CONF_MIN_CURRENT]),
        max_current_a=float(values[CONF_MAX_CURRENT]),
        fallback_current_a=None if fallback is None else float(fallback),
        priority=int(values[CONF_PRIORITY]),
        circuit_id=values.get(CONF_CIRCUIT),
        can_switch_phases=bool(values[CONF_CAN_SWITCH_PHASES]),
        derating=derating_curve(values),
    )


def charger_windows(options: Mapping[str, Any]) -> tuple[TimeWindow, ...]:
    """The daily window the charger may charge in (none: any time)."""
    start, end = options.get(CONF_WINDOW_START), options.get(CONF_WINDOW_END)
    if not start or not end:
        return ()
    return (TimeWindow(time.fromisoformat(start), time.fromisoformat(end)),)


@dataclass(frozen=True, slots=True)
class VehicleSensors:
    """Entities of other integrations a charger reads: the car's SoC and a temperature."""

    soc_entity: str | None = None
    temperature_entity: str | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> VehicleSensors:
        """The entities configured in a charger's options."""
        return cls(options.get(CONF_SOC_ENTITY), options.get(CONF_TEMPERATURE_ENTITY))


FOLLOW_UP_S: Final = CompatOptions().follow_up_s


def compat_options(options: Mapping[str, Any], voltage_v: float) -> CompatOptions:
    """Build a charger's OCPP compatibility options from its entry options."""
    values = {**DEFAULT_CHARGER_OPTIONS, **options}
    return CompatOptions(
        rate_unit=RateUnit(values[CONF_RATE_UNIT]),
        stack_level=int(values[CONF_STACK_LEVEL]),
        purpose=ProfilePurpose(values[CONF_PROFILE_PURPOSE]),
        skip_schema_validation=bool(values[CONF_SKIP_VALIDATION]),
        phase_switching=(
            PhaseSwitching.ENABLED if values[CONF_CAN_SWITCH_PHASES] else PhaseSwitching.DISABLED
        ),
        remote_start=bool(values[CONF_REMOTE_START]),
        follow_up_s=FOLLOW_UP_S if values[CONF_FOLLOW_UP_READINGS] else (),
        safe_current_a=float(values[CONF_SAFE_CURRENT]),
        supply_phases=int(values[CONF_CHARGER_PHASES]),
        nominal_voltage_v=voltage_v,
    )


def modbus_config(
    data: Mapping[str, Any], options: Mapping[str, Any], charger_id: str
) -> ModbusConfig:
    """Build a Modbus charger's connection settings from its entry."""
    values = {**DEFAULT_CHARGER_OPTIONS, **options}
    unit = data.get(CONF_MODBUS_UNIT)
    return ModbusConfig(
        host=str(data[CONF_MODBUS_HOST]),
        port=int(data[CONF_MODBUS_PORT]),
        unit_id=None if unit is None else int(unit),
        failsafe_current_a=float(values[CONF_SAFE_CURRENT]),
        charger_id=charger_id,
    )


def site_currents(config: ChargerConfig, reading: ChargerReading, voltage_v: float) -> PhaseValues:
    """Map what a charger measures onto the site's phases.

    A single-phase charger's current flows on the phase it is wired to, whatever its own
    meter calls that phase. Without per-phase currents the power is spread over the
    phases the charger uses.
    """
    if reading.currents_a is not None:
        measured = reading.currents_a
        if config.phases == 1:
            total = max(measured)
            return PhaseValues.from_fn(lambda p: total if p is config.phase else 0.0)
        return PhaseValues.from_tuple(measured)
    if not reading.power_w:
        return PhaseValues()
    phases = config.phases if reading.active_phases is None else reading.active_phases
    per_phase = max(0.0, reading.power_w) / (voltage_v * max(1, phases))
    if config.phases == 1 or phases == 1:
        wired = config.phase if config.phases == 1 else Phase.L1
        return PhaseValues.from_fn(lambda p: per_phase if p is wired else 0.0)
    return PhaseValues.from_fn(lambda p: per_phase if p in ALL_PHASES[:phases] else 0.0)


def next_occurrence(at: time, now: datetime) -> datetime:
    """The next occurrence of a local time of day."""
    candidate = now.replace(hour=at.hour, minute=at.minute, second=at.second, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


def upcoming(ready_by: datetime, now: datetime) -> datetime:
    """A ready-by time that has passed moves to the same local time of day, next time.

    The deadline is daily, as its time entity shows it: "ready by 07:00" holds every
    morning, whether 07:00 passed while Home Assistant ran or while it was down.
    """
    if ready_by > now:
        return ready_by
    return next_occurrence(dt_util.as_local(ready_by).time(), dt_util.as_local(now))


@dataclass(kw_only=True)
class ChargerHandle:
    """A charger registered with a site coordinator."""

    entry_id: str
    charger_id: str  # the engine's id, unique within the site
    unique_id: str  # the config entry's unique id, also the device identifier
    driver: ChargerDriver
    config: ChargerConfig
    mode: ChargerMode = ChargerMode.FAST
    last_active_mode: ChargerMode = ChargerMode.FAST  # what "Charging: on" returns to
    mode_restored: bool = False  # the modes came back from the charger's store
    phase_mode: PhaseMode = PhaseMode.AUTO  # for a charger that can switch 1p/3p
    target_soc_pct: float | None = None
    target_energy_kwh: float | None = None
    ready_by: datetime | None = None
    boost_until: datetime | None = None
    boost_energy_kwh: float | None = None  # session energy at which a boost ends
    boost_duration: timedelta = DEFAULT_BOOST_DURATION  # the boost button's (and action's)
    boost_energy_setting_kwh: float | None = None  # the button's boost also ends at this
    price_limit: float | None = None  # currency per kWh; kept for the planner
    battery_capacity_kwh: float | None = None
    planned_power_w: float = 0.0  # the planner's power for the current slot (smart mode)
    energy_register: bool = True  # the charger meters its energy (else it is counted)
    windows: tuple[TimeWindow, ...] = ()  # daily windows it may charge in (none: any time)
    sensors: VehicleSensors = VehicleSensors()
    sensor_soc_pct: float | None = None  # read from ``sensors`` each cycle
    sensor_temperature_c: float | None = None
    session: SessionAccount = field(default_factory=SessionAccount)

    def set_mode(self, mode: ChargerMode) -> None:
        """Switch mode; a boost in progress ends."""
        self.mode = mode
        if mode is not ChargerMode.OFF:
            self.last_active_mode = mode
        self.boost_until = None
        self.boost_energy_kwh = None

    @property
    def session_energy_kwh(self) -> float:
        """Energy of the session in progress: counted since plug-in, else the charger's."""
        if self.session.active:
            return self.session.energy_kwh
        return self.driver.reading.session_energy_kwh or 0.0

    def advance_ready_by(self, now: datetime) -> bool:
        """Move a passed deadline to its next day (see ``upcoming``); return whether it did."""
        if self.ready_by is None or self.ready_by > now:
            return False
        self.ready_by = upcoming(self.ready_by, now)
        return True

    def start_boost(self, until: datetime, energy_kwh: float | None) -> None:
        """Charge at full power until ``until`` (or until ``energy_kwh`` more is in)."""
        session = self.session_energy_kwh
        self.boost_until = until
        self.boost_energy_kwh = None if energy_kwh is None else session + energy_kwh

    @property
    def boosting(self) -> bool:
        """Return whether a boost is in progress."""
        return self.boost_until is not None

    def expire_boost(self, now: datetime) -> bool:
        """End a boost whose time or energy is reached; return whether it ended."""
        if self.boost_until is None:
            return False
        session = self.session_energy_kwh
        done_energy = self.boost_energy_kwh is not None and session >= self.boost_energy_kwh
        if now >= self.boost_until or done_energy:
            self.boost_until = None
            self.boost_energy_kwh = None
            return True
        return False

    @property
    def soc_pct(self) -> float | None:
        """The car's state of charge: from the car's own sensor, else from the charger."""
        if self.sensor_soc_pct is not None:
            return self.sensor_soc_pct
        return self.driver.reading.soc_pct

    def state(self, voltage_v: float) -> ChargerState:
        """The charger's state for this cycle's snapshot.

        With a temperature sensor configured, its reading (None while unknown, which
        derates fully) replaces the charger's own.
        """
        reading = self.driver.reading
        temperature = reading.temperature_c
        if self.sensors.temperature_entity is not None:
            temperature = self.sensor_temperature_c
        return ChargerState(
            id=self.charger_id,
            connected=reading.status.vehicle_connected,
            charging=reading.status is ChargerStatus.CHARGING,
            currents_a=site_currents(self.config, reading, voltage_v),
            active_phases=reading.active_phases,
            soc_pct=self.soc_pct,
            session_energy_kwh=self.session_energy_kwh,
            temperature_c=temperature,
            measured_at=reading.updated,
        )

    def request(self) -> ChargerRequest:
        """What the user asks of this charger (a boost runs as ``fast`` without targets)."""
        if self.boosting:
            return ChargerRequest(charger_id=self.charger_id, mode=ChargerMode.FAST)
        return ChargerRequest(
            charger_id=self.charger_id,
            mode=self.mode,
            target_soc_pct=self.target_soc_pct,
            target_energy_kwh=self.target_energy_kwh,
            planned_power_w=self.planned_power_w,
            windows=self.windows,
            phase_mode=self.phase_mode,
        )

    @property
    def online(self) -> bool:
        """Return whether the charger can be commanded."""
        return self.driver.reading.status is not ChargerStatus.OFFLINE
