"""Demonstrations: short annotated passages retrieved by similarity as in-context examples.

The kNN in-context learning of GPT-NER / GPT-RE: gold documents (any supported corpus, or our
JSONL gold format) are cut into sentence-sized passages, their labels mapped to the schema's types,
and stored in the workspace (SQLite table ``demos``, the record; Chroma collection ``demos``, the
vectors). For each chunk the agents get the most similar demonstrations within a token budget.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from factloom.ingest.corpora import GoldDoc
from factloom.ingest.sentences import sentence_bounds
from factloom.ingest.workspace import Workspace
from factloom.tools.errors import DemoNotFoundError
from factloom.tools.extraction.gold import to_schema
from factloom.tools.extraction.kg import stable_id
from factloom.tools.extraction.schema import Schema

if TYPE_CHECKING:
    from factloom.ingest.index import VectorIndex

log = logging.getLogger(__name__)

COLLECTION = "demos"
MAX_PASSAGE_CHARS = 600
CHARS_PER_TOKEN = 4
"""Token estimate used for the budget: about four characters of English per token."""

DDL = """
CREATE TABLE IF NOT EXISTS demos (
    demo_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    body TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT 'gold'
);
CREATE INDEX IF NOT EXISTS demos_source ON demos(source);
"""
ORIGINS = ("gold", "synthetic", "self")
"""Where a demonstration came from: annotated examples (``demos add``), passages the model wrote for the
schema (``demos synth``), or facts extracted from the collection and verified (self-annotation,
``demos synth --from-collection``)."""


class DemoEntity(BaseModel):
    """An entity of a demonstration: its text as written and its schema type."""

    model_config = ConfigDict(frozen=True)

    text: str
    type: str


class DemoRelation(BaseModel):
    """A relation of a demonstration, between entity texts."""

    model_config = ConfigDict(frozen=True)

    head: str
    type: str
    tail: str


class Demonstration(BaseModel):
    """An annotated passage: text, entities, relations, and where it came from."""

    model_config = ConfigDict(frozen=True)

    text: str
    entities: tuple[DemoEntity, ...] = ()
    relations: tuple[DemoRelation, ...] = ()
    source: str = ""

    @property
    def demo_id(self) -> str:
        """Return the deterministic id (text and annotations), so re-adding does not duplicate."""
        return stable_id("demo", self.model_dump_json(exclude={"source"}))

    def tokens(self) -> int:
        """Return an estimate of the tokens this demonstration takes in a prompt."""
        return len(self.model_dump_json(exclude={"source"})) // CHARS_PER_TOKEN + 1


def passages(doc: GoldDoc, max_chars: int = MAX_PASSAGE_CHARS) -> list[tuple[int, int]]:
    """Return sentence-sized character spans of a document (the whole text when short enough)."""
    if len(doc.text) <= max_chars:
        return [(0, len(doc.text))]
    if doc.sentences:
        return [s for s in doc.sentences if s[1] - s[0] <= max_chars]
    return [(s, e) for s, e in sentence_bounds(doc.text) if e - s <= max_chars]


def demos_from_doc(
    doc: GoldDoc, schema: Schema, source: str, max_chars: int = MAX_PASSAGE_CHARS
) -> list[Demonstration]:
    """Cut a gold document whose labels are schema types into demonstrations.

    Only mentions wholly inside a passage are kept; a relation is kept when both its entities have a
    mention in the passage and the schema allows it. Passages without entities are skipped.
    """
    demos = []
    for start, end in passages(doc, max_chars):
        inside = {
            e.id: (e.type, m.text)
            for e in doc.entities
            for m in reversed(e.mentions)
            if start <= m.start and m.end <= end
        }
        if not inside:
            continue
        entities = tuple(dict.fromkeys(DemoEntity(text=t, type=ty) for ty, t in inside.values()))
        relations = tuple(
            dict.fromkeys(
                DemoRelation(head=inside[r.head][1], type=r.type, tail=inside[r.tail][1])
                for r in doc.relations
                if r.head in inside
                and r.tail in inside
                and schema.allows(inside[r.head][0], r.type, inside[r.tail][0])
            )
        )
        text = doc.text[start:end]
        demos.append(Demonstration(text=text, entities=entities, relations=relations, source=source))
    return demos


def demos_from_gold(docs: Iterable[GoldDoc], schema: Schema, source: str) -> list[Demonstration]:
    """Map gold labels to the schema and cut the documents into demonstrations (duplicates once)."""
    mapped, _ = to_schema(list(docs), schema)
    found = [d for doc in mapped for d in demos_from_doc(doc, schema, f"{source}#{doc.doc_id}")]
    return list({d.demo_id: d for d in found}.values())


SELF_SOURCE = "self:"
"""Source prefix of demonstrations the run itself adds (``agents.self_annotation``)."""
COLLECTION_SOURCE = "collection:"
"""Source prefix of demonstrations ``demos synth --from-collection`` drew from a document (then its id)."""


def origin_of(source: str) -> str:
    """Return the origin a demonstration's source implies when none is given (self-annotation or gold)."""
    return "self" if source.startswith((SELF_SOURCE, COLLECTION_SOURCE)) else "gold"


def source_document(source: str) -> str | None:
    """Return the id of the workspace document a self-annotated demonstration was drawn from (else None)."""
    for prefix in (SELF_SOURCE, COLLECTION_SOURCE):
        if source.startswith(prefix):
            return source[len(prefix) :].split("#", 1)[0]
    return None


def shares_sentence(demo_text: str, text: str, min_chars: int = 20) -> bool:
    """Return whether ``text`` holds one of the demonstration's sentences (whitespace and case aside).

    A demonstration drawn from a document must never be shown when that same passage is read: it
    would hand the model its own earlier answer (or, for gold, the answer key).
    """
    haystack = " ".join(text.split()).casefold()
    parts = [demo_text[s:e] for s, e in sentence_bounds(demo_text)]
    return any(
        len(key) >= min_chars and key in haystack for key in (" ".join(p.split()).casefold() for p in parts)
    )


def _migrate(ws: Workspace) -> None:
    """Give a demo table made before origins existed its ``origin`` column."""
    columns = {r[1] for r in ws.db.execute("PRAGMA table_info(demos)")}
    if "origin" not in columns:
        with ws.transaction() as db:
            db.execute("ALTER TABLE demos ADD COLUMN origin TEXT NOT NULL DEFAULT 'gold'")
            db.execute(
                "UPDATE demos SET origin = 'self' WHERE substr(source, 1, ?) = ?",
                (len(SELF_SOURCE), SELF_SOURCE),
            )


def fingerprint(ws: Workspace, schema_name: str) -> str:
    """Return a short hash of the demonstrations stored for a schema ("" when there are none).

    It changes when ``demos add`` stores a new demonstration, so that results made with the old set are
    made again. Self-annotations are left out: a run adds them itself, and counting them would make a
    killed run with ``--self-annotation`` start over instead of resuming.
    """
    exists = ws.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'demos'").fetchone()
    if exists is None:
        return ""  # read only: a dry run must not create the table
    rows = ws.db.execute(
        "SELECT demo_id FROM demos WHERE schema_name = ? AND substr(source, 1, ?) != ? ORDER BY demo_id",
        (schema_name, len(SELF_SOURCE), SELF_SOURCE),
    )
    ids = [r[0] for r in rows]
    return stable_id("demos", ids) if ids else ""


class DemoStore:
    """The workspace's demonstrations: records in SQLite, vectors in the Chroma collection ``demos``.

    Args:
        ws: the workspace.
        schema_name: retrieve only demonstrations added for this schema (all when None).
        index: the vector index; ``VectorIndex(ws, "demos")`` by default (opened on first use).
    """

    def __init__(
        self, ws: Workspace, schema_name: str | None = None, index: VectorIndex | None = None
    ) -> None:
        self.ws = ws
        self.schema_name = schema_name
        self._index = index
        ws.ensure_tables(DDL)
        _migrate(ws)

    @property
    def index(self) -> VectorIndex:
        """Return the vector index of the demonstrations."""
        if self._index is None:
            from factloom.ingest.index import VectorIndex  # chromadb is heavy: load on first use

            self._index = VectorIndex(self.ws, COLLECTION)
        return self._index

    def add(self, demos: list[Demonstration], schema_name: str, origin: str | None = None) -> int:
        """Store demonstrations for a schema; return how many were new (known ones are not re-embedded).

        ``origin`` (one of ``ORIGINS``) marks where they came from; by default it follows the source.
        """
        from factloom.ingest.index import IndexItem

        if origin is not None and origin not in ORIGINS:
            raise ValueError(f"origin must be one of {ORIGINS}, not {origin!r}")
        known = {r[0] for r in self.ws.db.execute("SELECT demo_id FROM demos")}
        rows = {stable_id("demo", schema_name, d.demo_id): d for d in demos}
        fresh = {key: d for key, d in rows.items() if key not in known}
        items = [
            IndexItem(
                id=key,
                text=d.text,
                metadata={"schema": schema_name, "source": d.source, "origin": origin or origin_of(d.source)},
            )
            for key, d in fresh.items()
        ]
        self.index.upsert(items)
        with self.ws.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO demos (demo_id, source, schema_name, body, origin) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (key, d.source, schema_name, d.model_dump_json(), origin or origin_of(d.source))
                    for key, d in rows.items()
                ],
            )
        log.info("demonstrations: %d added, %d already stored", len(fresh), len(rows) - len(fresh))
        return len(fresh)

    def retrieve(self, text: str, k: int = 4, token_budget: int = 600) -> list[Demonstration]:
        """Return up to ``k`` demonstrations most similar to ``text`` that fit in ``token_budget``.

        A demonstration that holds a sentence of ``text`` is never returned (it would give the answer
        away; ``shares_sentence``).
        """
        if k <= 0 or token_budget <= 0:
            return []
        where = {"schema": self.schema_name} if self.schema_name else None
        hits = self.index.query(text, k=3 * k, where=where)
        chosen, used = [], 0
        for demo in self._load([h.id for h in hits]):
            if used + demo.tokens() > token_budget or shares_sentence(demo.text, text):
                continue
            chosen.append(demo)
            used += demo.tokens()
            if len(chosen) == k:
                break
        return chosen

    def _load(self, ids: list[str]) -> list[Demonstration]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = {
            r[0]: r[1]
            for r in self.ws.db.execute(f"SELECT demo_id, body FROM demos WHERE demo_id IN ({marks})", ids)
        }
        return [Demonstration.model_validate(json.loads(rows[i])) for i in ids if i in rows]

    def summary(self) -> list[tuple[str, str, str, int]]:
        """Return (schema, origin, source file, count) for every stored group of demonstrations."""
        rows = self.ws.db.execute(
            "SELECT schema_name, origin, substr(source, 1, instr(source || '#', '#') - 1) AS file, "
            "count(*) FROM demos GROUP BY schema_name, origin, file ORDER BY schema_name, origin, file"
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def items(self, origin: str | None = None) -> list[tuple[str, str, str, Demonstration]]:
        """Return (id, schema, origin, demonstration) of every stored demonstration (of one origin)."""
        rows = self.ws.db.execute(
            "SELECT demo_id, schema_name, origin, body FROM demos WHERE ? IS NULL OR origin = ? "
            "ORDER BY schema_name, origin, source, demo_id",
            (origin, origin),
        )
        return [(r[0], r[1], r[2], Demonstration.model_validate(json.loads(r[3]))) for r in rows]

    def remove(self, ids: Iterable[str] = (), origin: str | None = None) -> int:
        """Delete demonstrations by id (a unique prefix of one is enough) and/or by origin; return how many.

        Raises:
            DemoNotFoundError: an id matches no stored demonstration, or more than one.
        """
        chosen: set[str] = set()
        for given in ids:
            found = [
                r[0]
                for r in self.ws.db.execute("SELECT demo_id FROM demos WHERE demo_id LIKE ?", (given + "%",))
            ]
            if len(found) != 1:
                what = "no demonstration" if not found else f"{len(found)} demonstrations"
                raise DemoNotFoundError(f"{given}: {what} with this id; see `factloom demos list --each`")
            chosen.update(found)
        if origin is not None:
            chosen.update(
                r[0] for r in self.ws.db.execute("SELECT demo_id FROM demos WHERE origin = ?", (origin,))
            )
        return self._delete(sorted(chosen))

    def remove_documents(self, doc_ids: Iterable[str]) -> int:
        """Delete the self-annotated demonstrations drawn from these documents (before scoring them)."""
        wanted = set(doc_ids)
        rows = self.ws.db.execute("SELECT demo_id, source FROM demos WHERE origin = 'self'")
        return self._delete([r[0] for r in rows if source_document(r[1]) in wanted])

    def _delete(self, ids: list[str]) -> int:
        if not ids:
            return 0
        self.index.delete_ids(ids)
        with self.ws.transaction() as db:
            db.executemany("DELETE FROM demos WHERE demo_id = ?", [(i,) for i in ids])
        log.info("demonstrations: %d removed", len(ids))
        return len(ids)

    def count(self) -> int:
        """Return the number of stored demonstrations."""
        return int(self.ws.db.execute("SELECT count(*) FROM demos").fetchone()[0])
