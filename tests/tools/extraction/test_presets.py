"""Every schema preset loads, and every label of the dev corpora maps to a preset type."""

from __future__ import annotations

from pathlib import Path

import pytest

from factloom.ingest.corpora import read_corpus
from factloom.tools.extraction.gold import relation_type, to_schema
from factloom.tools.extraction.schema import PRESETS, load_schema

CORPORA = [
    ("conll04/dev_triples.json", "news"),
    ("scierc/dev_triples.json", "science"),
    ("scierc/dev.json", "science"),
    ("ade/ade_split_0_train.json", "biomed"),
    ("bc5cdr/CDR_DevelopmentSet.PubTator.txt", "biomed"),
    ("biored/Dev.PubTator", "biomed"),
    ("biored/Dev.BioC.JSON", "biomed"),
    ("cuad", "contracts"),
    ("redocred/dev_revised.json", "open"),
]


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_with_described_types(name: str) -> None:
    schema = load_schema(name)
    assert schema.name == name
    assert all(t.description for t in schema.entity_types)
    assert all(r.description for r in schema.relation_types)


@pytest.mark.parametrize(("path", "preset"), CORPORA)
def test_every_dev_label_maps_to_the_preset(shared_data: Path, path: str, preset: str) -> None:
    schema = load_schema(preset)
    docs = read_corpus(shared_data / path)
    _, dropped = to_schema(docs, schema)
    assert not dropped, (
        f"{preset} cannot express {dict(dropped.entity_labels)} {dict(dropped.relation_labels)}"
    )
    entity_labels = {e.type for d in docs for e in d.entities}
    assert all(schema.entity_type_for_label(label) in schema.entity_names for label in entity_labels)


def test_news_maps_conll04_labels_to_clean_names() -> None:
    schema = load_schema("news")
    assert [schema.entity_type_for_label(x) for x in ("Peop", "Org", "Loc", "Other")] == [
        "person",
        "organization",
        "location",
        "other",
    ]
    assert schema.relation_type_for_label("OrgBased_In") == "orgbased_in"
    assert schema.allows("person", "work_for", "organization") and not schema.allows(
        "organization", "work_for", "person"
    )


def test_science_maps_both_scierc_spellings() -> None:
    schema = load_schema("science")
    assert (
        schema.relation_type_for_label("USED-FOR") == schema.relation_type_for_label("Used-for") == "used_for"
    )
    assert schema.entity_type_for_label("OtherScientificTerm") == "other_scientific_term"


def test_contracts_have_one_type_per_cuad_category_and_functional_facts() -> None:
    schema = load_schema("contracts")
    assert len(schema.entity_types) == 41
    assert schema.relation("governing_law").functional
    assert schema.entity_type_for_label("Governing Law") == "jurisdiction"


def test_open_schema_keeps_unlisted_relation_labels() -> None:
    schema = load_schema("open")
    assert relation_type(schema, "located in the administrative territorial entity") == "located_in"
    assert relation_type(schema, "sister city") == "sister_city"
