"""``factloom ask`` on the command line: JSON output with checked citations, clear errors."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from factloom.graphs.cli import main

_spec = importlib.util.spec_from_file_location(
    "query_fixtures", Path(__file__).parents[1] / "query_fixtures.py"
)
qf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qf)


def test_ask_on_a_missing_workspace_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["ask", "What?", "-w", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: ") and "no such workspace" in result.output
    assert "Traceback" not in result.output


def test_ask_on_a_workspace_without_documents_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    result = CliRunner().invoke(main, ["ask", "What?", "-w", str(tmp_path / "ws")])
    assert result.exit_code == 1 and "run `factloom ingest" in result.output


@pytest.mark.slow
def test_ask_json_with_the_embedded_model_cites_real_passages(tmp_path: Path) -> None:
    info = qf.build_workspace(tmp_path / "ws")
    question = "What does lithium carbonate cause?"
    result = CliRunner().invoke(main, ["ask", question, "-w", str(tmp_path / "ws"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"answer", "citations", "entities"}
    assert out["entities"][0]["name"] == "Lithium carbonate"
    for c in out["citations"]:
        assert info["text"][c["start"] : c["end"]] == c["quote"] and c["doc_id"] == info["doc_id"]
    if not out["citations"]:
        assert out["answer"] == "The documents do not say what does lithium carbonate cause."


@pytest.mark.slow
def test_serve_binds_loopback_and_requires_its_token(tmp_path: Path) -> None:
    qf.build_workspace(tmp_path / "ws")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "factloom.graphs",
        "serve",
        "-w",
        str(tmp_path / "ws"),
        "--port",
        str(port),
        "--token",
        "t0k",
    ]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "serve did not start"
            try:
                first = httpx.get(f"{url}/entities", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert first.status_code == 401
        found = httpx.get(f"{url}/entities", params={"q": "warfarin", "token": "t0k"}, timeout=5).json()
        assert [e["name"] for e in found["entities"]] == ["Warfarin"]
    finally:
        server.terminate()
        server.wait(20)
