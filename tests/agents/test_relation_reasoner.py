"""The relation reasoner called directly: schema domain/range, self-relations, feedback, pairs mode."""

from __future__ import annotations

from factloom.agents.entity_merge import build_entities
from factloom.agents.facts import Candidate, Rejection
from factloom.agents.reasoner_context import reasoner_input
from factloom.agents.relation_reasoner import (
    ReasonerInput,
    build_messages,
    check_candidates,
    reason_relations,
)
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.scripted import ScriptedLLM
from factloom.tools.llm.structured import output_schema
from tests.extract_fixtures import make_document, mention, runtime

DOC, CHUNKS = make_document()
C0 = CHUNKS[0]
SMITH = mention(DOC, C0, "John Smith", "person")
ACME = mention(DOC, C0, "Acme Corporation", "organization")
BOSTON = mention(DOC, C0, "Boston", "location")
INPUT = ReasonerInput(chunk=C0, mentions=[SMITH, ACME, BOSTON])
EVIDENCE = "John Smith works for Acme Corporation (ACME) in Boston."


def _rel(head: str, type_: str, tail: str) -> dict:
    return {"head": head, "type": type_, "tail": tail, "evidence": EVIDENCE}


async def test_legal_relations_become_candidates_with_the_reasoning() -> None:
    answer = {
        "reasoning": "Smith is employed by Acme.",
        "relations": [_rel("John Smith", "work_for", "Acme Corporation")],
    }
    out = await reason_relations(INPUT, runtime(ScriptedLLM({"relation_reasoner": answer})))
    [cand] = out["candidates"]
    assert (cand.head, cand.type, cand.tail) == (SMITH, "work_for", ACME)
    assert cand.reasoning == "Smith is employed by Acme." and cand.quote == EVIDENCE
    assert out["attempts"] == 1 and out["drops"] == {}


async def test_only_relations_the_schema_allows_can_be_decoded() -> None:
    llm = ScriptedLLM(
        {
            "relation_reasoner": {
                "reasoning": "",
                "relations": [_rel("Acme Corporation", "work_for", "John Smith")],
            }
        }
    )
    out = await reason_relations(INPUT, runtime(llm))
    assert out["candidates"] == [] and out["drops"] == {"invalid_output": 1}  # a backend could not produce it
    items = output_schema(llm.calls[0].output)["properties"]["relations"]["items"]["anyOf"]
    offered = {i["properties"]["type"]["const"]: i["properties"] for i in items}
    assert set(offered) == {
        "work_for",
        "live_in",
        "orgbased_in",
    }  # one person, one location: no kill, located_in
    assert offered["work_for"]["head"]["const"] == "John Smith"
    assert offered["work_for"]["tail"]["const"] == "Acme Corporation"


async def test_mentions_that_cannot_be_related_cost_no_call() -> None:
    llm = ScriptedLLM()
    inp = ReasonerInput(chunk=C0, mentions=[ACME, BOSTON.model_copy(update={"type": "other"})])
    out = await reason_relations(inp, runtime(llm))
    assert out["candidates"] == [] and llm.calls == []


def test_open_schema_proposals_are_checked_for_known_mentions_and_self_relations() -> None:
    items = [
        ("John Smith", "Works For", "Acme Corporation", EVIDENCE),
        ("Boston", "near", "Boston", EVIDENCE),
        ("Jane Doe", "knows", "John Smith", EVIDENCE),
    ]
    candidates, drops = check_candidates(items, [SMITH, ACME, BOSTON], load_schema("open"))
    assert [(c.head.text, c.type, c.tail.text) for c in candidates] == [
        ("John Smith", "works_for", "Acme Corporation")
    ]
    assert drops == {"relation_self": 1, "relation_schema": 1}


async def test_a_chunk_with_fewer_than_two_entities_costs_no_call() -> None:
    llm = ScriptedLLM()
    out = await reason_relations(ReasonerInput(chunk=C0, mentions=[SMITH]), runtime(llm))
    assert out["candidates"] == [] and llm.calls == []


def test_feedback_is_shown_to_the_reasoner_with_its_reason() -> None:
    cand = Candidate(head=SMITH, type="live_in", tail=BOSTON, quote=EVIDENCE)
    inp = INPUT.model_copy(update={"feedback": [Rejection(candidate=cand, reason="not stated")]})
    user = build_messages(inp, load_schema("news"), cot=True)[-1].content
    assert "John Smith --live_in--> Boston: not stated" in user


def test_retrieved_context_comes_from_other_chunks_that_mention_the_same_entities() -> None:
    acme_later = mention(DOC, CHUNKS[2], "ACME", "organization")
    smith_later = mention(DOC, CHUNKS[1], "Smith", "person")
    mentions = [SMITH, ACME, BOSTON, acme_later, smith_later]
    registry = build_entities(DOC.doc_id, mentions, DOC.text)
    inp = reasoner_input(DOC, C0, mentions, registry, token_budget=200)
    assert inp.mentions == [SMITH, ACME, BOSTON]
    assert "ACME is based in Boston, a city in Massachusetts." in inp.context
    assert "Smith met Jones in Paris last year." in inp.context
    user = build_messages(inp, load_schema("news"), cot=True)[-1].content
    assert "Acme Corporation (organization), also: ACME" in user


async def test_pairs_mode_asks_one_multiple_choice_question_per_pair() -> None:
    llm = ScriptedLLM({"relation_reasoner": {"answer": "A"}})
    out = await reason_relations(INPUT, runtime(llm, relation_mode="pairs"))
    assert len(llm.calls) == 3  # three pairs share the sentence; each may be related under the schema
    assert all(c.quote == EVIDENCE for c in out["candidates"])
    first = llm.calls[0].messages[-1].content
    assert "A. John Smith work for Acme Corporation" in first and "none of these" in first


async def test_pairs_mode_asks_about_pairs_across_a_sentence_boundary_after_those_within_one() -> None:
    c1 = CHUNKS[1]  # "Mary Jones lives in Paris. Smith met Jones in Paris last year."
    mary, smith = mention(DOC, c1, "Mary Jones", "person"), mention(DOC, c1, "Smith", "person")
    paris = mention(DOC, c1, "Paris", "location")
    llm = ScriptedLLM({"relation_reasoner": {"answer": "A"}})
    out = await reason_relations(
        ReasonerInput(chunk=c1, mentions=[mary, paris, smith]), runtime(llm, relation_mode="pairs")
    )
    sentences = [c.messages[-1].content.split("\n")[0] for c in llm.calls]
    assert sentences == [
        "Sentence: Mary Jones lives in Paris.",
        "Sentence: Mary Jones lives in Paris. Smith met Jones in Paris last year.",
        "Sentence: Mary Jones lives in Paris. Smith met Jones in Paris last year.",
    ]
    cross = [c for c in out["candidates"] if smith in (c.head, c.tail)]
    assert cross and all(DOC.text.find(c.quote) >= 0 for c in out["candidates"])
