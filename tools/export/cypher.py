"""Parameterised Cypher shared by the graph-database sinks (FalkorDB, Neo4j).

Every value travels as a query parameter (``$rows``); only labels and relationship types, which
Cypher cannot take as parameters, are written into the query, and only after being reduced to
``[A-Za-z0-9_]`` and wrapped in backticks. The original type names are also stored as properties.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from factloom.tools.extraction.kg import Entity, Relation

BATCH = 1000
_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True)
class LoadResult:
    """What a sink loaded."""

    target: str
    nodes: int
    edges: int


def identifier(name: str, fallback: str) -> str:
    """Return ``name`` as a backticked Cypher identifier made only of letters, digits and ``_``."""
    ident = _NOT_IDENT.sub("_", name).strip("_") or fallback
    if ident[0].isdigit():
        ident = "_" + ident
    return f"`{ident}`"


@dataclass(frozen=True)
class Statement:
    """One parameterised query and the rows it runs over (in batches of ``BATCH``)."""

    query: str
    rows: list[dict[str, Any]]

    def batches(self) -> Iterator[dict[str, Any]]:
        """Yield the parameters of each batch: ``{"rows": [...]}``."""
        for start in range(0, len(self.rows), BATCH):
            yield {"rows": self.rows[start : start + BATCH]}


def entity_row(e: Entity) -> dict[str, Any]:
    """Return the node properties of an entity (flat: strings, numbers and lists of strings)."""
    return {
        "id": e.entity_id,
        "name": e.name,
        "type": e.type,
        "aliases": list(e.aliases),
        "mentions": len(e.mentions),
        "docs": sorted({m.doc_id for m in e.mentions}),
    }


def relation_row(r: Relation) -> dict[str, Any]:
    """Return the edge properties of a relation; the full evidence is a JSON string property.

    ``status`` (verified / unverified), ``agent`` and ``rationale`` say how the relation was checked;
    ``methods`` and ``scores`` how each quote (same order as ``quotes``) was grounded.
    """
    return {
        "id": r.relation_id,
        "head": r.head,
        "tail": r.tail,
        "type": r.type,
        "status": r.status,
        "agent": r.agent,
        "confidence": r.confidence,
        "reasoning": r.reasoning,
        "rationale": r.rationale,
        "docs": [ev.doc_id for ev in r.evidence],
        "pages": [ev.page for ev in r.evidence],
        "quotes": [ev.quote for ev in r.evidence],
        "methods": [ev.method for ev in r.evidence],
        "scores": [float(ev.score) for ev in r.evidence],
        "evidence": json.dumps([ev.model_dump() for ev in r.evidence], ensure_ascii=False),
    }


def statements(entities: list[Entity], relations: list[Relation]) -> list[Statement]:
    """Return the MERGE statements that load the graph: nodes by type, then edges by type."""
    nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in entities:
        nodes[identifier(e.type, "Thing")].append(entity_row(e))
    edges: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in relations:
        edges[identifier(r.type, "RELATED_TO")].append(relation_row(r))
    out = [
        Statement(
            f"UNWIND $rows AS row MERGE (e:Entity:{label} {{id: row.id}}) "
            "SET e.name = row.name, e.type = row.type, e.aliases = row.aliases, "
            "e.mentions = row.mentions, e.docs = row.docs",
            rows,
        )
        for label, rows in sorted(nodes.items())
    ]
    out += [
        Statement(
            "UNWIND $rows AS row MATCH (h:Entity {id: row.head}) MATCH (t:Entity {id: row.tail}) "
            f"MERGE (h)-[r:{rel_type} {{id: row.id}}]->(t) "
            "SET r.type = row.type, r.status = row.status, r.agent = row.agent, "
            "r.confidence = row.confidence, r.reasoning = row.reasoning, r.rationale = row.rationale, "
            "r.docs = row.docs, r.pages = row.pages, r.quotes = row.quotes, r.methods = row.methods, "
            "r.scores = row.scores, r.evidence = row.evidence",
            rows,
        )
        for rel_type, rows in sorted(edges.items())
    ]
    return out
