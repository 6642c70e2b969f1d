"""The collection graph's store: its entities and relations, merge log, undone merges, verdicts, conflicts.

It is built (``tools.resolution.collection``) from the document graphs (``store.documents``) and records which
state of them it was built from, so a reader can tell whether it is still fresh. Tables (owned here):
``coll_entities``, ``coll_relations``, ``coll_merges``, ``coll_undone``, ``coll_verdicts``,
``coll_conflicts``, ``coll_meta``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime

from factloom.ingest.workspace import Workspace
from factloom.tools.errors import MergeNotFoundError
from factloom.tools.extraction.kg import Entity, Relation
from factloom.tools.extraction.schema import Schema
from factloom.tools.store import codec, documents
from factloom.tools.store.models import Conflict, Merge

log = logging.getLogger(__name__)

ENTITY_TABLE = "coll_entities"
RELATION_TABLE = "coll_relations"
META_TABLE = "coll_meta"

DDL = """
CREATE TABLE IF NOT EXISTS coll_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS coll_entities (
    entity_id TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL,
    aliases TEXT NOT NULL, mentions TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS coll_relations (
    relation_id TEXT PRIMARY KEY, head TEXT NOT NULL, type TEXT NOT NULL, tail TEXT NOT NULL,
    confidence REAL NOT NULL, reasoning TEXT NOT NULL, evidence TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'unverified', agent TEXT NOT NULL DEFAULT '',
    rationale TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS coll_merges (
    merge_id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, name TEXT NOT NULL, entities TEXT NOT NULL,
    score REAL NOT NULL, reason TEXT NOT NULL, evidence TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS coll_undone (
    merge_id TEXT PRIMARY KEY, merge TEXT NOT NULL, undone_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS coll_verdicts (
    a TEXT NOT NULL, b TEXT NOT NULL, same INTEGER NOT NULL, PRIMARY KEY (a, b)
);
CREATE TABLE IF NOT EXISTS coll_conflicts (conflict_id TEXT PRIMARY KEY, conflict TEXT NOT NULL);
"""


def ensure(ws: Workspace) -> None:
    """Create the collection tables (and the document-graph tables they read) if missing."""
    documents.ensure(ws)
    ws.ensure_tables(DDL)
    codec.add_relation_columns(ws, RELATION_TABLE)


def _meta(ws: Workspace, key: str) -> str | None:
    row = ws.db.execute("SELECT value FROM coll_meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def freshness(ws: Workspace) -> str:
    """Return ``missing`` (never built), ``stale`` (document graphs changed since) or ``fresh``."""
    ensure(ws)
    built = _meta(ws, "documents")
    if built is None:
        return "missing"
    return "fresh" if built == documents.documents_fingerprint(ws) else "stale"


def stored_schema(ws: Workspace) -> Schema | None:
    """Return the schema the collection was last built with, if any."""
    text = _meta(ws, "schema")
    return Schema.model_validate_json(text) if text else None


def _merge_row(m: Merge) -> tuple[object, ...]:
    members = json.dumps([x.model_dump() for x in m.entities])
    links = json.dumps([x.model_dump() for x in m.evidence])
    return (m.merge_id, m.entity_id, m.name, members, m.score, m.reason, links)


def write_collection(
    ws: Workspace,
    entities: list[Entity],
    relations: list[Relation],
    merges: list[Merge],
    conflicts: list[Conflict],
    schema: Schema | None,
    fingerprint: str,
) -> None:
    """Replace the collection graph, its merge log and conflicts atomically.

    ``fingerprint`` is the ``documents_fingerprint`` taken before the document graphs were read.
    """
    meta = {
        "documents": fingerprint,
        "built_at": datetime.now(UTC).isoformat(),
        "schema": schema.model_dump_json() if schema else "",
    }
    with ws.transaction() as db:
        for table in ("coll_entities", "coll_relations", "coll_merges", "coll_conflicts"):
            db.execute(f"DELETE FROM {table}")
        db.executemany(
            codec.insert_sql(ENTITY_TABLE, codec.ENTITY_FIELDS), map(codec.entity_values, entities)
        )
        db.executemany(
            codec.insert_sql(RELATION_TABLE, codec.RELATION_FIELDS), map(codec.relation_values, relations)
        )
        db.executemany("INSERT INTO coll_merges VALUES (?, ?, ?, ?, ?, ?, ?)", map(_merge_row, merges))
        db.executemany(
            "INSERT INTO coll_conflicts VALUES (?, ?)",
            [(c.conflict_id, c.model_dump_json()) for c in conflicts],
        )
        db.executemany("INSERT OR REPLACE INTO coll_meta VALUES (?, ?)", sorted(meta.items()))


def read_entities(ws: Workspace) -> list[Entity]:
    """Return the collection entities, ordered by id."""
    return [codec.entity_from_row(r) for r in ws.db.execute("SELECT * FROM coll_entities ORDER BY entity_id")]


def read_relations(ws: Workspace) -> list[Relation]:
    """Return the collection relations, ordered by id."""
    return [
        codec.relation_from_row(r) for r in ws.db.execute("SELECT * FROM coll_relations ORDER BY relation_id")
    ]


def load_collection_graph(ws: Workspace) -> tuple[list[Entity], list[Relation]] | None:
    """Return the collection graph when it was built from the current document graphs, else None."""
    state = freshness(ws)
    if state != "fresh":
        if state == "stale":
            log.warning("the collection graph is older than the document graphs; run `factloom resolve`")
        return None
    return read_entities(ws), read_relations(ws)


def _merge(row: sqlite3.Row) -> Merge:
    return Merge(
        merge_id=row["merge_id"],
        entity_id=row["entity_id"],
        name=row["name"],
        entities=json.loads(row["entities"]),
        score=row["score"],
        reason=row["reason"],
        evidence=json.loads(row["evidence"]),
    )


def list_merges(ws: Workspace, *, include_undone: bool = False) -> list[Merge]:
    """Return the merges of the current collection graph (and, optionally, the ones undone)."""
    ensure(ws)
    merges = [_merge(r) for r in ws.db.execute("SELECT * FROM coll_merges ORDER BY name, merge_id")]
    if include_undone:
        rows = ws.db.execute("SELECT merge FROM coll_undone ORDER BY undone_at, merge_id")
        merges += [Merge.model_validate_json(r[0]).model_copy(update={"undone": True}) for r in rows]
    return merges


def get_merge(ws: Workspace, merge_id: str) -> Merge:
    """Return one merge of the current log.

    Raises:
        MergeNotFoundError: no current merge has that id (the message says how to list them).
    """
    ensure(ws)
    row = ws.db.execute("SELECT * FROM coll_merges WHERE merge_id = ?", (merge_id,)).fetchone()
    if row is None:
        undone = ws.db.execute("SELECT 1 FROM coll_undone WHERE merge_id = ?", (merge_id,)).fetchone()
        hint = "it was already undone" if undone else "see `factloom merges list -w DIR`"
        raise MergeNotFoundError(f"no merge {merge_id!r} in {ws.root}: {hint}")
    return _merge(row)


def remember_undo(ws: Workspace, merge: Merge) -> None:
    """Record that the members of ``merge`` must stay apart on every later build."""
    with ws.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO coll_undone VALUES (?, ?, ?)",
            (merge.merge_id, merge.model_dump_json(), datetime.now(UTC).isoformat()),
        )


def undone_sets(ws: Workspace) -> list[frozenset[str]]:
    """Return the member sets of every undone merge (cannot-link constraints)."""
    rows = ws.db.execute("SELECT merge FROM coll_undone ORDER BY merge_id")
    return [frozenset(e.entity_id for e in Merge.model_validate_json(r[0]).entities) for r in rows]


def load_verdicts(ws: Workspace) -> dict[tuple[str, str], bool]:
    """Return the judge's earlier decisions on ambiguous pairs."""
    return {(r[0], r[1]): bool(r[2]) for r in ws.db.execute("SELECT a, b, same FROM coll_verdicts")}


def save_verdicts(ws: Workspace, verdicts: dict[tuple[str, str], bool]) -> None:
    """Store the judge's decisions so rebuilds do not ask again."""
    with ws.transaction() as db:
        db.executemany(
            "INSERT OR REPLACE INTO coll_verdicts VALUES (?, ?, ?)",
            [(a, b, int(same)) for (a, b), same in sorted(verdicts.items())],
        )


def undone_count(ws: Workspace) -> int:
    """Return the number of merges undone for good."""
    return ws.db.execute("SELECT count(*) FROM coll_undone").fetchone()[0]


def conflict_count(ws: Workspace) -> int:
    """Return the number of conflicts of the last build."""
    return ws.db.execute("SELECT count(*) FROM coll_conflicts").fetchone()[0]


def list_conflicts(ws: Workspace) -> list[Conflict]:
    """Return the conflicts of the current collection graph."""
    ensure(ws)
    return [
        Conflict.model_validate_json(r[0])
        for r in ws.db.execute("SELECT conflict FROM coll_conflicts ORDER BY conflict_id")
    ]
