"""A charger's runtime settings: validated live changes, and what survives a restart.

The settings users change at runtime — minimum and maximum current, target SoC and energy,
price limit, vehicle battery capacity, ready-by, boost duration, phase mode — and the session in
progress live on the ``ChargerHandle`` and are kept in one ``Store`` per charger entry
(``.storage/smart_charging.charger.<entry_id>``). A store rather than restore entities:
the values are back on the handle before any entity or the control loop starts, also for
an entity the user disabled; changes made by actions (``set_target``) are kept as well;
and a session's counters need a store anyway. Writes are throttled: a settings change is
written after a few seconds, a session in progress at most once a minute, everything on
unload and when Home Assistant stops.

Minimum and maximum current are charger options (Configure) too. The store keeps a live
change together with the option values it replaced; once the options differ from those
(they were changed under Configure since), the options win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .charger import ChargerHandle, next_occurrence, upcoming
from .const import (
    CONF_FALLBACK_CURRENT,
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_SAFE_CURRENT,
    DOMAIN,
    LOGGER,
)
from .engine.model import ChargerMode, PhaseMode
from .flow_charger import DEFAULT_CHARGER_OPTIONS, validate_charger
from .session import SessionAccount
from .smart import MAX_HORIZON

if TYPE_CHECKING:
    from .coordinator import SiteCoordinator

STORAGE_VERSION: Final = 1
SETTINGS_SAVE_DELAY_S: Final = 5
SESSION_SAVE_DELAY_S: Final = 60


def _amps(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def apply_current_range(
    handle: ChargerHandle,
    options: Mapping[str, Any],
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> None:
    """Set a charger's minimum and/or maximum current, checked like the options form.

    Raises a translated ``ServiceValidationError`` when the range does not fit the
    charger's other settings; the engine's config is replaced only when it does.
    """
    config = handle.config
    low = config.min_current_a if minimum is None else float(minimum)
    high = config.max_current_a if maximum is None else float(maximum)
    values = {**DEFAULT_CHARGER_OPTIONS, **options, CONF_MIN_CURRENT: low, CONF_MAX_CURRENT: high}
    errors = validate_charger(values)
    placeholders = {"min": _amps(low), "max": _amps(high)}
    if CONF_MIN_CURRENT in errors:
        raise _invalid("min_current_above_max", placeholders)
    if CONF_FALLBACK_CURRENT in errors:
        fallback = {"fallback": _amps(values.get(CONF_FALLBACK_CURRENT))}
        raise _invalid("fallback_outside_current_range", placeholders | fallback)
    if errors.get(CONF_SAFE_CURRENT) == "above_max":
        safe = {"safe": _amps(values.get(CONF_SAFE_CURRENT))}
        raise _invalid("safe_current_above_max", placeholders | safe)
    handle.config = replace(config, min_current_a=low, max_current_a=high)


def _invalid(key: str, placeholders: dict[str, str]) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


class ChargerStore:
    """Loads a charger's settings and session onto its handle and keeps them saved."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], handle: ChargerHandle) -> None:
        """Bind the store to a charger entry and its handle."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, storage_key(entry.entry_id)
        )
        self._handle = handle
        self._options = entry.options
        values = {**DEFAULT_CHARGER_OPTIONS, **entry.options}
        self._option_range = [float(values[CONF_MIN_CURRENT]), float(values[CONF_MAX_CURRENT])]
        self._saved_settings = self._settings()
        self._saved_revision = handle.session.revision
        self._pending = False

    async def async_load(self) -> None:
        """Put the stored settings and session back on the handle."""
        data = await self._store.async_load()
        if data:
            try:
                self._restore_settings(data.get("settings") or {})
            except (KeyError, TypeError, ValueError) as err:
                LOGGER.warning(
                    "Stored settings of %s are unusable: %s", self._handle.charger_id, err
                )
            if session := data.get("session"):
                try:
                    self._handle.session = SessionAccount.from_dict(session)
                except (KeyError, TypeError, ValueError) as err:
                    LOGGER.warning(
                        "Stored session of %s is unusable: %s", self._handle.charger_id, err
                    )
        self._saved_settings = self._settings()
        self._saved_revision = self._handle.session.revision

    def _restore_settings(self, settings: Mapping[str, Any]) -> None:
        handle = self._handle
        self._restore_modes(settings)  # first: a bad value below must not cost the mode
        handle.target_soc_pct = _optional_float(settings.get("target_soc"))
        handle.target_energy_kwh = _optional_float(settings.get("target_energy"))
        handle.price_limit = _optional_float(settings.get("price_limit"))
        handle.battery_capacity_kwh = _optional_float(settings.get("battery_capacity"))
        try:
            handle.phase_mode = PhaseMode(settings.get("phase_mode", PhaseMode.AUTO))
        except ValueError:
            LOGGER.warning("Stored phase mode of %s is unknown", handle.charger_id)
        if (minutes := settings.get("boost_minutes")) is not None:
            handle.boost_duration = timedelta(minutes=float(minutes))
        handle.boost_energy_setting_kwh = _optional_float(settings.get("boost_energy")) or None
        if (ready_by := settings.get("ready_by")) is not None:
            now = dt_util.now()
            restored = upcoming(datetime.fromisoformat(ready_by), now)
            if restored - now > MAX_HORIZON:  # an older version took any date: keep its time
                restored = next_occurrence(dt_util.as_local(restored).time(), now)
            handle.ready_by = restored
        currents = settings.get("currents")
        if currents is None or list(currents["options"]) != self._option_range:
            return  # no live change, or the options changed since: they win
        try:
            apply_current_range(
                handle, self._options, minimum=currents["min"], maximum=currents["max"]
            )
        except ServiceValidationError:
            LOGGER.warning("Stored current range of %s no longer fits", handle.charger_id)

    def _restore_modes(self, settings: Mapping[str, Any]) -> None:
        """The mode and the one "Charging: on" returns to; an unknown one is skipped."""
        handle = self._handle
        if (mode := settings.get("mode")) is None:
            return
        try:
            chosen = ChargerMode(mode)
        except ValueError:
            LOGGER.warning("Stored mode of %s is unknown: %s", handle.charger_id, mode)
            return
        handle.mode = chosen
        handle.mode_restored = True
        try:
            previous = ChargerMode(settings.get("last_active_mode", mode))
        except ValueError:
            previous = chosen
        if previous is not ChargerMode.OFF:
            handle.last_active_mode = previous

    def _settings(self) -> dict[str, Any]:
        handle = self._handle
        config = handle.config
        live = [config.min_current_a, config.max_current_a]
        return {
            "currents": None
            if live == self._option_range
            else {"min": live[0], "max": live[1], "options": self._option_range},
            "target_soc": handle.target_soc_pct,
            "target_energy": handle.target_energy_kwh,
            "price_limit": handle.price_limit,
            "battery_capacity": handle.battery_capacity_kwh,
            "ready_by": None if handle.ready_by is None else handle.ready_by.isoformat(),
            "boost_minutes": handle.boost_duration.total_seconds() / 60,
            "boost_energy": handle.boost_energy_setting_kwh,
            "phase_mode": handle.phase_mode.value,
            "mode": handle.mode.value,
            "last_active_mode": handle.last_active_mode.value,
        }

    @callback
    def _data(self) -> dict[str, Any]:
        """Return what to write (called when the write happens)."""
        self._pending = False
        self._saved_settings = self._settings()
        self._saved_revision = self._handle.session.revision
        return {"settings": self._saved_settings, "session": self._handle.session.as_dict()}

    @callback
    def async_start(self, coordinator: SiteCoordinator) -> CALLBACK_TYPE:
        """Save after control cycles that changed something; return the stopper."""
        return coordinator.async_add_listener(self._async_cycle_done)

    @callback
    def _async_cycle_done(self) -> None:
        if self._settings() != self._saved_settings:
            self._pending = True
            self._store.async_delay_save(self._data, SETTINGS_SAVE_DELAY_S)
        elif self._handle.session.revision != self._saved_revision and not self._pending:
            self._pending = True
            self._store.async_delay_save(self._data, SESSION_SAVE_DELAY_S)

    async def async_save(self) -> None:
        """Write now (the entry unloads)."""
        await self._store.async_save(self._data())


def storage_key(entry_id: str) -> str:
    """Return the storage key of a charger entry."""
    return f"{DOMAIN}.charger.{entry_id}"


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete a removed charger's stored settings and session."""
    await Store[dict[str, Any]](hass, STORAGE_VERSION, storage_key(entry_id)).async_remove()
