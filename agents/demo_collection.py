"""Demonstrations from the collection itself: verified passages of an extracted document (self-annotation).

Stricter than the in-run self-annotation (``agents.self_annotation``): a passage (the evidence sentence of
a relation) becomes a demonstration only when EVERY relation stated in it was verified with at least
``min_confidence`` and its evidence was found exactly (not fuzzily); the demonstration then lists all the
document's mentions inside the passage and all those relations, so it teaches no omission. Its source is
``collection:<doc id>``, so the evaluation path can drop the demonstrations of a document it scores
(``tools.extraction.demos.DemoStore.remove_documents``) and retrieval never shows one to the passage it
came from.
"""

from __future__ import annotations

from collections.abc import Sequence

from factloom.tools.extraction.demos import (
    COLLECTION_SOURCE,
    MAX_PASSAGE_CHARS,
    DemoEntity,
    Demonstration,
    DemoRelation,
)
from factloom.tools.extraction.kg import Entity, Mention, Relation

MIN_CONFIDENCE = 0.9


def _trusted(rel: Relation, min_confidence: float) -> bool:
    return (
        rel.status == "verified"
        and rel.confidence >= min_confidence
        and len(rel.evidence) == 1
        and rel.evidence[0].method == "exact"
    )


def demonstrations_from_document(
    doc_id: str,
    entities: Sequence[Entity],
    relations: Sequence[Relation],
    mentions: Sequence[Mention],
    min_confidence: float = MIN_CONFIDENCE,
) -> list[Demonstration]:
    """Return one demonstration per evidence passage whose every relation is trusted (see the module)."""
    by_id = {e.entity_id: e for e in entities}
    passages = {
        (ev.start, ev.end): ev.quote for r in relations if _trusted(r, min_confidence) for ev in r.evidence
    }
    demos: dict[str, Demonstration] = {}
    for (start, end), quote in sorted(passages.items()):
        if len(quote) > MAX_PASSAGE_CHARS:
            continue
        inside = [r for r in relations if any(start <= ev.start and ev.end <= end for ev in r.evidence)]
        if not all(_trusted(r, min_confidence) for r in inside):
            continue  # an unsure fact in the passage: showing it, or leaving it out, would mislead
        found = sorted((m for m in mentions if start <= m.start and m.end <= end), key=lambda m: m.start)
        texts = {m.text for m in found}
        rels = []
        for r in inside:
            head, tail = by_id.get(r.head), by_id.get(r.tail)
            head_m = _inside(head, start, end)
            tail_m = _inside(tail, start, end)
            if head_m is None or tail_m is None or head_m.text not in texts or tail_m.text not in texts:
                break
            rels.append(DemoRelation(head=head_m.text, type=r.type, tail=tail_m.text))
        else:
            demo = Demonstration(
                text=quote,
                entities=tuple(dict.fromkeys(DemoEntity(text=m.text, type=m.type) for m in found)),
                relations=tuple(dict.fromkeys(rels)),
                source=f"{COLLECTION_SOURCE}{doc_id}",
            )
            demos.setdefault(demo.demo_id, demo)
    return list(demos.values())


def _inside(entity: Entity | None, start: int, end: int) -> Mention | None:
    if entity is None:
        return None
    return next((m for m in entity.mentions if start <= m.start and m.end <= end), None)
