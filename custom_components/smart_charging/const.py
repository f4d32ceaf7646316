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
MAX_VOLTAGE: Final = 480
MIN_CONTROL_INTERVAL: Final = 2
MAX_CONTROL_INTERVAL: Final = 300
MIN_INPUT_AGE: Final = 10
MAX_INPUT_AGE: Final = 3600

# A state change is acted on at once; further changes within this window are folded into
# one run at its end, so a chatty meter cannot keep the controller busy.
REFRESH_COOLDOWN_S: Final = 0.5
