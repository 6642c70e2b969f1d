"""Schema -> pydantic output models -> the JSON schema a backend constrains decoding with."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from factloom.tools.extraction.output_models import (
    choice_output_model,
    entity_output_model,
    entity_types_of,
    reasoner_output_model,
    verifier_output_model,
)
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.structured import output_schema


def _item(schema: dict, key: str) -> dict:
    return schema["properties"][key]["items"]


def test_closed_schema_entity_types_become_an_enum() -> None:
    news = load_schema("news")
    js = output_schema(entity_output_model(entity_types_of(news)))
    item = _item(js, "entities")
    assert item["properties"]["type"]["enum"] == ["person", "organization", "location", "other"]
    assert js["properties"]["entities"]["maxItems"] == 16
    assert item["properties"]["text"]["maxLength"] == 60


def test_an_off_schema_type_does_not_validate() -> None:
    model = entity_output_model(("person", "location"))
    model.model_validate({"entities": [{"text": "Paris", "type": "location"}]})
    with pytest.raises(ValidationError):
        model.model_validate({"entities": [{"text": "Paris", "type": "city"}]})


def test_open_schema_types_are_bounded_free_strings() -> None:
    js = output_schema(entity_output_model(None))
    prop = _item(js, "entities")["properties"]["type"]
    assert prop["type"] == "string" and "enum" not in prop and prop["maxLength"] == 40


CHOICES = (("work_for", ("John Smith",), ("Acme",)), ("live_in", ("John Smith",), ("Boston", "Paris")))


def test_reasoner_offers_only_legal_head_type_tail_combinations() -> None:
    model = reasoner_output_model(CHOICES, (), cot=True)
    js = output_schema(model)
    assert list(js["properties"]) == ["reasoning", "relations"]  # reasoning is decoded first
    assert js["properties"]["reasoning"]["maxLength"] == 300
    live_in = _item(js, "relations")["anyOf"][1]["properties"]
    assert live_in["type"]["const"] == "live_in" and live_in["tail"]["enum"] == ["Boston", "Paris"]
    ok = {"head": "John Smith", "type": "live_in", "tail": "Paris", "evidence": "x"}
    model.model_validate({"reasoning": "", "relations": [ok]})
    with pytest.raises(ValidationError):
        model.model_validate({"reasoning": "", "relations": [{**ok, "type": "work_for"}]})


def test_open_reasoner_types_are_free_and_mentions_are_an_enum() -> None:
    item = _item(output_schema(reasoner_output_model(None, ("A", "B"), cot=False)), "relations")["properties"]
    assert item["head"]["enum"] == item["tail"]["enum"] == ["A", "B"] and item["type"]["type"] == "string"


def test_without_cot_there_is_no_reasoning_field() -> None:
    model = reasoner_output_model(CHOICES, (), cot=False)
    assert list(output_schema(model)["properties"]) == ["relations"]


def test_reasoner_model_needs_something_to_relate() -> None:
    with pytest.raises(ValueError, match="at least one mention"):
        reasoner_output_model(None, ())
    with pytest.raises(ValueError, match="at least one legal relation"):
        reasoner_output_model((), ("A", "B"))


def test_verifier_verdicts_are_bounded_to_the_numbered_facts() -> None:
    model = verifier_output_model(3)
    js = output_schema(model)
    item = _item(js, "verdicts")["properties"]
    assert item["verdict"]["enum"] == ["supported", "unsupported", "wrong_type"]
    assert js["properties"]["verdicts"]["maxItems"] == 3
    with pytest.raises(ValidationError):
        model.model_validate(
            {"verdicts": [{"fact": 4, "rationale": "r", "verdict": "supported", "confidence": 0.5}]}
        )


def test_choice_model_offers_one_letter_per_option() -> None:
    js = output_schema(choice_output_model(3))
    assert js["properties"]["answer"]["enum"] == ["A", "B", "C"]


def test_models_are_built_once_per_parameters() -> None:
    assert entity_output_model(("a", "b")) is entity_output_model(("a", "b"))


def test_clause_types_take_a_whole_clause_where_names_take_a_few_words() -> None:
    """The contracts preset asked for clauses that the name-shaped grammar could not produce."""
    from factloom.tools.extraction.output_models import clause_types_of
    from factloom.tools.extraction.schema import load_schema

    contracts = load_schema("contracts")
    clauses = clause_types_of(contracts)
    assert len(clauses) == 33 and "non_compete" in clauses and "party" not in clauses
    model = entity_output_model(entity_types_of(contracts), 16, clauses)
    clause = "Distributor shall not sell competing products in the Territory during the term."
    value = model.model_validate({"entities": [{"text": clause, "type": "non_compete"}]})
    assert value.entities[0].text == clause
    with pytest.raises(ValidationError):  # a clause is no party name
        model.model_validate({"entities": [{"text": clause, "type": "party"}]})
