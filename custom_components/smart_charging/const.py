"""Constants for the Smart Charging integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "smart_charging"
LOGGER: Final = logging.getLogger(__package__)

# Site configuration (config entry data).
CONF_GRID_POWER: Final = "grid_power_entity"
CONF_GRID_SIGN: Final = "grid_sign"
CONF_GRID_CURRENT_L1: Final = "grid_current_l1_entity"
CONF_GRID_CURRENT_L2: Final = "grid_current_l2_entity"
CONF_GRID_CURRENT_L3: Final = "grid_current_l3_entity"
CONF_MAIN_FUSE: Final = "main_fuse"
CONF_PHASES: Final = "phases"
CONF_VOLTAGE: Final = "voltage"
CONF_MAX_IMPORT: Final = "max_import_power"
CONF_PV_POWER: Final = "pv_power_entity"
CONF_BATTERY_POWER: Final = "battery_power_entity"
CONF_BATTERY_SIGN: Final = "battery_sign"
CONF_BATTERY_SOC: Final = "battery_soc_entity"
CONF_PRICE: Final = "price_entity"

GRID_CURRENT_KEYS: Final = (CONF_GRID_CURRENT_L1, CONF_GRID_CURRENT_L2, CONF_GRID_CURRENT_L3)

# Behaviour (config entry options).
CONF_CONTROL_INTERVAL: Final = "control_interval"
CONF_MAX_INPUT_AGE: Final = "max_input_age"

DEFAULT_NAME: Final = "Home"
DEFAULT_VOLTAGE: Final = 230
DEFAULT_PHASES: Final = 3
DEFAULT_CONTROL_INTERVAL: Final = 10
DEFAULT_MAX_INPUT_AGE: Final = 60

MIN_FUSE_A: Final = 6
MAX_FUSE_A: Final = 1000
MIN_VOLTAGE: Final = 100
MAX_VOLTAGE: Final = 280  # phase-to-neutral (277 V in 480Y/277 supplies)
MIN_CONTROL_INTERVAL: Final = 2
MAX_CONTROL_INTERVAL: Final = 300
MIN_INPUT_AGE: Final = 10
MAX_INPUT_AGE: Final = 3600

# A state change is acted on at once; further changes within this window are folded into
# one run at its end, so a chatty meter cannot keep the controller busy.
REFRESH_COOLDOWN_S: Final = 0.5

# OCPP central system (site options).
CONF_OCPP_ENABLED: Final = "ocpp_enabled"
CONF_OCPP_HOST: Final = "ocpp_host"
CONF_OCPP_PORT: Final = "ocpp_port"
CONF_OCPP_PASSWORD: Final = "ocpp_password"  # noqa: S105 - a config key, not a secret
OCPP_PASSWORD_LENGTH: Final = (16, 40)  # characters, as OCPP 1.6 security profile 1 asks
CONF_OCPP_CERTFILE: Final = "ocpp_certfile"
CONF_OCPP_KEYFILE: Final = "ocpp_keyfile"
CONF_OCPP_AUTO_ACCEPT: Final = "ocpp_auto_accept"
DEFAULT_OCPP_PORT: Final = 9100

# Charger entries.
CONF_ENTRY_TYPE: Final = "entry_type"
ENTRY_TYPE_SITE: Final = "site"
ENTRY_TYPE_CHARGER: Final = "charger"
CONF_SITE_ENTRY_ID: Final = "site_entry_id"
CONF_PROTOCOL: Final = "protocol"
PROTOCOL_OCPP: Final = "ocpp"
CONF_CHARGE_POINT_ID: Final = "charge_point_id"
CONF_VENDOR: Final = "vendor"
CONF_MODEL: Final = "model"

# Charger settings (charger entry options).
CONF_CHARGER_PHASES: Final = "charger_phases"
CONF_PHASE_WIRING: Final = "phase_wiring"
CONF_MIN_CURRENT: Final = "min_current"
CONF_MAX_CURRENT: Final = "max_current"
CONF_FALLBACK_CURRENT: Final = "fallback_current"
CONF_PRIORITY: Final = "priority"
CONF_CAN_SWITCH_PHASES: Final = "can_switch_phases"
# OCPP compatibility options.
CONF_RATE_UNIT: Final = "rate_unit"
CONF_STACK_LEVEL: Final = "stack_level"
CONF_PROFILE_PURPOSE: Final = "profile_purpose"
CONF_SKIP_VALIDATION: Final = "skip_schema_validation"
CONF_SAFE_CURRENT: Final = "safe_current"
CONF_REMOTE_START: Final = "remote_start"
CONF_FOLLOW_UP_READINGS: Final = "follow_up_readings"

DEFAULT_MIN_CURRENT: Final = 6
DEFAULT_MAX_CURRENT: Final = 16
DEFAULT_SAFE_CURRENT: Final = 6

CHARGER_UNIQUE_ID_PREFIX: Final = "ocpp:"

# Modbus chargers.
PROTOCOL_MODBUS: Final = "modbus"
CONF_MODBUS_HOST: Final = "host"
CONF_MODBUS_PORT: Final = "port"
CONF_MODBUS_UNIT: Final = "unit_id"
CONF_MODBUS_PROFILE: Final = "profile"
CONF_MODBUS_CUSTOM: Final = "custom_registers"
CONF_CHARGER_NAME: Final = "name"
DEFAULT_MODBUS_PORT: Final = 502
MODBUS_UNIQUE_ID_PREFIX: Final = "modbus:"

# Site tuning (site options).
CONF_MARGIN: Final = "margin"
CONF_UNBALANCE_LIMIT: Final = "unbalance_limit"
CONF_PV_ENABLE_THRESHOLD: Final = "pv_enable_threshold"
CONF_PV_DISABLE_THRESHOLD: Final = "pv_disable_threshold"
CONF_PV_ENABLE_DELAY: Final = "pv_enable_delay"
CONF_PV_DISABLE_DELAY: Final = "pv_disable_delay"
CONF_BATTERY_PRIORITY_SOC: Final = "battery_priority_soc"
CONF_GRID_LIMIT_ENTITY: Final = "grid_limit_entity"
CONF_GRID_LIMIT_FAILSAFE: Final = "grid_limit_failsafe"
CONF_GRID_LIMIT_14A: Final = "grid_limit_14a"
CONF_CIRCUITS: Final = "circuits"
CONF_CIRCUIT: Final = "circuit"
CONF_CIRCUIT_NAME: Final = "circuit_name"
CONF_CIRCUIT_LIMIT: Final = "circuit_limit"
CONF_CIRCUIT_PARENT: Final = "circuit_parent"
CONF_TEMPERATURE_ENTITY: Final = "temperature_entity"
CONF_DERATE_START: Final = "derate_start"
CONF_DERATE_END: Final = "derate_end"
CONF_DERATE_MIN: Final = "derate_min_fraction"
MAIN_FUSE_PARENT: Final = "main_fuse"

# Charger options beyond wiring: the car's own SoC sensor and an allowed daily window.
CONF_SOC_ENTITY: Final = "vehicle_soc_entity"
CONF_WINDOW_START: Final = "window_start"
CONF_WINDOW_END: Final = "window_end"

DEFAULT_MARGIN: Final = 2.0
DEFAULT_GRID_LIMIT_FAILSAFE: Final = 4200

# Prices and PV forecasts for the planner (site options).
CONF_PRICE_SOURCE: Final = "price_source"
CONF_PRICE_LIST_ENTITY: Final = "price_list_entity"
CONF_PRICE_CONFIG_ENTRY: Final = "price_config_entry"
CONF_PRICE_AREA: Final = "price_area"
CONF_FIXED_PRICE: Final = "fixed_price"
CONF_TOU_SCHEDULE: Final = "tou_schedule"
CONF_EXPORT_PRICE: Final = "export_price"
CONF_EXPORT_PRICE_ENTITY: Final = "export_price_entity"
CONF_PV_FORECAST: Final = "pv_forecast"
CONF_FORECAST_SOLAR_ENTRY: Final = "forecast_solar_entry"
CONF_SOLCAST_ENTITIES: Final = "solcast_entities"
CONF_HOUSE_LOAD: Final = "house_load"
CONF_HOUSE_LOAD_ENTITY: Final = "house_load_entity"
DEFAULT_HOUSE_LOAD: Final = 500
