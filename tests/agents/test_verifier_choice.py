"""The contrastive verifier (``verifier_style="choice"``): a fact is supported only when it is picked."""

from __future__ import annotations

from factloom.agents.verifier import VerifierInput, verify
from factloom.agents.verifier_judge import (
    REASON_REVERSED,
    REASON_UNSUPPORTED,
    REASON_WRONG_TYPE,
    Statement,
    choice_options,
    judge,
)
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.scripted import ScriptedLLM
from tests.agents.test_verifier import C1, MARY, MENTIONS, PARIS, _cand
from tests.extract_fixtures import runtime

NEWS = load_schema("news")
KILL = Statement("Booth", "kill", "Lincoln", "Booth shot Lincoln", "ctx", "person", "person")
LOCATED = Statement("Paris", "located_in", "France", "Paris, France", "ctx", "location", "location")


def _pick(letter: str, rationale: str = "Booth shot Lincoln") -> dict:
    return {"rationale": rationale, "answer": letter, "confidence": 0.8}


def _letter_of(option: tuple[str, str, str], s: Statement) -> str:
    return chr(ord("A") + choice_options(s, NEWS).index(option))


def test_the_options_are_the_fact_its_reverse_and_the_other_legal_types_in_schema_order() -> None:
    assert choice_options(KILL, NEWS) == [("Booth", "kill", "Lincoln"), ("Lincoln", "kill", "Booth")]
    assert choice_options(LOCATED, NEWS) == [
        ("Paris", "located_in", "France"),
        ("France", "located_in", "Paris"),
    ]
    lives = Statement("Mary", "live_in", "Paris", "q", "c", "person", "location")
    assert choice_options(lives, NEWS) == [("Mary", "live_in", "Paris")]  # no legal rival: only the fact
    untyped = Statement("Mary", "work_for", "Acme", "q", "c")
    options = choice_options(untyped, NEWS)
    assert len(options) == 2 * len(NEWS.relation_types) and options[2] == ("Mary", "work_for", "Acme")


async def test_a_fact_is_verified_only_when_the_model_picks_it() -> None:
    llm = ScriptedLLM({"verifier": _pick(_letter_of(("Booth", "kill", "Lincoln"), KILL))})
    [j], usage = await judge([KILL], runtime(llm, verifier_style="choice").context, "d")
    assert j.reason is None and j.status == "verified" and j.confidence == 0.8 and usage.calls == 1
    prompt = llm.calls[0].messages[-1].content
    assert 'Evidence: "Booth shot Lincoln"' in prompt
    assert "A. Booth kill Lincoln\nB. Lincoln kill Booth\nC. none of these" in prompt


async def test_picking_the_reverse_another_type_or_none_rejects_the_fact() -> None:
    reverse = ScriptedLLM({"verifier": _pick("B")})
    [j], _ = await judge([KILL], runtime(reverse, verifier_style="choice").context, "d")
    assert j.reason == REASON_REVERSED
    none = ScriptedLLM({"verifier": _pick("C")})
    [j], _ = await judge([KILL], runtime(none, verifier_style="choice").context, "d")
    assert j.reason == REASON_UNSUPPORTED
    untyped = Statement("Mary", "work_for", "Acme", "q", "c")
    other = ScriptedLLM({"verifier": _pick("A", "Mary lives at Acme")})  # A: Mary live_in Acme
    [j], _ = await judge([untyped], runtime(other, verifier_style="choice").context, "d")
    assert j.reason == REASON_WRONG_TYPE


async def test_each_fact_is_one_call_and_a_picked_fact_without_a_rationale_stays_unverified() -> None:
    facts = [KILL, KILL, KILL]
    llm = ScriptedLLM({"verifier": _pick("A", rationale="it says so")})
    judgements, usage = await judge(facts, runtime(llm, verifier_style="choice").context, "d")
    assert len(llm.calls) == 3 and usage.calls == 3
    assert [j.status for j in judgements] == ["unverified"] * 3 and all(j.reason is None for j in judgements)


async def test_the_verifier_node_uses_the_style_it_is_given() -> None:
    cand = _cand(MARY, "live_in", PARIS, "Mary Jones lives in Paris")
    llm = ScriptedLLM({"verifier": _pick("A", rationale="Mary Jones lives in Paris")})
    out = await verify(
        VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[cand]), runtime(llm, verifier_style="choice")
    )
    [fact] = out["accepted"]
    assert (
        fact.status == "verified"
        and "Which statement does the evidence make?" in llm.calls[0].messages[-1].content
    )
