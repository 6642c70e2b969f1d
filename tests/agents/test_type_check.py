"""The verifier's argument type check (``check_types``): a fact with a wrongly typed argument is rejected."""

from __future__ import annotations

from factloom.agents.type_check import REASON, Argument, build_messages, check_types
from factloom.agents.verifier import VerifierInput, verify
from factloom.agents.verifier_judge import Statement, judge
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.schema import Schema, load_schema
from factloom.tools.llm.base import Usage
from factloom.tools.llm.scripted import ScriptedLLM
from tests.agents.test_verifier import C1, MARY, MENTIONS, PARIS, _cand
from tests.extract_fixtures import runtime

NEWS = load_schema("news")
TYPES = [t.name for t in NEWS.entity_types]
KILL = Statement("Booth", "kill", "Lincoln", "Booth shot Lincoln", "ctx", "person", "person")
LIVES = Statement("Booth", "live_in", "Maryland", "Booth lived in Maryland", "ctx", "person", "location")


def _model(types: dict[str, str | None], relation: str = "A"):
    """Answer type questions from ``types`` (None: "none of these"), relation questions with ``relation``."""

    def answer(messages, output) -> dict:
        user = messages[-1].content
        if "in this text?" not in user:
            return {"rationale": "Booth shot Lincoln in Maryland", "answer": relation, "confidence": 0.9}
        name = user.split('What is "')[1].split('"')[0]
        picked = types[name]
        letter = chr(ord("A") + (TYPES.index(picked) if picked else len(TYPES)))
        return {"rationale": f"{name} is named", "answer": letter, "confidence": 0.9}

    return answer


def _type_questions(llm: ScriptedLLM) -> list[str]:
    return [c.messages[-1].content for c in llm.calls if "in this text?" in c.messages[-1].content]


def test_a_type_question_offers_every_entity_type_then_none() -> None:
    [system, user] = build_messages(Argument("Booth", "person", "Booth shot Lincoln"), TYPES, "types")
    lines = user.content.splitlines()
    assert lines[0] == 'Text: "Booth shot Lincoln"' and lines[1] == 'What is "Booth" in this text?'
    assert lines[2:] == [f"{chr(ord('A') + i)}. {t}" for i, t in enumerate(TYPES)] + [
        f"{chr(ord('A') + len(TYPES))}. none of these"
    ]
    assert "Booth" not in system.content  # one system prefix for every question


async def test_arguments_of_their_stated_type_go_on_to_the_relation_question() -> None:
    types = {"Booth": "person", "Lincoln": "person", "Maryland": "location"}
    llm = ScriptedLLM({"verifier": _model(types)})
    ctx = runtime(llm, verifier_style="choice", check_types=True).context
    judgements, usage = await judge([KILL, LIVES], ctx, "d")
    assert [j.status for j in judgements] == ["verified", "verified"]
    assert len(_type_questions(llm)) == 3  # Booth (person) is asked once for both facts
    assert usage.calls == 5  # 3 type questions + 2 relation questions


async def test_a_wrongly_typed_argument_rejects_its_fact_without_a_relation_question() -> None:
    types = {"Booth": "person", "Lincoln": None, "Maryland": "organization"}
    llm = ScriptedLLM({"verifier": _model(types)})
    ctx = runtime(llm, verifier_style="choice", check_types=True).context
    judgements, _ = await judge([KILL, LIVES], ctx, "d")
    assert [j.reason for j in judgements] == [
        REASON.format(name="Lincoln", type="person"),
        REASON.format(name="Maryland", type="location"),
    ]
    assert len(llm.calls) == 3  # no relation question was asked


async def test_an_unusable_type_answer_leaves_the_argument_unchecked() -> None:
    def answer(messages, output):
        if "in this text?" in messages[-1].content:
            return LLMOutputError("garbage", usage=Usage(calls=1))
        return {"rationale": "Booth shot Lincoln", "answer": "A", "confidence": 0.9}

    llm = ScriptedLLM({"verifier": answer})
    [j], _ = await judge([KILL], runtime(llm, verifier_style="choice", check_types=True).context, "d")
    assert j.status == "verified" and len(_type_questions(llm)) == 2


async def test_types_the_schema_does_not_list_are_not_asked_about() -> None:
    llm = ScriptedLLM({"verifier": _model({})})
    open_schema = Schema(name="open", entity_types=[], relation_types=[], open=True)
    ctx = runtime(llm, verifier_style="choice", check_types=True).context
    reasons, usage = await check_types(
        [(Argument("Booth", "person", "c"), Argument("Lincoln", "person", "c"))],
        ctx.__class__(llm=llm, schema=open_schema, settings=ctx.settings),
        "d",
    )
    assert reasons == [None] and usage.calls == 0
    odd = Argument("Booth", "sculptor", "c")
    reasons, _ = await check_types([(odd, odd)], ctx, "d")
    assert reasons == [None] and llm.calls == []


async def test_off_by_default_and_the_verifier_node_feeds_the_reason_back() -> None:
    cand = _cand(MARY, "live_in", PARIS, "Mary Jones lives in Paris")
    inp = VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[cand])
    llm = ScriptedLLM({"verifier": _model({"Mary Jones": "person", "Paris": "organization"})})
    out = await verify(inp, runtime(llm, verifier_style="choice"))
    assert _type_questions(llm) == []
    llm = ScriptedLLM({"verifier": _model({"Mary Jones": "person", "Paris": "organization"})})
    out = await verify(inp, runtime(llm, verifier_style="choice", check_types=True))
    assert out["accepted"] == [] and out["drops"] == {"relation_verifier": 1}
    [rejection] = out["feedback"]
    assert rejection.reason == REASON.format(name="Paris", type="location")
