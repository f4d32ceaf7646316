"""Home Assistant side of the OCPP central system: lifecycle, admission, discovery."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import SOURCE_IGNORE, SOURCE_INTEGRATION_DISCOVERY, ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, issue_registry as ir

from .const import (
    CHARGER_UNIQUE_ID_PREFIX,
    CONF_CHARGE_POINT_ID,
    CONF_MODEL,
    CONF_OCPP_AUTO_ACCEPT,
    CONF_OCPP_CERTFILE,
    CONF_OCPP_ENABLED,
    CONF_OCPP_HOST,
    CONF_OCPP_KEYFILE,
    CONF_OCPP_PASSWORD,
    CONF_OCPP_PORT,
    CONF_SITE_ENTRY_ID,
    CONF_VENDOR,
    DEFAULT_OCPP_PORT,
    DOMAIN,
    LOGGER,
)
from .drivers.base import ChargerInfo, DriverError, PortInUseError
from .drivers.ocpp import Admission, OcppCharger, OcppServer, ServerConfig, create_ssl_context

AUTO_ACCEPT: str = "auto_accept"


def charger_unique_id(cp_id: str) -> str:
    """The unique id of an OCPP charger's config entry (and its device identifier)."""
    return f"{CHARGER_UNIQUE_ID_PREFIX}{cp_id}"


def _port_issue_id(entry_id: str) -> str:
    return f"ocpp_port_in_use_{entry_id}"


class OcppLink:
    """Runs a site's OCPP server and answers its questions from Home Assistant's state."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Prepare the link for a site entry (nothing starts until ``async_start``)."""
        self._hass = hass
        self._entry = entry
        self.server: OcppServer | None = None

    @property
    def options(self) -> Mapping[str, Any]:
        """The site's options."""
        return self._entry.options

    async def async_start(self) -> OcppServer | None:
        """Start the server when enabled; a taken port is a repair issue, not a failure."""
        if not self.options.get(CONF_OCPP_ENABLED, True):
            return None
        port = int(self.options.get(CONF_OCPP_PORT, DEFAULT_OCPP_PORT))
        ssl_context = None
        if (cert := self.options.get(CONF_OCPP_CERTFILE)) and (
            key := self.options.get(CONF_OCPP_KEYFILE)
        ):
            ssl_context = await self._hass.async_add_executor_job(create_ssl_context, cert, key)
        server = OcppServer(
            ServerConfig(
                host=self.options.get(CONF_OCPP_HOST) or None,
                port=port,
                password=self.options.get(CONF_OCPP_PASSWORD) or None,
                charger_password=self.charger_password,
                ssl_context=ssl_context,
            ),
            admission=self.admission,
            on_new_charger=self._on_new_charger,
            on_charger_accepted=self._on_charger_accepted,
        )
        issue_id = _port_issue_id(self._entry.entry_id)
        try:
            await server.async_start()
        except PortInUseError:
            LOGGER.error("OCPP port %s is in use; chargers cannot connect", port)
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="ocpp_port_in_use",
                translation_placeholders={"port": str(port), "site": self._entry.title},
            )
            return None
        except DriverError as err:
            LOGGER.error("OCPP server could not start: %s", err)
            return None
        ir.async_delete_issue(self._hass, DOMAIN, issue_id)
        LOGGER.info("OCPP central system listening on port %s", server.port)
        self.server = server
        return server

    async def async_stop(self) -> None:
        """Stop the server and free its port."""
        if self.server is not None:
            await self.server.async_stop()
            self.server = None

    def _charger_entry(self, cp_id: str) -> ConfigEntry[Any] | None:
        """The config entry of a charge point id (confirmed or ignored), if any."""
        return self._hass.config_entries.async_entry_for_domain_unique_id(
            DOMAIN, charger_unique_id(cp_id)
        )

    @callback
    def charger_password(self, cp_id: str) -> str | None:
        """A confirmed charger's own OCPP password (its options), if it has one."""
        entry = self._charger_entry(cp_id)
        if entry is None or entry.data.get(CONF_SITE_ENTRY_ID) != self._entry.entry_id:
            return None
        return entry.options.get(CONF_OCPP_PASSWORD) or None

    @callback
    def admission(self, cp_id: str) -> Admission:
        """Decide a charge point id from the config entries."""
        if (entry := self._charger_entry(cp_id)) is not None:
            if entry.source == SOURCE_IGNORE or entry.disabled_by is not None:
                return Admission.REJECT
            if entry.data.get(CONF_SITE_ENTRY_ID) != self._entry.entry_id:
                return Admission.REJECT
            return Admission.ACCEPT
        if self.options.get(CONF_OCPP_AUTO_ACCEPT, False):
            return Admission.ACCEPT
        return Admission.PENDING

    @callback
    def _on_new_charger(self, cp_id: str, info: ChargerInfo) -> None:
        """A pending charger booted: offer it to the user."""
        self._start_discovery(cp_id, info, auto_accept=False)

    @callback
    def _on_charger_accepted(self, charger: OcppCharger) -> None:
        """An accepted charger booted: create its entry if auto-accepted, refresh its device."""
        cp_id = charger.charger_id
        unique_id = charger_unique_id(cp_id)
        if self._hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, unique_id) is None:
            self._start_discovery(cp_id, charger.info, auto_accept=True)
            return
        device = dr.async_get(self._hass).async_get_device(identifiers={(DOMAIN, unique_id)})
        info = charger.info
        if device is not None and info.firmware_version:
            dr.async_get(self._hass).async_update_device(
                device.id, sw_version=info.firmware_version
            )

    def _start_discovery(self, cp_id: str, info: ChargerInfo, *, auto_accept: bool) -> None:
        self._hass.async_create_task(
            self._hass.config_entries.flow.async_init(
                DOMAIN,
                context={"source": SOURCE_INTEGRATION_DISCOVERY},
                data={
                    CONF_SITE_ENTRY_ID: self._entry.entry_id,
                    CONF_CHARGE_POINT_ID: cp_id,
                    CONF_VENDOR: info.vendor,
                    CONF_MODEL: info.model,
                    AUTO_ACCEPT: auto_accept,
                },
            ),
            f"{DOMAIN} discovery {cp_id}",
        )
