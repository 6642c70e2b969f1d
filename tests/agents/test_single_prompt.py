"""The single-prompt baseline: the given demonstrations, one call per chunk, grounded quotes, drops."""

from __future__ import annotations

import json

from factloom.agents.baseline_single_prompt import build_messages, extract_chunk
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.demos import DemoEntity, Demonstration, DemoRelation
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.scripted import ScriptedLLM

NEWS = load_schema("news")
TEXT = "Ann Lee , a lawyer for Acme Corp in Boston , said ."


DEMO = Demonstration(
    text="Bo Li works for Initech .",
    entities=(DemoEntity(text="Bo Li", type="person"), DemoEntity(text="Initech", type="organization")),
    relations=(DemoRelation(head="Bo Li", type="work_for", tail="Initech"),),
)


def test_prompt_carries_the_given_demonstrations_after_a_fixed_prefix() -> None:
    """The baseline sees the same retrieved demonstrations as factloom's agents, not an invented one."""
    one, two = build_messages("first text", NEWS, [DEMO]), build_messages("second text", NEWS, [DEMO])
    assert one[:-1] == two[:-1]  # byte-identical prefix
    assert [m.role for m in one] == ["system", "user", "assistant", "user"]
    assert DEMO.text in one[1].content
    assert json.loads(one[2].content) == {
        "entities": [{"text": "Bo Li", "type": "person"}, {"text": "Initech", "type": "organization"}],
        "relations": [{"head": "Bo Li", "type": "work_for", "tail": "Initech"}],
    }
    assert [m.role for m in build_messages("x", NEWS)] == ["system", "user"]  # zero-shot: no example


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
            {"head": "ACME CORP", "type": "work_for", "tail": "Ann Lee"},  # organization cannot work_for
        ],
    }
    llm = ScriptedLLM({"single_prompt": answer})
    found = await extract_chunk(TEXT, 100, NEWS, llm, "d1")
    assert [(m.text, m.start) for m in found.mentions] == [("Ann Lee", 100), ("Acme Corp", 123)]
    assert [(r.head.text, r.type, r.tail.text) for r in found.relations] == [
        ("Ann Lee", "work_for", "Acme Corp")
    ]
    assert found.drops == {"mention_grounding": 1, "relation_grounding": 1, "relation_schema": 1}
    assert found.dropped == 3 and found.usage.calls == 1
    assert len(llm.calls) == 1


async def test_unusable_answer_skips_the_chunk() -> None:
    llm = ScriptedLLM({"single_prompt": LLMOutputError("no JSON")})
    found = await extract_chunk(TEXT, 0, NEWS, llm, "d1")
    assert found.mentions == [] and found.relations == []
    assert found.drops == {"invalid_output": 1}
