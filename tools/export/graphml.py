"""GraphML export (networkx): one node per entity, one edge per relation, evidence as a JSON attribute.

Edges carry ``status`` (verified / unverified), the proposing ``agent``, the verifier's ``rationale`` and
the grounding ``methods`` of their quotes (space-separated, in evidence order); each evidence object in
``evidence`` holds its ``method`` and ``score``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from factloom.tools.extraction.kg import Entity, Relation


def to_networkx(entities: Sequence[Entity], relations: Sequence[Relation]):  # -> networkx.MultiDiGraph
    """Return the graph as a ``networkx.MultiDiGraph`` with GraphML-safe (scalar) attributes."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    for e in entities:
        graph.add_node(
            e.entity_id,
            name=e.name,
            type=e.type,
            aliases=json.dumps(e.aliases, ensure_ascii=False),
            mentions=len(e.mentions),
            docs=" ".join(sorted({m.doc_id for m in e.mentions})),
        )
    for r in relations:
        graph.add_edge(
            r.head,
            r.tail,
            key=r.relation_id,
            type=r.type,
            status=r.status,
            agent=r.agent,
            confidence=float(r.confidence),
            reasoning=r.reasoning,
            rationale=r.rationale,
            methods=" ".join(ev.method for ev in r.evidence),
            docs=" ".join(ev.doc_id for ev in r.evidence),
            evidence=json.dumps([ev.model_dump() for ev in r.evidence], ensure_ascii=False),
        )
    return graph


def write(entities: Sequence[Entity], relations: Sequence[Relation], out: TextIO) -> int:
    """Write the graph to ``out`` as GraphML; return the number of nodes and edges written."""
    import networkx as nx

    for line in nx.generate_graphml(to_networkx(entities, relations), encoding="utf-8"):
        out.write(line + "\n")
    return len(entities) + len(relations)
