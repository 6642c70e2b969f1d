"""The whole extraction graph through ``--backend openai`` against a real ``python -m llama_cpp.server``.

The server serves the embedded SmolLM2 GGUF from disk on a loopback port; the model is small, so the
tests assert that the server path works (valid outputs, some entities, clean failures), not quality.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from resume_fixtures import done_jobs, prepare_workspace, write_corpus

from factloom.graphs.extract import extract_collection
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.store import list_documents
from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.base import CallTag
from factloom.tools.llm.openai_backend import OpenAIBackend
from tests.tools.llm.server_fixtures import ServerProcess, start_llama_server, stop

pytestmark = pytest.mark.slow


class Outcomes:
    """Wraps an LLM; counts, per agent, the calls that gave valid output and those that did not."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name = inner, inner.name
        self.valid: Counter[str] = Counter()
        self.invalid: Counter[str] = Counter()

    async def complete(self, messages, output, **kw):
        agent = kw.get("tag", CallTag()).agent
        try:
            done = await self.inner.complete(messages, output, **kw)
        except LLMOutputError:
            self.invalid[agent] += 1
            raise
        self.valid[agent] += 1
        return done


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    running = start_llama_server(n_ctx=4096)
    yield running
    stop(running.process)


def test_the_extraction_graph_runs_through_a_real_llama_server(tmp_path: Path, server: ServerProcess) -> None:
    doc, _ = write_corpus(tmp_path / "in")  # seven short news paragraphs, one chunk each
    prepare_workspace(tmp_path / "ws", doc)
    llm = Outcomes(OpenAIBackend(server.url, "smollm2", max_retries=1, timeout=120, concurrency=2))
    options = ExtractOptions(demos=False, k_demos=0, concurrency=2)

    async def run():
        with Workspace(tmp_path / "ws") as ws:
            ids = [d.doc_id for d in list_documents(ws)]
            report = await extract_collection(ws, ids, load_schema("news"), llm, options)
        await llm.inner.aclose()
        return report

    report = asyncio.run(run())
    graph = report.documents[0]
    valid, invalid = sum(llm.valid.values()), sum(llm.invalid.values())
    assert llm.valid["entity_finder"] >= 1 and valid + invalid >= 3
    assert valid >= 0.75 * (valid + invalid), f"valid {dict(llm.valid)}, invalid {dict(llm.invalid)}"
    assert graph.stats.mentions >= 2 and len(graph.entities) >= 1
    assert llm.inner._dialect == "json_object", "llama_cpp.server refuses json_schema; the fallback was used"
    assert server.process.poll() is None, "the server survived every output model of the graph"


def test_a_server_killed_mid_run_is_one_clear_line_keeps_finished_chunks_and_warns_nothing(
    tmp_path: Path,
) -> None:
    """Regression (issue 14): the run ended after 70 s with ``RuntimeWarning: coroutine
    'arun_with_retry' was never awaited`` when the server died."""
    doc, _ = write_corpus(tmp_path / "in")
    root = tmp_path / "ws"
    n_chunks = prepare_workspace(root, doc)
    dying = start_llama_server(n_ctx=4096)
    args = ["extract", str(doc), "-w", str(root), "--backend", "openai", "--base-url", dying.url]
    args += ["--model", "smollm2", "--k-demos", "0", "--concurrency", "2", "--timeout", "60"]
    run = subprocess.Popen(
        [sys.executable, "-W", "error::RuntimeWarning", "-m", "factloom.graphs", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while len(done_jobs(root)) < 2:
            assert run.poll() is None, f"extract ended before the server was killed: {run.stderr.read()}"
            assert time.monotonic() < deadline, "extract made no progress"
            time.sleep(0.1)
        dying.process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        out, err = run.communicate(timeout=240)
    finally:
        run.kill()
        stop(dying.process)
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("profile ")]
    assert run.returncode == 1, err
    assert lines == [lines[-1]] and lines[-1].startswith(f"error: {dying.url}: cannot reach the server"), err
    assert "is it running?" in lines[-1]
    assert "never awaited" not in err + out and "Traceback" not in err
    assert time.monotonic() - killed_at < 120, "retries were not bounded"
    kept = done_jobs(root)
    assert len(kept) >= 2, "work finished before the kill was lost"
    assert len([k for k in kept if k[1] == "entities"]) < n_chunks or len(kept) < 2 * n_chunks
