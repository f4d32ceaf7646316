"""Water-filling and admission: the numeric core of sharing, on hand-made resources."""

from __future__ import annotations

import pytest

from custom_components.smart_charging.engine.sharing import (
    OWN_CAP,
    Claim,
    consume,
    first_violation,
    room,
    water_fill,
)


def _claim(floor: float, cap: float, *uses: int, weight: float = 1.0) -> Claim:
    return Claim(floor, cap, weight, tuple((r, 1.0) for r in uses))


@pytest.mark.parametrize(
    ("name", "caps", "claims", "expected"),
    [
        (
            "equal split of one resource",
            [20.0],
            [_claim(0, 16, 0), _claim(0, 16, 0)],
            [(10.0, 0), (10.0, 0)],
        ),
        (
            "a small cap frees room for the other",
            [20.0],
            [_claim(0, 4, 0), _claim(0, 32, 0)],
            [(4.0, OWN_CAP), (16.0, 0)],
        ),
        (
            "weights scale the share",
            [30.0],
            [_claim(0, 32, 0, weight=2.0), _claim(0, 32, 0, weight=1.0)],
            [(20.0, 0), (10.0, 0)],
        ),
        (
            "floors hold until the level passes them (caps are after floors)",
            [14.0],
            [_claim(6, 32, 0), _claim(0, 32, 0)],
            [(10.0, 0), (10.0, 0)],
        ),
        (
            "a floor above the fair level stays at its floor",
            [2.0],
            [_claim(8, 32, 0), _claim(0, 32, 0)],
            [(8.0, 0), (2.0, 0)],
        ),
        (
            "two levels: a tight sub-circuit freezes first",
            [40.0, 10.0],
            [_claim(0, 32, 0, 1), _claim(0, 32, 0, 1), _claim(0, 32, 0)],
            [(5.0, 1), (5.0, 1), (30.0, 0)],
        ),
        (
            "nothing to share",
            [0.0],
            [_claim(0, 16, 0)],
            [(0.0, 0)],
        ),
        (
            "a claim without room above its floor is done at once",
            [10.0],
            [_claim(6, 6, 0), _claim(0, 16, 0)],
            [(6.0, OWN_CAP), (10.0, 0)],
        ),
    ],
)
def test_water_fill(
    name: str, caps: list[float], claims: list[Claim], expected: list[tuple[float, int]]
) -> None:
    got = water_fill(claims, caps)
    assert [(pytest.approx(v), b) for v, b in expected] == got, name


def test_water_fill_deducts_only_increments() -> None:
    # 20 A and 100 A before the 6 A floor was admitted: 14 A and 94 A are left.
    caps = [14.0, 94.0]
    water_fill([_claim(6, 16, 0, 1), _claim(0, 16, 0)], caps)
    # Shared 10/10: the first claim took 4 A above its floor, the second 10 A.
    assert caps == [pytest.approx(0.0), pytest.approx(90.0)]


def test_water_fill_power_coefficients() -> None:
    # A 3-phase charger uses 690 W per A of a 6.9 kW power limit; a 1-phase one 230 W.
    caps = [6900.0]
    claims = [
        Claim(0.0, 32.0, 1.0, ((0, 690.0),)),
        Claim(0.0, 32.0, 1.0, ((0, 230.0),)),
    ]
    (three, bound3), (one, bound1) = water_fill(claims, caps)
    assert three == pytest.approx(7.5)
    assert one == pytest.approx(7.5)
    assert bound3 == bound1 == 0


def test_water_fill_batches_many_equal_claims() -> None:
    caps = [100.0 - 10 * 6.0]
    claims = [_claim(6, 16, 0) for _ in range(10)]
    assert [v for v, _ in water_fill(claims, caps)] == [pytest.approx(10.0)] * 10


def test_admission_helpers() -> None:
    caps = [10.0, 5.0]
    uses = ((0, 1.0), (1, 1.0))
    assert first_violation(uses, 5.0, caps) == OWN_CAP
    assert first_violation(uses, 6.0, caps) == 1
    assert room(uses, caps) == 5.0
    consume(uses, 5.0, caps)
    assert caps == [5.0, 0.0]
    assert room(uses, [-1.0, 3.0]) == 0.0
