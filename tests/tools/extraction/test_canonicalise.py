"""Matching an open extraction's labels to a schema's types (real MiniLM), and rewriting a graph with them."""

from __future__ import annotations

import pytest

from factloom.ingest.embed import get_embedder
from factloom.tools.extraction.canonicalise import (
    Canonicalisation,
    TypeMatch,
    apply_mapping,
    match_labels,
    refused,
    type_texts,
)
from factloom.tools.extraction.kg import Entity, Relation
from factloom.tools.extraction.schema import EntityType, RelationType, Schema

SCHEMA = Schema(
    name="jobs",
    entity_types=[
        EntityType(name="person", description="A named human being."),
        EntityType(name="organisation", description="A company, institution or other organised group."),
        EntityType(name="location", description="A named place, such as a country, region or city."),
    ],
    relation_types=[
        RelationType(
            name="Work_For",
            description="The person works for or is employed by the organisation.",
            domain=["person"],
            range=["organisation"],
        ),
        RelationType(
            name="Live_In",
            description="The person lives in the location.",
            domain=["person"],
            range=["location"],
            aliases=["resides_in"],
        ),
    ],
)


@pytest.fixture(scope="module")
def embed():
    return get_embedder().embed


def test_phrases_meaning_work_for_map_to_it_and_others_stay_unmapped(embed) -> None:
    counts = {"works_for": 3, "is_employed_by": 2, "born_in": 1, "acquired": 1}
    found = {m.label: m for m in match_labels(counts, "relation", SCHEMA.relation_types, embed)}
    assert [m.label for m in found.values()] == ["works_for", "is_employed_by", "acquired", "born_in"]
    assert found["works_for"].closest == "Work_For" and found["works_for"].mapped
    assert found["is_employed_by"].closest == "Work_For" and found["is_employed_by"].mapped
    assert not found["born_in"].mapped and not found["acquired"].mapped  # reported, never forced
    assert found["born_in"].similarity < found["is_employed_by"].similarity
    assert found["works_for"].count == 3


def test_a_label_the_schema_lists_as_an_alias_is_that_type(embed) -> None:
    """An induced schema's aliases are the labels behind each type: they map exactly."""
    (match,) = match_labels({"Resides In": 4}, "relation", SCHEMA.relation_types, embed)
    assert (match.closest, match.similarity, match.mapped) == ("Live_In", 1.0, True)
    (match,) = match_labels({"organisation": 2}, "entity", SCHEMA.entity_types, embed)
    assert (match.closest, match.similarity) == ("organisation", 1.0)


def test_a_schema_without_relation_types_maps_no_phrase(embed) -> None:
    (match,) = match_labels({"works_for": 1}, "relation", [], embed)
    assert (match.closest, match.mapped) == ("", False)


def test_type_texts_are_name_description_and_aliases() -> None:
    assert type_texts(SCHEMA.relation_types[1]) == [
        "Live In",
        "The person lives in the location.",
        "Live In: The person lives in the location.",
        "resides in",
    ]


def _canon(*matches: tuple[str, str, str]) -> Canonicalisation:
    return Canonicalisation(
        target=SCHEMA,
        threshold=0.55,
        matches=[
            TypeMatch(kind=k, label=label, count=1, closest=t, similarity=0.9, mapped=True)  # type: ignore[arg-type]
            for k, label, t in matches
        ],
    )


def test_a_mapped_relation_takes_the_type_only_where_domain_and_range_allow() -> None:
    entities = [
        Entity(entity_id="ann", name="Ann Lee", type="people"),
        Entity(entity_id="acme", name="Acme Corp", type="company"),
        Entity(entity_id="zen", name="Zenith Ltd", type="company"),
    ]
    relations = [
        Relation(relation_id="r1", head="ann", type="works_for", tail="acme"),
        Relation(relation_id="r2", head="acme", type="works_for", tail="zen"),  # organisation -> organisation
    ]
    canon = _canon(
        ("entity", "people", "person"),
        ("entity", "company", "organisation"),
        ("relation", "works_for", "Work_For"),
    )
    ents, rels = apply_mapping(entities, relations, canon)
    assert [e.type for e in ents] == ["person", "organisation", "organisation"]
    assert [(r.relation_id, r.type, r.phrase) for r in rels] == [
        ("r1", "Work_For", "works_for"),
        ("r2", "works_for", ""),
    ]
    assert refused(relations, rels, canon) == {"works_for": 1}
    assert relations[0].type == "works_for" and entities[0].type == "people"  # the inputs are not changed


def test_an_unmapped_head_type_keeps_the_relation_as_extracted() -> None:
    entities = [
        Entity(entity_id="x", name="Rex", type="dog"),
        Entity(entity_id="acme", name="Acme Corp", type="organisation"),
    ]
    relations = [Relation(relation_id="r1", head="x", type="works_for", tail="acme")]
    _, rels = apply_mapping(entities, relations, _canon(("relation", "works_for", "Work_For")))
    assert (rels[0].type, rels[0].phrase) == ("works_for", "")
