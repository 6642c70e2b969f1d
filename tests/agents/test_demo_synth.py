"""The demonstration writer and its checks, scripted model: which written passages are kept, which rejected.

A scripted model tests the checks and the wiring, never the quality of what a real model writes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from factloom.agents.context import AgentContext, AgentSettings
from factloom.agents.demo_checks import check_names, check_passage, targets
from factloom.agents.demo_synth import (
    AGENT,
    NAMES_AGENT,
    build_messages,
    output_model,
    style_examples,
    synthesize,
)
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.scripted import ScriptedLLM

NEWS = load_schema("news")
STYLE = ["The company said on Monday that its chairman, John Smith, had resigned.", "Rain fell in Ohio."]
WORK_FOR = next(t for t in targets(NEWS) if t.name == "work_for")
TINY = NEWS.model_copy(
    update={
        "entity_types": NEWS.entity_types[:2],  # person, organization
        "relation_types": [NEWS.relation("work_for")],
    }
)


def _passage(text: str, entities: list[tuple[str, str]], relations: list[tuple[str, str, str]]) -> dict:
    return {
        "text": text,
        "entities": [{"text": t, "type": ty} for t, ty in entities],
        "relations": [{"head": h, "type": r, "tail": t} for h, r, t in relations],
    }


GOOD = _passage(
    "Maria Keller, a spokeswoman for Dunmore Steel, said the plant would reopen.",
    [("Maria Keller", "person"), ("Dunmore Steel", "organization")],
    [("Maria Keller", "work_for", "Dunmore Steel")],
)


def names(*pool: str):
    """A scripted name inventor: the first names of ``pool``, as many as asked for."""

    def answer(messages, output) -> dict:
        count = int(re.search(r"Invent (\d+) new", messages[-1].content).group(1))
        return {"names": list(pool[:count])}

    return answer


def _verdict(verdict: str = "supported", confidence: float = 0.9) -> dict:
    return {
        "verdicts": [{"fact": 1, "rationale": "it says so", "verdict": verdict, "confidence": confidence}]
    }


def _raw(answer: dict) -> Any:
    return output_model(tuple(NEWS.entity_names), tuple(NEWS.relation_names), True).model_validate(answer)


def _check(answer: dict, **kw: Any) -> Any:
    return check_passage(_raw(answer), WORK_FOR, NEWS, style=STYLE, **kw)


def test_a_grounded_passage_stating_its_target_passes_the_checks() -> None:
    checked = _check(GOOD)
    assert not isinstance(checked, str)
    assert {(r.head, r.type, r.tail) for r in checked.demo.relations} == {
        ("Maria Keller", "work_for", "Dunmore Steel")
    }
    assert checked.statements[0].evidence == GOOD["text"]  # the sentence naming both, for the verifier
    assert checked.demo.source == "synth:news#work_for"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        # an entity quote that is not in the passage
        (
            _passage(
                GOOD["text"], [("Maria Keller", "person"), ("Dunmore Steelworks Inc", "organization")], []
            ),
            "entity",
        ),
        # work_for from an organization to a person: the domain/range forbids it
        (
            _passage(
                GOOD["text"],
                [("Maria Keller", "person"), ("Dunmore Steel", "organization")],
                [("Dunmore Steel", "work_for", "Maria Keller")],
            ),
            "relation_schema",
        ),
        # a relation naming an entity the passage does not annotate
        (
            _passage(
                GOOD["text"], [("Maria Keller", "person")], [("Maria Keller", "work_for", "Dunmore Steel")]
            ),
            "relation_schema",
        ),
        # the two arguments are in different sentences far apart: not stated in one sentence
        (
            _passage(
                "Maria Keller arrived after a long and tiring journey across three countries "
                "and two oceans, and she slept through most of the following week in a small hotel. "
                "Later, a statement came from Dunmore Steel about the reopening of its largest plant.",
                [("Maria Keller", "person"), ("Dunmore Steel", "organization")],
                [("Maria Keller", "work_for", "Dunmore Steel")],
            ),
            "relation_unstated",
        ),
        # written for work_for but states none
        (
            _passage(
                "Maria Keller visited Dunmore.", [("Maria Keller", "person"), ("Dunmore", "location")], []
            ),
            "off_target",
        ),
        # copies a style example
        (_passage(STYLE[0], [("John Smith", "person")], []), "copied"),
        # the same words typed twice
        (
            _passage(GOOD["text"], [("Maria Keller", "person"), ("Maria Keller", "organization")], []),
            "entity",
        ),
    ],
)
def test_a_failing_passage_is_rejected_with_its_reason(answer: dict, reason: str) -> None:
    assert _check(answer) == reason


def test_a_name_the_annotation_leaves_out_rejects_the_passage() -> None:
    """Kept passages named places their annotation omitted ("John Doe was born ... in Houston")."""
    left_out = _passage(
        "Maria Keller, a spokeswoman for Dunmore Steel in Houston, said the plant would reopen.",
        [("Maria Keller", "person"), ("Dunmore Steel", "organization")],
        [("Maria Keller", "work_for", "Dunmore Steel")],
    )
    assert _check(left_out) == "unannotated"
    assert not isinstance(_check(GOOD), str)  # "Maria" starts the sentence, every name is annotated


def test_a_passage_already_stored_is_a_duplicate() -> None:
    known = {" ".join(GOOD["text"].casefold().split())}
    assert _check(GOOD, known=known) == "duplicate"


def _written(*passages: dict) -> list[dict]:
    """What the writer answers: a passage and its entities (the relation is the chosen fact)."""
    return [{k: v for k, v in p.items() if k != "relations"} for p in passages]


def _llm(script: dict) -> ScriptedLLM:
    return ScriptedLLM({NAMES_AGENT: names("Maria Keller", "Dunmore Steel"), **script})


def _ctx(llm: ScriptedLLM, schema: Any = TINY) -> AgentContext:
    return AgentContext(llm=llm, schema=schema, settings=AgentSettings())


async def test_only_passages_the_verifier_supports_are_kept() -> None:
    other = _passage(
        "Maria Keller works for Dunmore Steel.",
        [("Maria Keller", "person"), ("Dunmore Steel", "organization")],
        [("Maria Keller", "work_for", "Dunmore Steel")],
    )
    llm = _llm({AGENT: _written(GOOD, other), "verifier": [_verdict("unsupported", 0.8), _verdict()]})
    seen: list[tuple[int, int]] = []
    report = await synthesize(
        _ctx(llm), STYLE, 1, max_attempts=2, progress=lambda kept, done: seen.append((kept, done))
    )
    assert [d.text for d in report.demos] == [other["text"]]
    assert report.rejected == {"verifier": 1} and report.attempts == 2
    assert seen == [(0, 1), (1, 2)]
    assert report.usage.calls == 5  # two name lists, two passages, one verdict (a person passage: none)


async def test_a_low_confidence_verdict_or_unusable_verdicts_reject() -> None:
    low = _llm({AGENT: _written(GOOD), "verifier": _verdict("supported", 0.4)})
    assert (await synthesize(_ctx(low), STYLE, 1, max_attempts=1)).rejected == {"verifier": 1}
    broken = _llm({AGENT: _written(GOOD), "verifier": {"verdicts": "not a list"}})
    assert (await synthesize(_ctx(broken), STYLE, 1, max_attempts=1)).rejected == {"verifier": 1}


async def test_the_same_passage_written_twice_is_kept_once() -> None:
    llm = _llm({AGENT: _written(GOOD), "verifier": _verdict()})
    report = await synthesize(_ctx(llm), STYLE, 3, max_attempts=3)
    assert len(report.demos) == 1 and report.rejected == {"duplicate": 2}


async def test_every_type_gets_a_turn_and_names_used_are_not_reused() -> None:
    llm = _llm({AGENT: _written(GOOD), "verifier": _verdict()})
    report = await synthesize(_ctx(llm, NEWS), STYLE, 18, max_attempts=len(targets(NEWS)) + 2)
    prompts = [c.messages[-1].content for c in llm.calls_of(AGENT)]
    for t in targets(NEWS):
        assert any(f"Maria Keller {t.name.replace('_', ' ')} " in p for p in prompts) or t.kind == "entity"
    assert sum("says something about Maria Keller" in p for p in prompts) >= 2  # the entity targets
    # work_for's second turn is told to avoid the names of its first, and the same names are refused
    last = llm.calls_of(NAMES_AGENT)[-1].messages[-1].content
    assert "Do not use these names: Maria Keller, Dunmore Steel." in last
    assert report.rejected["duplicate"] >= 1


def test_prompt_states_the_chosen_fact_in_the_style_of_the_collection() -> None:
    system, user = build_messages(NEWS, WORK_FOR, STYLE, ["Ann Lee", "Acme"])
    assert "work_for (person -> organization)" in system.content
    assert STYLE[1] in user.content
    assert "says that Ann Lee work for Acme." in user.content


def test_invented_names_copied_from_the_collection_or_reused_are_refused() -> None:
    assert check_names(["John Smith", "Dunmore Steel"], STYLE, []) == "copied"  # in a style text
    assert check_names(["Maria Keller"], STYLE, ["maria keller"]) == "duplicate"
    assert check_names(["Maria  Keller", "Dunmore Steel"], STYLE, []) == ["Maria Keller", "Dunmore Steel"]


def test_the_chosen_fact_is_annotated_and_must_be_named_in_the_passage() -> None:
    assert _check(GOOD, names=["Tom Reyes", "Harbor Bank"]) == "entity"  # the chosen names are absent
    written = {"text": GOOD["text"], "entities": [], "relations": []}  # the model listed nothing
    checked = _check(written, names=["Maria Keller", "Dunmore Steel"])
    assert {(e.text, e.type) for e in checked.demo.entities} == {
        ("Maria Keller", "person"),
        ("Dunmore Steel", "organization"),
    }
    assert [(r.head, r.type, r.tail) for r in checked.demo.relations] == [
        ("Maria Keller", "work_for", "Dunmore Steel")
    ]


def test_style_examples_are_spread_and_cut_at_a_sentence() -> None:
    texts = [f"Sentence {i} is here. " * 40 for i in range(20)]
    got = style_examples(texts, k=4, max_chars=100)
    assert len(got) == 4 and all(len(s) <= 100 and s.endswith(".") for s in got)
    assert got[0].startswith("Sentence 0") and got[1].startswith("Sentence 5")
