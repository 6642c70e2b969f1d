"""Self-annotation: verified high-confidence facts become demonstrations for later chunks (off by default).

Only relations the verifier checked (``status == "verified"``) qualify: an unchecked guess never teaches.
"""

from __future__ import annotations

from collections.abc import Sequence

from factloom.tools.extraction.demos import DemoEntity, Demonstration, DemoRelation
from factloom.tools.extraction.kg import Entity, Relation

MIN_CONFIDENCE = 0.9


def demonstrations_from_graph(
    entities: Sequence[Entity], relations: Sequence[Relation], min_confidence: float = MIN_CONFIDENCE
) -> list[Demonstration]:
    """Return one demonstration per evidence sentence of a relation at or above ``min_confidence``.

    Only single-passage evidence is used; the demonstration lists the relation's two mentions inside it.
    """
    by_id = {e.entity_id: e for e in entities}
    demos: dict[str, Demonstration] = {}
    for rel in relations:
        head, tail = by_id.get(rel.head), by_id.get(rel.tail)
        if rel.status != "verified" or rel.confidence < min_confidence or head is None or tail is None:
            continue
        if len(rel.evidence) != 1:
            continue
        ev = rel.evidence[0]
        inside = [(e, m) for e in (head, tail) for m in e.mentions if ev.start <= m.start and m.end <= ev.end]
        head_m = next((m for e, m in inside if e is head), None)
        tail_m = next((m for e, m in inside if e is tail), None)
        if head_m is None or tail_m is None:
            continue
        demo = Demonstration(
            text=ev.quote,
            entities=(
                DemoEntity(text=head_m.text, type=head.type),
                DemoEntity(text=tail_m.text, type=tail.type),
            ),
            relations=(DemoRelation(head=head_m.text, type=rel.type, tail=tail_m.text),),
            source=f"self:{ev.doc_id}",
        )
        demos.setdefault(demo.demo_id, demo)
    return list(demos.values())
