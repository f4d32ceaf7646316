"""Repair issues that follow a condition: raised when it starts, withdrawn when it ends."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set as AbstractSet
from datetime import datetime, timedelta
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .charger import ChargerHandle
from .const import DOMAIN, LOGGER
from .control import OverdrawWatch
from .engine.allocation import AllocationMemory
from .engine.model import InputRole, InputStatus, SiteSnapshot

METER_ROLES: Final = frozenset(
    {
        InputRole.GRID_POWER,
        InputRole.GRID_CURRENT_L1,
        InputRole.GRID_CURRENT_L2,
        InputRole.GRID_CURRENT_L3,
    }
)


class IssueSet:
    """One kind of repair issue, one issue per key (an entity, a charger).

    ``sync`` is given every key whose condition holds now, with the issue's placeholders:
    new keys raise an issue, keys whose placeholders changed update theirs, keys that are
    gone withdraw theirs. ``clear`` withdraws all. ``translation_key`` may depend on the
    placeholders (one text per reason).
    """

    def __init__(
        self,
        hass: HomeAssistant,
        translation_key: str | Callable[[Mapping[str, str]], str],
        severity: ir.IssueSeverity,
        issue_id: Callable[[str], str],
    ) -> None:
        """Describe the kind of issue."""
        self._hass = hass
        self._translation_key = translation_key
        self._severity = severity
        self._issue_id = issue_id
        self._raised: dict[str, dict[str, str]] = {}

    def sync(self, current: Mapping[str, dict[str, str]]) -> set[str]:
        """Raise and withdraw issues to match ``current``; return the newly raised keys."""
        new = set(current) - set(self._raised)
        for key, placeholders in current.items():
            if self._raised.get(key) == placeholders:
                continue
            key_of = self._translation_key
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self._issue_id(key),
                is_fixable=False,
                severity=self._severity,
                translation_key=key_of if isinstance(key_of, str) else key_of(placeholders),
                translation_placeholders=placeholders,
            )
        for key in set(self._raised) - set(current):
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id(key))
        self._raised = {key: dict(placeholders) for key, placeholders in current.items()}
        return new

    def clear(self) -> None:
        """Withdraw every issue of this kind."""
        self.sync({})


class SiteIssues:
    """The repair issues of one site.

    Vanished inputs, chargers that ignore their limit, and price data that cannot be read.
    """

    UNUSABLE_FOR: Final = timedelta(minutes=15)
    """How long an input may give no usable reading before a repair issue says so."""

    def __init__(self, hass: HomeAssistant, entry_id: str, title: str) -> None:
        """Describe the site's kinds of issue."""
        self._hass = hass
        self._title = title
        self._unusable_since: dict[str, datetime] = {}
        self._unusable_inputs = IssueSet(
            hass,
            "input_unavailable",
            ir.IssueSeverity.ERROR,
            lambda entity_id: f"input_unavailable_{entry_id}_{entity_id}",
        )
        self._missing_inputs = IssueSet(
            hass,
            "input_missing",
            ir.IssueSeverity.ERROR,
            lambda entity_id: f"input_missing_{entry_id}_{entity_id}",
        )
        self._ignoring_chargers = IssueSet(
            hass,
            "charger_limit_ignored",
            ir.IssueSeverity.WARNING,
            lambda charger_id: f"charger_limit_ignored_{charger_id}",
        )
        self._price_problems = IssueSet(
            hass,
            lambda placeholders: f"price_data_{placeholders['reason']}",
            ir.IssueSeverity.WARNING,
            lambda source: f"price_data_{entry_id}_{source}",
        )
        self.overdraw = OverdrawWatch()

    def update(
        self,
        snapshot: SiteSnapshot,
        chargers: Mapping[str, ChargerHandle],
        memory: AllocationMemory,
        now: datetime,
        *,
        failing: AbstractSet[str],
        settle: timedelta,
    ) -> None:
        """Raise and withdraw the input and charger issues for this cycle."""
        self._missing_inputs.sync(
            {
                r.entity_id: {"entity_id": r.entity_id, "site": self._title}
                for r in snapshot.inputs
                if r.status is InputStatus.MISSING
            }
        )
        # The meter readings the fuse depends on; PV and battery entities going
        # unavailable at night is common and harmless.
        unusable = {
            r.entity_id
            for r in snapshot.inputs
            if r.role in METER_ROLES and r.status not in (InputStatus.OK, InputStatus.MISSING)
        }
        self._unusable_since = {
            entity_id: self._unusable_since.get(entity_id, now) for entity_id in unusable
        }
        minutes = str(int(self.UNUSABLE_FOR.total_seconds() // 60))
        self._unusable_inputs.sync(
            {
                entity_id: {"entity_id": entity_id, "site": self._title, "minutes": minutes}
                for entity_id, since in self._unusable_since.items()
                if now - since >= self.UNUSABLE_FOR
            }
        )
        overdrawing = self.overdraw.check(
            snapshot.chargers,
            memory,
            now,
            online={cid for cid, handle in chargers.items() if handle.online},
            failing=failing,
            settle=settle,
        )
        flagged = self._ignoring_chargers.sync(
            {
                cid: {"charger": self._name(handle)}
                for cid, handle in chargers.items()
                if handle.driver.reading.limit_mismatch
                or handle.driver.reading.limit_rejected
                or cid in overdrawing
            }
        )
        for cid in flagged:
            LOGGER.warning("Charger %s does not follow its limit", cid)

    def _name(self, handle: ChargerHandle) -> str:
        """What the user calls the charger: its entry's title (its device's name)."""
        entry = self._hass.config_entries.async_get_entry(handle.entry_id)
        return handle.charger_id if entry is None else entry.title

    def sync_prices(self, problems: Mapping[str, dict[str, str]]) -> None:
        """Raise and withdraw the issues of unreadable price sources."""
        self._price_problems.sync(problems)

    def clear(self) -> None:
        """Withdraw every issue of the site (on unload)."""
        self._missing_inputs.clear()
        self._unusable_inputs.clear()
        self._ignoring_chargers.clear()
        self._price_problems.clear()
