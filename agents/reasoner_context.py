"""What the relation reasoner is told about the rest of the document.

Given the document entities found so far (the registry), a chunk's reasoner sees the entities its mentions
belong to (with their aliases) and, within a token budget, passages of OTHER chunks that mention the same
entities: retrieval by shared entity, which needs no vector search.
"""

from __future__ import annotations

from collections.abc import Sequence

from factloom.agents.relation_reasoner import ReasonerInput
from factloom.ingest.models import Chunk, Document
from factloom.ingest.sentences import sentence_span
from factloom.tools.extraction.kg import Entity, Mention

CHARS_PER_TOKEN = 4
MAX_PASSAGE_CHARS = 300


def _passage(text: str, m: Mention) -> str:
    start, end = sentence_span(text, m.start, m.end)
    start = max(start, m.start - MAX_PASSAGE_CHARS // 2)
    end = min(end, max(m.end, start + MAX_PASSAGE_CHARS))
    return " ".join(text[start:end].split())


def reasoner_input(
    doc: Document, chunk: Chunk, mentions: Sequence[Mention], registry: Sequence[Entity], token_budget: int
) -> ReasonerInput:
    """Return the reasoner's input for ``chunk``: its mentions, their entities, and related passages."""
    own = [m for m in mentions if m.chunk_id == chunk.chunk_id]
    own_ids = {m.mention_id for m in own}
    entities = [e for e in registry if any(m.mention_id in own_ids for m in e.mentions)]
    entities.sort(key=lambda e: (-len(e.mentions), e.entity_id))
    passages: list[str] = []
    budget = token_budget * CHARS_PER_TOKEN
    for entity in entities:
        elsewhere = [m for m in entity.mentions if m.chunk_id != chunk.chunk_id]
        if not elsewhere:
            continue
        passage = _passage(doc.text, elsewhere[0])
        if passage in passages or len(passage) > budget:
            continue
        passages.append(passage)
        budget -= len(passage)
    return ReasonerInput(
        chunk=chunk, mentions=own, registry=entities, context=passages, focus=co_occurrences(chunk, own)
    )


def co_occurrences(chunk: Chunk, mentions: Sequence[Mention]) -> str:
    """Return the chunk's sentences that name at least two different entities, one per line.

    A relation needs evidence naming its head and tail (the verifier checks it), so the reasoner only
    needs these sentences: fewer prompt tokens, and a smaller haystack for a small model.
    """
    spans: dict[tuple[int, int], set[str]] = {}
    for m in mentions:
        bounds = sentence_span(chunk.text, m.start - chunk.start, m.end - chunk.start)
        spans.setdefault(bounds, set()).add(m.text)
    chosen = sorted(span for span, names in spans.items() if len(names) >= 2)
    return "\n".join(" ".join(chunk.text[s:e].split()) for s, e in chosen)
