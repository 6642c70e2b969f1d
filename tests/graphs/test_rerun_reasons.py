"""A re-run reflects what changed: new demonstrations (or settings) re-run finished chunks, and ``extract``
says why. The model is the scripted OpenAI-compatible server (a real process); demonstrations are
stored for real (SQLite, Chroma, MiniLM)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from resume_fixtures import prepare_workspace, run_cli, write_corpus
from scripted_server import start_server

from factloom.agents.context import AgentSettings
from factloom.graphs.extract_jobs import UNKNOWN_VERSION, explain_reruns
from factloom.ingest.store import list_documents
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.schema import load_schema

pytestmark = pytest.mark.slow


def gold_file(path: Path, person: str, org: str) -> Path:
    text = f"{person} joined {org} last spring."
    entities = [
        {"id": "e0", "type": "person", "mentions": [{"start": 0, "end": len(person), "text": person}]},
        {"id": "e1", "type": "organization",
         "mentions": [{"start": text.index(org), "end": text.index(org) + len(org), "text": org}]},
    ]
    row = {"doc_id": path.stem, "text": text, "entities": entities,
           "relations": [{"head": "e0", "type": "work_for", "tail": "e1"}]}
    path.write_text(json.dumps(row) + "\n")
    return path


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Path, Path, str, int]]:
    doc, script = write_corpus(tmp_path / "in")
    root = tmp_path / "ws"
    n_chunks = prepare_workspace(root, doc)
    proc, url = start_server(script, tmp_path / "server")
    yield root, doc, url, n_chunks
    proc.kill()
    proc.wait()


def extract(root: Path, doc: Path, url: str, *extra: str) -> str:
    backend = ["--backend", "openai", "--base-url", url, "--model", "scripted", "--concurrency", "2"]
    args = ["extract", str(doc), "-w", str(root), "--schema", "news", "--k-demos", "2", *backend, *extra]
    code, out = run_cli(args)
    assert code == 0, out
    return out


def tokens(out: str) -> int:
    """Return the prompt tokens the run spent (calls served from the workspace's cache cost none)."""
    return int(re.search(r"(\d+) prompt \+", out).group(1))


def test_new_demonstrations_rerun_finished_chunks_and_extract_says_why(setup, tmp_path: Path):
    """Regression: after `demos add`, extract reported "1 chunks (1 resumed)" and made no call."""
    root, doc, url, n = setup
    first = gold_file(tmp_path / "first.jsonl", "Alan Reed", "Hooli Media")
    assert run_cli(["demos", "add", str(first), "-w", str(root), "--schema", "news"])[0] == 0
    out = extract(root, doc, url)
    assert f"{n} chunks (0 resumed)" in out and "re-run" not in out and tokens(out) > 0

    out = extract(root, doc, url)
    assert f"{n} chunks ({n} resumed)" in out and "re-run" not in out and tokens(out) == 0

    second = gold_file(tmp_path / "second.jsonl", "Nina Cole", "Vandelay Imports")
    assert run_cli(["demos", "add", str(second), "-w", str(root), "--schema", "news"])[0] == 0
    out = extract(root, doc, url)
    assert f"{n} chunks re-run: demonstrations changed\n" in out
    assert f"{n} chunks (0 resumed)" in out and tokens(out) > 0

    out = extract(root, doc, url, "--no-cot")
    assert f"{n} chunks re-run: settings changed (cot)\n" in out and tokens(out) > 0
    assert "re-run" not in extract(root, doc, url, "--no-cot")


def test_without_a_recorded_version_the_reason_is_still_given(setup):
    """Results of a run whose version was not recorded (an older factloom) re-run with a plain reason."""
    root, doc, url, n = setup
    extract(root, doc, url)
    with Workspace(root) as ws:
        ws.db.execute("DELETE FROM extract_versions")
        ws.db.commit()
        doc_ids = [d.doc_id for d in list_documents(ws)]
        lines = explain_reruns(ws, doc_ids, load_schema("news"), AgentSettings(k_demos=3), "openai:scripted")
    assert lines == [f"{n} chunks re-run: {UNKNOWN_VERSION}"]
    assert UNKNOWN_VERSION == "their results were made with other settings or by an older factloom"
