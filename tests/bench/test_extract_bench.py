"""bench/extract.py and bench/verified_sample.py: call outcomes, relation counts, schemas, Wilson CI."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from factloom.tools.errors import LLMOutputError
from factloom.tools.llm.base import CallTag, Completion, Message, Usage

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


extract = _load("extract")
verified_sample = _load("verified_sample")


def test_schema_per_pdf_from_its_name_and_an_explicit_schema_kept() -> None:
    pick = {
        "biomedical_ClinSci.pdf": "biomed",
        "medical_x.pdf": "biomed",
        "legal_contract_CUAD.pdf": "contracts",
        "legal_judgement_SCOTUS.pdf": "news",
        "scientific_ACL.pdf": "science",
        "other.pdf": "news",
    }
    for name, preset in pick.items():
        assert extract.schema_for(Path(name), "auto") == preset
    assert extract.schema_for(Path("medical_x.pdf"), "open") == "open"


class _Answers:
    """An LLM answering from a list: a number of calls (1 = at once, 2 = after a repair) or an exception."""

    name = "fake"

    def __init__(self, answers: list[int | Exception]) -> None:
        self.answers = answers

    async def complete(self, messages, output, **kwargs):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return Completion(value=None, usage=Usage(calls=answer))


def test_recorder_counts_valid_repaired_invalid_and_failed_calls_per_agent() -> None:
    llm = extract.Recorder(_Answers([1, 2, LLMOutputError("bad"), RuntimeError("down"), 1]))
    tags = ["entity_finder", "entity_finder", "verifier", "verifier", "verifier"]

    async def run() -> None:
        for agent in tags:
            with contextlib.suppress(LLMOutputError, RuntimeError):
                await llm.complete([Message(role="user", content="x")], object, tag=CallTag(agent=agent))

    asyncio.run(run())
    rows = [{"calls_by_agent": extract.outcomes(llm)}]
    totals = extract.agent_totals(rows)
    finder = {"calls": 2, "ok": 1, "repaired": 1, "invalid": 0, "error": 0, "valid_share": 1.0}
    assert totals["entity_finder"] == finder
    assert totals["verifier"]["valid_share"] == round(1 / 3, 4)
    assert (totals["all"]["calls"], totals["all"]["valid_share"]) == (5, 0.6)


def test_proposals_count_every_relation_put_forward_and_what_became_of_it() -> None:
    drops = {"relation_schema": 1, "relation_self": 2, "relation_grounding": 3, "relation_verifier": 4}
    assert extract.proposals(drops, facts=5, cross_chunk_kept=6) == {
        "proposed": 21,
        "grounded": 15,
        "rejected": 4,
    }


def test_wilson_interval_matches_the_textbook_values() -> None:
    assert verified_sample.wilson(30, 40) == (0.5981, 0.8581)
    assert verified_sample.wilson(0, 10) == (0.0, 0.2775)
    assert verified_sample.wilson(0, 0) is None


def test_score_needs_every_judgement_and_reports_precision(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(verified_sample, "RESULTS", tmp_path)
    item = {"id": "r", "pdf": "p", "type": "t", "head": "a", "head_type": "x", "tail": "b", "tail_type": "y"}
    item |= {"evidence": [{"quote": "a b", "page": 1, "method": "exact", "score": 100, "context": "a b"}]}
    header = {"kind": "sample", "workspaces": "w", "verified_relations": 3, "drawn": 3, "seed": 13}
    header |= {"date": "d", "command": "c"}
    judged = [item | {"id": f"r{n}", "judgement": j, "why": "w"} for n, j in enumerate(["correct", "wrong"])]
    lines = [header, *judged, item | {"id": "r9", "judgement": None}]
    (tmp_path / "s.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    args = type("A", (), {"out": "s"})()
    with pytest.raises(SystemExit, match="1 items without a judgement"):
        verified_sample.score(args)
    lines[-1]["judgement"] = "unclear"
    (tmp_path / "s.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    verified_sample.score(args)
    figures = json.loads((tmp_path / "s.json").read_text())["all"]
    assert (figures["correct"], figures["wrong"], figures["unclear"]) == (1, 1, 1)
    assert figures["precision"] == 0.5 and figures["precision_unclear_as_wrong"] == round(1 / 3, 4)
    assert "Precision 0.5" in (tmp_path / "s.md").read_text()
