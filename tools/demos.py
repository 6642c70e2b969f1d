"""Demonstrations: short annotated passages retrieved by similarity as in-context examples.

The kNN in-context learning of GPT-NER / GPT-RE: gold documents (any supported corpus, or our
JSONL gold format) are cut into sentence-sized passages, their labels mapped to the schema's types,
and stored in the workspace (SQLite table ``demos``, the record; Chroma collection ``demos``, the
vectors). For each chunk the agents get the most similar demonstrations within a token budget.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from factloom.ingest.corpora import GoldDoc
from factloom.ingest.workspace import Workspace
from factloom.tools.gold import to_schema
from factloom.tools.kg import stable_id
from factloom.tools.schema import Schema

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
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS demos_source ON demos(source);
"""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


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
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(doc.text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(doc.text)))
    return [(s, e) for s, e in spans if 0 < e - s <= max_chars]


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

    @property
    def index(self) -> VectorIndex:
        """Return the vector index of the demonstrations."""
        if self._index is None:
            from factloom.ingest.index import VectorIndex  # chromadb is heavy: load on first use

            self._index = VectorIndex(self.ws, COLLECTION)
        return self._index

    def add(self, demos: list[Demonstration], schema_name: str) -> int:
        """Store demonstrations for a schema; return how many were new (known ones are not re-embedded)."""
        from factloom.ingest.index import IndexItem

        known = {r[0] for r in self.ws.db.execute("SELECT demo_id FROM demos")}
        rows = {stable_id("demo", schema_name, d.demo_id): d for d in demos}
        fresh = {key: d for key, d in rows.items() if key not in known}
        items = [
            IndexItem(id=key, text=d.text, metadata={"schema": schema_name, "source": d.source})
            for key, d in fresh.items()
        ]
        self.index.upsert(items)
        with self.ws.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO demos VALUES (?, ?, ?, ?)",
                [(key, d.source, schema_name, d.model_dump_json()) for key, d in rows.items()],
            )
        log.info("demonstrations: %d added, %d already stored", len(fresh), len(rows) - len(fresh))
        return len(fresh)

    def retrieve(self, text: str, k: int = 4, token_budget: int = 600) -> list[Demonstration]:
        """Return up to ``k`` demonstrations most similar to ``text`` that fit in ``token_budget``.

        A demonstration whose text equals ``text`` is never returned (it would give the answer away).
        """
        if k <= 0 or token_budget <= 0:
            return []
        where = {"schema": self.schema_name} if self.schema_name else None
        hits = self.index.query(text, k=3 * k, where=where)
        chosen, used = [], 0
        for demo in self._load([h.id for h in hits]):
            if demo.text.strip() == text.strip() or used + demo.tokens() > token_budget:
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

    def summary(self) -> list[tuple[str, str, int]]:
        """Return (schema, source file, count) for every stored group of demonstrations."""
        rows = self.ws.db.execute(
            "SELECT schema_name, substr(source, 1, instr(source || '#', '#') - 1) AS file, count(*) "
            "FROM demos GROUP BY schema_name, file ORDER BY schema_name, file"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def count(self) -> int:
        """Return the number of stored demonstrations."""
        return int(self.ws.db.execute("SELECT count(*) FROM demos").fetchone()[0])
