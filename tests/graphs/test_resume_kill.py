"""Resume after SIGKILL and after the model server dies: real processes, a scripted OpenAI server."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from resume_fixtures import (
    done_jobs,
    export_lines,
    extract_args,
    prepare_workspace,
    run_cli,
    write_corpus,
)
from scripted_server import start_server

from factloom.ingest.workspace import DB_NAME

pytestmark = pytest.mark.slow


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, dict]:
    return write_corpus(tmp_path / "in")


@pytest.fixture
def server(tmp_path: Path, corpus: tuple[Path, dict]) -> Iterator[str]:
    proc, url = start_server(corpus[1], tmp_path / "server", "--delay", "0.1")
    yield url
    proc.kill()
    proc.wait()


def _kill_when(root: Path, args: list[str], done_at_least: int) -> dict[tuple[str, str], float]:
    """Start ``factloom extract`` as a real process, SIGKILL it once enough jobs are done."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "factloom.graphs", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 240
    try:
        while len(done_jobs(root)) < done_at_least:
            assert proc.poll() is None, f"extract ended before it could be killed: {proc.stderr.read()}"
            assert time.monotonic() < deadline, "extract made no progress"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before the kill"
    return done_jobs(root)


def test_sigkilled_twice_then_rerun_gives_the_uninterrupted_graph(
    tmp_path: Path, corpus: tuple[Path, dict], server: str
) -> None:
    doc, _ = corpus
    reference, resumed = tmp_path / "reference", tmp_path / "resumed"
    n_chunks = prepare_workspace(reference, doc)
    prepare_workspace(resumed, doc)
    code, out = run_cli(extract_args(reference, doc, server))
    assert code == 0, out

    args = extract_args(resumed, doc, server)
    first = _kill_when(resumed, args, done_at_least=2)  # while entities are being found
    second = _kill_when(resumed, args, done_at_least=n_chunks + 3)  # while relations are being found
    assert set(first) <= set(second) and all(second[k] == t for k, t in first.items()), "finished work redone"
    db = sqlite3.connect(resumed / DB_NAME)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "SIGKILL corrupted the workspace"
    db.close()

    code, out = run_cli(args)
    assert code == 0, out
    entity_jobs_done = sum(1 for _, stage in second if stage == "entities")
    assert f"{n_chunks} chunks ({entity_jobs_done} resumed)" in out
    final = done_jobs(resumed)
    assert all(final[k] == t for k, t in second.items()), "a chunk finished before the kill was redone"
    assert export_lines(resumed) == export_lines(reference)


def test_server_death_stops_the_run_with_a_message_and_the_same_command_then_completes(
    tmp_path: Path, corpus: tuple[Path, dict]
) -> None:
    doc, script = corpus
    reference, root = tmp_path / "reference", tmp_path / "ws"
    n_chunks = prepare_workspace(reference, doc)
    prepare_workspace(root, doc)
    healthy, url = start_server(script, tmp_path / "healthy")
    try:
        code, out = run_cli(extract_args(reference, doc, url))
        assert code == 0, out
    finally:
        healthy.kill()
        healthy.wait()

    dying, url = start_server(script, tmp_path / "dying", "--die-after", str(n_chunks + 2))
    started = time.monotonic()
    code, out = run_cli(extract_args(root, doc, url))
    dying.wait(timeout=10)
    assert code == 1 and "cannot reach the server" in out and "Traceback" not in out, out
    assert time.monotonic() - started < 120, "retries were not bounded"
    kept = done_jobs(root)
    assert len(kept) >= n_chunks, "work finished before the server died was lost"

    back, url = start_server(script, tmp_path / "back")
    try:
        code, out = run_cli(extract_args(root, doc, url))
    finally:
        back.kill()
        back.wait()
    assert code == 0, out
    assert all(done_jobs(root)[k] == t for k, t in kept.items())
    assert export_lines(root) == export_lines(reference)
