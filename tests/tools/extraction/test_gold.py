"""The corpus's own label set: a preset is cut down to the types the gold uses, for every system."""

from __future__ import annotations

from pathlib import Path

from factloom.ingest.corpora import read_corpus
from factloom.tools.extraction.gold import restrict_to_gold, to_schema
from factloom.tools.extraction.schema import load_schema


def test_ade_offers_only_adverse_effect(shared_data: Path) -> None:
    """Regression: ADE under biomed offered ``cid`` too, and the corpus scores only ``adverse_effect``."""
    biomed = load_schema("biomed")
    docs, _ = to_schema(read_corpus(shared_data / "ade/ade_split_0_train.json", "spert")[:300], biomed)
    ade = restrict_to_gold(biomed, docs)
    assert ade.relation_names == ["adverse_effect"]
    assert ade.entity_names == ["chemical", "disease"]
    assert ade.name == biomed.name and ade.version() != biomed.version()
    assert ade.relation("adverse_effect") == biomed.relation("adverse_effect")  # descriptions kept


def test_conll04_keeps_its_whole_label_set(shared_data: Path) -> None:
    news = load_schema("news")
    docs, _ = to_schema(read_corpus(shared_data / "conll04/dev_triples.json", "spert"), news)
    kept = restrict_to_gold(news, docs)
    assert set(kept.relation_names) == {"live_in", "orgbased_in", "work_for", "located_in", "kill"}
    assert set(kept.entity_names) == {"person", "location", "organization", "other"}


def test_open_schema_is_left_alone() -> None:
    schema = load_schema("open")
    assert restrict_to_gold(schema, []) is schema
