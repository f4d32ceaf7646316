"""The site's tuning options turned into the engine's settings and extra readings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
import math
from typing import Any, Final

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant

from .const import (
    CONF_BATTERY_PRIORITY_SOC,
    CONF_CIRCUIT_LIMIT,
    CONF_CIRCUIT_PARENT,
    CONF_CIRCUITS,
    CONF_DERATE_END,
    CONF_DERATE_MIN,
    CONF_DERATE_START,
    CONF_GRID_LIMIT_14A,
    CONF_GRID_LIMIT_ENTITY,
    CONF_GRID_LIMIT_FAILSAFE,
    CONF_MARGIN,
    CONF_PV_DISABLE_DELAY,
    CONF_PV_DISABLE_THRESHOLD,
    CONF_PV_ENABLE_DELAY,
    CONF_PV_ENABLE_THRESHOLD,
    CONF_TEMPERATURE_ENTITY,
    CONF_UNBALANCE_LIMIT,
    DEFAULT_GRID_LIMIT_FAILSAFE,
    DEFAULT_MARGIN,
    MAIN_FUSE_PARENT,
)
from .engine.model import (
    ChargerConfig,
    CircuitConfig,
    CircuitState,
    DeratingCurve,
    ExternalLimit,
    SiteConfig,
)
from .engine.settings import AllocatorSettings
from .engine.units import is_power_unit, power_to_w
from .flow_tuning import circuits_of

TUNING_KEYS: Final = frozenset(
    {
        CONF_BATTERY_PRIORITY_SOC,
        CONF_CIRCUITS,
        CONF_GRID_LIMIT_14A,
        CONF_GRID_LIMIT_ENTITY,
        CONF_GRID_LIMIT_FAILSAFE,
        CONF_MARGIN,
        CONF_PV_DISABLE_DELAY,
        CONF_PV_DISABLE_THRESHOLD,
        CONF_PV_ENABLE_DELAY,
        CONF_PV_ENABLE_THRESHOLD,
        CONF_UNBALANCE_LIMIT,
    }
)
"""Site options read afresh each cycle (``allocator_settings``, ``circuit_states``,
``entity_grid_limit``): a change to them alone applies without reloading the site."""


def applies_in_place(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether a change of the site's options needs no reload (no dropped connections).

    Only tuning changed, and no entity to follow came or went (those are subscribed to
    when the site loads).
    """
    changed = {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
    return changed <= TUNING_KEYS and set(tracked_entities(old)) == set(tracked_entities(new))


def allocator_settings(
    site: SiteConfig, options: Mapping[str, Any], chargers: Iterable[ChargerConfig]
) -> AllocatorSettings:
    """The engine's settings from the site's options and its chargers."""
    unbalance = options.get(CONF_UNBALANCE_LIMIT)
    priority_soc = options.get(CONF_BATTERY_PRIORITY_SOC)
    known = {circuit["id"] for circuit in circuits_of(options)}
    return AllocatorSettings(
        site=site,
        # A charger on a circuit that was removed meanwhile hangs off the main fuse.
        chargers=tuple(
            c if c.circuit_id is None or c.circuit_id in known else _unassigned(c) for c in chargers
        ),
        circuits=circuit_configs(options),
        margin_a=float(options.get(CONF_MARGIN, DEFAULT_MARGIN)),
        unbalance_limit_a=None if unbalance is None else float(unbalance),
        pv_enable_threshold_w=float(options.get(CONF_PV_ENABLE_THRESHOLD, 0)),
        pv_disable_threshold_w=float(options.get(CONF_PV_DISABLE_THRESHOLD, 0)),
        pv_enable_delay_s=float(options.get(CONF_PV_ENABLE_DELAY, 60)),
        pv_disable_delay_s=float(options.get(CONF_PV_DISABLE_DELAY, 180)),
        battery_priority_soc_pct=None if priority_soc is None else float(priority_soc),
    )


def _unassigned(config: ChargerConfig) -> ChargerConfig:
    return replace(config, circuit_id=None)


def circuit_configs(options: Mapping[str, Any]) -> tuple[CircuitConfig, ...]:
    """The circuit tree from the site's options."""
    configs = []
    for circuit in circuits_of(options):
        parent = circuit.get(CONF_CIRCUIT_PARENT, MAIN_FUSE_PARENT)
        derating = derating_curve(circuit)
        configs.append(
            CircuitConfig(
                id=circuit["id"],
                limit_a=float(circuit[CONF_CIRCUIT_LIMIT]),
                parent_id=None if parent == MAIN_FUSE_PARENT else parent,
                derating=derating,
            )
        )
    return tuple(configs)


def derating_curve(options: Mapping[str, Any]) -> DeratingCurve | None:
    """The temperature derating curve stored with a circuit or charger, if any."""
    if CONF_TEMPERATURE_ENTITY not in options:
        return None
    return DeratingCurve(
        start_c=float(options[CONF_DERATE_START]),
        end_c=float(options[CONF_DERATE_END]),
        min_fraction=float(options.get(CONF_DERATE_MIN, 0.0)),
    )


def entity_number(hass: HomeAssistant, entity_id: str) -> float | None:
    """A finite number from an entity's state, or None (missing, unavailable, not a number)."""
    state = hass.states.get(entity_id)
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def circuit_states(hass: HomeAssistant, options: Mapping[str, Any]) -> tuple[CircuitState, ...]:
    """Temperatures of the circuits that derate (unknown ones derate fully)."""
    return tuple(
        CircuitState(circuit["id"], None, entity_number(hass, circuit[CONF_TEMPERATURE_ENTITY]))
        for circuit in circuits_of(options)
        if CONF_TEMPERATURE_ENTITY in circuit
    )


def entity_grid_limit(hass: HomeAssistant, options: Mapping[str, Any]) -> ExternalLimit | None:
    """The grid operator's limit from its entity; without a reading, the failsafe value.

    The entity's unit is W, kW or MW (none: W).
    """
    entity_id = options.get(CONF_GRID_LIMIT_ENTITY)
    if not entity_id:
        return None
    failsafe = float(options.get(CONF_GRID_LIMIT_FAILSAFE, DEFAULT_GRID_LIMIT_FAILSAFE))
    value = entity_number(hass, entity_id)
    state = hass.states.get(entity_id)
    unit = None if state is None else state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    if value is not None and unit is not None:
        # W, kW or MW; any other unit cannot be a power limit: the failsafe value holds.
        ok = isinstance(unit, str) and is_power_unit(unit)
        value = power_to_w(value, unit) if ok else None
    return ExternalLimit(
        power_w=failsafe if value is None or value < 0 else value,
        is_14a=bool(options.get(CONF_GRID_LIMIT_14A, False)),
        failsafe_w=failsafe,
    )


def combine_limits(
    first: ExternalLimit | None, second: ExternalLimit | None
) -> ExternalLimit | None:
    """The stricter of two grid limits (a §14a floor of either applies)."""
    if first is None or second is None:
        return first or second
    lower = first if first.power_w <= second.power_w else second
    return ExternalLimit(
        power_w=lower.power_w,
        expires_at=lower.expires_at,
        is_14a=first.is_14a or second.is_14a,
        failsafe_w=lower.failsafe_w,
    )


def tracked_entities(options: Mapping[str, Any]) -> list[str]:
    """Entities beyond the site's inputs whose changes trigger a cycle."""
    entities = [
        c[CONF_TEMPERATURE_ENTITY] for c in circuits_of(options) if CONF_TEMPERATURE_ENTITY in c
    ]
    if entity_id := options.get(CONF_GRID_LIMIT_ENTITY):
        entities.append(entity_id)
    return entities
