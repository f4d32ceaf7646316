"""The min-cost flow solver on hand-built networks."""

from __future__ import annotations

import pytest

from custom_components.smart_charging.engine.flow import GRID, PV, solve


def test_pv_only_charger_takes_pv_and_the_others_move_around_it() -> None:
    # charger 0: full access to slot 0, PV only in slot 1; charger 1: slot 1 only;
    # charger 2: slot 0 only. Slot 0 is cheap grid, slot 1 has 5 kWh of PV.
    result = solve(
        demand=[5.0, 5.0, 5.0],
        arc_cap=[[5.0, 5.0], [0.0, 10.0], [5.0, 0.0]],
        pv_only=[[False, True], [False, False], [False, False]],
        element_cap=([0.0, 5.0], [5.0, 10.0]),
        order=[(0, GRID), (1, PV), (1, GRID)],
        charger_order=[0, 1, 2],
    )
    # charger 0 gives slot 0 to charger 2 and takes the PV; charger 1 moves to the grid
    assert result.energy == ((0.0, 5.0), (0.0, 5.0), (5.0, 0.0))
    assert result.pv == (0.0, 5.0)
    assert result.grid == (5.0, 5.0)


def test_unreachable_elements_are_skipped_and_need_left_is_reported_as_missing() -> None:
    result = solve(
        demand=[10.0],
        arc_cap=[[4.0, 0.0]],
        pv_only=[[False, False]],
        element_cap=([0.0, 0.0], [10.0, 10.0]),
        order=[(1, GRID), (0, GRID)],
        charger_order=[0],
    )
    assert result.energy == ((4.0, 0.0),)
    assert sum(result.grid) == pytest.approx(4.0)
