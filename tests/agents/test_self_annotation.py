"""Self-annotation: only confident, single-passage relations become demonstrations."""

from __future__ import annotations

from factloom.agents.self_annotation import demonstrations_from_graph
from factloom.tools.extraction.kg import Entity, Evidence, Mention, Relation

QUOTE = "Ann Lee works for IBM."


def _graph(confidence: float, status: str = "verified") -> tuple[list[Entity], list[Relation]]:
    ann = Mention(
        mention_id="m1", doc_id="d", chunk_id="c", start=0, end=7, text="Ann Lee", type="person", page=1
    )
    ibm = Mention(
        mention_id="m2", doc_id="d", chunk_id="c", start=18, end=21, text="IBM", type="organization", page=1
    )
    entities = [
        Entity(entity_id="e1", name="Ann Lee", type="person", mentions=[ann]),
        Entity(entity_id="e2", name="IBM", type="organization", mentions=[ibm]),
    ]
    ev = Evidence(doc_id="d", page=1, start=0, end=22, quote=QUOTE)
    return entities, [
        Relation(
            relation_id="r",
            head="e1",
            type="work_for",
            tail="e2",
            confidence=confidence,
            evidence=[ev],
            status=status,  # type: ignore[arg-type]
        )
    ]


def test_a_confident_relation_becomes_a_demonstration_of_its_sentence() -> None:
    [demo] = demonstrations_from_graph(*_graph(0.95))
    assert demo.text == QUOTE and [e.text for e in demo.entities] == ["Ann Lee", "IBM"]
    assert [(r.head, r.type, r.tail) for r in demo.relations] == [("Ann Lee", "work_for", "IBM")]


def test_unsure_relations_are_not_used() -> None:
    assert demonstrations_from_graph(*_graph(0.5)) == []


def test_an_unverified_relation_is_never_a_demonstration_however_confident() -> None:
    assert demonstrations_from_graph(*_graph(0.99, status="unverified")) == []
