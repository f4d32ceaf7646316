"""The "Add a Modbus charger" form: connection, model, custom registers, and the probe."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import voluptuous as vol

from .const import (
    CONF_CHARGER_NAME,
    CONF_MODBUS_HOST,
    CONF_MODBUS_PORT,
    CONF_MODBUS_PROFILE,
    CONF_MODBUS_UNIT,
    DEFAULT_MODBUS_PORT,
    MODBUS_UNIQUE_ID_PREFIX,
)
from .drivers.modbus import (
    CUSTOM_FIELDS,
    CUSTOM_PROFILE_ID,
    PROFILES,
    ChargerProfile,
    ModbusTimeoutError,
    ModbusUnexpectedValueError,
    ModbusUnreachableError,
    ModbusWrongUnitError,
    ProbeResult,
    ProfileError,
    async_probe,
    custom_profile,
)

PROBE_TIMEOUT_S = 3.0


def modbus_schema() -> vol.Schema:
    """Schema of the connection form."""
    options = [SelectOptionDict(value=pid, label=profile.name) for pid, profile in PROFILES.items()]
    options.append(SelectOptionDict(value=CUSTOM_PROFILE_ID, label=CUSTOM_PROFILE_ID))
    return vol.Schema(
        {
            vol.Optional(CONF_CHARGER_NAME): TextSelector(),
            vol.Required(CONF_MODBUS_PROFILE): SelectSelector(
                SelectSelectorConfig(
                    options=options,
                    mode=SelectSelectorMode.DROPDOWN,
                    translation_key=CONF_MODBUS_PROFILE,
                )
            ),
            vol.Required(CONF_MODBUS_HOST): TextSelector(),
            vol.Required(CONF_MODBUS_PORT, default=DEFAULT_MODBUS_PORT): NumberSelector(
                NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
            ),
            vol.Optional(CONF_MODBUS_UNIT): NumberSelector(
                NumberSelectorConfig(min=0, max=255, step=1, mode=NumberSelectorMode.BOX)
            ),
        }
    )


def custom_schema() -> vol.Schema:
    """Schema of the custom register form, built from the driver's field list."""
    fields: dict[vol.Marker, Any] = {}
    for spec in CUSTOM_FIELDS:
        marker: vol.Marker
        if spec.default is not None:
            default = spec.default.value if hasattr(spec.default, "value") else spec.default
            marker = vol.Required(spec.key, default=default)
        elif spec.required:
            marker = vol.Required(spec.key)
        else:
            marker = vol.Optional(spec.key)
        fields[marker] = _selector(spec.kind, spec.choices)
    return vol.Schema(fields)


def _selector(kind: str, choices: tuple[Any, ...]) -> Any:
    if kind == "bool":
        return BooleanSelector()
    if kind == "choice":
        return SelectSelector(
            SelectSelectorConfig(
                options=[str(getattr(c, "value", c)) for c in choices],
                mode=SelectSelectorMode.DROPDOWN,
            )
        )
    if kind == "int":
        return NumberSelector(
            NumberSelectorConfig(min=0, max=65535, step=1, mode=NumberSelectorMode.BOX)
        )
    if kind == "float":
        return NumberSelector(NumberSelectorConfig(step="any", mode=NumberSelectorMode.BOX))
    return TextSelector()


def clean_custom(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the entered custom registers (integers where the field is one)."""
    kinds = {spec.key: spec.kind for spec in CUSTOM_FIELDS}
    cleaned: dict[str, Any] = {}
    for key, value in user_input.items():
        if value in (None, ""):
            continue
        cleaned[key] = int(value) if kinds.get(key) == "int" else value
    return cleaned


def build_profile(profile_id: str, custom: Mapping[str, Any] | None) -> ChargerProfile:
    """The profile of a charger entry (raises ProfileError for a bad custom map)."""
    if profile_id == CUSTOM_PROFILE_ID:
        return custom_profile(dict(custom or {}))
    return PROFILES[profile_id]


def modbus_unique_id(host: str, port: int, unit: int, serial: str | None) -> str:
    """A charger's identity: its serial number where it has one, else its address."""
    if serial:
        return f"{MODBUS_UNIQUE_ID_PREFIX}{serial}"
    return f"{MODBUS_UNIQUE_ID_PREFIX}{host}:{port}/{unit}"


async def probe(
    host: str, port: int, unit: int, profile: ChargerProfile
) -> tuple[ProbeResult | None, str | None]:
    """Read the charger's state once; return the result or an error key."""
    try:
        return await async_probe(host, port, unit, profile, timeout_s=PROBE_TIMEOUT_S), None
    except ModbusUnreachableError:
        return None, "cannot_connect"
    except ModbusTimeoutError:
        return None, "timeout"
    except ModbusWrongUnitError:
        return None, "wrong_unit"
    except ModbusUnexpectedValueError:
        return None, "unexpected_value"


def custom_errors(err: ProfileError) -> dict[str, str]:
    """Attach a custom-profile error to its field."""
    known = {spec.key for spec in CUSTOM_FIELDS}
    field = err.field if err.field in known else "base"
    return {field: "invalid_register_map"}
