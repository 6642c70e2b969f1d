"""The single-prompt baseline: a fixed prompt, one call per chunk, quotes grounded, bad relations dropped."""

from __future__ import annotations

from factloom.agents.single_prompt import FEW_SHOT, build_messages, extract_chunk
from factloom.tools.llm.base import LLMOutputError
from factloom.tools.schema import load_schema
from tests.fakes import ScriptedLLM

NEWS = load_schema("news")
TEXT = "Ann Lee , a lawyer for Acme Corp in Boston , said ."


def test_prompt_is_fixed_and_carries_the_preset_example() -> None:
    one, two = build_messages("first text", NEWS), build_messages("second text", NEWS)
    assert one[:-1] == two[:-1]  # byte-identical prefix
    assert FEW_SHOT["news"][0] in one[1].content
    assert len(build_messages("x", load_schema("open"))) == 2  # no example for a schema without one


async def test_answer_is_grounded_and_unknown_relation_arguments_dropped() -> None:
    answer = {
        "entities": [
            {"text": "Ann Lee", "type": "person"},
            {"text": "ACME CORP", "type": "organization"},  # case differs: grounded by normalisation
            {"text": "Chicago", "type": "location"},  # not in the text
        ],
        "relations": [
            {"head": "Ann Lee", "type": "work_for", "tail": "ACME CORP"},
            {"head": "Ann Lee", "type": "live_in", "tail": "Chicago"},
        ],
    }
    llm = ScriptedLLM({"single_prompt": answer})
    found = await extract_chunk(TEXT, 100, NEWS, llm, "d1")
    assert [(m.text, m.start) for m in found.mentions] == [("Ann Lee", 100), ("Acme Corp", 123)]
    assert [(r.head.text, r.type, r.tail.text) for r in found.relations] == [
        ("Ann Lee", "work_for", "Acme Corp")
    ]
    assert found.dropped == 2 and found.usage.calls == 1
    assert len(llm.calls) == 1


async def test_unusable_answer_skips_the_chunk() -> None:
    llm = ScriptedLLM({"single_prompt": LLMOutputError("no JSON")})
    found = await extract_chunk(TEXT, 0, NEWS, llm, "d1")
    assert found.mentions == [] and found.relations == []
