"""Every prompt template names exactly the placeholders its agent fills (a typo would raise at run time)."""

from __future__ import annotations

import string

import pytest

from factloom.agents import consolidator, entity_finder, relation_pairs, relation_reasoner, verifier_judge

TEMPLATES = [
    (entity_finder.SYSTEM_TEMPLATE, {"entity_types"}),
    (entity_finder.USER_TEMPLATE, {"text"}),
    (relation_reasoner.SYSTEM_TEMPLATE, {"relation_types", "answer_format"}),
    (relation_reasoner.USER_TEMPLATE, {"text", "mentions", "registry", "context", "feedback"}),
    (relation_reasoner.REGISTRY_TEMPLATE, {"lines"}),
    (relation_reasoner.CONTEXT_TEMPLATE, {"lines"}),
    (relation_reasoner.FEEDBACK_TEMPLATE, {"lines"}),
    (relation_pairs.SYSTEM_TEMPLATE, {"relation_types"}),
    (relation_pairs.USER_TEMPLATE, {"sentence", "note", "options"}),
    (relation_pairs.NOTE_TEMPLATE, {"reason"}),
    (verifier_judge.SYSTEM_TEMPLATE, {"relation_types"}),
    (verifier_judge.USER_TEMPLATE, {"facts"}),
    (verifier_judge.FACT_TEMPLATE, {"number", "head", "type", "tail", "evidence", "context"}),
    (verifier_judge.TYPED_TEMPLATE, {"name", "type"}),
    (consolidator.SYSTEM_TEMPLATE, {"relation_types"}),
    (consolidator.USER_TEMPLATE, {"first", "second", "options"}),
]


@pytest.mark.parametrize(("template", "expected"), TEMPLATES)
def test_template_placeholders(template: str, expected: set[str]) -> None:
    names = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    assert names == expected


def test_answer_formats_are_plain_text_not_templates() -> None:
    for text in (relation_reasoner.ANSWER_FORMAT_COT, relation_reasoner.ANSWER_FORMAT_PLAIN):
        assert '"relations"' in text
