"""Link a question to graph entities: exact aliases first, then the entity vector index.

Exact linking looks up every word n-gram of the normalised question in the alias table and keeps the
longest non-overlapping matches. The vector index (Chroma collection ``entities``: name, type and
aliases of each entity) catches paraphrases and misspellings; it is built or refreshed here from the
graph when it is missing or stale.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Literal

from pydantic import BaseModel, ConfigDict

from factloom.ingest.embed import Embedder
from factloom.ingest.index import IndexItem, VectorIndex
from factloom.tools.names import lookup_key
from factloom.tools.query.graph_index import GraphIndex, graph_fingerprint

log = logging.getLogger(__name__)

ENTITY_COLLECTION = "entities"
MAX_NGRAM = 8
_STOPWORD_TEXT = (
    "a an and are as at be by can did do does for from had has have how i in is it its of on or "
    "that the their there these this to was were what when where which who whom why will with"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Words that alone never name an entity."""

VECTOR_DDL = "CREATE TABLE IF NOT EXISTS qx_entity_vectors (entity_id TEXT PRIMARY KEY, text TEXT NOT NULL);"


class LinkedEntity(BaseModel):
    """An entity the question refers to, and how it was found."""

    model_config = ConfigDict(frozen=True)

    entity_id: str
    name: str
    type: str
    score: float
    method: Literal["alias", "vector", "history"]
    matched: str = ""


class LinkConfig(BaseModel):
    """Limits of linking."""

    model_config = ConfigDict(frozen=True)

    max_per_alias: int = 3
    vector_k: int = 5
    min_vector_score: float = 0.45
    min_vector_score_with_alias: float = 0.6
    max_entities: int = 8


class MemoEmbedder:
    """Wrap an embedder so that one question queried against several indexes is embedded once."""

    def __init__(self, inner: Embedder, size: int = 64) -> None:
        self.inner = inner
        self.dim = inner.dim
        self.size = size
        self._memo: OrderedDict[str, list[float]] = OrderedDict()

    def embed(self, texts: list[str], batch_size: int = 64) -> list[list[float]]:
        """Embed texts; a single text seen recently is served from memory."""
        if len(texts) != 1:
            return self.inner.embed(texts, batch_size=batch_size)
        text = texts[0]
        if text not in self._memo:
            self._memo[text] = self.inner.embed([text])[0]
            if len(self._memo) > self.size:
                self._memo.popitem(last=False)
        self._memo.move_to_end(text)
        return [self._memo[text]]


def entity_text(name: str, type_: str, aliases: list[str], max_aliases: int = 5) -> str:
    """Return the text embedded for an entity: its name, type and a few aliases."""
    others = [a for a in dict.fromkeys(aliases) if a != name][:max_aliases]
    return f"{name} ({type_})" + (f"; also: {', '.join(others)}" if others else "")


def refresh_entity_vectors(graph: GraphIndex, vectors: VectorIndex, batch: int = 256) -> int:
    """Embed entities that are new or changed since the last refresh; return how many were embedded.

    Entities that left the graph may stay in the collection; linking ignores ids the graph lacks.
    """
    fingerprint = graph_fingerprint(graph.ws)
    graph.ws.ensure_tables(VECTOR_DDL)
    if graph.meta("entity_vectors_fingerprint") == fingerprint:
        return 0
    graph.refresh()
    done = {r[0]: r[1] for r in graph.db.execute("SELECT entity_id, text FROM qx_entity_vectors")}
    if vectors.count() < len(done):  # the Chroma store was removed or reset: embed everything again
        done = {}
    todo = []
    for entity_id, name, type_, aliases in graph.all_entities():
        text = entity_text(name, type_, aliases)
        if done.get(entity_id) != text:
            todo.append(IndexItem(entity_id, text, {"name": name, "type": type_}))
    for lo in range(0, len(todo), batch):
        part = todo[lo : lo + batch]
        vectors.upsert(part)
        with graph.ws.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO qx_entity_vectors VALUES (?, ?)", [(t.id, t.text) for t in part]
            )
    graph.set_meta("entity_vectors_fingerprint", fingerprint)
    log.info("entity index: embedded %d entities", len(todo))
    return len(todo)


def _ngrams(tokens: list[str]) -> list[tuple[int, int, str]]:
    grams = []
    for n in range(min(MAX_NGRAM, len(tokens)), 0, -1):
        for i in range(len(tokens) - n + 1):
            words = tokens[i : i + n]
            if all(w in STOPWORDS for w in words) or (n == 1 and len(words[0]) < 2):
                continue
            grams.append((i, i + n, " ".join(words)))
    return grams


def link_aliases(question: str, graph: GraphIndex, config: LinkConfig | None = None) -> list[LinkedEntity]:
    """Return the entities named exactly (after normalisation) in the question, longest names first."""
    config = config or LinkConfig()
    grams = _ngrams(lookup_key(question).split())
    found = graph.entity_ids_by_alias(g[2] for g in grams)
    taken: set[int] = set()
    picked: list[tuple[str, list[str]]] = []
    for start, end, key in grams:  # longest first, so a longer name wins over its parts
        if key in found and not taken.intersection(range(start, end)):
            taken.update(range(start, end))
            picked.append((key, found[key][: config.max_per_alias]))
    linked = []
    for key, ids in picked:
        for rank, entity in enumerate(graph.entities(ids)):
            score = 1.0 - 0.01 * rank
            linked.append(LinkedEntity(**_fields(entity), score=score, method="alias", matched=key))
    return linked


def link_vectors(
    question: str, graph: GraphIndex, vectors: VectorIndex, config: LinkConfig | None = None
) -> list[LinkedEntity]:
    """Return entities whose indexed text is similar enough to the question."""
    config = config or LinkConfig()
    hits = [h for h in vectors.query(question, k=config.vector_k) if h.score >= config.min_vector_score]
    by_id = {e.entity_id: e for e in graph.entities(h.id for h in hits)}
    return [
        LinkedEntity(**_fields(by_id[h.id]), score=round(h.score, 4), method="vector", matched=h.text)
        for h in hits
        if h.id in by_id
    ]


def link(
    question: str,
    graph: GraphIndex,
    vectors: VectorIndex | None = None,
    config: LinkConfig | None = None,
) -> list[LinkedEntity]:
    """Link a question to entities: exact aliases, then (when given) the vector index."""
    config = config or LinkConfig()
    linked = link_aliases(question, graph, config)
    if vectors is not None:
        floor = config.min_vector_score_with_alias if linked else config.min_vector_score
        seen = {e.entity_id for e in linked}
        linked += [
            e
            for e in link_vectors(question, graph, vectors, config)
            if e.score >= floor and e.entity_id not in seen
        ]
    log.debug("linked %r to %s", question, [e.name for e in linked])
    return linked[: config.max_entities]


def _fields(entity: object) -> dict[str, str]:
    return {"entity_id": entity.entity_id, "name": entity.name, "type": entity.type}
