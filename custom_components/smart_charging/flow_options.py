"""Options flows made of groups: each group's form edits its own keys and keeps the rest."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import math
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
import voluptuous as vol


def non_finite_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Fields holding NaN or infinity (a number selector only checks min and max)."""
    return {
        key: "not_a_number"
        for key, value in user_input.items()
        if isinstance(value, float) and not math.isfinite(value)
    }


class GroupedOptionsFlow(OptionsFlow):
    """An options flow whose steps each store one group of options."""

    async def _async_section(
        self,
        step_id: str,
        schema: vol.Schema,
        user_input: dict[str, Any] | None,
        errors: dict[str, str],
        clean: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        values: Mapping[str, Any] | None = None,
    ) -> ConfigFlowResult:
        """Show one group's form, or store it (keeping the other groups' options).

        A field left empty is removed from the options. ``values`` are the form's
        suggested values (default: the stored options).
        """
        if user_input is not None:
            errors = non_finite_errors(user_input) or errors
        if user_input is not None and not errors:
            keys = {str(marker) for marker in schema.schema}
            options = {k: v for k, v in self.config_entry.options.items() if k not in keys}
            options.update(clean(user_input))
            return self.async_create_entry(data=options)
        if user_input is None:
            user_input = dict(self.config_entry.options if values is None else values)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )
