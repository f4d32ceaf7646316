"""Numbers: a charger's settings and targets, and the site's grid limit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoredExtraData, RestoreEntity
from homeassistant.util import dt as dt_util

from .charger import ChargerHandle
from .charger_settings import apply_current_range
from .coordinator import ChargerRuntimeData, SiteCoordinator
from .entity import ChargerEntity, SiteEntity

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ChargerNumberDescription(NumberEntityDescription):
    """A charger setting: how to read it and how to set it (options: the entry's)."""

    value_fn: Callable[[ChargerHandle], float | None]
    set_fn: Callable[[ChargerHandle, Mapping[str, Any], float], None]
    changes_config: bool = False  # the engine's charger config changes (min/max current)
    per_kwh_price: bool = False  # the unit is Home Assistant's currency per kWh


def _set_min_current(handle: ChargerHandle, options: Mapping[str, Any], value: float) -> None:
    apply_current_range(handle, options, minimum=value)


def _set_max_current(handle: ChargerHandle, options: Mapping[str, Any], value: float) -> None:
    apply_current_range(handle, options, maximum=value)


def _set_target_soc(handle: ChargerHandle, _options: Mapping[str, Any], value: float) -> None:
    handle.target_soc_pct = value or None  # 0: no target


def _set_target_energy(handle: ChargerHandle, _options: Mapping[str, Any], value: float) -> None:
    handle.target_energy_kwh = value or None  # 0: no target


NO_PRICE_LIMIT: Final = 1000.0
"""The price limit number at its maximum: no limit (it shows this without one)."""


def _set_price_limit(handle: ChargerHandle, _options: Mapping[str, Any], value: float) -> None:
    handle.price_limit = None if value >= NO_PRICE_LIMIT else value


def _set_capacity(handle: ChargerHandle, _options: Mapping[str, Any], value: float) -> None:
    handle.battery_capacity_kwh = value


def _set_boost_energy(handle: ChargerHandle, _options: Mapping[str, Any], value: float) -> None:
    handle.boost_energy_setting_kwh = value or None  # 0: the boost runs for its duration


def _set_boost(handle: ChargerHandle, _options: Mapping[str, Any], value: float) -> None:
    handle.boost_duration = timedelta(minutes=value)


CHARGER_NUMBERS: tuple[ChargerNumberDescription, ...] = (
    ChargerNumberDescription(
        key="min_current",
        translation_key="min_current",
        device_class=NumberDeviceClass.CURRENT,
        entity_category=EntityCategory.CONFIG,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_min_value=6,
        native_max_value=32,
        native_step=1,
        value_fn=lambda handle: handle.config.min_current_a,
        set_fn=_set_min_current,
        changes_config=True,
    ),
    ChargerNumberDescription(
        key="max_current",
        translation_key="max_current",
        device_class=NumberDeviceClass.CURRENT,
        entity_category=EntityCategory.CONFIG,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_min_value=6,
        native_max_value=80,
        native_step=1,
        value_fn=lambda handle: handle.config.max_current_a,
        set_fn=_set_max_current,
        changes_config=True,
    ),
    ChargerNumberDescription(
        key="target_soc",
        translation_key="target_soc",
        device_class=NumberDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=0,
        native_max_value=100,
        native_step=1,
        value_fn=lambda handle: handle.target_soc_pct or 0.0,
        set_fn=_set_target_soc,
    ),
    ChargerNumberDescription(
        key="target_energy",
        translation_key="target_energy",
        device_class=NumberDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        native_min_value=0,
        native_max_value=200,
        native_step=0.5,
        mode=NumberMode.BOX,
        value_fn=lambda handle: handle.target_energy_kwh or 0.0,
        set_fn=_set_target_energy,
    ),
    ChargerNumberDescription(
        key="price_limit",
        translation_key="price_limit",
        native_min_value=-100,
        native_max_value=NO_PRICE_LIMIT,
        native_step=0.001,
        mode=NumberMode.BOX,
        value_fn=lambda handle: (
            NO_PRICE_LIMIT if handle.price_limit is None else handle.price_limit
        ),
        set_fn=_set_price_limit,
        per_kwh_price=True,
    ),
    ChargerNumberDescription(
        key="battery_capacity",
        translation_key="battery_capacity",
        device_class=NumberDeviceClass.ENERGY_STORAGE,
        entity_category=EntityCategory.CONFIG,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        native_min_value=1,
        native_max_value=250,
        native_step=0.5,
        mode=NumberMode.BOX,
        value_fn=lambda handle: handle.battery_capacity_kwh,
        set_fn=_set_capacity,
    ),
    ChargerNumberDescription(
        key="boost_duration",
        translation_key="boost_duration",
        device_class=NumberDeviceClass.DURATION,
        entity_category=EntityCategory.CONFIG,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        native_min_value=5,
        native_max_value=720,
        native_step=5,
        mode=NumberMode.BOX,
        value_fn=lambda handle: handle.boost_duration.total_seconds() / 60,
        set_fn=_set_boost,
    ),
    ChargerNumberDescription(
        key="boost_energy",
        translation_key="boost_energy",
        device_class=NumberDeviceClass.ENERGY,
        entity_category=EntityCategory.CONFIG,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        native_min_value=0,
        native_max_value=100,
        native_step=0.5,
        mode=NumberMode.BOX,
        value_fn=lambda handle: handle.boost_energy_setting_kwh or 0.0,
        set_fn=_set_boost_energy,
    ),
)

GRID_LIMIT = NumberEntityDescription(
    key="grid_limit",
    translation_key="grid_limit",
    device_class=NumberDeviceClass.POWER,
    native_unit_of_measurement=UnitOfPower.WATT,
    native_min_value=0,
    native_step=100,
    mode=NumberMode.BOX,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a charger's settings, or the site's grid limit."""
    runtime = entry.runtime_data
    if isinstance(runtime, ChargerRuntimeData):
        coordinator = runtime.site.coordinator
        async_add_entities(
            ChargerNumber(coordinator, runtime.handle, entry.title, entry.options, description)
            for description in CHARGER_NUMBERS
        )
        return
    async_add_entities([GridLimitNumber(runtime.coordinator, GRID_LIMIT)])


class ChargerNumber(ChargerEntity, NumberEntity):
    """A setting of one charger, applied at once (kept by the charger's store)."""

    entity_description: ChargerNumberDescription

    def __init__(
        self,
        coordinator: SiteCoordinator,
        handle: ChargerHandle,
        title: str,
        options: Mapping[str, Any],
        description: ChargerNumberDescription,
    ) -> None:
        """Bind the description to the charger."""
        super().__init__(coordinator, handle, title, description.key)
        self.entity_description = description
        self._options = options
        if description.per_kwh_price:
            self._attr_native_unit_of_measurement = f"{coordinator.hass.config.currency}/kWh"

    @property
    def native_value(self) -> float | None:
        """Return the setting's value."""
        return self.entity_description.value_fn(self.handle)

    async def async_set_native_value(self, value: float) -> None:
        """Apply the setting and run a control cycle with it."""
        self.entity_description.set_fn(self.handle, self._options, value)
        if self.entity_description.changes_config:
            await self.coordinator.async_charger_config_changed()
        else:
            await self.coordinator.async_refresh()


class GridLimitNumber(SiteEntity, NumberEntity, RestoreEntity):
    """The cap on the chargers' combined power from a grid signal.

    Without a cap it shows the site's capacity (main fuse * phases * voltage); setting it
    to that maximum clears the cap, like the ``clear_grid_limit`` action. Any lower value
    holds until it is changed or cleared, like ``set_grid_limit`` without a duration. A
    cap in force comes back after a restart or a reload of the site (one set for a while,
    only while that while lasts).
    """

    def __init__(self, coordinator: SiteCoordinator, description: NumberEntityDescription) -> None:
        """Bind the description to the site."""
        super().__init__(coordinator, description.key)
        self.entity_description = description
        site = coordinator.site
        self._attr_native_max_value = site.fuse_a * site.phases * site.voltage_v

    async def async_added_to_hass(self) -> None:
        """Restore the cap that was in force before Home Assistant restarted.

        From the stored cap itself, not from the state shown: without a cap that is the
        site's capacity, which is no cap (and may have changed since).
        """
        await super().async_added_to_hass()
        stored = await self.async_get_last_extra_data()
        if stored is None or self.coordinator.grid_limit is not None:
            return
        data = stored.as_dict()
        try:
            power_w = data.get("cap_w")
            until = data.get("until")
            expires_at = None if until is None else datetime.fromisoformat(str(until))
            if power_w is None:
                return
            power_w = float(power_w)
            if expires_at is not None and expires_at <= dt_util.utcnow():
                return  # it has lapsed meanwhile
        except (TypeError, ValueError):
            return  # not written by us
        if not 0 <= power_w < self.native_max_value:
            return
        self.coordinator.set_grid_limit(power_w, expires_at)
        await self.coordinator.async_refresh()

    @property
    def extra_restore_state_data(self) -> RestoredExtraData:
        """The cap in force (None: none) and until when, kept across a restart."""
        limit = self.coordinator.grid_limit
        until = None if limit is None or limit.expires_at is None else limit.expires_at
        return RestoredExtraData(
            {
                "cap_w": None if limit is None else limit.power_w,
                "until": None if until is None else until.isoformat(),
            }
        )

    @property
    def native_value(self) -> float:
        """Return the cap in force, or the site's capacity without one."""
        limit = self.coordinator.grid_limit
        return self.native_max_value if limit is None else limit.power_w

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Say until when a cap set by an action holds."""
        limit = self.coordinator.grid_limit
        until = None if limit is None else limit.expires_at
        return {"until": None if until is None else until.isoformat()}

    async def async_set_native_value(self, value: float) -> None:
        """Set the cap (until changed), or clear it at the maximum."""
        if value >= self.native_max_value:
            self.coordinator.grid_limit = None
        else:
            self.coordinator.set_grid_limit(value, None)
        await self.coordinator.async_refresh()
