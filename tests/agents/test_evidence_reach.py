"""A relation quote naming one argument is widened to the sentences that name both (evidence_reach)."""

from __future__ import annotations

from factloom.agents.facts import Candidate, Drop, Rejection
from factloom.agents.verifier import REASON_UNNAMED, VerifierInput, check_evidence, verify
from factloom.tools.llm.scripted import ScriptedLLM
from tests.extract_fixtures import make_document, mention, runtime

TEXT = (
    "Intro.\n\nRoss Alger was born in Prague. He was elected mayor of Calgary in 1977. "
    "He served one term. The city grew fast."
)
DOC, CHUNKS = make_document(TEXT)
CHUNK = CHUNKS[1]
ALGER = mention(DOC, CHUNK, "Ross Alger", "person")
CALGARY = mention(DOC, CHUNK, "Calgary", "location")
MENTIONS = [ALGER, CALGARY]
CAND = Candidate(head=ALGER, type="live_in", tail=CALGARY, quote="He was elected mayor of Calgary in 1977.")


def test_without_reach_a_quote_that_lacks_an_argument_is_rejected() -> None:
    result = check_evidence(CAND, CHUNK, DOC.pages, MENTIONS, 90.0)
    assert isinstance(result, Rejection) and result.reason == REASON_UNNAMED.format(name="Ross Alger")


def test_with_reach_the_quote_takes_in_the_sentence_that_names_the_argument() -> None:
    fact = check_evidence(CAND, CHUNK, DOC.pages, MENTIONS, 90.0, reach=200)
    assert fact.evidence.quote == "Ross Alger was born in Prague. He was elected mayor of Calgary in 1977."
    assert DOC.text[fact.evidence.start : fact.evidence.end] == fact.evidence.quote
    assert (fact.head, fact.tail) == (ALGER, CALGARY)


def test_a_mention_farther_than_the_reach_is_not_taken_in() -> None:
    far = Candidate(head=ALGER, type="live_in", tail=CALGARY, quote="The city grew fast.")
    result = check_evidence(far, CHUNK, DOC.pages, MENTIONS, 90.0, reach=30)
    assert isinstance(result, Rejection) and result.reason == REASON_UNNAMED.format(name="Ross Alger")
    fact = check_evidence(far, CHUNK, DOC.pages, MENTIONS, 90.0, reach=200)
    assert fact.evidence.quote.startswith("Ross Alger was born") and fact.evidence.quote.endswith(
        "grew fast."
    )


async def test_the_verifier_judges_the_widened_passage() -> None:
    answer = {"rationale": "Ross Alger was mayor of Calgary", "answer": "A", "confidence": 0.9}
    llm = ScriptedLLM({"verifier": answer})
    inp = VerifierInput(chunk=CHUNK, pages=DOC.pages, mentions=MENTIONS, candidates=[CAND])
    out = await verify(inp, runtime(llm, verifier_style="choice", evidence_reach=200))
    [fact] = out["accepted"]
    assert fact.status == "verified"
    assert (
        'Evidence: "Ross Alger was born in Prague. He was elected mayor' in llm.calls[0].messages[-1].content
    )
    out = await verify(inp, runtime(ScriptedLLM({"verifier": answer}), verifier_style="choice"))
    assert out["accepted"] == [] and out["drops"] == {Drop.RELATION_GROUNDING.value: 1}
