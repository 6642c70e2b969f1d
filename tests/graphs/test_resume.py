"""Resume, model faults, budgets and dry runs of the extraction (in this process; scripted model)."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from resume_fixtures import (
    add_document,
    done_jobs,
    export_lines,
    extract_args,
    prepare_workspace,
    run_cli,
    scripted_llm,
    write_corpus,
)
from scripted_server import start_server

from factloom.graphs import extract_options
from factloom.graphs.extract import extract_collection
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.store import list_documents
from factloom.ingest.workspace import DB_NAME, Workspace
from factloom.tools.errors import BudgetExceededError, LLMUnavailableError
from factloom.tools.extraction.output_models import entity_output_model
from factloom.tools.extraction.schema import EntityType, load_schema
from factloom.tools.llm.base import Message
from factloom.tools.llm.budget import BudgetedLLM, TokenBudget
from factloom.tools.store.view import load_graph

NEWS = load_schema("news")
OPTIONS = ExtractOptions(concurrency=2, demos=False, k_demos=0)


class FlakyServer:
    """Wraps a scripted model; after ``healthy_calls`` calls every call fails until ``restore()``."""

    def __init__(self, inner, healthy_calls: int) -> None:
        self.inner, self.name, self.left, self.failed = inner, inner.name, healthy_calls, 0

    def restore(self) -> None:
        self.left = 10**9

    async def complete(self, messages, output, **kw):
        if self.left <= 0:
            self.failed += 1
            raise LLMUnavailableError("http://127.0.0.1:9/v1: cannot reach the server; is it running?")
        self.left -= 1
        return await self.inner.complete(messages, output, **kw)


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, dict]:
    return write_corpus(tmp_path / "in")


def _run(root: Path, llm, schema=NEWS, options=OPTIONS):
    with Workspace(root) as ws:
        doc_ids = [d.doc_id for d in list_documents(ws)]
        return asyncio.run(extract_collection(ws, doc_ids, schema, llm, options))


def _graph(root: Path):
    with Workspace(root) as ws:
        return load_graph(ws)


def test_a_dead_model_stops_the_run_after_bounded_retries_and_keeps_finished_chunks(
    tmp_path: Path, corpus: tuple[Path, dict]
) -> None:
    doc, script = corpus
    reference, root = tmp_path / "reference", tmp_path / "ws"
    n_chunks = prepare_workspace(reference, doc)
    prepare_workspace(root, doc)
    _run(reference, scripted_llm(script))

    flaky = FlakyServer(scripted_llm(script), healthy_calls=n_chunks + 2)
    with pytest.raises(LLMUnavailableError, match="cannot reach the server"):
        _run(root, flaky)
    assert 0 < flaky.failed <= 3 * OPTIONS.concurrency, "retries are not bounded"
    kept = done_jobs(root)
    assert sum(1 for _, stage in kept if stage == "entities") == n_chunks
    db = sqlite3.connect(root / DB_NAME)
    assert db.execute("SELECT COUNT(*) FROM extract_jobs WHERE status = 'failed'").fetchone()[0] > 0
    db.close()

    flaky.restore()
    calls_before = len(flaky.inner.calls)
    _run(root, flaky)
    assert not flaky.inner.calls_of("entity_finder")[calls_before:], "finished chunks were redone"
    assert all(done_jobs(root)[k] == t for k, t in kept.items())
    assert _graph(root) == _graph(reference)


def test_changing_schema_or_prompts_reruns_exactly_the_affected_chunks(
    tmp_path: Path, corpus: tuple[Path, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    doc, script = corpus
    root = tmp_path / "ws"
    n_chunks = prepare_workspace(root, doc)
    _run(root, scripted_llm(script))

    same = scripted_llm(script)
    _run(root, same)
    assert same.calls_of("entity_finder") == [] and same.calls_of("relation_reasoner") == []

    types = [*NEWS.entity_types[:-1], EntityType(name="other", description="Anything else named.")]
    changed_schema = NEWS.model_copy(update={"entity_types": types})
    llm = scripted_llm(script)
    _run(root, llm, schema=changed_schema)
    assert len(llm.calls_of("entity_finder")) == n_chunks

    monkeypatch.setattr(extract_options, "PROMPT_VERSION", "extract-v999")
    llm = scripted_llm(script)
    _run(root, llm, schema=changed_schema)
    assert len(llm.calls_of("entity_finder")) == n_chunks

    other = doc.with_name("other.txt")
    other.write_text("Mary Jones works for Acme Corporation in Boston.\n", encoding="utf-8")
    extra_id = add_document(root, other)
    llm = scripted_llm(script)
    _run(root, llm, schema=changed_schema)
    assert [c.tag.doc_id for c in llm.calls_of("entity_finder")] == [extra_id]


def test_the_budget_stops_before_the_next_call_and_keeps_the_model_name() -> None:
    inner = scripted_llm({"names": {"Ann": "person"}})
    budget = TokenBudget(limit=1)
    llm = BudgetedLLM(inner, budget)
    assert llm.name == inner.name, "a budget must not change the version of results"
    model = entity_output_model(("person",))
    question = [Message(role="user", content="Ann works here.")]
    asyncio.run(llm.complete(question, model))
    assert budget.spent > 0 and budget.exhausted
    with pytest.raises(BudgetExceededError, match="run the same command again"):
        asyncio.run(llm.complete(question, model))
    assert len(inner.calls) == 1


@pytest.fixture
def server(tmp_path: Path, corpus: tuple[Path, dict]) -> Iterator[str]:
    proc, url = start_server(corpus[1], tmp_path / "server")
    yield url
    proc.kill()
    proc.wait()


def test_budget_tokens_stops_cleanly_and_the_same_command_resumes(
    tmp_path: Path, corpus: tuple[Path, dict], server: str
) -> None:
    doc, _ = corpus
    reference, root = tmp_path / "reference", tmp_path / "ws"
    n_chunks = prepare_workspace(reference, doc)
    prepare_workspace(root, doc)
    code, out = run_cli(extract_args(reference, doc, server))
    assert code == 0, out

    code, out = run_cli(extract_args(root, doc, server, "--budget-tokens", "250"))
    assert code == 1 and "token budget reached" in out and "Traceback" not in out, out
    kept = done_jobs(root)
    assert 0 < len(kept) < 2 * n_chunks

    code, out = run_cli(extract_args(root, doc, server))
    assert code == 0, out
    assert all(done_jobs(root)[k] == t for k, t in kept.items()), "work done within the budget was redone"
    assert export_lines(root) == export_lines(reference)


def test_dry_run_prints_the_plan_and_calls_nothing(tmp_path: Path, corpus: tuple[Path, dict]) -> None:
    doc, script = corpus
    root = tmp_path / "ws"
    n_chunks = prepare_workspace(root, doc)
    dead = "http://127.0.0.1:9/v1"  # a call would fail: nothing listens there
    code, out = run_cli(extract_args(root, doc, dead, "--dry-run"))
    assert code == 0, out
    assert f"doc.txt: 1 pages, {n_chunks} chunks (0 finished), ingested" in out
    low, high = (int(x) for x in out.split("estimated LLM calls ")[1].split(",")[0].split(" to "))
    assert 2 * n_chunks <= low <= high
    assert done_jobs(root) == {}

    new_root = tmp_path / "new"
    code, out = run_cli(extract_args(new_root, doc, dead, "--dry-run"))
    assert code == 0 and "(0 finished), new" in out, out
    assert not new_root.exists(), "a dry run wrote a workspace"

    with Workspace(root) as ws:
        ids = [d.doc_id for d in list_documents(ws)]
        report = asyncio.run(extract_collection(ws, ids, NEWS, _named(scripted_llm(script)), _cli_options()))
    assert low <= report.totals().usage.calls <= high, "the real run's calls fall outside the estimate"
    code, out = run_cli(extract_args(root, doc, dead, "--dry-run"))
    assert f"({n_chunks} finished)" in out and "calls 0 to 0" in out, out


def _named(llm):
    """Give the scripted model the name the CLI's backend has, so the CLI sees its results as current."""
    llm.name = "openai:scripted"
    return llm


def _cli_options() -> ExtractOptions:
    return dataclasses.replace(ExtractOptions(), demos=False, k_demos=0, concurrency=2)


def test_the_dry_run_says_which_profile_runs_and_what_it_sets(
    tmp_path: Path, corpus: tuple[Path, dict]
) -> None:
    doc, _ = corpus
    dead = "http://127.0.0.1:9/v1"
    code, out = run_cli(extract_args(tmp_path / "ws", doc, dead, "--dry-run"))
    expected = "profile large: reads chunk, relations joint, CoT, verifier (choice),"
    assert code == 0 and expected in out, out
    code, out = run_cli(extract_args(tmp_path / "ws", doc, dead, "--dry-run", "--profile", "tiny"))
    assert "profile tiny: reads sentences, relations joint, no CoT, no verifier (relations unverified)" in out
    code, out = run_cli(extract_args(tmp_path / "ws", doc, dead, "--dry-run", "--profile", "tiny", "--cot"))
    assert "profile tiny: reads sentences, relations joint, CoT" in out  # an explicit option wins
