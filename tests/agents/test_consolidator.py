"""The consolidator called directly: entities with aliases, merged relations, cross-chunk judgements."""

from __future__ import annotations

import random

from factloom.agents.consolidator import ConsolidatorInput, consolidate, merge_facts
from factloom.agents.entity_merge import acronym, alias_pairs, build_entities, entity_id, entity_index
from factloom.agents.facts import Fact
from factloom.tools.extraction.kg import Evidence
from factloom.tools.llm.scripted import ScriptedLLM
from tests.extract_fixtures import make_document, mention, runtime

DOC, CHUNKS = make_document()
C0, C1, C2 = CHUNKS
SMITH = mention(DOC, C0, "John Smith", "person")
ACME = mention(DOC, C0, "Acme Corporation", "organization")
ACME_ABBR = mention(DOC, C0, "ACME", "organization")
BOSTON = mention(DOC, C0, "Boston", "location")
SMITH_SHORT = mention(DOC, C1, "Smith", "person")
MARY = mention(DOC, C1, "Mary Jones", "person")
JONES = mention(DOC, C1, "Jones", "person", occurrence=0)
PARIS = mention(DOC, C1, "Paris", "location")
ACME_LATER = mention(DOC, C2, "ACME", "organization")
BOSTON_LATER = mention(DOC, C2, "Boston", "location")
MASS = mention(DOC, C2, "Massachusetts", "location")
ALL = [SMITH, ACME, ACME_ABBR, BOSTON, SMITH_SHORT, MARY, JONES, PARIS, ACME_LATER, BOSTON_LATER, MASS]


def _by_name(entities):
    return {e.name: e for e in entities}


def _fact(head, type_, tail, chunk, quote, confidence=0.9, status="unverified", rationale="") -> Fact:
    start = DOC.text.index(quote)
    ev = Evidence(
        doc_id=DOC.doc_id,
        page=1,
        start=start,
        end=start + len(quote),
        quote=quote,
        chunk_id=chunk.chunk_id,
        agent="relation_reasoner",
    )
    return Fact(
        head=head,
        type=type_,
        tail=tail,
        evidence=ev,
        confidence=confidence,
        status=status,
        rationale=rationale,
    )


def test_abbreviations_short_names_and_repeats_become_one_entity() -> None:
    entities = _by_name(build_entities(DOC.doc_id, ALL, DOC.text))
    assert set(entities) == {
        "John Smith",
        "Acme Corporation",
        "Boston",
        "Mary Jones",
        "Paris",
        "Massachusetts",
    }
    assert entities["Acme Corporation"].aliases == ["ACME"]
    assert len(entities["Acme Corporation"].mentions) == 3
    assert entities["John Smith"].aliases == ["Smith"] and entities["Mary Jones"].aliases == ["Jones"]
    assert entities["Boston"].entity_id == entity_id(DOC.doc_id, "location", "boston")


def test_without_consolidation_only_equal_names_merge() -> None:
    names = sorted(e.name for e in build_entities(DOC.doc_id, ALL, DOC.text, merge=False))
    assert names.count("ACME") == 1 and "Smith" in names and "John Smith" in names


def test_entities_do_not_depend_on_mention_order() -> None:
    shuffled = ALL[:]
    random.Random(7).shuffle(shuffled)
    assert build_entities(DOC.doc_id, shuffled, DOC.text) == build_entities(DOC.doc_id, ALL, DOC.text)


def test_duplicate_mentions_from_overlapping_chunks_count_once() -> None:
    twice = [*ALL, ACME_LATER.model_copy(update={"chunk_id": "overlap"})]
    acme = _by_name(build_entities(DOC.doc_id, twice, DOC.text))["Acme Corporation"]
    assert len(acme.mentions) == 3


def test_facts_between_the_same_entities_merge_with_all_their_evidence() -> None:
    entities = build_entities(DOC.doc_id, ALL, DOC.text)
    facts = [
        _fact(
            ACME, "orgbased_in", BOSTON, C0, "John Smith works for Acme Corporation (ACME) in Boston.", 0.6
        ),
        _fact(ACME_LATER, "orgbased_in", BOSTON_LATER, C2, "ACME is based in Boston", 0.9),
        _fact(SMITH, "kill", SMITH_SHORT, C1, "Smith met Jones", 0.9),
    ]
    relations, drops = merge_facts(facts, entity_index(entities))
    [rel] = relations
    assert rel.confidence == 0.9 and len(rel.evidence) == 2
    assert all(DOC.text[ev.start : ev.end] == ev.quote for ev in rel.evidence)
    assert drops == {"relation_self": 1}  # Smith and John Smith are one entity


async def test_cross_chunk_pairs_are_judged_on_a_passage_from_each_place() -> None:
    mentions = [MARY, PARIS, ACME_LATER, MASS]
    llm = ScriptedLLM({"consolidator": {"answer": "A"}})
    inp = ConsolidatorInput(doc=DOC, mentions=mentions, accepted=[])
    out = await consolidate(inp, runtime(llm, cross_chunk_pairs=1, verify=False))
    [rel] = out["relations"]
    assert len(llm.calls) == 1
    assert [ev.quote for ev in rel.evidence] == [
        "Mary Jones lives in Paris.",
        "ACME is based in Boston, a city in Massachusetts.",
    ]
    assert all(DOC.text[ev.start : ev.end] == ev.quote for ev in rel.evidence)


async def test_a_none_answer_adds_no_relation() -> None:
    llm = ScriptedLLM({"consolidator": {"answer": "B"}})
    out = await consolidate(ConsolidatorInput(doc=DOC, mentions=[MARY, MASS]), runtime(llm))
    assert out["relations"] == [] and len(llm.calls) == 1  # person-location allows only live_in: A or none


BASED_IN_BOSTON = "John Smith works for Acme Corporation (ACME) in Boston."
BASED_LATER = "ACME is based in Boston"


def test_a_relation_is_verified_when_any_of_its_facts_was() -> None:
    """The merge rule: verified if any fact is; confidence and rationale from the best verified fact."""
    entities = entity_index(build_entities(DOC.doc_id, ALL, DOC.text))
    facts = [
        _fact(ACME, "orgbased_in", BOSTON, C0, BASED_IN_BOSTON, 0.95),  # surer, but never checked
        _fact(ACME_LATER, "orgbased_in", BOSTON_LATER, C2, BASED_LATER, 0.7, "verified", "says based in"),
        _fact(ACME_LATER, "orgbased_in", BOSTON_LATER, C2, BASED_LATER, 0.6, "verified", "weaker"),
    ]
    [rel] = merge_facts(facts, entities)[0]
    assert (rel.status, rel.confidence, rel.rationale) == ("verified", 0.7, "says based in")
    assert rel.agent == "relation_reasoner"
    assert [ev.quote for ev in rel.evidence] == [BASED_IN_BOSTON, BASED_LATER]
    for _ in range(5):
        random.shuffle(facts)
        assert merge_facts(facts, entities)[0] == [rel]  # the merge does not depend on fact order


def test_a_relation_none_of_whose_facts_was_verified_stays_unverified() -> None:
    entities = entity_index(build_entities(DOC.doc_id, ALL, DOC.text))
    facts = [
        _fact(ACME, "orgbased_in", BOSTON, C0, BASED_IN_BOSTON, 0.6),
        _fact(ACME_LATER, "orgbased_in", BOSTON_LATER, C2, BASED_LATER, 0.8),
    ]
    [rel] = merge_facts(facts, entities)[0]
    assert (rel.status, rel.confidence, rel.rationale) == ("unverified", 0.8, "")


async def test_a_cross_chunk_relation_is_the_consolidators_unchecked_proposal() -> None:
    """Cross-chunk relations carried a fixed confidence 0.5 and a canned reasoning, as if judged."""
    llm = ScriptedLLM({"consolidator": {"answer": "A"}})
    inp = ConsolidatorInput(doc=DOC, mentions=[MARY, PARIS, ACME_LATER, MASS], accepted=[])
    [rel] = (await consolidate(inp, runtime(llm, cross_chunk_pairs=1, verify=False)))["relations"]
    assert (rel.status, rel.agent, rel.rationale, rel.reasoning) == ("unverified", "consolidator", "", "")
    assert rel.confidence == 0.0
    assert all(ev.method == "exact" and ev.agent == "consolidator" for ev in rel.evidence)


def _verdict(verdict: str) -> dict:
    why = "both passages: Mary Jones, Paris, ACME, Massachusetts"
    return {"verdicts": [{"fact": 1, "rationale": why, "verdict": verdict, "confidence": 0.8}]}


async def test_the_verifier_checks_a_cross_chunk_proposal_on_both_passages() -> None:
    llm = ScriptedLLM({"consolidator": {"answer": "A"}, "verifier": _verdict("supported")})
    inp = ConsolidatorInput(doc=DOC, mentions=[MARY, PARIS, ACME_LATER, MASS], accepted=[])
    [rel] = (await consolidate(inp, runtime(llm, cross_chunk_pairs=1)))["relations"]
    assert (rel.status, rel.rationale, rel.confidence, rel.agent) == (
        "verified",
        "both passages: Mary Jones, Paris, ACME, Massachusetts",
        0.8,
        "consolidator",
    )
    [check] = [c for c in llm.calls if c.tag.agent == "verifier"]
    prompt = check.messages[-1].content
    assert (
        "Mary Jones lives in Paris." in prompt
        and "ACME is based in Boston, a city in Massachusetts." in prompt
    )


async def test_a_cross_chunk_proposal_the_verifier_rejects_is_dropped() -> None:
    llm = ScriptedLLM({"consolidator": {"answer": "A"}, "verifier": _verdict("unsupported")})
    inp = ConsolidatorInput(doc=DOC, mentions=[MARY, PARIS, ACME_LATER, MASS], accepted=[])
    out = await consolidate(inp, runtime(llm, cross_chunk_pairs=1))
    assert out["relations"] == [] and out["drops"] == {"relation_verifier": 1}


BOSTON_AS_ORG = mention(DOC, C2, "Boston", "organization")


def test_entities_of_two_types_that_share_a_name_or_alias_are_paired() -> None:
    acme_as_person = mention(DOC, C2, "ACME", "person")
    entities = _by_name(build_entities(DOC.doc_id, [ACME, ACME_ABBR, acme_as_person, BOSTON, MASS], DOC.text))
    assert len(entities) == 4  # "ACME" typed person stays its own entity: merging is within a type
    people = build_entities(DOC.doc_id, [acme_as_person], DOC.text)
    others = [entities["Boston"], entities["Massachusetts"]]
    pairs = alias_pairs([entities["Acme Corporation"], *people, *others])
    assert pairs == {frozenset((entities["Acme Corporation"].entity_id, people[0].entity_id))}


def test_an_acronym_skips_numbers_so_an_expansion_with_digits_matches_its_abbreviation() -> None:
    assert acronym("angiotensin-1-converting enzyme") == "ace" and acronym("Acme Widget Corp") == "awc"


def test_a_fact_between_two_entities_that_share_a_name_is_a_self_relation() -> None:
    """Regression: Qwen2.5-1.5B verified "ACE (chemical) bind ACE (disease)" (verified_sample_qwen-1.5b)."""
    entities = build_entities(DOC.doc_id, [BOSTON, BOSTON_AS_ORG], DOC.text)
    fact = _fact(BOSTON_AS_ORG, "orgbased_in", BOSTON, C2, "ACME is based in Boston")
    relations, drops = merge_facts([fact], entity_index(entities), aliased=alias_pairs(entities))
    assert relations == [] and drops == {"relation_self": 1}
    assert len(merge_facts([fact], entity_index(entities))[0]) == 1  # without the pairs it would be kept


async def test_entities_that_share_a_name_are_never_asked_about_across_chunks() -> None:
    llm = ScriptedLLM({"consolidator": {"answer": "A"}})
    inp = ConsolidatorInput(doc=DOC, mentions=[BOSTON, BOSTON_AS_ORG])
    out = await consolidate(inp, runtime(llm, cross_chunk_pairs=5, verify=False))
    assert out["relations"] == [] and llm.calls == []
