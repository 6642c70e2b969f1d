"""A model server that stops answering mid-run: a bounded wait, one line with advice, nothing lost.

Real processes: ``factloom extract --backend openai`` against the scripted server (``--stall-after``),
which accepts every request after the first few but never answers them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from resume_fixtures import done_jobs, extract_args, prepare_workspace, write_corpus
from scripted_server import start_server

pytestmark = pytest.mark.slow


def test_a_stalled_server_is_a_timeout_with_advice_and_finished_chunks_are_kept(tmp_path: Path) -> None:
    doc, script = write_corpus(tmp_path / "in")
    root = tmp_path / "ws"
    n_chunks = prepare_workspace(root, doc)
    server, url = start_server(script, tmp_path / "server", "--stall-after", str(n_chunks + 2))
    try:
        started = time.monotonic()
        command = [sys.executable, "-W", "error::RuntimeWarning", "-m", "factloom.graphs"]
        command += extract_args(root, doc, url, "--timeout", "1")
        run = subprocess.run(command, capture_output=True, text=True, timeout=300)
        elapsed = time.monotonic() - started
    finally:
        server.kill()
        server.wait()
    lines = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert run.returncode == 1, run.stderr
    assert lines == [
        f"error: {url}: no answer within 1s, even after retries; raise --timeout or lower --concurrency"
    ]
    assert "never awaited" not in run.stderr and "Traceback" not in run.stderr
    assert elapsed < 120, "the wait for a stalled server was not bounded"
    kept = done_jobs(root)
    assert sum(1 for _, stage in kept if stage == "entities") == n_chunks, "finished chunks were lost"
