"""Fuzz the model-output parser: any reply gives a validated object or the typed LLMOutputError.

``bench/fuzz.py`` runs these properties with 10,000+ examples (``FACTLOOM_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import asyncio
import json
import os

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.output_models import (
    choice_output_model,
    entity_output_model,
    reasoner_output_model,
    verifier_output_model,
)
from factloom.tools.llm.base import Message, Usage
from factloom.tools.llm.structured import RawReply, complete_with_repair, extract_json, parse_reply

EXAMPLES = int(os.environ.get("FACTLOOM_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

MODELS: list[type[BaseModel]] = [
    entity_output_model(("person", "organization")),
    entity_output_model(None),
    reasoner_output_model(
        (("work_for", ("Ann",), ("Acme",)), ("live_in", ("Ann",), ("Paris",))), ("Ann", "Acme", "Paris")
    ),
    reasoner_output_model(None, ("Ann", "Acme"), cot=False),
    verifier_output_model(3),
    choice_output_model(4),
]
FIELDS = ["entities", "text", "type", "relations", "head", "tail", "evidence", "reasoning", "verdicts"]
FIELDS += [
    "fact",
    "rationale",
    "verdict",
    "confidence",
    "answer",
    "person",
    "Ann",
    "Acme",
    "work_for",
    "supported",
    "A",
]
FIELDS += ["Paris", "live_in"]
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.sampled_from(FIELDS)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
WRAPPERS = ["{}", "```json\n{}\n```", "```\n{}", "Here is the JSON: {} Hope it helps.", " \n{}\n", "{}{}"]


def check_parse(text: str, output: type[BaseModel], truncated: bool = False) -> BaseModel | LLMOutputError:
    """Parse ``text``; assert it gives an ``output`` instance or an LLMOutputError (nothing else)."""
    try:
        value = parse_reply(RawReply(text, truncated=truncated), output)
    except LLMOutputError as e:
        assert str(e), "an LLMOutputError without a message"
        assert e.raw == text
        return e
    assert isinstance(value, output)
    return value


@FUZZ
@given(st.text(max_size=300), st.sampled_from(MODELS), st.booleans())
@example("[" * 100_000, MODELS[0], False)
@example('{"fact": ' + "1" * 5000 + "}", MODELS[4], False)
@example('{"entities": [{"text": "Ann", "type": "person"}]}', MODELS[0], True)
def test_any_text_gives_the_model_or_an_output_error(
    text: str, output: type[BaseModel], truncated: bool
) -> None:
    """Regression: deeply nested arrays (RecursionError) and 5,000-digit numbers (ValueError) escaped."""
    check_parse(text, output, truncated)


@FUZZ
@given(JSON_VALUES, st.sampled_from(MODELS), st.sampled_from(WRAPPERS), st.integers(0, 400))
def test_any_json_wrapped_or_cut_gives_the_model_or_an_output_error(
    value: object, output: type[BaseModel], wrapper: str, cut: int
) -> None:
    body = json.dumps(value)
    text = wrapper.replace("{}", body, 1).replace("{}", "")
    check_parse(text[: len(text) - cut] if cut < len(text) else text, output)


WORDS = st.from_regex(r"[^\s{}]{1,8}", fullmatch=True)


@st.composite
def entity_replies(draw: st.DrawFn) -> dict[str, object]:
    """Draw a valid entity finder reply for the types person / organization."""
    item = st.fixed_dictionaries(
        {
            "text": st.lists(WORDS, min_size=1, max_size=4).map(" ".join),
            "type": st.sampled_from(["person", "organization"]),
        }
    )
    return {"entities": draw(st.lists(item, max_size=8))}


@FUZZ
@given(entity_replies(), st.sampled_from(WRAPPERS[:5]), st.booleans())
def test_a_valid_reply_parses_to_the_same_value(
    reply: dict[str, object], wrapper: str, ascii_only: bool
) -> None:
    output = MODELS[0]
    try:
        expected = output.model_validate(reply)
    except ValidationError:
        assume(False)
    text = wrapper.replace("{}", json.dumps(reply, ensure_ascii=ascii_only))
    parsed = check_parse(text, output)
    assert not isinstance(parsed, LLMOutputError), f"{parsed}: {text!r}"
    assert parsed == expected


@FUZZ
@given(st.text(max_size=200))
def test_extract_json_never_raises(text: str) -> None:
    assert isinstance(extract_json(text), str)


@FUZZ
@given(
    st.lists(st.text(max_size=80) | JSON_VALUES.map(json.dumps), min_size=2, max_size=2),
    st.sampled_from(MODELS),
)
def test_repair_asks_once_then_gives_the_model_or_an_output_error(
    replies: list[str], output: type[BaseModel]
) -> None:
    sent: list[list[Message]] = []

    async def generate(messages: list[Message]) -> RawReply:
        sent.append(messages)
        return RawReply(replies[len(sent) - 1], usage=Usage(calls=1, completion_tokens=5))

    question = [Message(role="user", content="extract")]
    try:
        completion = asyncio.run(complete_with_repair(generate, question, output))
    except LLMOutputError as e:
        assert len(sent) == 2 and e.usage.calls == 2, "both attempts are counted"
        return
    assert isinstance(completion.value, output)
    assert completion.usage.calls == len(sent) <= 2
    try:
        output.model_validate_json(extract_json(replies[0]))
    except (ValidationError, ValueError):
        return
    assert len(sent) == 1, "a valid first reply was repaired"
