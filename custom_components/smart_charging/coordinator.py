"""The site coordinator: reads inputs, runs the engine, publishes the result."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .charger import ChargerHandle
from .const import (
    CONF_BATTERY_POWER,
    CONF_BATTERY_SIGN,
    CONF_BATTERY_SOC,
    CONF_CONTROL_INTERVAL,
    CONF_GRID_CURRENT_L1,
    CONF_GRID_CURRENT_L2,
    CONF_GRID_CURRENT_L3,
    CONF_GRID_POWER,
    CONF_GRID_SIGN,
    CONF_MAIN_FUSE,
    CONF_MAX_IMPORT,
    CONF_MAX_INPUT_AGE,
    CONF_PHASES,
    CONF_PRICE,
    CONF_PV_POWER,
    CONF_VOLTAGE,
    DEFAULT_CONTROL_INTERVAL,
    DEFAULT_MAX_INPUT_AGE,
    DEFAULT_PHASES,
    DEFAULT_VOLTAGE,
    DOMAIN,
    LOGGER,
    REFRESH_COOLDOWN_S,
)
from .control import CommandDispatcher
from .engine.allocation import AllocationMemory, AllocationResult
from .engine.allocator import allocate
from .engine.model import (
    BatterySignConvention,
    ExternalLimit,
    InputReading,
    InputRole,
    PhaseValues,
    SignConvention,
    SiteConfig,
    SiteSnapshot,
)
from .engine.plan_model import Plan, PriceSlot
from .engine.settings import AllocatorSettings
from .engine.surplus import (
    headroom_a,
    import_headroom_w,
    min_headroom_a,
    normalize_battery_power,
    normalize_grid_power,
    pv_surplus_w,
)
from .engine.units import amps_to_watts
from .inputs import (
    InputSpec,
    ReportRhythm,
    plausible,
    plausible_state,
    read_input,
    read_price,
)
from .prices import PriceFeed
from .repairs import SiteIssues
from .session import Sample, surplus_share_w
from .site_settings import (
    allocator_settings,
    applies_in_place,
    circuit_states,
    combine_limits,
    entity_grid_limit,
    entity_number,
    tracked_entities,
)
from .smart import PlanInputs, SmartPlanner

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .ocpp_link import OcppLink

type SmartChargingConfigEntry = ConfigEntry[SmartChargingRuntimeData]


@dataclass(kw_only=True)
class SmartChargingRuntimeData:
    """Everything a loaded site entry owns."""

    coordinator: SiteCoordinator
    ocpp: OcppLink | None = None


@dataclass(kw_only=True)
class ChargerRuntimeData:
    """Everything a loaded charger entry holds."""

    site: SmartChargingRuntimeData
    site_entry: SmartChargingConfigEntry
    handle: ChargerHandle


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteData:
    """What one coordinator run publishes to the entities."""

    snapshot: SiteSnapshot
    headroom_a: PhaseValues | None
    min_headroom_a: float | None
    import_headroom_w: float | None
    pv_surplus_w: float | None
    allocation: AllocationResult
    plan: Plan | None = None

    @property
    def failsafe(self) -> bool:
        """Return whether the site runs on safe fallback limits."""
        return self.snapshot.failsafe


_ROLE_KEYS: tuple[tuple[InputRole, str, bool], ...] = (
    (InputRole.GRID_POWER, CONF_GRID_POWER, True),
    (InputRole.GRID_CURRENT_L1, CONF_GRID_CURRENT_L1, True),
    (InputRole.GRID_CURRENT_L2, CONF_GRID_CURRENT_L2, True),
    (InputRole.GRID_CURRENT_L3, CONF_GRID_CURRENT_L3, True),
    (InputRole.PV_POWER, CONF_PV_POWER, True),
    (InputRole.BATTERY_POWER, CONF_BATTERY_POWER, True),
    # A battery's SoC changes slowly and many integrations only report on change.
    (InputRole.BATTERY_SOC, CONF_BATTERY_SOC, False),
    # Prices change once per slot; their age says nothing about their validity.
    (InputRole.PRICE, CONF_PRICE, False),
)


def site_config_from_entry(data: Mapping[str, Any]) -> SiteConfig:
    """Build the engine's site configuration from config entry data."""
    max_import_kw = data.get(CONF_MAX_IMPORT)
    return SiteConfig(
        fuse_a=float(data[CONF_MAIN_FUSE]),
        phases=int(data.get(CONF_PHASES, DEFAULT_PHASES)),
        voltage_v=float(data.get(CONF_VOLTAGE, DEFAULT_VOLTAGE)),
        max_import_w=None if max_import_kw is None else float(max_import_kw) * 1000.0,
    )


def input_specs_from_entry(data: Mapping[str, Any]) -> tuple[InputSpec, ...]:
    """List the input entities a site entry reads."""
    return tuple(
        InputSpec(role=role, entity_id=str(data[key]), check_age=check_age)
        for role, key, check_age in _ROLE_KEYS
        if data.get(key)
    )


def _power_w(handle: ChargerHandle) -> float:
    """What a charger draws (W); a figure that is no plausible number counts as none."""
    return max(0.0, plausible(handle.driver.reading.power_w) or 0.0)


def _value(readings: dict[InputRole, InputReading], role: InputRole) -> float | None:
    reading = readings.get(role)
    return reading.value if reading is not None and reading.ok else None


class SiteCoordinator(DataUpdateCoordinator[SiteData]):
    """Runs one control cycle per tick and on every input change."""

    config_entry: SmartChargingConfigEntry

    def __init__(self, hass: HomeAssistant, entry: SmartChargingConfigEntry) -> None:
        """Set up the coordinator from the entry's data and options."""
        interval = entry.options.get(CONF_CONTROL_INTERVAL, DEFAULT_CONTROL_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=timedelta(seconds=interval),
            request_refresh_debouncer=Debouncer(
                hass, LOGGER, cooldown=REFRESH_COOLDOWN_S, immediate=True
            ),
        )
        self.site = site_config_from_entry(entry.data)
        self.inputs = input_specs_from_entry(entry.data)
        self.max_input_age = timedelta(
            seconds=entry.options.get(CONF_MAX_INPUT_AGE, DEFAULT_MAX_INPUT_AGE)
        )
        self.input_rhythms: dict[str, ReportRhythm] = {}
        self.grid_sign = SignConvention(
            entry.data.get(CONF_GRID_SIGN, SignConvention.IMPORT_POSITIVE)
        )
        self.battery_sign = BatterySignConvention(
            entry.data.get(CONF_BATTERY_SIGN, BatterySignConvention.DISCHARGE_POSITIVE)
        )
        self.issues = SiteIssues(hass, entry.entry_id, entry.title)
        self.chargers: dict[str, ChargerHandle] = {}
        self.memory = AllocationMemory()
        self._settings: AllocatorSettings | None = None
        self.grid_limit: ExternalLimit | None = None
        self.control_paused = False
        self.smart = SmartPlanner()
        price_entity = entry.data.get(CONF_PRICE)
        self.prices = PriceFeed(hass, entry.options, price_entity, self._async_new_plan_data)
        self.dispatcher = CommandDispatcher(hass, entry)
        self._applied = (entry.title, dict(entry.data), dict(entry.options))

    @callback
    def async_add_charger(self, handle: ChargerHandle) -> CALLBACK_TYPE:
        """Control a charger from the next cycle on; return the function that stops it."""
        self.chargers[handle.charger_id] = handle
        self._settings = None
        remove_listener = handle.driver.add_listener(self._async_charger_changed)
        self._async_charger_changed()

        @callback
        def remove() -> None:
            remove_listener()
            if self.chargers.get(handle.charger_id) is handle:
                del self.chargers[handle.charger_id]
                self.issues.overdraw.forget(handle.charger_id)
                self._settings = None
            self.dispatcher.async_forget(handle.charger_id)

        return remove

    @callback
    def _async_charger_changed(self) -> None:
        """A charger pushed new state: recompute (folded like input changes)."""
        self.hass.async_create_task(
            self.async_request_refresh(), f"{DOMAIN} charger change", eager_start=True
        )

    def allocator_settings(self) -> AllocatorSettings:
        """The engine's settings for the current set of chargers (cached)."""
        if self._settings is None:
            self._settings = allocator_settings(
                self.site,
                self.config_entry.options,
                (handle.config for handle in self.chargers.values()),
            )
        return self._settings

    @callback
    def async_apply_options(self) -> bool:
        """Take changed tuning on without a reload; False if the change needs one."""
        entry = self.config_entry
        title, data, options = self._applied
        if (title, data) != (entry.title, dict(entry.data)):  # a new name shows in repairs too
            return False
        if not applies_in_place(options, entry.options):
            return False
        self._applied = (entry.title, dict(entry.data), dict(entry.options))
        self._settings = None
        self.hass.async_create_task(
            self.async_request_refresh(), f"{DOMAIN} tuning changed", eager_start=True
        )
        return True

    @property
    def has_grid_power(self) -> bool:
        """Return whether the site has a grid power sensor (needed for PV surplus)."""
        return any(spec.role is InputRole.GRID_POWER for spec in self.inputs)

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow every input entity; return the function that stops following."""
        entities = [spec.entity_id for spec in self.inputs]
        entities += tracked_entities(self.config_entry.options)
        entities += self.prices.tracked_entities
        return async_track_state_change_event(self.hass, entities, self._async_input_changed)

    @callback
    def _async_new_plan_data(self) -> None:
        """A background fetch brought new prices or forecasts: re-plan."""
        self.hass.async_create_task(
            self.async_request_refresh(), f"{DOMAIN} new prices", eager_start=True
        )

    @callback
    def _async_input_changed(self, event: Event[EventStateChangedData]) -> None:
        """Recompute at once on an input change (folded when changes come in bursts)."""
        self.hass.async_create_task(
            self.async_request_refresh(), f"{DOMAIN} input change", eager_start=True
        )

    def build_snapshot(self) -> SiteSnapshot:
        """Read every input from the state machine into a snapshot (no I/O)."""
        now = dt_util.utcnow()
        readings = {
            spec.role: read_input(
                self.hass,
                spec,
                now,
                self.max_input_age,
                self.input_rhythms.setdefault(spec.entity_id, ReportRhythm()),
            )
            for spec in self.inputs
        }
        grid = _value(readings, InputRole.GRID_POWER)
        battery = _value(readings, InputRole.BATTERY_POWER)
        return SiteSnapshot(
            grid_power_w=None if grid is None else normalize_grid_power(grid, self.grid_sign),
            phase_currents_a=self._phase_currents(readings),
            pv_power_w=_value(readings, InputRole.PV_POWER),
            battery_power_w=(
                None if battery is None else normalize_battery_power(battery, self.battery_sign)
            ),
            battery_soc_pct=_value(readings, InputRole.BATTERY_SOC),
            inputs=tuple(readings.values()),
        )

    def _phase_currents(self, readings: dict[InputRole, InputReading]) -> PhaseValues | None:
        roles = (InputRole.GRID_CURRENT_L1, InputRole.GRID_CURRENT_L2, InputRole.GRID_CURRENT_L3)
        wanted = roles[: self.site.phases]
        if not all(role in readings for role in wanted):
            return None
        values = [_value(readings, role) for role in wanted]
        if any(value is None for value in values):
            return None
        padded = [float(v or 0.0) for v in values] + [0.0] * (3 - len(values))
        return PhaseValues(padded[0], padded[1], padded[2])

    def _with_chargers(self, snapshot: SiteSnapshot) -> SiteSnapshot:
        """Add every charger's state and request to the site snapshot."""
        voltage = self.site.voltage_v
        states = tuple(plausible_state(handle.state(voltage)) for handle in self.chargers.values())
        return replace(
            snapshot,
            chargers=states,
            requests=tuple(handle.request() for handle in self.chargers.values()),
            ev_power_w=sum(_power_w(handle) for handle in self.chargers.values()),
            ev_currents_a=PhaseValues.from_fn(
                lambda phase: sum(state.currents_a[phase] for state in states)
            ),
        )

    def _read_sensors(self, handle: ChargerHandle) -> None:
        """Read a charger's SoC and temperature entities (None while unknown)."""
        sensors = handle.sensors
        soc = None
        if sensors.soc_entity is not None:
            soc = entity_number(self.hass, sensors.soc_entity)
        handle.sensor_soc_pct = soc if soc is not None and 0.0 <= soc <= 100.0 else None
        handle.sensor_temperature_c = (
            None
            if sensors.temperature_entity is None
            else entity_number(self.hass, sensors.temperature_entity)
        )

    async def async_charger_config_changed(self) -> None:
        """A charger's engine config changed at runtime (min/max current): apply it now."""
        self._settings = None
        await self.async_refresh()

    def _non_ev_w(self, snapshot: SiteSnapshot) -> float:
        """The house's own draw from the grid now (W); unknown counts as none."""
        if snapshot.grid_power_w is None:
            return 0.0
        ev_w = sum(_power_w(handle) for handle in self.chargers.values())
        return snapshot.grid_power_w - ev_w

    def set_grid_limit(self, power_w: float, until: datetime | None) -> None:
        """Cap the chargers' combined power (an external signal) until ``until``."""
        self.grid_limit = ExternalLimit(power_w=power_w, expires_at=until)

    def _active_grid_limit(self, now: datetime) -> ExternalLimit | None:
        """The grid limit in force; one set for a while lapses into the normal limits."""
        if self.grid_limit is not None and self.grid_limit.stale(now):
            LOGGER.info("Grid limit of %s W ended", self.grid_limit.power_w)
            self.grid_limit = None
        return self.grid_limit

    async def _async_update_data(self) -> SiteData:
        """Run one control cycle: read, decide, command."""
        now = dt_util.now()
        for handle in self.chargers.values():
            if handle.expire_boost(now):
                LOGGER.info("Boost of %s ended; back to %s", handle.charger_id, handle.mode)
            if handle.advance_ready_by(now):
                LOGGER.debug("Ready-by of %s moved to %s", handle.charger_id, handle.ready_by)
        site_snapshot = self.build_snapshot()
        for handle in self.chargers.values():
            self._read_sensors(handle)
        self.prices.async_update(now)
        self.smart.update(
            now,
            self.chargers,
            self.allocator_settings(),
            self._non_ev_w(site_snapshot),
            PlanInputs(
                prices=(price_slots := self.prices.prices(now)),
                forecast=self.prices.pv_forecast(),
                house_load_kw=self.prices.house_load_kw,
            ),
        )
        self.issues.sync_prices(self.prices.problems)
        snapshot = replace(
            self._with_chargers(site_snapshot),
            external_limit=combine_limits(
                self._active_grid_limit(now),
                entity_grid_limit(self.hass, self.config_entry.options),
            ),
            circuits=circuit_states(self.hass, self.config_entry.options),
            control_paused=self.control_paused,
        )
        self.issues.update(
            snapshot,
            self.chargers,
            self.memory,
            now,
            failing=self.dispatcher.failing,
            settle=timedelta(seconds=self.allocator_settings().settle_time_s),
        )
        if snapshot.failsafe:
            LOGGER.debug("Failsafe: unusable inputs %s", snapshot.failsafe_inputs)
        result = allocate(snapshot, self.allocator_settings(), self.memory, now)
        self.memory = result.memory
        self.dispatcher.async_dispatch(
            {cid: h for cid, h in self.chargers.items() if h.online}, result
        )
        surplus = None if snapshot.grid_power_w is None else pv_surplus_w(snapshot)
        self._account_sessions(now, snapshot, surplus, price_slots)
        return SiteData(
            snapshot=snapshot,
            headroom_a=headroom_a(snapshot, self.site),
            min_headroom_a=min_headroom_a(snapshot, self.site),
            import_headroom_w=import_headroom_w(snapshot, self.site),
            pv_surplus_w=surplus,
            allocation=result,
            plan=self.smart.plan,
        )

    def _account_sessions(
        self,
        now: datetime,
        snapshot: SiteSnapshot,
        surplus_w: float | None,
        price_slots: tuple[PriceSlot, ...],
    ) -> None:
        """Count each charger's session: energy, surplus share, cost (see session.py)."""
        series_price, export_price = self.prices.session_prices(price_slots, now)
        if any(spec.role is InputRole.PRICE for spec in self.inputs):
            # The site's price sensor prices sessions; while it is unusable the last
            # price holds (session.py), rather than a price of another kind.
            price = read_price(self.hass, self.inputs, self.hass.config.currency)
        else:
            price = series_price
        site_surplus = max(0.0, surplus_w or 0.0)
        for handle in self.chargers.values():
            reading, config = handle.driver.reading, handle.config
            handle.session.update(
                Sample(
                    at=now,
                    status=reading.status,
                    power_w=plausible(reading.power_w),
                    energy_kwh=plausible(reading.energy_kwh),
                    session_kwh=plausible(reading.session_energy_kwh),
                    transaction_id=reading.transaction_id,
                    surplus_w=surplus_share_w(surplus_w, _power_w(handle), snapshot.ev_power_w),
                    site_surplus_w=site_surplus,
                    price=price,
                    export_price=export_price,
                    full_power_w=amps_to_watts(
                        config.max_current_a, config.phases, self.site.voltage_v
                    ),
                )
            )
