"""Persist knowledge graphs in the workspace's SQLite.

Document graphs (one per document, written by the extraction graph) are the source of truth;
the collection graph (entity resolution across documents) is derived from them and may be rebuilt.
``load_graph`` returns the collection graph when one was built, else the union of document graphs.

This module owns the row encoding of entities and relations (``entity_values``, ``relation_values``,
``relation_from_row``...): every table that stores them (``doc_*`` here, ``coll_*`` in
``tools.collection_log``, ``qx_*`` in ``tools.graph_index``) goes through it, and
``add_relation_columns`` brings a relation table of an older workspace up to date.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator, Sequence

from factloom.ingest.workspace import Workspace
from factloom.tools.kg import Entity, Evidence, Mention, Relation
from factloom.tools.review import without_rejected

log = logging.getLogger(__name__)

ENTITY_FIELDS = ("entity_id", "name", "type", "aliases", "mentions")
RELATION_FIELDS = (
    "relation_id",
    "head",
    "type",
    "tail",
    "confidence",
    "reasoning",
    "evidence",
    "status",
    "agent",
    "rationale",
)
ADDED_RELATION_COLUMNS = (
    ("status", "TEXT NOT NULL DEFAULT 'unverified'"),
    ("agent", "TEXT NOT NULL DEFAULT ''"),
    ("rationale", "TEXT NOT NULL DEFAULT ''"),
)
"""Relation columns newer than the first workspaces; older rows read as unverified, agent and rationale empty.

Evidence is stored as JSON, so quotes stored before grounding methods were recorded read with the
``Evidence`` defaults (method ``exact``, score 100): they were only ever grounded exactly then.
"""

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
    evidence TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'unverified',
    agent TEXT NOT NULL DEFAULT '',
    rationale TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS doc_relations_doc ON doc_relations(doc_id);
"""


def ensure(ws: Workspace) -> None:
    """Create the knowledge-graph tables of ``ws`` if missing, and add columns an older workspace lacks."""
    ws.ensure_tables(DDL)
    add_relation_columns(ws, "doc_relations")


def add_relation_columns(ws: Workspace, table: str) -> bool:
    """Add the ``ADDED_RELATION_COLUMNS`` that ``table`` lacks (a migration); return True if any was added."""
    have = {row[1] for row in ws.db.execute(f"PRAGMA table_info({table})")}
    missing = [(name, decl) for name, decl in ADDED_RELATION_COLUMNS if name not in have]
    for name, decl in missing:
        try:
            with ws.transaction() as db:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")
        except sqlite3.OperationalError as e:
            if "duplicate column" not in str(e):  # another process migrated it first
                raise
    if missing:
        log.info("%s: added column(s) %s (older rows read as unverified)", table, [n for n, _ in missing])
    return bool(missing)


def insert_sql(table: str, fields: Sequence[str], verb: str = "INSERT") -> str:
    """Return ``INSERT INTO table (fields) VALUES (?, ...)`` (``verb`` may be ``INSERT OR REPLACE``)."""
    return f"{verb} INTO {table} ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})"


def entity_values(e: Entity) -> tuple[object, ...]:
    """Return the column values of an entity, in ``ENTITY_FIELDS`` order."""
    mentions = json.dumps([m.model_dump() for m in e.mentions])
    return (e.entity_id, e.name, e.type, json.dumps(e.aliases), mentions)


def entity_from_row(row: sqlite3.Row) -> Entity:
    """Return the entity stored in a row holding the ``ENTITY_FIELDS`` columns."""
    return Entity(
        entity_id=row["entity_id"],
        name=row["name"],
        type=row["type"],
        aliases=json.loads(row["aliases"]),
        mentions=[Mention.model_validate(m) for m in json.loads(row["mentions"])],
    )


def relation_values(r: Relation) -> tuple[object, ...]:
    """Return the column values of a relation, in ``RELATION_FIELDS`` order."""
    evidence = json.dumps([ev.model_dump() for ev in r.evidence])
    return (
        r.relation_id,
        r.head,
        r.type,
        r.tail,
        r.confidence,
        r.reasoning,
        evidence,
        r.status,
        r.agent,
        r.rationale,
    )


def relation_from_row(row: sqlite3.Row) -> Relation:
    """Return the relation stored in a row holding the ``RELATION_FIELDS`` columns."""
    return Relation(
        relation_id=row["relation_id"],
        head=row["head"],
        type=row["type"],
        tail=row["tail"],
        confidence=row["confidence"],
        reasoning=row["reasoning"],
        evidence=[Evidence.model_validate(e) for e in json.loads(row["evidence"])],
        status=row["status"],
        agent=row["agent"],
        rationale=row["rationale"],
    )


def save_document_graph(
    ws: Workspace, doc_id: str, entities: list[Entity], relations: list[Relation]
) -> None:
    """Replace the stored graph of one document atomically."""
    ensure(ws)
    with ws.transaction() as db:
        db.execute("DELETE FROM doc_entities WHERE doc_id = ?", (doc_id,))
        db.execute("DELETE FROM doc_relations WHERE doc_id = ?", (doc_id,))
        db.executemany(
            insert_sql("doc_entities", ("doc_id", *ENTITY_FIELDS)),
            [(doc_id, *entity_values(e)) for e in entities],
        )
        db.executemany(
            insert_sql("doc_relations", ("doc_id", *RELATION_FIELDS)),
            [(doc_id, *relation_values(r)) for r in relations],
        )


def load_document_graph(ws: Workspace, doc_id: str) -> tuple[list[Entity], list[Relation]]:
    """Return the stored entities and relations of one document (ordered by id)."""
    ensure(ws)
    ents = ws.db.execute("SELECT * FROM doc_entities WHERE doc_id = ? ORDER BY entity_id", (doc_id,))
    rels = ws.db.execute("SELECT * FROM doc_relations WHERE doc_id = ? ORDER BY relation_id", (doc_id,))
    return [entity_from_row(r) for r in ents], [relation_from_row(r) for r in rels]


def iter_document_graphs(ws: Workspace) -> Iterator[tuple[str, list[Entity], list[Relation]]]:
    """Yield ``(doc_id, entities, relations)`` for every document with a stored graph."""
    ensure(ws)
    doc_ids = [r[0] for r in ws.db.execute("SELECT DISTINCT doc_id FROM doc_entities ORDER BY doc_id")]
    for doc_id in doc_ids:
        yield (doc_id, *load_document_graph(ws, doc_id))


def load_graph(ws: Workspace) -> tuple[list[Entity], list[Relation]]:
    """Return the graph users see: the union of the document graphs, without the facts a person rejected.

    The collection-merge step replaces this with the resolved collection graph once it exists.
    """
    from factloom.tools.collection import load_collection_graph  # the collection layer imports this module

    collection = load_collection_graph(ws)
    if collection is not None:  # facts a person rejected stay out of everything built from here
        entities, relations = collection
        return entities, without_rejected(ws, relations)
    entities = []
    relations = []
    for _doc_id, ents, rels in iter_document_graphs(ws):
        entities.extend(ents)
        relations.extend(rels)
    return entities, without_rejected(ws, relations)


def verified_only(relations: Sequence[Relation]) -> list[Relation]:
    """Return the relations the verifier checked and found supported (``status == "verified"``)."""
    return [r for r in relations if r.status == "verified"]
