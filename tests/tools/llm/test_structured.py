"""The schema sent to models, parsing of completions, and the one repair attempt."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field

from factloom.tools.errors import LLMOutputError
from factloom.tools.llm.base import Message, Usage
from factloom.tools.llm.structured import (
    Bounds,
    RawReply,
    complete_with_repair,
    output_schema,
    parse_reply,
)


class Span(BaseModel):
    text: str
    type: Literal["person", "place"]
    title: str | None = None


class Found(BaseModel):
    spans: list[Span]
    note: str = Field(default="", max_length=20)


PROMPT = [Message(role="user", content="find the people")]
GOOD = '{"spans": [{"text": "Ada", "type": "person", "title": null}], "note": ""}'


def test_schema_is_inlined_strict_and_bounded() -> None:
    schema = output_schema(Found, Bounds(max_string=50, max_items=4))
    span = schema["properties"]["spans"]["items"]
    assert "$defs" not in schema and "$ref" not in str(schema)
    assert span["required"] == ["text", "type", "title"]
    assert span["additionalProperties"] is False
    assert set(span["properties"]) == {"text", "type", "title"}, "a property named 'title' must survive"
    assert span["properties"]["text"]["maxLength"] == 50
    assert span["properties"]["type"] == {"enum": ["person", "place"], "type": "string"}
    assert schema["properties"]["spans"]["maxItems"] == 4
    assert schema["properties"]["note"]["maxLength"] == 20, "the model's own bound wins"


def test_schema_copies_are_independent() -> None:
    output_schema(Found)["properties"].clear()
    assert "spans" in output_schema(Found)["properties"]


def test_recursive_output_types_are_refused() -> None:
    class Node(BaseModel):
        children: list[Node]

    with pytest.raises(ValueError, match="recursive"):
        output_schema(Node)


@pytest.mark.parametrize(
    "text",
    [GOOD, f"```json\n{GOOD}\n```", f"Sure! Here it is: {GOOD} Hope this helps."],
    ids=["plain", "fenced", "chatter"],
)
def test_parse_accepts_json_with_or_without_wrapping(text: str) -> None:
    assert parse_reply(RawReply(text), Found).spans[0].text == "Ada"


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (RawReply(""), "empty completion"),
        (RawReply("   \n"), "empty completion"),
        (RawReply('{"spans": [{"text": "Ad', truncated=True), "cut off at the token limit"),
        (RawReply("I cannot help with that."), "not valid JSON"),
        (RawReply('{"spans": [{"text": "Ada", "type": "animal"}]}'), "wrong shape: spans.0.type"),
        (RawReply("[1, 2]"), "wrong shape"),
    ],
    ids=["empty", "blank", "truncated", "prose", "bad-enum", "wrong-root"],
)
def test_parse_rejects_bad_completions_with_a_reason(reply: RawReply, message: str) -> None:
    with pytest.raises(LLMOutputError, match=message) as info:
        parse_reply(reply, Found)
    assert info.value.raw == reply.text


class Scripted:
    """A model that answers with the given texts in turn and records what it was asked."""

    def __init__(self, *texts: str) -> None:
        self.texts = list(texts)
        self.asked: list[list[Message]] = []

    async def __call__(self, messages: list[Message]) -> RawReply:
        self.asked.append(messages)
        return RawReply(self.texts.pop(0), usage=Usage(calls=1, prompt_tokens=10, completion_tokens=5))


async def test_a_valid_first_reply_needs_no_repair() -> None:
    model = Scripted(GOOD)
    done = await complete_with_repair(model, PROMPT, Found)
    assert done.value.spans[0].type == "person"
    assert len(model.asked) == 1 and done.usage.calls == 1


async def test_one_repair_attempt_shows_the_model_its_error() -> None:
    model = Scripted("garbage", GOOD)
    done = await complete_with_repair(model, PROMPT, Found)
    assert done.value.spans[0].text == "Ada"
    repair = model.asked[1]
    assert repair[:1] == PROMPT
    assert repair[1] == Message(role="assistant", content="garbage")
    assert "not valid JSON" in repair[2].content
    assert done.usage.calls == 2 and done.usage.prompt_tokens == 20, "both attempts are paid for"


@pytest.mark.parametrize("second", ["", '{"spans": [', '{"spans": "none"}'])
async def test_two_bad_replies_raise_a_typed_error_with_the_cost(second: str) -> None:
    model = Scripted("", second)
    with pytest.raises(LLMOutputError, match="Found: invalid model output after one repair") as info:
        await complete_with_repair(model, PROMPT, Found)
    assert len(model.asked) == 2, "exactly one repair attempt"
    assert info.value.raw == second
    assert info.value.usage.completion_tokens == 10
