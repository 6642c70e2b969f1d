"""A query-side copy of the knowledge graph in SQLite: entities, aliases and adjacency.

``load_graph`` parses every mention of every entity; questions need only a few rows. This module
keeps its own tables (``qx_*``) in the workspace database, rebuilt from ``load_graph`` whenever the
stored graph changes, so that alias lookup and neighbourhood expansion are indexed SQL queries.
"""

from __future__ import annotations

import copy
import json
import logging
import sqlite3
from collections.abc import Iterable

from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.kg import Entity, Relation
from factloom.tools.names import lookup_key
from factloom.tools.store import codec
from factloom.tools.store.collection import ensure as ensure_collection
from factloom.tools.store.view import GRAPH_TABLES, load_graph

log = logging.getLogger(__name__)

DDL = """
CREATE TABLE IF NOT EXISTS qx_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS qx_entities (
    entity_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    aliases TEXT NOT NULL,
    mentions TEXT NOT NULL,
    n_mentions INTEGER NOT NULL,
    degree INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS qx_entities_type ON qx_entities(type);
CREATE TABLE IF NOT EXISTS qx_aliases (
    norm TEXT NOT NULL, entity_id TEXT NOT NULL, PRIMARY KEY (norm, entity_id)
);
CREATE TABLE IF NOT EXISTS qx_relations (
    relation_id TEXT PRIMARY KEY,
    head TEXT NOT NULL,
    type TEXT NOT NULL,
    tail TEXT NOT NULL,
    confidence REAL NOT NULL,
    evidence TEXT NOT NULL,
    reasoning TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'unverified',
    agent TEXT NOT NULL DEFAULT '',
    rationale TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS qx_relations_head ON qx_relations(head);
CREATE INDEX IF NOT EXISTS qx_relations_tail ON qx_relations(tail);
"""


def graph_fingerprint(ws: Workspace) -> str:
    """Return a cheap fingerprint of the stored graph that changes whenever a graph is saved.

    Saving a document graph deletes and re-inserts its rows, which moves their rowids.
    """
    ensure_collection(ws)  # tables that load_graph would create: made first, or the next check sees a change
    existing = {r[0] for r in ws.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return "|".join(codec.table_fingerprint(ws, t) for t in GRAPH_TABLES if t in existing)


class GraphIndex:
    """Indexed read access to the workspace's knowledge graph.

    Args:
        ws: the opened workspace.
        refresh: rebuild the tables now if the stored graph changed since the last build.
        verified_only: read only the relations the verifier found supported (entities are all kept).
    """

    def __init__(self, ws: Workspace, *, refresh: bool = True, verified_only: bool = False) -> None:
        self.ws = ws
        self.verified_only = verified_only
        ws.ensure_tables(DDL)
        if _outdated(ws):  # a derived copy: drop it and let the next refresh rebuild it in full
            with ws.transaction() as db:
                db.execute("DROP TABLE IF EXISTS qx_relations")
                db.execute("DELETE FROM qx_meta WHERE key = 'graph_fingerprint'")
            ws.ensure_tables(DDL)
        if refresh:
            self.refresh()

    def view(self, *, verified_only: bool) -> GraphIndex:
        """Return a reader of the same tables that keeps only verified relations, or all of them."""
        other = copy.copy(self)
        other.verified_only = verified_only
        return other

    @property
    def db(self) -> sqlite3.Connection:
        """Return the workspace database connection."""
        return self.ws.db

    def meta(self, key: str) -> str | None:
        """Return a stored bookkeeping value, or None."""
        row = self.db.execute("SELECT value FROM qx_meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a bookkeeping value."""
        with self.ws.transaction() as db:
            db.execute("INSERT OR REPLACE INTO qx_meta VALUES (?, ?)", (key, value))

    def is_stale(self) -> bool:
        """Return True when the stored graph changed since the tables were built."""
        return self.meta("graph_fingerprint") != graph_fingerprint(self.ws)

    def refresh(self, *, force: bool = False) -> bool:
        """Rebuild the tables from ``load_graph`` if the graph changed; return True if rebuilt."""
        fingerprint = graph_fingerprint(self.ws)
        if not force and self.meta("graph_fingerprint") == fingerprint:
            return False
        entities, relations = load_graph(self.ws)
        self._rebuild(entities, relations, fingerprint)
        log.info("graph index rebuilt: %d entities, %d relations", len(entities), len(relations))
        return True

    def _rebuild(self, entities: list[Entity], relations: list[Relation], fingerprint: str) -> None:
        known = {e.entity_id for e in entities}
        relations = [r for r in relations if r.head in known and r.tail in known]
        degree: dict[str, int] = {}
        for r in relations:
            degree[r.head] = degree.get(r.head, 0) + 1
            degree[r.tail] = degree.get(r.tail, 0) + 1
        with self.ws.transaction() as db:
            for table in ("qx_entities", "qx_aliases", "qx_relations"):
                db.execute(f"DELETE FROM {table}")
            db.executemany(
                codec.insert_sql(
                    "qx_entities", (*codec.ENTITY_FIELDS, "n_mentions", "degree"), "INSERT OR REPLACE"
                ),
                [(*codec.entity_values(e), len(e.mentions), degree.get(e.entity_id, 0)) for e in entities],
            )
            db.executemany("INSERT OR IGNORE INTO qx_aliases VALUES (?, ?)", _alias_rows(entities))
            db.executemany(
                codec.insert_sql("qx_relations", codec.RELATION_FIELDS, "INSERT OR REPLACE"),
                map(codec.relation_values, relations),
            )
            db.execute("INSERT OR REPLACE INTO qx_meta VALUES ('graph_fingerprint', ?)", (fingerprint,))

    # --- reads -------------------------------------------------------------------------------

    def count(self) -> int:
        """Return the number of entities."""
        return self.db.execute("SELECT count(*) FROM qx_entities").fetchone()[0]

    def entity(self, entity_id: str) -> Entity | None:
        """Return one entity with its mentions, or None."""
        row = self.db.execute("SELECT * FROM qx_entities WHERE entity_id = ?", (entity_id,)).fetchone()
        return codec.entity_from_row(row) if row else None

    def entities(self, entity_ids: Iterable[str]) -> list[Entity]:
        """Return the entities with these ids (unknown ids are skipped), in the given order."""
        ids = list(dict.fromkeys(entity_ids))
        rows = self._select_in("SELECT * FROM qx_entities WHERE entity_id IN ({})", ids)
        by_id = {r["entity_id"]: codec.entity_from_row(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def entity_ids_by_alias(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """Return ``{normalised alias: [entity ids]}`` for the keys that name an entity."""
        found: dict[str, list[str]] = {}
        for row in self._select_in(
            "SELECT a.norm, a.entity_id FROM qx_aliases a JOIN qx_entities e USING (entity_id) "
            "WHERE a.norm IN ({}) ORDER BY e.degree DESC, e.n_mentions DESC, a.entity_id",
            list(dict.fromkeys(keys)),
        ):
            found.setdefault(row[0], []).append(row[1])
        return found

    def search(
        self, text: str = "", type_: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Entity]:
        """Return entities whose name or an alias contains ``text``, optionally of one type."""
        sql = "SELECT * FROM qx_entities e WHERE 1 = 1"
        args: list[object] = []
        if text:
            sql += (  # one scan of the aliases: a correlated EXISTS scanned them once per entity
                " AND e.entity_id IN (SELECT a.entity_id FROM qx_aliases a WHERE a.norm LIKE ? ESCAPE '!')"
            )
            args.append("%" + lookup_key(text).replace("!", "!!").replace("_", "!_") + "%")
        if type_:
            sql += " AND e.type = ?"
            args.append(type_)
        sql += " ORDER BY e.degree DESC, e.n_mentions DESC, e.name LIMIT ? OFFSET ?"
        return [codec.entity_from_row(r) for r in self.db.execute(sql, [*args, limit, offset])]

    def types(self) -> dict[str, int]:
        """Return the entity types and how many entities each has."""
        rows = self.db.execute("SELECT type, count(*) FROM qx_entities GROUP BY type ORDER BY type")
        return {r[0]: r[1] for r in rows}

    def relation(self, relation_id: str) -> Relation | None:
        """Return one relation (whatever its status), or None."""
        row = self.db.execute("SELECT * FROM qx_relations WHERE relation_id = ?", (relation_id,)).fetchone()
        return codec.relation_from_row(row) if row else None

    def relation_count(self) -> int:
        """Return the number of relations (with the status filter of this reader)."""
        sql = f"SELECT count(*) FROM qx_relations WHERE 1 = 1{self._status_filter()}"
        return self.db.execute(sql).fetchone()[0]

    def per_document(self) -> dict[str, dict[str, int]]:
        """Return ``{doc_id: {"facts": n, "entities": n}}``: relations with evidence in, and entities
        mentioned in, each document (with the status filter of this reader)."""
        out: dict[str, dict[str, int]] = {}
        facts = self.db.execute(
            "SELECT json_extract(e.value, '$.doc_id'), count(DISTINCT r.relation_id) "
            f"FROM qx_relations r, json_each(r.evidence) e WHERE 1 = 1{self._status_filter()} GROUP BY 1"
        )
        for doc_id, n in facts:
            out.setdefault(doc_id, {"facts": 0, "entities": 0})["facts"] = n
        entities = self.db.execute(
            "SELECT json_extract(m.value, '$.doc_id'), count(DISTINCT x.entity_id) "
            "FROM qx_entities x, json_each(x.mentions) m GROUP BY 1"
        )
        for doc_id, n in entities:
            out.setdefault(doc_id, {"facts": 0, "entities": 0})["entities"] = n
        return out

    def relations_of(self, entity_ids: Iterable[str], limit: int = 1000) -> list[Relation]:
        """Return the relations touching any of the entities, strongest first."""
        ids = list(dict.fromkeys(entity_ids))
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        status = self._status_filter()
        rows = self.db.execute(
            f"SELECT * FROM qx_relations WHERE head IN ({marks}){status} UNION "
            f"SELECT * FROM qx_relations WHERE tail IN ({marks}){status} "
            "ORDER BY confidence DESC, relation_id LIMIT ?",
            [*ids, *ids, limit],
        )
        return [codec.relation_from_row(r) for r in rows]

    def relations(self, type_: str | None = None, limit: int = 100, offset: int = 0) -> list[Relation]:
        """Return relations, optionally of one type."""
        sql = "SELECT * FROM qx_relations WHERE 1 = 1" + (" AND type = ?" if type_ else "")
        args: list[object] = [type_] if type_ else []
        sql += self._status_filter() + " ORDER BY relation_id LIMIT ? OFFSET ?"
        return [codec.relation_from_row(r) for r in self.db.execute(sql, [*args, limit, offset])]

    def _status_filter(self) -> str:
        return " AND status = 'verified'" if self.verified_only else ""

    def all_entities(self) -> list[tuple[str, str, str, list[str]]]:
        """Return ``(entity_id, name, type, aliases)`` of every entity, ordered by id."""
        rows = self.db.execute("SELECT entity_id, name, type, aliases FROM qx_entities ORDER BY entity_id")
        return [(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def _select_in(self, sql: str, values: list[str], chunk: int = 500) -> list[sqlite3.Row]:
        rows: list[sqlite3.Row] = []
        for i in range(0, len(values), chunk):
            part = values[i : i + chunk]
            rows.extend(self.db.execute(sql.format(",".join("?" * len(part))), part))
        return rows


def _alias_rows(entities: list[Entity]) -> list[tuple[str, str]]:
    rows = []
    for e in entities:
        names = {e.name, *e.aliases, *(m.text for m in e.mentions)}
        rows.extend((key, e.entity_id) for key in {lookup_key(n) for n in names} if key)
    return rows


def _outdated(ws: Workspace) -> bool:
    """Return True when ``qx_relations`` was written by an older version (it lacks a column)."""
    have = {row[1] for row in ws.db.execute("PRAGMA table_info(qx_relations)")}
    return not set(codec.RELATION_FIELDS) <= have
