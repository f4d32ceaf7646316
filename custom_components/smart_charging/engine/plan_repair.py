"""Minimum-power repair: every charger charges at least its minimum in a slot, or not at all.

The continuous optimum may leave a charger with a sliver of energy in a slot (the last
marginal slot, a PV surplus below the minimum, the rest of a shared fuse). The repair
goes through the chargers, most constrained first, with the other chargers held fixed:

1. **Swap** (free): another charger in the same slot takes the sliver, or gives up enough
   to lift it to the minimum, and the two trade the same energy back in other slots;
   every slot's total, and so the cost, stays the same.
2. **Re-plan** the charger alone (``plan_blocks.BlockPlan``): with the others fixed its supply is a
   list of pieces per slot (spare PV at the export price, spare grid import at the import
   price). The first ``minimum x duration`` kWh of a slot become one block, taken whole
   or not at all and priced at its average; the rest is divisible. A greedy walk takes
   blocks and pieces cheapest first, then a local search opens, closes and swaps slots
   while that lowers the cost. No sliver can come out of it.

A second pass re-plans every charger once more (earlier decisions may have freed PV or
room) and keeps a new plan only if it delivers more, or the same for less.

One exception to the rule: when the energy still needed is smaller than every block left
(a 3 kWh top-up with 1-hour slots and a 4.14 kW minimum), the charger may finish in one
slot below its minimum average power: it runs at its minimum for part of the slot and the
car stops when full. Without it such a target would be reported unreachable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .plan_blocks import TOL, BlockPlan, Pieces, price_of


def slot_split(
    full: float, pv_only: float, pv_cap: float, grid_cap: float, pv_first: bool
) -> tuple[float, float]:
    """How much of a slot's load comes from PV and how much from the grid.

    ``pv_only`` is load that may only use PV; ``full`` takes the cheaper supply first
    (``pv_first``) and the other one for the rest.
    """
    if pv_first:
        pv_full = min(full, max(0.0, pv_cap - pv_only))
        return pv_only + pv_full, full - pv_full
    grid = min(full, grid_cap)
    return pv_only + full - grid, grid


@dataclass(frozen=True, slots=True)
class RepairProblem:
    """A continuous plan and the data needed to repair it (energies in kWh).

    ``pv_price`` and ``grid_price`` are the per-kWh decision costs of each slot's supply.
    ``locked`` marks a running slot kept from the previous plan: left as it is.
    ``demand`` is each charger's target. ``tie`` ranks the slots for equal prices (lower
    first), the same order the flow uses.
    """

    pv_cap: Sequence[float]
    grid_cap: Sequence[float]
    pv_price: Sequence[float]
    grid_price: Sequence[float]
    arc_cap: Sequence[Sequence[float]]
    pv_only: Sequence[Sequence[bool]]
    min_energy: Sequence[Sequence[float]]
    locked: Sequence[Sequence[bool]]
    demand: Sequence[float]
    tie: Sequence[int]
    energy: list[list[float]]


class _Repair:
    def __init__(self, problem: RepairProblem) -> None:
        self.p = problem
        slots = range(len(problem.pv_cap))
        self.pv_first = [problem.pv_price[t] <= problem.grid_price[t] for t in slots]
        self.changes = 0  # energy changes made so far, to tell whether anything moved
        self.full = [0.0 for _ in slots]
        self.pvo = [0.0 for _ in slots]
        for i, row in enumerate(problem.energy):
            for t, value in enumerate(row):
                if problem.pv_only[i][t]:
                    self.pvo[t] += value
                else:
                    self.full[t] += value

    def pieces(self, i: int, t: int) -> Pieces:
        """(kWh, price) pieces of supply charger ``i`` could draw in slot ``t``, cheapest first.

        The slot's other load is fixed; the charger's own load is left out.
        """
        p = self.p
        own = p.energy[i][t]
        full, pvo = self.full[t], self.pvo[t]
        if p.pv_only[i][t]:
            pvo -= own
        else:
            full -= own
        pv_used, grid_used = slot_split(full, pvo, p.pv_cap[t], p.grid_cap[t], self.pv_first[t])
        pv_free = max(0.0, p.pv_cap[t] - pv_used)
        grid_free = max(0.0, p.grid_cap[t] - grid_used)
        pv_piece = (pv_free, p.pv_price[t])
        if p.pv_only[i][t]:
            # more PV-only load pushes the other chargers' PV share onto the grid
            pieces = [pv_piece, (min(pv_used - pvo, grid_free), p.grid_price[t])]
        elif self.pv_first[t]:
            pieces = [pv_piece, (grid_free, p.grid_price[t])]
        else:
            pieces = [(grid_free, p.grid_price[t]), pv_piece]
        out = []
        limit = p.arc_cap[i][t]
        for size, price in pieces:
            take = min(size, limit)
            if take > TOL:
                out.append((take, price))
                limit -= take
        return out

    def valid(self, i: int, t: int, value: float) -> bool:
        """Whether charger ``i`` may draw ``value`` in slot ``t`` (0, or min..max)."""
        p = self.p
        return abs(value) <= TOL or (
            p.min_energy[i][t] - TOL <= value <= p.arc_cap[i][t] + TOL and not p.pv_only[i][t]
        )

    def swap(self, giver: int, taker: int, t: int, amount: float) -> bool:
        """Move ``amount`` from ``giver`` to ``taker`` in slot ``t`` and back elsewhere.

        Slot totals do not change, so neither does the cost. Returns whether it worked.
        """
        x = self.p.energy
        if not (
            self.valid(giver, t, x[giver][t] - amount)
            and self.valid(taker, t, x[taker][t] + amount)
        ):
            return False
        back: dict[int, float] = {}
        left = amount
        for s in reversed(range(len(x[taker]))):
            have = x[taker][s]
            if s == t or have <= TOL or self.p.locked[taker][s] or left <= TOL:
                continue
            step = min(left, have if have <= left else have - self.p.min_energy[taker][s])
            if (
                step > TOL
                and self.valid(taker, s, have - step)
                and self.valid(giver, s, x[giver][s] + step)
            ):
                back[s] = step
                left -= step
        if left > TOL:
            return False
        x[giver][t] -= amount
        x[taker][t] += amount
        for s, step in back.items():
            x[giver][s] += step
            x[taker][s] -= step
        self.changes += 1
        return True

    def slivers(self, i: int, energy: Sequence[float], keep: set[int]) -> list[tuple[float, int]]:
        """(fraction of the minimum, slot) of every sliver of charger ``i``."""
        p = self.p
        return [
            (value / p.min_energy[i][t], t)
            for t, value in enumerate(energy)
            if TOL < value < p.min_energy[i][t] - TOL and t not in keep
        ]

    def charger(self, i: int, order: Sequence[int]) -> None:
        """Remove every sliver of charger ``i``: free swaps first, then a re-plan."""
        p = self.p
        others = [j for j in order if j != i]
        keep = self.kept(i)
        for _, t in sorted(self.slivers(i, p.energy[i], keep), reverse=True):
            value = p.energy[i][t]
            if not TOL < value < p.min_energy[i][t] - TOL:
                continue  # an earlier swap already fixed it
            if not any(self.swap(i, j, t, value) for j in others):
                any(self.swap(j, i, t, p.min_energy[i][t] - value) for j in others)
        if self.slivers(i, p.energy[i], keep):
            self.replan(i, must=True)

    def kept(self, i: int) -> set[int]:
        """Slots of charger ``i`` kept from the previous plan."""
        return {t for t, locked in enumerate(self.p.locked[i]) if locked}

    def replan(self, i: int, *, must: bool) -> None:
        """Re-plan charger ``i`` alone, the others fixed, with whole minimum blocks.

        Unless ``must``, the new plan is only taken when it delivers more, or the same for
        less.
        """
        p = self.p
        keep = self.kept(i)
        count = len(p.pv_cap)
        pieces = {t: self.pieces(i, t) for t in range(count) if p.arc_cap[i][t] > TOL}
        minimum = {t: max(p.min_energy[i][t], p.energy[i][t] if t in keep else 0.0) for t in pieces}
        plan = BlockPlan(pieces, minimum, keep, p.tie)
        best = plan.solve(p.demand[i])
        energy = [plan.energy(best, t) for t in range(count)]
        if not must:
            before, after = sum(p.energy[i]), sum(energy)
            cost = sum(
                price_of(pieces[t], value) for t, value in enumerate(p.energy[i]) if value > TOL
            )
            if not (after > before + TOL or (after >= before - TOL and best.cost < cost - 1e-9)):
                return
        for t, value in enumerate(energy):
            self.set(i, t, value)

    def set(self, i: int, t: int, value: float) -> None:
        """Change charger ``i``'s energy in slot ``t``, keeping the slot loads in step."""
        p = self.p
        value = value if value > TOL else 0.0
        delta = value - p.energy[i][t]
        if abs(delta) > TOL:
            self.changes += 1
        if p.pv_only[i][t]:
            self.pvo[t] += delta
        else:
            self.full[t] += delta
        p.energy[i][t] = value


def repair(problem: RepairProblem, order: Sequence[int]) -> None:
    """Repair ``problem.energy`` in place, chargers in ``order`` (most constrained first)."""
    fixer = _Repair(problem)
    seen = {}
    for i in order:
        fixer.charger(i, order)
        seen[i] = fixer.changes
    for i in order:
        # worth another look only if another charger changed something since
        if fixer.changes != seen[i] and any(value > TOL for value in problem.min_energy[i]):
            fixer.replan(i, must=False)
