"""The circuit tree as numbered nodes: node 0 is the main fuse, circuits follow.

A charger's *path* lists the nodes its current flows through, from its own circuit up to
the main fuse; every limit on that path applies to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .model import CircuitConfig

SITE_NODE: Final = 0


@dataclass(frozen=True, slots=True)
class CircuitTree:
    """Circuits numbered 1..n in settings order, with each node's path to the main fuse."""

    circuits: tuple[CircuitConfig, ...]
    node_of: dict[str, int]
    paths: tuple[tuple[int, ...], ...]

    @classmethod
    def build(cls, circuits: tuple[CircuitConfig, ...]) -> CircuitTree:
        """Number the circuits and resolve each one's path (settings are pre-validated)."""
        node_of = {c.id: index + 1 for index, c in enumerate(circuits)}
        paths: list[tuple[int, ...]] = [(SITE_NODE,)]
        for circuit in circuits:
            path = [node_of[circuit.id]]
            parent = circuit.parent_id
            while parent is not None:
                path.append(node_of[parent])
                parent = circuits[node_of[parent] - 1].parent_id
            path.append(SITE_NODE)
            paths.append(tuple(path))
        return cls(circuits, node_of, tuple(paths))

    @property
    def node_count(self) -> int:
        """Number of nodes, the main fuse included."""
        return len(self.paths)

    def path(self, circuit_id: str | None) -> tuple[int, ...]:
        """Nodes from a charger's circuit (None: the main fuse) up to the main fuse."""
        if circuit_id is None:
            return self.paths[SITE_NODE]
        return self.paths[self.node_of[circuit_id]]

    def circuit(self, node: int) -> CircuitConfig:
        """The circuit behind a node other than the main fuse."""
        return self.circuits[node - 1]
