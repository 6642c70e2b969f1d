"""What the baselines are given: retrieved demonstrations as peer examples, within the label set."""

from __future__ import annotations

from factloom.graphs.eval.peer_langextract import demo_examples, peer_examples
from factloom.tools.extraction.demos import DemoEntity, Demonstration, DemoRelation
from factloom.tools.extraction.schema import load_schema


def test_retrieved_demonstrations_become_langextract_examples() -> None:
    demo = Demonstration(
        text="Bo Li works for Initech .",
        entities=(DemoEntity(text="Bo Li", type="person"), DemoEntity(text="Initech", type="organization")),
        relations=(DemoRelation(head="Bo Li", type="work_for", tail="Initech"),),
    )
    assert demo_examples([demo]) == [
        (demo.text, [("Bo Li", "person"), ("Initech", "organization")], [("Bo Li", "work_for", "Initech")])
    ]


def test_fallback_example_keeps_to_the_offered_labels() -> None:
    """Regression: on ADE the peer's invented example showed ``cid``, which ADE's labels do not offer."""
    biomed = load_schema("biomed")
    ade = biomed.model_copy(
        update={
            "entity_types": [t for t in biomed.entity_types if t.name in ("chemical", "disease")],
            "relation_types": [r for r in biomed.relation_types if r.name == "adverse_effect"],
        }
    )
    [(_, entities, relations)] = peer_examples(ade)
    assert {t for _, t in entities} == {"chemical", "disease"}
    assert relations == []
    assert len(peer_examples(biomed)[0][2]) == 2
