"""One charger's plan with minimum blocks, the other chargers' load fixed.

Used by ``plan_repair``. A charger's supply is a list of (kWh, price) pieces per slot,
cheapest first: spare PV at the export price, spare grid import at the import price. The
first ``minimum x duration`` kWh of a slot form a *block*, taken whole or not at all and
priced at its average (the tightest convex price of opening the slot); what lies above
the block is divisible. So no plan that comes out of here has a slot below the minimum,
except for the one documented last resort (``BlockPlan.finish``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

TOL: Final = 1e-7
"""kWh below which an amount or a violation does not count."""

LOOKAHEAD: Final = 3
"""Slots the local search tries at each step: the dearest open ones to close, the cheapest
closed ones to open."""

type Pieces = list[tuple[float, float]]
"""(kWh, price) pieces of supply, cheapest first."""


def price_of(pieces: Pieces, amount: float) -> float:
    """Cost of the first ``amount`` kWh of ``pieces`` (as far as they reach)."""
    total = 0.0
    for size, price in pieces:
        step = min(size, amount)
        total += step * price
        amount -= step
        if amount <= TOL:
            break
    return total


def _first(pieces: list[tuple[float, float]], amount: float) -> float | None:
    """Price of the first ``amount`` kWh of (price, kWh) pieces, None if they are too few."""
    total = 0.0
    for price, q in pieces:
        step = min(q, amount)
        total += step * price
        amount -= step
        if amount <= TOL:
            return total
    return None if amount > TOL else total


@dataclass(slots=True)
class Walk:
    """One charger plan under construction: open slots, divisible energy taken, the rest."""

    open: set[int]
    taken: dict[tuple[int, int], float]
    need: float
    partial: dict[int, float] = field(default_factory=dict)
    cost: float = 0.0

    def key(self) -> tuple[float, int, float]:
        """Better plans sort first: less missing, no finish below the minimum, cheaper."""
        return (round(self.need, 6), len(self.partial), self.cost)

    def better_than(self, other: Walk) -> bool:
        """Whether this plan is better than ``other`` by more than rounding."""
        mine, theirs = self.key(), other.key()
        return mine[:2] < theirs[:2] or (mine[:2] == theirs[:2] and mine[2] < theirs[2] - 1e-9)


class BlockPlan:
    """One charger's plan over its own supply pieces, with minimum blocks.

    The first ``minimum[t]`` kWh of a slot form a block that is taken whole or not at all,
    priced at its average cost (the tightest convex price of opening the slot); the pieces
    above it are divisible and only usable in an open slot. A walk takes blocks and pieces
    cheapest first (ties in ``tie`` order), skipping blocks bigger than what is still
    needed; if energy is still missing it opens the block that costs least once the
    dearest divisible energy is trimmed. A local search then bans an open slot or forces
    one of the cheapest closed slots open, re-walks, and keeps the best plan found.
    """

    def __init__(
        self,
        pieces: dict[int, Pieces],
        minimum: dict[int, float],
        keep: set[int],
        tie: Sequence[int],
    ) -> None:
        self.pieces = pieces
        self.tie = tie
        self.block: dict[int, float] = {}
        self.block_cost: dict[int, float] = {}
        self.rest: dict[int, Pieces] = {}
        self.always: set[int] = set()
        for t, slot_pieces in pieces.items():
            size = minimum[t]
            if sum(q for q, _ in slot_pieces) < size - TOL:
                continue  # cannot run at the minimum here
            cost, left, rest = 0.0, size, []
            for q, price in slot_pieces:
                take = min(q, max(0.0, left))
                cost += take * price
                left -= take
                if q - take > TOL:
                    rest.append((q - take, price))
            self.block[t], self.block_cost[t], self.rest[t] = size, cost, rest
            if size <= TOL or t in keep:
                self.always.add(t)
        average = {t: self.block_cost[t] / self.block[t] for t in self.block if self.block[t] > TOL}
        # a block sorts before its own pieces even when rounding puts its average above them
        self.items = sorted(
            [(average[t], tie[t], t, -1) for t in self.block if t not in self.always]
            + [
                (max(price, average.get(t, price)), tie[t], t, k)
                for t, rest in self.rest.items()
                for k, (_, price) in enumerate(rest)
            ]
        )

    def solve(self, demand: float) -> Walk:
        """The best plan for ``demand`` kWh found by the walk and the local search."""
        forced: frozenset[int] = frozenset()
        banned: frozenset[int] = frozenset()
        best = self.walk(demand, forced, banned)
        for _ in range(len(self.block)):
            closed = sorted(
                (self.block_cost[t] / self.block[t], self.tie[t], t)
                for t in self.block
                if t not in best.open and t not in banned
            )
            dearest = sorted(
                (
                    (-self.block_cost[t] / self.block[t], -self.tie[t], t)
                    for t in best.open - self.always
                ),
            )
            moves = [(forced, banned | {t}) for _, _, t in dearest[:LOOKAHEAD]]
            moves += [(forced | {t}, banned) for _, _, t in closed[:LOOKAHEAD]]
            found = None
            for f, b in moves:
                trial = self.walk(demand, f, b)
                if trial.better_than(best) and (found is None or trial.key() < found[0].key()):
                    found = (trial, f, b)
            if found is None:
                break
            best, forced, banned = found
        return best

    def walk(self, demand: float, forced: frozenset[int], banned: frozenset[int]) -> Walk:
        """Plan ``demand`` with the ``forced`` slots open and the ``banned`` ones closed."""
        state = Walk(self.always | forced, {}, demand)
        state.need -= sum(self.block[t] for t in state.open)
        if state.need < -TOL:
            state.need, state.cost = float("inf"), float("inf")  # the forced blocks overshoot
            return state
        for _, _, t, k in self.items:
            if state.need <= TOL:
                break
            if t in banned:
                continue
            if k < 0 and t not in state.open and self.block[t] <= state.need + TOL:
                state.open.add(t)
                state.need -= self.block[t]
            elif k >= 0 and t in state.open:
                take = min(self.rest[t][k][0], state.need)
                state.taken[t, k] = take
                state.need -= take
        state.need = max(0.0, state.need)
        while state.need > TOL and self.open_best(state, banned):
            pass
        if state.need > TOL:
            self.finish(state, banned)
        blocks = sum(self.block_cost[t] for t in state.open)
        divisible = sum(q * self.rest[t][k][1] for (t, k), q in state.taken.items())
        partial = sum(price_of(self.pieces[t], q) for t, q in state.partial.items())
        state.cost = blocks + divisible + partial
        return state

    def open_best(self, state: Walk, banned: frozenset[int]) -> bool:
        """Open the closed block that costs least once its excess is trimmed; whether one was.

        What the block brings beyond the energy still needed is trimmed from the dearest
        divisible energy; a block that cannot be trimmed that far is not a candidate.
        """
        divisible = sorted(
            ((self.rest[t][k][1], q) for (t, k), q in state.taken.items() if q > TOL),
            reverse=True,
        )
        best = None
        for t in self.block:
            if t in state.open or t in banned:
                continue
            surplus = self.block[t] - state.need
            saving = _first(divisible, surplus) if surplus > 0 else 0.0
            if saving is not None and (
                best is None or (self.block_cost[t] - saving, self.tie[t]) < best[:2]
            ):
                best = (self.block_cost[t] - saving, self.tie[t], t)
        if best is None:
            return False
        t = best[2]
        state.open.add(t)
        surplus = self.block[t] - state.need
        state.need = max(0.0, -surplus)
        dearest = sorted(state.taken, key=lambda k: (-self.rest[k[0]][k[1]][1], -self.tie[k[0]]))
        for key in dearest:
            if surplus <= TOL:
                break
            step = min(state.taken[key], surplus)
            state.taken[key] -= step
            surplus -= step
        return True

    def finish(self, state: Walk, banned: frozenset[int]) -> None:
        """Finish the target in one more slot below the minimum (the car stops when full).

        The last resort when every closed block is bigger than what is still needed and
        none can be trimmed for: the charger runs at its minimum for part of the slot.
        """
        options = [
            (price_of(self.pieces[t], state.need), self.tie[t], t)
            for t in self.block
            if t not in state.open and t not in banned
        ]
        if options:
            state.partial[min(options)[2]] = state.need
            state.need = 0.0

    def energy(self, state: Walk, t: int) -> float:
        """Planned energy in slot ``t``."""
        if t in state.partial:
            return state.partial[t]
        if t not in state.open:
            return 0.0
        return self.block[t] + sum(q for (u, _), q in state.taken.items() if u == t)
