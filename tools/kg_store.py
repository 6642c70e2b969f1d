"""Persist knowledge graphs in the workspace's SQLite.

Document graphs (one per document, written by the extraction graph) are the source of truth;
the collection graph (entity resolution across documents) is derived from them and may be rebuilt.
``load_graph`` returns the collection graph when one was built, else the union of document graphs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from factloom.ingest.workspace import Workspace
from factloom.tools.kg import Entity, Evidence, Mention, Relation

DDL = """
CREATE TABLE IF NOT EXISTS doc_entities (
    entity_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    aliases TEXT NOT NULL,
    mentions TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS doc_entities_doc ON doc_entities(doc_id);
CREATE TABLE IF NOT EXISTS doc_relations (
    relation_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    head TEXT NOT NULL,
    type TEXT NOT NULL,
    tail TEXT NOT NULL,
    confidence REAL NOT NULL,
    reasoning TEXT NOT NULL,
    evidence TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS doc_relations_doc ON doc_relations(doc_id);
"""


def ensure(ws: Workspace) -> None:
    """Create the knowledge-graph tables of ``ws`` if missing."""
    ws.ensure_tables(DDL)


def save_document_graph(
    ws: Workspace, doc_id: str, entities: list[Entity], relations: list[Relation]
) -> None:
    """Replace the stored graph of one document atomically."""
    ensure(ws)
    with ws.transaction() as db:
        db.execute("DELETE FROM doc_entities WHERE doc_id = ?", (doc_id,))
        db.execute("DELETE FROM doc_relations WHERE doc_id = ?", (doc_id,))
        db.executemany(
            "INSERT INTO doc_entities VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    e.entity_id,
                    doc_id,
                    e.name,
                    e.type,
                    json.dumps(e.aliases),
                    json.dumps([m.model_dump() for m in e.mentions]),
                )
                for e in entities
            ],
        )
        db.executemany(
            "INSERT INTO doc_relations VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.relation_id,
                    doc_id,
                    r.head,
                    r.type,
                    r.tail,
                    r.confidence,
                    r.reasoning,
                    json.dumps([ev.model_dump() for ev in r.evidence]),
                )
                for r in relations
            ],
        )


def _entity(row: object) -> Entity:
    return Entity(
        entity_id=row["entity_id"],
        name=row["name"],
        type=row["type"],
        aliases=json.loads(row["aliases"]),
        mentions=[Mention.model_validate(m) for m in json.loads(row["mentions"])],
    )


def _relation(row: object) -> Relation:
    return Relation(
        relation_id=row["relation_id"],
        head=row["head"],
        type=row["type"],
        tail=row["tail"],
        confidence=row["confidence"],
        reasoning=row["reasoning"],
        evidence=[Evidence.model_validate(e) for e in json.loads(row["evidence"])],
    )


def load_document_graph(ws: Workspace, doc_id: str) -> tuple[list[Entity], list[Relation]]:
    """Return the stored entities and relations of one document (ordered by id)."""
    ensure(ws)
    ents = ws.db.execute("SELECT * FROM doc_entities WHERE doc_id = ? ORDER BY entity_id", (doc_id,))
    rels = ws.db.execute("SELECT * FROM doc_relations WHERE doc_id = ? ORDER BY relation_id", (doc_id,))
    return [_entity(r) for r in ents], [_relation(r) for r in rels]


def iter_document_graphs(ws: Workspace) -> Iterator[tuple[str, list[Entity], list[Relation]]]:
    """Yield ``(doc_id, entities, relations)`` for every document with a stored graph."""
    ensure(ws)
    doc_ids = [r[0] for r in ws.db.execute("SELECT DISTINCT doc_id FROM doc_entities ORDER BY doc_id")]
    for doc_id in doc_ids:
        yield (doc_id, *load_document_graph(ws, doc_id))


def load_graph(ws: Workspace) -> tuple[list[Entity], list[Relation]]:
    """Return the graph users see: the union of the document graphs.

    The collection-merge step replaces this with the resolved collection graph once it exists.
    """
    from factloom.tools.collection import load_collection_graph  # the collection layer imports this module

    collection = load_collection_graph(ws)
    if collection is not None:
        return collection
    entities: list[Entity] = []
    relations: list[Relation] = []
    for _doc_id, ents, rels in iter_document_graphs(ws):
        entities.extend(ents)
        relations.extend(rels)
    return entities, relations
