"""The canonical types of an open extraction: the latest ``factloom schema canonicalise``, applied on read.

The document and collection graphs keep the labels the open extraction proposed; the mapping of those
labels to a schema's types (``tools.extraction.canonicalise.Canonicalisation``, with the schema, for domain
and range) is stored here and applied by ``store.view`` to the graph users see, so exports, questions, the web
page and ``stats`` show canonical types, rebuilds of the collection graph keep them, and each mapped relation
keeps its label as ``phrase``. A second canonicalisation replaces the first. Table (owned here):
``canonical_types``, one row (its ``seq`` grows on every replacement, so ``store.view.GRAPH_TABLES``'s
fingerprint sees the change).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.canonicalise import Canonicalisation, apply_mapping, canonical_relation_type
from factloom.tools.extraction.kg import Entity, Relation
from factloom.tools.store import collection

TABLE = "canonical_types"
DDL = """
CREATE TABLE IF NOT EXISTS canonical_types (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, source TEXT NOT NULL, mapping TEXT NOT NULL
);
"""


def _exists(ws: Workspace, table: str = TABLE) -> bool:
    """Return whether ``table`` exists. Reads never create tables: ``executescript`` would commit a
    transaction that a caller may hold open."""
    found = ws.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
    return found.fetchone() is not None


def save(ws: Workspace, canon: Canonicalisation, source: str) -> None:
    """Store ``canon`` (from the schema ``source``) in place of any earlier canonicalisation."""
    ws.ensure_tables(DDL)
    at = datetime.now(UTC).isoformat(timespec="seconds")
    with ws.transaction() as db:
        db.execute(f"DELETE FROM {TABLE}")
        db.execute(
            f"INSERT INTO {TABLE} (at, source, mapping) VALUES (?, ?, ?)",
            (at, source, canon.model_dump_json()),
        )


def load(ws: Workspace) -> Canonicalisation | None:
    """Return the stored canonicalisation, or None when the workspace has none."""
    if not _exists(ws):
        return None
    row = ws.db.execute(f"SELECT mapping FROM {TABLE} ORDER BY seq DESC LIMIT 1").fetchone()
    return Canonicalisation.model_validate_json(row[0]) if row else None


def apply(
    ws: Workspace, entities: list[Entity], relations: list[Relation]
) -> tuple[list[Entity], list[Relation]]:
    """Return the graph with the stored canonical types (unchanged when there are none)."""
    canon = load(ws)
    if canon is None:
        return entities, relations
    return apply_mapping(entities, relations, canon)


def type_counts(
    ws: Workspace, entity_table: str, relation_table: str
) -> tuple[dict[str, int], dict[str, int]] | None:
    """Return entities and relations by canonical type, counted in the SQL tables; None without a mapping."""
    canon = load(ws)
    if canon is None:
        return None
    entity_map = canon.mapping("entity")
    entities: Counter[str] = Counter()
    for type_, n in ws.db.execute(f"SELECT type, count(*) FROM {entity_table} GROUP BY type"):
        entities[entity_map.get(type_, type_)] += n
    relations: Counter[str] = Counter()
    rows = ws.db.execute(
        f"SELECT r.type, coalesce(h.type, ''), coalesce(t.type, ''), count(*) FROM {relation_table} r "
        f"LEFT JOIN {entity_table} h ON h.entity_id = r.head "
        f"LEFT JOIN {entity_table} t ON t.entity_id = r.tail GROUP BY 1, 2, 3"
    )
    for type_, head, tail, n in rows:
        head, tail = entity_map.get(head, head), entity_map.get(tail, tail)
        relations[canonical_relation_type(canon, type_, head, tail) or type_] += n
    return dict(sorted(entities.items())), dict(sorted(relations.items()))


def open_extraction(ws: Workspace) -> bool:
    """Return whether the workspace's graph comes from an open extraction (its last build's schema)."""
    if not _exists(ws, collection.META_TABLE):
        return False
    schema = collection.stored_schema(ws)
    return schema is not None and schema.open
