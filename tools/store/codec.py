"""The row codec of entities and relations: every SQLite table that stores them goes through it.

The document graphs (``doc_*``, ``store.documents``), the collection graph (``coll_*``,
``store.collection``) and the query index (``qx_*``, ``tools.query.graph_index``) all write rows with
``entity_values`` / ``relation_values`` and read them with ``entity_from_row`` / ``relation_from_row``;
``add_relation_columns`` brings a relation table of an older workspace up to date.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence

from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.kg import Entity, Evidence, Mention, Relation

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


def table_fingerprint(ws: Workspace, table: str) -> str:
    """Return ``table:count:max rowid:sum of rowids``, which changes whenever rows are replaced."""
    row = ws.db.execute(f"SELECT count(*), max(rowid), total(rowid) FROM {table}").fetchone()
    return f"{table}:{row[0]}:{row[1]}:{row[2]:.0f}"
