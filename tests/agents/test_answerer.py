"""The answer agent and the query graph: citations are checked, unsupported questions get no guess.

The LLM is scripted (``QuoteLLM``): these tests are about wiring and the deterministic checks.
"""

from __future__ import annotations

import importlib.util
import string
from pathlib import Path

import pytest

from factloom.agents import answerer
from factloom.agents.answerer import Turn, answer, build_messages, check_citations, no_answer
from factloom.graphs.query import ChatSession, ask, open_context
from factloom.ingest.workspace import Workspace
from factloom.tools.llm.base import Completion
from factloom.tools.query.subgraph import EvidenceItem

_spec = importlib.util.spec_from_file_location(
    "query_fixtures", Path(__file__).parents[1] / "query_fixtures.py"
)
qf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qf)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("answerer") / "ws"
    info = qf.build_workspace(root)
    info["root"] = root
    return info


@pytest.fixture
def ws(built: dict) -> Workspace:
    with Workspace(built["root"], create=False) as w:
        yield w


def _item(text: str, quote: str, evidence_id: str = "E1") -> EvidenceItem:
    s = text.index(quote)
    return EvidenceItem(
        evidence_id=evidence_id, doc_id="d", page=1, start=s, end=s + len(quote), quote=quote, source="chunk"
    )


def test_templates_have_exactly_their_placeholders() -> None:
    expected = {
        "SYSTEM_PROMPT": set(),
        "HISTORY_QUESTION_TEMPLATE": {"question"},
        "HISTORY_ANSWER_TEMPLATE": {"answer"},
        "EVIDENCE_LINE_TEMPLATE": {"evidence_id", "page", "quote", "fact"},
        "FACT_TEMPLATE": {"fact"},
        "USER_TEMPLATE": {"evidence", "question"},
        "NO_ANSWER_WH_TEMPLATE": {"clause"},
        "NO_ANSWER_TEMPLATE": {"question"},
    }
    for name, fields in expected.items():
        found = {f for _, f, _, _ in string.Formatter().parse(getattr(answerer, name)) if f}
        assert found == fields, name


def test_prompt_prefix_is_identical_across_questions() -> None:
    text = "Aspirin lowers the risk of stroke."
    a = build_messages("What does aspirin do?", [_item(text, text)])
    b = build_messages("Who wrote this?", [_item(text, text)], [Turn(question="q", answer="a")])
    assert a[0] == b[0] and a[0].content == answerer.SYSTEM_PROMPT
    assert a[-1].content.startswith("Evidence:\n[E1] (page 1) Aspirin") and b[-1].content.startswith(
        "Evidence:\n"
    )


def test_the_output_schema_only_allows_listed_evidence_ids() -> None:
    model = answerer.output_model(2)
    assert model(answer="x", evidence_ids=["E2"]).evidence_ids == ["E2"]
    with pytest.raises(ValueError):
        model(answer="x", evidence_ids=["E3"])


def test_citations_that_do_not_reproduce_their_quote_are_dropped() -> None:
    text = "Warfarin increases bleeding. Aspirin lowers stroke risk."
    good = _item(text, "Aspirin lowers stroke risk.", "E1")
    moved = good.model_copy(update={"evidence_id": "E2", "start": good.start + 1})
    kept, dropped = check_citations(["E1", "E2", "E9", "E1"], [good, moved], lambda _d: text)
    assert [c.evidence_id for c in kept] == ["E1"] and dropped == 2


async def test_no_evidence_means_no_model_call_and_no_guess() -> None:
    llm = qf.QuoteLLM()
    result = await answer("What is the capital of France?", [], llm, lambda _d: None)
    assert result.text == "The documents do not say what is the capital of France."
    assert not result.supported and result.citations == [] and llm.calls == []
    assert no_answer("Is it safe?") == 'The documents do not say anything that answers "Is it safe?".'


class UncitedLLM:
    """A scripted model that answers with a fixed text and cites nothing (as small models often do)."""

    name = "uncited-fake"

    def __init__(self, text: str) -> None:
        self.text = text

    async def complete(self, messages: list, output: type, **_: object) -> Completion:
        return Completion(value=output(answer=self.text, evidence_ids=[]))


async def test_an_uncited_answer_is_attributed_to_the_passage_it_came_from() -> None:
    text = "Warfarin increases bleeding in the elderly. Aspirin lowers the risk of stroke."
    evidence = [
        _item(text, "Warfarin increases bleeding in the elderly.", "E1"),
        _item(text, "Aspirin lowers the risk of stroke.", "E2"),
    ]
    got = await answer(
        "What does aspirin do?", evidence, UncitedLLM("Aspirin lowers stroke risk."), lambda _d: text
    )
    assert got.supported and [c.evidence_id for c in got.citations] == ["E2"]
    made_up = await answer(
        "What does aspirin do?", evidence, UncitedLLM("It cures headaches."), lambda _d: text
    )
    assert not made_up.supported and made_up.text == "The documents do not say what does aspirin do."


async def test_an_answer_whose_citations_all_fail_becomes_no_answer(ws: Workspace) -> None:
    ctx = open_context(ws, qf.QuoteLLM(cite=["E7"]), vectors=False)
    result = await ask("What does lithium carbonate cause?", ctx)
    assert result.answer.text == "The documents do not say what does lithium carbonate cause."
    assert result.answer.dropped_citations == 1 and result.answer.citations == []


async def test_ask_cites_passages_that_exist_in_the_workspace(ws: Workspace, built: dict) -> None:
    ctx = open_context(ws, qf.QuoteLLM())
    result = await ask("What does lithium carbonate cause?", ctx)
    out = result.to_json()
    assert "hypotension" in out["answer"]
    assert out["entities"][0]["name"] == "Lithium carbonate"
    for c in out["citations"]:
        assert built["text"][c["start"] : c["end"]] == c["quote"]
        assert c["doc_id"] == built["doc_id"] and c["page"] == 1


async def test_follow_up_questions_keep_the_previous_entities(ws: Workspace) -> None:
    chat = ChatSession(open_context(ws, qf.QuoteLLM(), vectors=False))
    first = await chat.ask("What does Warfarin increase?")
    assert "bleeding" in first.answer.text
    follow = await chat.ask("In which patients does it increase the risk?")
    assert [(e.name, e.method) for e in follow.linked] == [("Warfarin", "history")]
    assert "elderly patients" in follow.answer.text
    assert len(chat.history) == 2
