"""The neighbourhood of linked entities in the graph, and the evidence passages behind it.

Evidence comes from three places, strongest first: the quotes of relations between the linked
entities and their neighbours, the best sentences of the chunks most similar to the question
(the chunk index), and the sentences around the linked entities' own mentions. Every item points
into a document's text (``text[start:end] == quote``) and gets a short id (``E1``, ``E2``...) that
the answer cites.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from factloom.ingest.index import VectorIndex
from factloom.ingest.sentences import sentence_bounds, sentence_span
from factloom.tools.extraction.kg import Entity, Relation
from factloom.tools.names import lookup_key
from factloom.tools.query.graph_index import GraphIndex
from factloom.tools.query.linking import STOPWORDS

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")


class Limits(BaseModel):
    """Caps of the neighbourhood and the evidence list."""

    model_config = ConfigDict(frozen=True)

    hops: int = 1
    max_nodes: int = 40
    max_edges: int = 80
    max_evidence: int = 8
    chunk_k: int = 4
    min_chunk_score: float = 0.2
    max_quote_chars: int = 400


class Subgraph(BaseModel):
    """Entities around the seeds and the relations between them."""

    seeds: list[str]
    entities: list[Entity]
    relations: list[Relation]

    def to_json(self) -> dict[str, list[dict]]:
        """Return ``{"nodes", "edges"}`` for drawing (no mentions)."""
        seeds = set(self.seeds)
        nodes = [
            {"id": e.entity_id, "name": e.name, "type": e.type, "seed": e.entity_id in seeds}
            for e in self.entities
        ]
        edges = [
            {
                "id": r.relation_id,
                "source": r.head,
                "target": r.tail,
                "type": r.type,
                "n_evidence": len(r.evidence),
            }
            for r in self.relations
        ]
        return {"nodes": nodes, "edges": edges}


class EvidenceItem(BaseModel):
    """A passage an answer may cite: ``document.text[start:end] == quote``."""

    model_config = ConfigDict(frozen=True)

    evidence_id: str
    doc_id: str
    page: int
    start: int
    end: int
    quote: str
    source: Literal["relation", "chunk", "mention"]
    fact: str = ""
    entity_ids: list[str] = Field(default_factory=list)


def neighbourhood(graph: GraphIndex, seeds: Iterable[str], limits: Limits | None = None) -> Subgraph:
    """Return the seeds, their neighbours up to ``limits.hops`` away and the relations among them."""
    limits = limits or Limits()
    seed_ids = list(dict.fromkeys(seeds))
    nodes = list(seed_ids)
    relations: dict[str, Relation] = {}
    frontier = seed_ids
    for _ in range(limits.hops):
        if not frontier or len(nodes) >= limits.max_nodes:
            break
        found = graph.relations_of(frontier, limit=limits.max_edges - len(relations))
        next_frontier = []
        for r in found:
            for end in (r.head, r.tail):
                if end not in nodes and len(nodes) < limits.max_nodes:
                    nodes.append(end)
                    next_frontier.append(end)
            if r.head in nodes and r.tail in nodes:
                relations.setdefault(r.relation_id, r)
        frontier = next_frontier
    entities = graph.entities(nodes)
    return Subgraph(seeds=seed_ids, entities=entities, relations=list(relations.values()))


def sentence_around(text: str, start: int, end: int, max_chars: int = 400) -> tuple[int, int]:
    """Return the span of the sentence holding ``text[start:end]``, at most ``max_chars`` long."""
    left, right = sentence_span(text, start, end, max_chars)
    if right - left > max_chars:
        left = max(left, start - (max_chars - (end - start)) // 2)
        right = min(right, left + max_chars)
    return _strip_span(text, left, right)


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def best_sentences(text: str, query_words: set[str], n: int = 1) -> list[tuple[int, int]]:
    """Return the spans of the ``n`` sentences of ``text`` sharing most words with the query."""
    spans = sentence_bounds(text)
    scored = [
        (len(query_words & {w.casefold() for w in _WORD.findall(text[s:e])}), -i, (s, e))
        for i, (s, e) in enumerate(spans)
        if e > s
    ]
    scored.sort(reverse=True)
    return [span for overlap, _i, span in scored[:n] if overlap > 0]


class EvidenceCollector:
    """Gathers evidence items in priority order, without duplicates, up to a cap."""

    def __init__(self, max_items: int) -> None:
        self.items: list[EvidenceItem] = []
        self.max_items = max_items
        self._seen: set[tuple[str, int, int]] = set()

    @property
    def full(self) -> bool:
        """Return True when no more items are wanted."""
        return len(self.items) >= self.max_items

    def add(self, **fields: object) -> None:
        """Add an item unless it repeats a span already held or the list is full."""
        key = (fields["doc_id"], fields["start"], fields["end"])
        if self.full or key in self._seen or not fields["quote"]:
            return
        self._seen.add(key)
        self.items.append(EvidenceItem(evidence_id=f"E{len(self.items) + 1}", **fields))


def gather_evidence(
    question: str,
    sub: Subgraph,
    doc_text: Callable[[str], str | None],
    chunks: VectorIndex | None = None,
    limits: Limits | None = None,
) -> list[EvidenceItem]:
    """Return the evidence for a question: relation quotes, chunk sentences, mention sentences.

    Args:
        question: the user's question.
        sub: the neighbourhood of the linked entities.
        doc_text: returns a document's text by id (None when the document is not in the workspace).
        chunks: the chunk index; skipped when None.
        limits: caps.
    """
    limits = limits or Limits()
    out = EvidenceCollector(limits.max_evidence)
    names = {e.entity_id: e.name for e in sub.entities}
    seeds = set(sub.seeds)
    rank = {entity_id: i for i, entity_id in enumerate(sub.seeds)}
    far = len(rank)
    ranked = sorted(
        sub.relations,
        key=lambda r: (min(rank.get(r.head, far), rank.get(r.tail, far)), -r.confidence, r.relation_id),
    )
    for r in ranked:
        fact = f"{names.get(r.head, r.head)} --{r.type}--> {names.get(r.tail, r.tail)}"
        for ev in r.evidence[:2]:
            out.add(
                doc_id=ev.doc_id,
                page=ev.page,
                start=ev.start,
                end=ev.end,
                quote=ev.quote,
                source="relation",
                fact=fact,
                entity_ids=[r.head, r.tail],
            )
    if chunks is not None:
        _add_chunk_sentences(question, sub, chunks, out, limits)
    for entity in sorted((e for e in sub.entities if e.entity_id in seeds), key=lambda e: rank[e.entity_id]):
        for m in entity.mentions[:2]:
            text = doc_text(m.doc_id)
            if text is None:
                continue
            s, e = sentence_around(text, m.start, m.end, limits.max_quote_chars)
            out.add(
                doc_id=m.doc_id,
                page=m.page,
                start=s,
                end=e,
                quote=text[s:e],
                source="mention",
                entity_ids=[entity.entity_id],
            )
    return out.items


def _add_chunk_sentences(
    question: str, sub: Subgraph, chunks: VectorIndex, out: EvidenceCollector, limits: Limits
) -> None:
    words = {w for w in lookup_key(question).split() if len(w) > 2 and w not in STOPWORDS}
    words |= {w for e in sub.entities if e.entity_id in sub.seeds for w in lookup_key(e.name).split()}
    for hit in chunks.query(question, k=limits.chunk_k):
        if hit.score < limits.min_chunk_score:
            continue
        meta = hit.metadata
        base = int(meta["start"])
        for s, e in best_sentences(hit.text, words, n=1):
            if e - s > limits.max_quote_chars:
                e = s + limits.max_quote_chars
            out.add(
                doc_id=str(meta["doc_id"]),
                page=int(meta.get("page", 1)),
                start=base + s,
                end=base + e,
                quote=hit.text[s:e],
                source="chunk",
            )
