"""Repair issues that follow a condition: raised when it starts, withdrawn when it ends."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


class IssueSet:
    """One kind of repair issue, one issue per key (an entity, a charger).

    ``sync`` is given every key whose condition holds now, with the issue's placeholders:
    new keys raise an issue, keys that are gone withdraw theirs. ``clear`` withdraws all.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        translation_key: str,
        severity: ir.IssueSeverity,
        issue_id: Callable[[str], str],
    ) -> None:
        """Describe the kind of issue."""
        self._hass = hass
        self._translation_key = translation_key
        self._severity = severity
        self._issue_id = issue_id
        self._raised: set[str] = set()

    def sync(self, current: Mapping[str, dict[str, str]]) -> set[str]:
        """Raise and withdraw issues to match ``current``; return the newly raised keys."""
        new = set(current) - self._raised
        for key in new:
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self._issue_id(key),
                is_fixable=False,
                severity=self._severity,
                translation_key=self._translation_key,
                translation_placeholders=current[key],
            )
        for key in self._raised - set(current):
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id(key))
        self._raised = set(current)
        return new

    def clear(self) -> None:
        """Withdraw every issue of this kind."""
        self.sync({})
