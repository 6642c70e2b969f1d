"""``graphs.run.run_extraction``: the one function a run goes through, called as a library caller would."""

from __future__ import annotations

from pathlib import Path

import pytest

from factloom.graphs.distributed import RayOptions
from factloom.graphs.extract_options import ExtractOptions
from factloom.graphs.run import ExtractionRun, RunOptionsError, run_extraction
from factloom.ingest.workspace import DB_NAME
from factloom.tools.llm.scripted import ScriptedLLM


class Collected:
    """Keeps what the run says, and counts the documents its progress saw."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.warned: list[str] = []
        self.done = 0

    def say(self, line: str) -> None:
        self.said.append(line)

    def warn(self, line: str) -> None:
        self.warned.append(line)

    def documents(self, total: int, label: str):
        from contextlib import nullcontext

        def step(_graph: object) -> None:
            self.done += 1

        return nullcontext(step)


def _llm() -> ScriptedLLM:
    people = [{"text": "Ann Lee", "type": "person"}, {"text": "Acme Corporation", "type": "organization"}]
    return ScriptedLLM({"entity_finder": {"entities": people}})


def _doc(tmp_path: Path) -> Path:
    doc = tmp_path / "news.txt"
    doc.write_text("Ann Lee works for Acme Corporation in Boston. Ann Lee lives in Boston.\n")
    return doc


def test_a_run_ingests_extracts_and_merges_and_says_so(tmp_path: Path) -> None:
    events = Collected()
    run = ExtractionRun(tmp_path / "ws", (str(_doc(tmp_path)),), options=ExtractOptions(demos=False))
    result = run_extraction(run, events, llm=_llm())
    assert result.report is not None and len(result.report.documents) == 1 and not result.failed
    assert result.collection is not None and result.collection.entities > 0
    assert events.done == 1
    assert events.warned[0].startswith("profile tiny:")  # the default backend: SmolLM2-135M
    assert events.said[-1].startswith("collection: ") and "1 documents" in events.said[-2]


def test_a_dry_run_plans_and_writes_nothing(tmp_path: Path) -> None:
    events = Collected()
    run = ExtractionRun(tmp_path / "ws", (str(_doc(tmp_path)),), dry_run=True)
    result = run_extraction(run, events, llm=_llm())
    assert result.plan is not None and len(result.plan.documents) == 1 and result.report is None
    assert not (tmp_path / "ws" / DB_NAME).exists()
    assert events.said[-1].endswith("no call made")


def test_options_that_do_not_fit_together_are_refused_before_any_write(tmp_path: Path) -> None:
    run = ExtractionRun(tmp_path / "ws", (str(_doc(tmp_path)),), ray=RayOptions(), budget_tokens=10)
    with pytest.raises(RunOptionsError, match="--budget-tokens does not work with --ray"):
        run_extraction(run, Collected())
    assert not (tmp_path / "ws").exists()
