"""`factloom extract --ray` with the real embedded model: the graph a single-process run writes."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pymupdf
import pytest
from click.testing import CliRunner

from factloom.graphs.cli import main
from factloom.ingest.workspace import Workspace
from factloom.tools.export.jsonl import write
from factloom.tools.store.view import load_graph

pytest.importorskip("ray")
pytestmark = pytest.mark.slow

TEXT = (
    "John Smith works for Acme Corporation in Boston. He joined the company in 1999.\n\n"
    "Mary Jones lives in Paris. Smith met Jones in Paris last year."
)


def _pdf(path: Path) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_textbox(pymupdf.Rect(72, 72, 520, 400), TEXT, fontsize=11)
    doc.save(path)
    return path


def _export(root: Path) -> str:
    with Workspace(root) as ws:
        out = io.StringIO()
        write(*load_graph(ws), out)
    return out.getvalue()


def _calls(root: Path) -> list[tuple]:
    with sqlite3.connect(root / "factloom.sqlite") as db:
        return sorted(db.execute("SELECT agent, prompt_tokens, completion_tokens, ok FROM llm_usage"))


def test_ray_run_with_the_embedded_model_matches_one_process(tmp_path: Path) -> None:
    """One Ray worker loading SmolLM2 itself writes the same graph and the same calls as one process."""
    pdf = _pdf(tmp_path / "news.pdf")
    args = [str(pdf), "--schema", "news", "--threads", "1", "--k-demos", "0", "--no-verifier"]
    runner = CliRunner()
    single = runner.invoke(main, ["extract", *args, "-w", str(tmp_path / "single")])
    assert single.exit_code == 0, single.output
    ray_run = runner.invoke(main, ["extract", *args, "-w", str(tmp_path / "ray"), "--ray", "--workers", "1"])
    assert ray_run.exit_code == 0, ray_run.output
    assert _export(tmp_path / "ray") == _export(tmp_path / "single")
    assert _calls(tmp_path / "ray") == _calls(tmp_path / "single") != []
