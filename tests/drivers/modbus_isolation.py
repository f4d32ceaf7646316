"""A pytest plugin that runs the Modbus tests without Home Assistant installed.

``custom_components/smart_charging/__init__.py`` imports Home Assistant; the drivers do
not. ``scripts/test-modbus-versions`` loads this plugin (``-p``) in a venv that holds
only pytest and an old pymodbus: it registers the integration package without running
its ``__init__``, so that ``drivers.modbus`` imports on its own. With Home Assistant
installed it does nothing.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
import sys
import types

_PACKAGE = "custom_components.smart_charging"
_ROOT = Path(__file__).resolve().parents[2] / "custom_components" / "smart_charging"


def _register_package_without_init() -> None:
    if _PACKAGE in sys.modules or importlib.util.find_spec("homeassistant") is not None:
        return
    spec = importlib.machinery.ModuleSpec(_PACKAGE, None, is_package=True)
    spec.submodule_search_locations = [str(_ROOT)]
    module = types.ModuleType(_PACKAGE)
    module.__spec__ = spec
    module.__path__ = [str(_ROOT)]
    sys.modules[_PACKAGE] = module


_register_package_without_init()
