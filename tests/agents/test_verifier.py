"""The verifier called directly: deterministic checks first, LLM verdicts, bounded feedback."""

from __future__ import annotations

import pytest

from factloom.agents.facts import Candidate, Drop
from factloom.agents.verifier import REASON_UNGROUNDED, VerifierInput, verify
from factloom.agents.verifier_judge import (
    BATCH,
    UNVERIFIED_CONFIDENCE,
    Statement,
    judge,
    names_entity,
    unanswered_drops,
)
from factloom.tools.llm.scripted import ScriptedLLM
from tests.extract_fixtures import make_document, mention, runtime

DOC, CHUNKS = make_document()
C1 = CHUNKS[1]  # "Mary Jones lives in Paris. Smith met Jones in Paris last year."
MARY = mention(DOC, C1, "Mary Jones", "person")
PARIS = mention(DOC, C1, "Paris", "location")
PARIS_2 = mention(DOC, C1, "Paris", "location", occurrence=1)
SMITH = mention(DOC, C1, "Smith", "person")
MENTIONS = [MARY, PARIS, SMITH, PARIS_2]


def _cand(head, type_, tail, quote) -> Candidate:
    return Candidate(head=head, type=type_, tail=tail, quote=quote)


def _verdicts(*verdicts: tuple[str, float], rationale: str = "the evidence states it") -> dict:
    return {
        "verdicts": [
            {"fact": i, "rationale": rationale, "verdict": v, "confidence": c}
            for i, (v, c) in enumerate(verdicts, 1)
        ]
    }


async def test_supported_facts_get_grounded_evidence_and_the_judged_confidence() -> None:
    cand = _cand(MARY, "live_in", PARIS, "mary jones lives in paris")
    llm = ScriptedLLM({"verifier": _verdicts(("supported", 0.8))})
    out = await verify(
        VerifierInput(chunk=C1, pages=DOC.pages, mentions=MENTIONS, candidates=[cand]), runtime(llm)
    )
    [fact] = out["accepted"]
    assert (
        DOC.text[fact.evidence.start : fact.evidence.end]
        == fact.evidence.quote
        == "Mary Jones lives in Paris"
    )
    assert fact.confidence == 0.8 and out["feedback"] == [] and out["drops"] == {}


async def test_the_mention_occurrence_inside_the_evidence_is_used() -> None:
    cand = _cand(SMITH, "live_in", PARIS, "Smith met Jones in Paris last year.")
    out = await verify(
        VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[cand]), runtime(ScriptedLLM(), verify=False)
    )
    assert out["accepted"][0].tail == PARIS_2


async def test_ungrounded_or_unnamed_evidence_is_rejected_without_asking_the_llm() -> None:
    bad_quote = _cand(MARY, "live_in", PARIS, "Mary Jones has always loved the city of Rome deeply")
    unnamed = _cand(SMITH, "live_in", PARIS, "Mary Jones lives in Paris.")
    llm = ScriptedLLM()
    inp = VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[bad_quote, unnamed])
    out = await verify(inp, runtime(llm))
    assert out["accepted"] == [] and llm.calls == []
    assert [r.reason for r in out["feedback"]] == [REASON_UNGROUNDED, "the evidence does not name Smith"]
    assert out["drops"] == {"relation_grounding": 2}


async def test_rejections_go_back_once_then_are_only_counted() -> None:
    cand = _cand(MARY, "live_in", PARIS, "Mary Jones lives in Paris.")
    llm = ScriptedLLM({"verifier": _verdicts(("wrong_type", 0.7))})
    first = await verify(
        VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[cand], attempts=1), runtime(llm)
    )
    assert len(first["feedback"]) == 1 and "different relation type" in first["feedback"][0].reason
    second = await verify(
        VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[cand], attempts=2), runtime(llm)
    )
    assert second["feedback"] == [] and second["drops"] == {"relation_verifier": 1}


async def test_a_fact_without_verdict_is_rejected() -> None:
    cands = [
        _cand(MARY, "live_in", PARIS, "Mary Jones lives in Paris."),
        _cand(SMITH, "live_in", PARIS, "Smith met Jones in Paris"),
    ]
    llm = ScriptedLLM({"verifier": _verdicts(("supported", 0.9))})
    out = await verify(VerifierInput(chunk=C1, mentions=MENTIONS, candidates=cands), runtime(llm))
    assert [f.head.text for f in out["accepted"]] == ["Mary Jones"]
    assert out["drops"] == {"relation_verifier": 1}


async def test_without_the_llm_judge_grounded_facts_are_kept_as_unverified() -> None:
    cand = _cand(MARY, "live_in", PARIS, "Mary Jones lives in Paris.")
    llm = ScriptedLLM()
    out = await verify(
        VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[cand]), runtime(llm, verify=False)
    )
    assert out["accepted"][0].confidence == UNVERIFIED_CONFIDENCE and llm.calls == []


async def test_facts_accepted_in_the_first_round_are_not_judged_again() -> None:
    cand = _cand(MARY, "live_in", PARIS, "Mary Jones lives in Paris.")
    llm = ScriptedLLM({"verifier": _verdicts(("supported", 0.9))})
    first = await verify(VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[cand]), runtime(llm))
    inp = VerifierInput(
        chunk=C1, mentions=MENTIONS, candidates=[cand], accepted=first["accepted"], attempts=2
    )
    second = await verify(inp, runtime(llm))
    assert second["accepted"] == [] and len(llm.calls) == 1


async def test_a_supported_fact_is_verified_with_the_rationale_written_before_the_verdict() -> None:
    cand = _cand(MARY, "live_in", PARIS, "Mary Jones lives in Paris.")
    why = "it says Mary Jones lives in Paris"
    llm = ScriptedLLM({"verifier": _verdicts(("supported", 0.8), rationale=why)})
    [fact] = (await verify(VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[cand]), runtime(llm)))[
        "accepted"
    ]
    assert fact.status == "verified" and fact.rationale == "it says Mary Jones lives in Paris"
    assert (fact.evidence.method, fact.evidence.score) == ("exact", 100.0)
    schema = llm.calls[0].output.model_json_schema()
    judgement = next(iter(schema["$defs"].values()))["properties"]
    assert list(judgement).index("rationale") < list(judgement).index("verdict")


async def test_the_verifier_sees_the_sentences_around_the_quote() -> None:
    cand = _cand(SMITH, "live_in", PARIS, "Smith met Jones in Paris")
    llm = ScriptedLLM({"verifier": _verdicts(("supported", 0.8))})
    await verify(VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[cand]), runtime(llm))
    prompt = llm.calls[0].messages[-1].content
    assert 'Evidence: "Smith met Jones in Paris"' in prompt
    assert "Mary Jones lives in Paris. Smith met Jones in Paris last year." in prompt


async def test_unusable_verdicts_leave_facts_unverified_never_accepted() -> None:
    """Regression: invalid verifier output used to accept every fact at confidence 0.5."""
    cand = _cand(MARY, "live_in", PARIS, "Mary Jones lives in Paris.")
    llm = ScriptedLLM({"verifier": {"verdicts": "not a list"}})
    out = await verify(VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[cand]), runtime(llm))
    [fact] = out["accepted"]
    assert fact.status == "unverified" and fact.confidence == UNVERIFIED_CONFIDENCE
    assert out["drops"] == {"invalid_output": 1}


async def test_with_the_verifier_off_facts_are_labelled_unverified() -> None:
    cand = _cand(MARY, "live_in", PARIS, "Mary Jones lives in Paris.")
    out = await verify(
        VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[cand]), runtime(ScriptedLLM(), verify=False)
    )
    assert out["accepted"][0].status == "unverified"


@pytest.mark.parametrize("rationale", ["...", "supported", "The person lives in the location."])
async def test_a_supported_verdict_whose_rationale_names_neither_entity_leaves_the_fact_unverified(
    rationale: str,
) -> None:
    """Regression: Qwen2.5-0.5B verified nonsense with rationales like "..." (verified_sample_qwen-0.5b)."""
    cand = _cand(MARY, "live_in", PARIS, "Mary Jones lives in Paris.")
    llm = ScriptedLLM({"verifier": _verdicts(("supported", 0.9), rationale=rationale)})
    [fact] = (await verify(VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[cand]), runtime(llm)))[
        "accepted"
    ]
    assert (fact.status, fact.rationale) == ("unverified", rationale)


def test_an_entity_is_named_by_its_whole_name_or_a_long_word_of_it() -> None:
    assert names_entity("Jones moved there", "Mary Jones") and names_entity("lives in PARIS", "Paris")
    assert not names_entity("the person lives there", "Mary Jones")
    assert not names_entity("in 2014", "2014 Act")


def _numbered_verdicts(messages, output) -> dict:
    """Answer 'supported' for every numbered fact of a verifier prompt, naming both entities."""
    facts = [line for line in messages[-1].content.splitlines() if ". Fact: " in line]
    return _verdicts(*[("supported", 0.9)] * len(facts), rationale="Mary Jones lives in Paris")


async def test_many_facts_are_judged_in_calls_of_at_most_a_batch_in_order() -> None:
    """Regression: one call for 30+ facts overflowed a 4,096-token context through llama_cpp.server."""
    quote = "Mary Jones lives in Paris"
    statements = [Statement(f"Mary Jones {i}", "live_in", "Paris", quote, "ctx") for i in range(19)]
    llm = ScriptedLLM({"verifier": _numbered_verdicts})
    judgements, usage = await judge(statements, runtime(llm).context, DOC.doc_id)
    sizes = [c.messages[-1].content.count(". Fact: ") for c in llm.calls]
    assert sorted(sizes) == [3, BATCH, BATCH] and usage.calls == 3
    assert len(judgements) == 19 and all(j.status == "verified" for j in judgements)
    first_prompt = next(c for c in llm.calls if "Mary Jones 0 " in c.messages[-1].content)
    assert "1. Fact: Mary Jones 0 --live_in--> Paris" in first_prompt.messages[-1].content


async def test_a_batch_with_unusable_verdicts_leaves_only_its_facts_unverified() -> None:
    statements = [
        Statement(f"Mary Jones {i}", "live_in", "Paris", "Mary Jones lives in Paris", "ctx")
        for i in range(BATCH + 2)
    ]

    def script(messages, output) -> dict:
        if "Mary Jones 0 " in messages[-1].content:
            return {"verdicts": "not a list"}
        return _numbered_verdicts(messages, output)

    judgements, usage = await judge(statements, runtime(ScriptedLLM({"verifier": script})).context, "d")
    assert [j.status for j in judgements] == ["unverified"] * BATCH + ["verified"] * 2
    assert not any(j.answered for j in judgements[:BATCH]) and judgements[0].confidence == 0.0
    assert unanswered_drops(judgements) == [Drop.INVALID_OUTPUT]
    assert unanswered_drops(judgements[BATCH:]) == []
    assert usage.calls >= 2  # the failed call's tokens count too


async def test_the_verifier_is_shown_the_types_of_both_entities() -> None:
    cand = _cand(MARY, "live_in", PARIS, "Mary Jones lives in Paris")
    llm = ScriptedLLM({"verifier": _verdicts(("supported", 0.8))})
    await verify(VerifierInput(chunk=C1, mentions=MENTIONS, candidates=[cand]), runtime(llm))
    prompt = llm.calls[0].messages[-1].content
    assert "1. Fact: Mary Jones [person] --live_in--> Paris [location]" in prompt
