"""Exact min-cost solver for the planner's continuous problem (pure Python).

The network: each charger ``i`` has a supply (its energy need) and an arc to every slot
``t`` it may use, capped at ``max power x duration``. A fully allowed pair goes into the
slot node, which feeds two *elements*: the slot's PV surplus (capped by the forecast) and
its grid import (capped by the site capacity). A PV-only pair (price limit) goes straight
into the PV element. Each element carries one price per kWh, so the cost depends only on
how much flows through each element.

The set of element-flow vectors that a feasible flow can produce is a polymatroid (flows
from sources into a set of terminal arcs; Megiddo 1974), so a minimum-cost maximum flow
is found greedily: take the elements cheapest first and push as much as possible into
each (``f(S + e) - f(S)``) with augmenting paths that never reduce an earlier element's
flow. That is exact for any linear cost, negative prices included, and the processing
order *is* the tie-breaking rule. Two facts keep it fast: most augmentations are direct
(a charger with need left that may use the slot), and a node from which no charger with
need left is reachable stays unreachable for the rest of the run (augmenting only adds
residual arcs between nodes that were reachable), so every failed search retires the
nodes it saw for good.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

EPS: Final = 1e-9
"""Flows and capacities below this many kWh count as zero."""

PV: Final = 0
GRID: Final = 1


@dataclass(frozen=True, slots=True)
class FlowResult:
    """Energy per charger per slot, and per slot from PV and from the grid (kWh)."""

    energy: tuple[tuple[float, ...], ...]
    pv: tuple[float, ...]
    grid: tuple[float, ...]


class _Network:
    """Residual network; node ids: chargers, then slots, then PV and grid elements."""

    def __init__(
        self,
        demand: Sequence[float],
        arc_cap: Sequence[Sequence[float]],
        pv_only: Sequence[Sequence[bool]],
        element_cap: tuple[Sequence[float], Sequence[float]],
        charger_order: Sequence[int],
    ) -> None:
        self.n = n = len(demand)
        self.t = t_count = len(element_cap[PV])
        self.rest = [max(0.0, d) for d in demand]
        self.total = sum(self.rest)
        self.cap = arc_cap
        self.pv_only = pv_only
        self.element_cap = element_cap
        self.x = [[0.0] * t_count for _ in range(n)]
        self.active: list[dict[int, None]] = [{} for _ in range(n)]
        self.full_at = [
            [i for i in charger_order if arc_cap[i][t] > EPS and not pv_only[i][t]]
            for t in range(t_count)
        ]
        self.pv_only_at = [
            [i for i in charger_order if arc_cap[i][t] > EPS and pv_only[i][t]]
            for t in range(t_count)
        ]
        self.to_element = ([0.0] * t_count, [0.0] * t_count)
        self.flow = ([0.0] * t_count, [0.0] * t_count)
        self.dead = bytearray(n + 3 * t_count)

    def unserved(self) -> float:
        """Demand not yet routed (kWh)."""
        return self.total

    def predecessors(self, v: int) -> list[int]:
        """Nodes ``w`` with a residual arc ``w -> v``."""
        n, t_count = self.n, self.t
        if v < n:
            return [n + t_count + t if self.pv_only[v][t] else n + t for t in self.active[v]]
        if v < n + t_count:
            t = v - n
            nodes = [i for i in self.full_at[t] if self.x[i][t] < self.cap[i][t] - EPS]
            if self.to_element[PV][t] > EPS:
                nodes.append(n + t_count + t)
            if self.to_element[GRID][t] > EPS:
                nodes.append(n + 2 * t_count + t)
            return nodes
        if v < n + 2 * t_count:
            t = v - n - t_count
            nodes = [i for i in self.pv_only_at[t] if self.x[i][t] < self.cap[i][t] - EPS]
            nodes.append(n + t)
            return nodes
        return [v - 2 * t_count]

    def residual(self, a: int, b: int) -> float:
        """Residual capacity of the arc ``a -> b`` (kWh)."""
        n, t_count = self.n, self.t
        if a < n:
            t = (b - n) % t_count
            return self.cap[a][t] - self.x[a][t]
        if b < n:
            t = (a - n) % t_count
            return self.x[b][t]
        if a < n + t_count:
            return float("inf")
        return self.to_element[(a - n) // t_count - 1][a - n - ((a - n) // t_count) * t_count]

    def push(self, a: int, b: int, amount: float) -> None:
        """Send ``amount`` along the residual arc ``a -> b``."""
        n, t_count = self.n, self.t
        if a < n:
            t = (b - n) % t_count
            self.x[a][t] += amount
            self.active[a][t] = None
        elif b < n:
            t = (a - n) % t_count
            self.x[b][t] -= amount
            if self.x[b][t] <= EPS:
                del self.active[b][t]
        elif a < n + t_count:
            self.to_element[(b - n) // t_count - 1][a - n] += amount
        else:
            self.to_element[(a - n) // t_count - 1][b - n] -= amount

    def find_path(self, target: int) -> list[int] | None:
        """Shortest residual path from a charger with need left to ``target``, or None."""
        n, rest, dead = self.n, self.rest, self.dead
        toward = {target: target}
        queue = deque((target,))
        while queue:
            v = queue.popleft()
            for w in self.predecessors(v):
                if w in toward or dead[w]:
                    continue
                toward[w] = v
                if w < n and rest[w] > EPS:
                    path = [w]
                    while path[-1] != target:
                        path.append(toward[path[-1]])
                    return path
                queue.append(w)
        for node in toward:
            dead[node] = 1
        return None

    def fill(self, segment: int, t: int) -> None:
        """Push as much as possible into one element."""
        target = self.n + (1 + segment) * self.t + t
        cap = self.element_cap[segment][t]
        flow = self.flow[segment]
        while cap - flow[t] > EPS and not self.dead[target]:
            path = self.find_path(target)
            if path is None:
                return
            amount = min(self.rest[path[0]], cap - flow[t])
            for a, b in pairwise(path):
                amount = min(amount, self.residual(a, b))
            for a, b in pairwise(path):
                self.push(a, b, amount)
            self.rest[path[0]] -= amount
            self.total -= amount
            flow[t] += amount


def solve(  # noqa: PLR0917 - the six arrays of one network
    demand: Sequence[float],
    arc_cap: Sequence[Sequence[float]],
    pv_only: Sequence[Sequence[bool]],
    element_cap: tuple[Sequence[float], Sequence[float]],
    order: Sequence[tuple[int, int]],
    charger_order: Sequence[int],
) -> FlowResult:
    """Minimum-cost maximum flow, elements taken in ``order`` (cheapest first).

    ``demand[i]`` is charger ``i``'s need (kWh); ``arc_cap[i][t]`` what it may take in slot
    ``t`` (kWh, 0 where not allowed); ``pv_only[i][t]`` restricts that to PV surplus.
    ``element_cap`` holds the PV and grid energy per slot (kWh). ``order`` lists the
    elements ``(slot, PV or GRID)`` by ascending price, ties already broken; the result
    has the maximum total flow and, among those, the minimum cost. ``charger_order``
    decides which charger a slot goes to when several could take it (no effect on cost).
    """
    net = _Network(demand, arc_cap, pv_only, element_cap, charger_order)
    for t, segment in order:
        if net.unserved() <= EPS:
            break
        net.fill(segment, t)
    return FlowResult(
        energy=tuple(tuple(v if v > EPS else 0.0 for v in row) for row in net.x),
        pv=tuple(net.flow[PV]),
        grid=tuple(net.flow[GRID]),
    )
