"""The document graphs: one knowledge graph per document, written by the extraction graph.

They are the source of truth; the collection graph (``store.collection``) is derived from them and may
be rebuilt. Tables (owned here): ``doc_entities``, ``doc_relations``.
"""

from __future__ import annotations

from collections.abc import Iterator

from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.kg import Entity, Relation
from factloom.tools.store import codec

ENTITY_TABLE = "doc_entities"
RELATION_TABLE = "doc_relations"

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
    codec.add_relation_columns(ws, RELATION_TABLE)


def save_document_graph(
    ws: Workspace, doc_id: str, entities: list[Entity], relations: list[Relation]
) -> None:
    """Replace the stored graph of one document atomically."""
    ensure(ws)
    with ws.transaction() as db:
        db.execute("DELETE FROM doc_entities WHERE doc_id = ?", (doc_id,))
        db.execute("DELETE FROM doc_relations WHERE doc_id = ?", (doc_id,))
        db.executemany(
            codec.insert_sql(ENTITY_TABLE, ("doc_id", *codec.ENTITY_FIELDS)),
            [(doc_id, *codec.entity_values(e)) for e in entities],
        )
        db.executemany(
            codec.insert_sql(RELATION_TABLE, ("doc_id", *codec.RELATION_FIELDS)),
            [(doc_id, *codec.relation_values(r)) for r in relations],
        )


def load_document_graph(ws: Workspace, doc_id: str) -> tuple[list[Entity], list[Relation]]:
    """Return the stored entities and relations of one document (ordered by id)."""
    ensure(ws)
    ents = ws.db.execute("SELECT * FROM doc_entities WHERE doc_id = ? ORDER BY entity_id", (doc_id,))
    rels = ws.db.execute("SELECT * FROM doc_relations WHERE doc_id = ? ORDER BY relation_id", (doc_id,))
    return [codec.entity_from_row(r) for r in ents], [codec.relation_from_row(r) for r in rels]


def iter_document_graphs(ws: Workspace) -> Iterator[tuple[str, list[Entity], list[Relation]]]:
    """Yield ``(doc_id, entities, relations)`` for every document with a stored graph."""
    ensure(ws)
    doc_ids = [r[0] for r in ws.db.execute("SELECT DISTINCT doc_id FROM doc_entities ORDER BY doc_id")]
    for doc_id in doc_ids:
        yield (doc_id, *load_document_graph(ws, doc_id))


def document_count(ws: Workspace) -> int:
    """Return the number of documents with a stored entity or relation."""
    return ws.db.execute(
        "SELECT count(*) FROM (SELECT doc_id FROM doc_entities UNION SELECT doc_id FROM doc_relations)"
    ).fetchone()[0]


def documents_fingerprint(ws: Workspace) -> str:
    """Return a fingerprint of the document graphs that changes whenever one is saved.

    Saving a document graph deletes and re-inserts its rows, which moves their rowids.
    """
    return "|".join(codec.table_fingerprint(ws, t) for t in (ENTITY_TABLE, RELATION_TABLE))
