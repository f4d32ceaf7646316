"""Sensors of the charging site."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EntityCategory, UnitOfElectricCurrent, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ChargerRuntimeData, SiteCoordinator, SiteData
from .engine.model import Phase, SiteConfig
from .entity import SiteEntity
from .sensor_charger import CHARGER_SENSORS, ChargerSensor

PARALLEL_UPDATES = 0


class InputHealth:
    """States of the input health sensor."""

    OK = "ok"
    DEGRADED = "degraded"
    FAILSAFE = "failsafe"
    OPTIONS = (OK, DEGRADED, FAILSAFE)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _input_health(data: SiteData) -> str:
    if data.failsafe:
        return InputHealth.FAILSAFE
    if data.snapshot.degraded_inputs:
        return InputHealth.DEGRADED
    return InputHealth.OK


def _input_attributes(data: SiteData) -> dict[str, Any]:
    return {reading.role.value: reading.status.value for reading in data.snapshot.inputs}


def _phase_headroom(phase: Phase) -> Callable[[SiteData], float | None]:
    def value(data: SiteData) -> float | None:
        return None if data.headroom_a is None else round(data.headroom_a[phase], 2)

    return value


@dataclass(frozen=True, kw_only=True)
class SiteSensorDescription(SensorEntityDescription):
    """A site sensor: how to read it and whether the site has it."""

    value_fn: Callable[[SiteData], float | str | None]
    attrs_fn: Callable[[SiteData], Mapping[str, Any]] | None = None
    has_fn: Callable[[SiteConfig, SiteCoordinator], bool] = lambda _site, _coordinator: True


def _site_has_phase(phase: Phase) -> Callable[[SiteConfig, SiteCoordinator], bool]:
    def has(site: SiteConfig, _coordinator: SiteCoordinator) -> bool:
        return phase in site.active_phases

    return has


def _has_grid_power(_site: SiteConfig, coordinator: SiteCoordinator) -> bool:
    return coordinator.has_grid_power


SITE_SENSORS: tuple[SiteSensorDescription, ...] = (
    SiteSensorDescription(
        key="grid_power",
        translation_key="grid_power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda data: _round(data.snapshot.grid_power_w, 1),
        has_fn=_has_grid_power,
    ),
    SiteSensorDescription(
        key="pv_surplus",
        translation_key="pv_surplus",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda data: (
            None if data.pv_surplus_w is None else round(max(0.0, data.pv_surplus_w), 1)
        ),
        has_fn=_has_grid_power,
    ),
    SiteSensorDescription(
        key="ev_power",
        translation_key="ev_power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda data: round(float(data.snapshot.ev_power_w), 1),
    ),
    SiteSensorDescription(
        key="headroom",
        translation_key="headroom",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=1,
        value_fn=lambda data: _round(data.min_headroom_a, 2),
    ),
    *(
        SiteSensorDescription(
            key=f"headroom_{phase.value}",
            translation_key=f"headroom_{phase.value}",
            device_class=SensorDeviceClass.CURRENT,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
            suggested_display_precision=1,
            entity_registry_enabled_default=False,
            value_fn=_phase_headroom(phase),
            has_fn=_site_has_phase(phase),
        )
        for phase in (Phase.L1, Phase.L2, Phase.L3)
    ),
    SiteSensorDescription(
        key="import_headroom",
        translation_key="import_headroom",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda data: _round(data.import_headroom_w, 1),
        has_fn=lambda site, coordinator: (
            site.max_import_w is not None and coordinator.has_grid_power
        ),
    ),
    SiteSensorDescription(
        key="input_health",
        translation_key="input_health",
        device_class=SensorDeviceClass.ENUM,
        options=list(InputHealth.OPTIONS),
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_input_health,
        attrs_fn=_input_attributes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a site's or a charger's sensors."""
    runtime = entry.runtime_data
    if isinstance(runtime, ChargerRuntimeData):
        site = runtime.site.coordinator
        async_add_entities(
            ChargerSensor(site, runtime.handle, entry.title, description)
            for description in CHARGER_SENSORS
            if description.has_fn(runtime.handle, site)
        )
        return
    coordinator = runtime.coordinator
    async_add_entities(
        SiteSensor(coordinator, description)
        for description in SITE_SENSORS
        if description.has_fn(coordinator.site, coordinator)
    )


class SiteSensor(SiteEntity, SensorEntity):
    """A figure of the charging site."""

    entity_description: SiteSensorDescription

    def __init__(self, coordinator: SiteCoordinator, description: SiteSensorDescription) -> None:
        """Bind the description to the site."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> float | str | None:
        """Return the sensor's value from the latest cycle."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return extra detail where the description has some."""
        if self.entity_description.attrs_fn is None:
            return None
        return self.entity_description.attrs_fn(self.coordinator.data)
