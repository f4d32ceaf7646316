"""Sensors of a charger device: what it does, what it is allowed, and why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, UnitOfElectricCurrent, UnitOfEnergy, UnitOfPower

from .charger import ChargerHandle
from .coordinator import SiteCoordinator, SiteData
from .drivers.base import ChargerStatus
from .engine.allocation import ChargerAllocation
from .engine.model import InputRole, Reason
from .engine.plan_model import ChargerPlan, Verdict
from .entity import ChargerEntity
from .session import SessionAccount
from .smart import PLAN_BLOCKERS, plan_blocker


@dataclass(frozen=True, slots=True)
class ChargerView:
    """What a charger sensor reads: the charger and this cycle's decision for it."""

    handle: ChargerHandle
    data: SiteData

    @property
    def allocation(self) -> ChargerAllocation | None:
        """Return the decision of the latest cycle for the charger."""
        return self.data.allocation.get(self.handle.charger_id)


def _phase_current(index: int) -> Callable[[ChargerView], float | None]:
    def value(view: ChargerView) -> float | None:
        currents = view.handle.driver.reading.currents_a
        return None if currents is None else round(currents[index], 2)

    return value


def _allocated(view: ChargerView) -> float | None:
    allocation = view.allocation
    return None if allocation is None else allocation.current_a


def _plan(view: ChargerView) -> ChargerPlan | None:
    plan = view.data.plan
    if plan is None or view.handle.charger_id not in {c.charger_id for c in plan.chargers}:
        return None
    return plan.charger(view.handle.charger_id)


def _verdict(view: ChargerView) -> str | None:
    planned = _plan(view)
    if planned is None:
        return plan_blocker(view.handle)  # a target that cannot be planned says why
    return planned.verdict.value


def _plan_attributes(view: ChargerView) -> Mapping[str, Any]:
    planned = _plan(view)
    if planned is None:
        return {}
    return {
        "energy_kwh": round(planned.energy_kwh, 2),
        "target_kwh": round(planned.target_kwh, 2),
        "cost": None if planned.cost is None else round(planned.cost, 2),
        "schedule": [
            {
                "start": entry.start.isoformat(),
                "end": entry.end.isoformat(),
                "kw": round(entry.power_kw, 2),
                "price": entry.price,
            }
            for entry in planned.schedule
        ],
    }


def _next_start(view: ChargerView) -> datetime | None:
    planned = _plan(view)
    return None if planned is None else planned.next_start


def _finish(view: ChargerView) -> datetime | None:
    planned = _plan(view)
    return None if planned is None else planned.finish


def _reason(view: ChargerView) -> str | None:
    allocation = view.allocation
    return None if allocation is None else allocation.reason.value


def _reason_attributes(view: ChargerView) -> Mapping[str, Any]:
    allocation = view.allocation
    reading = view.handle.driver.reading
    attributes: dict[str, Any] = {}
    if allocation is not None:
        attributes.update(dict(allocation.details))
        attributes["phases"] = allocation.phases
    attributes["limit_ignored"] = reading.limit_mismatch
    attributes["limit_rejected"] = reading.limit_rejected
    return attributes


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _session_energy(view: ChargerView) -> float | None:
    session = view.handle.session
    return None if session.started is None else round(session.energy_kwh, 3)


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _session_attributes(view: ChargerView) -> Mapping[str, Any]:
    session = view.handle.session
    return {"started": _when(session.started), "ended": _when(session.ended)}


def _session_start(view: ChargerView) -> datetime | None:
    return view.handle.session.started


def _session_attribute(
    name: str, value: Callable[[SessionAccount], float | None]
) -> Callable[[ChargerView], Mapping[str, Any]]:
    def attributes(view: ChargerView) -> Mapping[str, Any]:
        return {name: _round(value(view.handle.session), 4)}

    return attributes


def _cost_attributes(view: ChargerView) -> Mapping[str, Any]:
    """Energy without a price, and the feed-in the surplus part did not earn."""
    session = view.handle.session
    return {
        "unpriced_energy": _round(session.unpriced_kwh, 4),
        "solar_cost": _round(session.pv_cost, 4),
    }


def _has_price(_handle: ChargerHandle, coordinator: SiteCoordinator) -> bool:
    """A price sensor, or a price source that gives a price for every hour."""
    sensor = any(spec.role is InputRole.PRICE for spec in coordinator.inputs)
    return sensor or coordinator.prices.prices_sessions


def _has_grid_power(_handle: ChargerHandle, coordinator: SiteCoordinator) -> bool:
    return coordinator.has_grid_power


@dataclass(frozen=True, kw_only=True)
class ChargerSensorDescription(SensorEntityDescription):
    """A charger sensor: how to read it and whether the charger (and its site) has it."""

    value_fn: Callable[[ChargerView], float | str | datetime | None]
    attrs_fn: Callable[[ChargerView], Mapping[str, Any]] | None = None
    last_reset_fn: Callable[[ChargerView], datetime | None] | None = None
    has_fn: Callable[[ChargerHandle, SiteCoordinator], bool] = lambda _handle, _site: True
    needs_connection: bool = True
    currency: bool = False  # the unit is Home Assistant's currency


CHARGER_SENSORS: tuple[ChargerSensorDescription, ...] = (
    ChargerSensorDescription(
        key="status",
        translation_key="charger_status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in ChargerStatus],
        value_fn=lambda view: view.handle.driver.reading.status.value,
        needs_connection=False,
    ),
    ChargerSensorDescription(
        key="power",
        translation_key="charging_power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda view: view.handle.driver.reading.power_w,
    ),
    *(
        ChargerSensorDescription(
            key=f"current_l{index + 1}",
            translation_key=f"current_l{index + 1}",
            device_class=SensorDeviceClass.CURRENT,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
            suggested_display_precision=1,
            entity_registry_enabled_default=False,
            value_fn=_phase_current(index),
        )
        for index in range(3)
    ),
    ChargerSensorDescription(
        key="energy",
        translation_key="energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda view: view.handle.driver.reading.energy_kwh,
        has_fn=lambda handle, _site: handle.energy_register,
    ),
    # Chargers without an energy register: the integration counts (see session.py).
    ChargerSensorDescription(
        key="lifetime_energy",
        translation_key="lifetime_energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda view: round(view.handle.session.lifetime_kwh, 3),
        has_fn=lambda handle, _site: not handle.energy_register,
        needs_connection=False,
    ),
    ChargerSensorDescription(
        key="session_energy",
        translation_key="session_energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=_session_energy,
        attrs_fn=_session_attributes,
        needs_connection=False,
    ),
    ChargerSensorDescription(
        key="session_cost",
        translation_key="session_cost",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=lambda view: _round(view.handle.session.session_cost, 4),
        attrs_fn=_cost_attributes,
        last_reset_fn=_session_start,
        has_fn=_has_price,
        needs_connection=False,
        currency=True,
    ),
    ChargerSensorDescription(
        key="session_pv_share",
        translation_key="session_pv_share",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda view: _round(view.handle.session.pv_share_pct, 1),
        attrs_fn=_session_attribute("pv_energy", lambda session: session.pv_energy_kwh),
        has_fn=_has_grid_power,
        needs_connection=False,
    ),
    ChargerSensorDescription(
        key="session_saving",
        translation_key="session_saving",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=lambda view: _round(view.handle.session.saving, 4),
        attrs_fn=_session_attribute("immediate_cost", lambda session: session.immediate_cost),
        last_reset_fn=_session_start,
        has_fn=_has_price,
        needs_connection=False,
        currency=True,
    ),
    ChargerSensorDescription(
        key="allocated_current",
        translation_key="allocated_current",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=1,
        value_fn=_allocated,
        needs_connection=False,
    ),
    ChargerSensorDescription(
        key="plan",
        translation_key="plan",
        device_class=SensorDeviceClass.ENUM,
        options=[*(verdict.value for verdict in Verdict), *PLAN_BLOCKERS],
        value_fn=_verdict,
        attrs_fn=_plan_attributes,
        needs_connection=False,
    ),
    ChargerSensorDescription(
        key="next_start",
        translation_key="next_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_next_start,
        needs_connection=False,
    ),
    ChargerSensorDescription(
        key="projected_finish",
        translation_key="projected_finish",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_finish,
        needs_connection=False,
    ),
    ChargerSensorDescription(
        key="reason",
        translation_key="reason",
        device_class=SensorDeviceClass.ENUM,
        options=[reason.value for reason in Reason],
        value_fn=_reason,
        attrs_fn=_reason_attributes,
        needs_connection=False,
    ),
)


class ChargerSensor(ChargerEntity, SensorEntity):
    """A figure of one charger."""

    entity_description: ChargerSensorDescription

    def __init__(
        self,
        coordinator: SiteCoordinator,
        handle: ChargerHandle,
        title: str,
        description: ChargerSensorDescription,
    ) -> None:
        """Bind the description to the charger."""
        super().__init__(coordinator, handle, title, description.key)
        self.entity_description = description
        if description.currency:
            self._attr_native_unit_of_measurement = coordinator.hass.config.currency

    @property
    def _view(self) -> ChargerView:
        return ChargerView(self.handle, self.coordinator.data)

    @property
    def available(self) -> bool:
        """Measurements are unavailable while the charger is offline."""
        if not super().available:
            return False
        return not self.entity_description.needs_connection or self.handle.online

    @property
    def native_value(self) -> float | str | datetime | None:
        """Return the sensor's value from the latest cycle."""
        return self.entity_description.value_fn(self._view)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return extra detail where the description has some."""
        if self.entity_description.attrs_fn is None:
            return None
        return self.entity_description.attrs_fn(self._view)

    @property
    def last_reset(self) -> datetime | None:
        """Return when a per-session total started counting from zero."""
        if self.entity_description.last_reset_fn is None:
            return None
        return self.entity_description.last_reset_fn(self._view)
