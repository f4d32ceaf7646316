"""Actions: set a charger's mode or target, boost it, cap the site by a grid signal."""

from __future__ import annotations

from datetime import datetime, time, timedelta
import math
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .charger import ChargerHandle, next_occurrence
from .const import DOMAIN
from .coordinator import ChargerRuntimeData, SiteCoordinator, SmartChargingRuntimeData
from .engine.model import ChargerMode
from .smart import MAX_HORIZON

ATTR_DEVICE_ID = "device_id"
ATTR_MODE = "mode"
ATTR_SOC = "soc"
ATTR_ENERGY = "energy"
ATTR_READY_BY = "ready_by"
ATTR_DURATION = "duration"
ATTR_POWER = "power"

SERVICE_SET_MODE = "set_mode"
SERVICE_SET_TARGET = "set_target"
SERVICE_BOOST = "boost"
SERVICE_SET_GRID_LIMIT = "set_grid_limit"
SERVICE_CLEAR_GRID_LIMIT = "clear_grid_limit"

# A longer boost or grid limit is a mistake (one for good has no duration), and much longer
# ones overflow the date.
MAX_DURATION: Final = timedelta(days=366)


def _number(value: Any) -> float:
    """A finite number ("nan" and "inf" coerce to floats, but are no setting)."""
    number: float = vol.Coerce(float)(value)
    if not math.isfinite(number):
        raise vol.Invalid(f"not a finite number: {value}")
    return number


def _duration(value: Any) -> timedelta:
    """A positive time period of at most ``MAX_DURATION``."""
    try:
        duration: timedelta = cv.positive_time_period(value)
    except OverflowError as err:  # a number of days no timedelta holds
        raise vol.Invalid(f"duration too long: {value}") from err
    if duration > MAX_DURATION:
        raise vol.Invalid(f"duration longer than {MAX_DURATION.days} days: {value}")
    return duration


def _moment(value: Any) -> datetime:
    """A date and time, made local (a naive one is local already)."""
    moment: datetime = cv.datetime(value)
    try:
        return (
            dt_util.as_local(moment)
            if moment.tzinfo
            else moment.replace(tzinfo=dt_util.get_default_time_zone())
        )
    except OverflowError as err:  # year 1 or 9999 in another time zone
        raise vol.Invalid(f"date out of range: {value}") from err


_DEVICE: dict[vol.Marker, Any] = {vol.Required(ATTR_DEVICE_ID): cv.string}
SET_MODE_SCHEMA = vol.Schema({**_DEVICE, vol.Required(ATTR_MODE): cv.string})
SET_TARGET_SCHEMA = vol.Schema(
    {
        **_DEVICE,
        vol.Optional(ATTR_SOC): _number,
        vol.Optional(ATTR_ENERGY): _number,
        vol.Optional(ATTR_READY_BY): vol.Any(_moment, cv.time),
    }
)
BOOST_SCHEMA = vol.Schema(
    {
        **_DEVICE,
        vol.Optional(ATTR_DURATION): _duration,
        vol.Optional(ATTR_ENERGY): _number,
    }
)
SET_GRID_LIMIT_SCHEMA = vol.Schema(
    {
        **_DEVICE,
        vol.Required(ATTR_POWER): _number,
        vol.Optional(ATTR_DURATION): _duration,
    }
)

CLEAR_GRID_LIMIT_SCHEMA = vol.Schema(_DEVICE)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def _runtime(hass: HomeAssistant, device_id: str) -> Any:
    """Find the loaded entry (site or charger) behind one of our devices."""
    device = dr.async_get(hass).async_get(device_id)
    if device is not None:
        for entry_id in device.config_entries:
            entry = hass.config_entries.async_get_entry(entry_id)
            if (
                entry is not None
                and entry.domain == DOMAIN
                and entry.state is ConfigEntryState.LOADED
            ):
                return entry.runtime_data
    raise _invalid("unknown_device", device_id=device_id)


def _charger(hass: HomeAssistant, call: ServiceCall) -> tuple[ChargerHandle, SiteCoordinator]:
    runtime = _runtime(hass, call.data[ATTR_DEVICE_ID])
    if not isinstance(runtime, ChargerRuntimeData):
        raise _invalid("not_a_charger", device_id=call.data[ATTR_DEVICE_ID])
    return runtime.handle, runtime.site.coordinator


async def _set_mode(hass: HomeAssistant, call: ServiceCall) -> None:
    handle, coordinator = _charger(hass, call)
    try:
        mode = ChargerMode(call.data[ATTR_MODE])
    except ValueError:
        raise _invalid(
            "unknown_mode",
            mode=str(call.data[ATTR_MODE]),
            modes=", ".join(m.value for m in ChargerMode),
        ) from None
    handle.set_mode(mode)
    await coordinator.async_refresh()


async def _set_target(hass: HomeAssistant, call: ServiceCall) -> None:
    handle, coordinator = _charger(hass, call)
    soc = call.data.get(ATTR_SOC)
    energy = call.data.get(ATTR_ENERGY)
    if soc is None and energy is None:
        raise _invalid("target_required")
    if soc is not None and not 0 < soc <= 100:  # 0 % would be no charging at all
        raise _invalid("soc_out_of_range", soc=str(soc))
    if energy is not None and energy <= 0:
        raise _invalid("energy_out_of_range", energy=str(energy))
    ready_by = call.data.get(ATTR_READY_BY)
    now = dt_util.now()
    if isinstance(ready_by, time):
        ready_by = next_occurrence(ready_by, now)
    elif isinstance(ready_by, datetime) and ready_by <= now:  # made local by the schema
        raise _invalid("ready_by_in_past", ready_by=ready_by.isoformat())
    elif isinstance(ready_by, datetime) and ready_by - now > MAX_HORIZON:
        raise _invalid(
            "ready_by_too_far", ready_by=ready_by.isoformat(), days=str(MAX_HORIZON.days)
        )
    handle.target_soc_pct = soc
    handle.target_energy_kwh = energy
    if ready_by is not None:  # left out: the ready-by set before holds
        handle.ready_by = ready_by
    await coordinator.async_refresh()


async def _boost(hass: HomeAssistant, call: ServiceCall) -> None:
    handle, coordinator = _charger(hass, call)
    energy = call.data.get(ATTR_ENERGY)
    if energy is not None and energy <= 0:
        raise _invalid("energy_out_of_range", energy=str(energy))
    duration: timedelta = call.data.get(ATTR_DURATION, handle.boost_duration)
    handle.start_boost(dt_util.now() + duration, energy)
    await coordinator.async_refresh()


def _site(hass: HomeAssistant, call: ServiceCall) -> SiteCoordinator:
    runtime = _runtime(hass, call.data[ATTR_DEVICE_ID])
    if not isinstance(runtime, SmartChargingRuntimeData):
        raise _invalid("not_a_site", device_id=call.data[ATTR_DEVICE_ID])
    return runtime.coordinator


async def _clear_grid_limit(hass: HomeAssistant, call: ServiceCall) -> None:
    coordinator = _site(hass, call)
    coordinator.grid_limit = None
    await coordinator.async_refresh()


async def _set_grid_limit(hass: HomeAssistant, call: ServiceCall) -> None:
    coordinator = _site(hass, call)
    power = call.data[ATTR_POWER]
    if power < 0:
        raise _invalid("negative_limit", power=str(power))
    duration: timedelta | None = call.data.get(ATTR_DURATION)
    until = None if duration is None else dt_util.now() + duration
    coordinator.set_grid_limit(power, until)
    await coordinator.async_refresh()


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, for every site and charger)."""
    for name, handler, schema in (
        (SERVICE_SET_MODE, _set_mode, SET_MODE_SCHEMA),
        (SERVICE_SET_TARGET, _set_target, SET_TARGET_SCHEMA),
        (SERVICE_BOOST, _boost, BOOST_SCHEMA),
        (SERVICE_SET_GRID_LIMIT, _set_grid_limit, SET_GRID_LIMIT_SCHEMA),
        (SERVICE_CLEAR_GRID_LIMIT, _clear_grid_limit, CLEAR_GRID_LIMIT_SCHEMA),
    ):

        async def handle(call: ServiceCall, handler: Any = handler) -> None:
            await handler(hass, call)

        hass.services.async_register(DOMAIN, name, handle, schema=schema)
