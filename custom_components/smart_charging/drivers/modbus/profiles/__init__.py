"""The built-in charger profiles, by id."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ..model import ChargerProfile
from .alfen import ALFEN_EVE
from .goe import GO_E
from .heidelberg import HEIDELBERG
from .keba import KEBA_P30, KEBA_P40
from .phoenix import PHOENIX_EV_CC, WALLBE
from .vestel import VESTEL_EVC04, WEBASTO_NEXT

PROFILES: Final[Mapping[str, ChargerProfile]] = MappingProxyType(
    {
        profile.id: profile
        for profile in (
            ALFEN_EVE,
            GO_E,
            HEIDELBERG,
            KEBA_P30,
            KEBA_P40,
            PHOENIX_EV_CC,
            VESTEL_EVC04,
            WALLBE,
            WEBASTO_NEXT,
        )
    }
)


def get_profile(profile_id: str) -> ChargerProfile:
    """Return a built-in profile; ``KeyError`` for an unknown id."""
    return PROFILES[profile_id]


__all__ = ["PROFILES", "get_profile"]
