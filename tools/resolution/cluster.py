"""Clustering for entity resolution: union-find over scored edges, with cannot-link constraints.

Edges are applied strongest first (ties broken by ids), so the result does not depend on input order.
A union is refused when it would join two different concrete types or two records the user split.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

log = logging.getLogger(__name__)

GENERIC_TYPES = frozenset({"", "entity", "other", "misc", "unknown", "thing"})


def types_compatible(a: str, b: str) -> bool:
    """Return whether two entity types may denote the same entity (equal, or one is generic)."""
    return a == b or a.casefold() in GENERIC_TYPES or b.casefold() in GENERIC_TYPES


@dataclass(frozen=True)
class Edge:
    """A scored link between two records; ``a < b``."""

    a: str
    b: str
    score: float
    reason: str


@dataclass(frozen=True)
class Cluster:
    """A resolved entity: its member record ids (sorted) and the edges that joined them."""

    members: tuple[str, ...]
    edges: tuple[Edge, ...] = ()


def cluster(
    ids: Iterable[str],
    edges: Iterable[Edge],
    types: dict[str, str],
    cannot_link: Iterable[frozenset[str]] = (),
) -> list[Cluster]:
    """Cluster ``ids`` by union-find over ``edges``, strongest first, honouring the constraints.

    A union is refused when it would put two members of one ``cannot_link`` set together, or two
    different concrete (non-generic) types.
    """
    parent = {i: i for i in ids}
    members = {i: {i} for i in parent}
    concrete = {
        i: ({types[i]} if types.get(i, "").casefold() not in GENERIC_TYPES else set()) for i in parent
    }
    forbidden: dict[str, set[str]] = {i: set() for i in parent}
    for group in cannot_link:
        for i in group & parent.keys():
            forbidden[i] |= group - {i}
    kept: dict[str, list[Edge]] = {i: [] for i in parent}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for edge in sorted(edges, key=lambda e: (-e.score, e.a, e.b)):
        ra, rb = find(edge.a), find(edge.b)
        if ra == rb:
            continue
        if len(concrete[ra] | concrete[rb]) > 1 or forbidden[ra] & members[rb]:
            log.debug("refused %s: %s", edge, "type conflict or user split")
            continue
        if len(members[ra]) < len(members[rb]) or (len(members[ra]) == len(members[rb]) and ra > rb):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra] |= members.pop(rb)
        concrete[ra] |= concrete.pop(rb)
        forbidden[ra] |= forbidden.pop(rb)
        kept[ra] += [*kept.pop(rb), edge]
    return sorted(
        (
            Cluster(tuple(sorted(m)), tuple(sorted(kept[r], key=lambda e: (e.a, e.b))))
            for r, m in members.items()
        ),
        key=lambda c: c.members,
    )
