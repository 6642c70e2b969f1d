"""``factloom ingest / search / inspect`` as a user runs them: exit codes, one-line errors, JSON lines."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from factloom.graphs.cli import main
from tests.ingest import pdfgen

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_sample_pdf.py"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("make_sample_pdf", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path_factory.mktemp("samples") / "sample.pdf"
    module.make_sample(path)
    return path


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory, sample: Path) -> tuple[Path, Result]:
    bad = tmp_path_factory.mktemp("bad")
    pdfgen.not_a_pdf(bad / "fake.pdf")
    pdfgen.zero_page_pdf(bad / "empty.pdf")
    ws = tmp_path_factory.mktemp("cli") / "ws"
    return ws, run("ingest", str(sample), str(bad), str(bad / "missing.pdf"), "-w", str(ws))


def test_ingest_reports_each_failed_file_on_one_line_and_exits_non_zero(first_run):
    _, result = first_run
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3
    assert any("fake.pdf: not a PDF" in e for e in errors)
    assert any("empty.pdf: the PDF has no pages" in e for e in errors)
    assert any("missing.pdf: no such file" in e for e in errors)
    assert "Traceback" not in result.output
    assert result.stdout.strip().startswith("1 ingested (3 pages, ")


def test_inspect_docs_chunks_and_text_agree(first_run):
    ws, _ = first_run
    docs = [json.loads(line) for line in run("inspect", "docs", "-w", str(ws)).stdout.splitlines()]
    assert len(docs) == 1 and {"doc_id", "path", "pages", "chunks"} <= set(docs[0])
    doc = docs[0]
    assert doc["pages"] == 3
    text = run("inspect", "text", doc["doc_id"], "-w", str(ws)).stdout
    chunks = [json.loads(line) for line in run("inspect", "chunks", "-w", str(ws)).stdout.splitlines()]
    assert len(chunks) == doc["chunks"]
    for c in chunks:
        assert set(c) == {"doc_id", "chunk_id", "page", "start", "end", "text", "section"}
        assert text[c["start"] : c["end"]] == c["text"]
    assert {c["page"] for c in chunks} == {1, 2, 3}
    assert "Supply and Distribution Agreement" in {c["section"] for c in chunks}


def test_search_json_names_document_page_and_score(first_run):
    ws, _ = first_run
    result = run("search", "disputes settled by arbitration in New York", "-w", str(ws), "--k", "2", "--json")
    assert result.exit_code == 0
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(hits) == 2 and hits[0]["score"] >= hits[1]["score"]
    assert "laws of the State of New York" in hits[0]["text"] and hits[0]["page"] == 3


def test_reingest_is_a_no_op(first_run, sample: Path):
    ws, _ = first_run
    result = run("ingest", str(sample), "-w", str(ws))
    assert result.exit_code == 0
    assert result.stdout.startswith("0 ingested (0 pages, 0 chunks), 1 unchanged, 0 failed")


def test_unknown_document_and_missing_workspace_are_one_line_errors(first_run, tmp_path: Path):
    ws, _ = first_run
    result = run("inspect", "text", "doc_nope", "-w", str(ws))
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "doc_nope: no such document" in result.stderr
    result = run("search", "anything", "-w", str(tmp_path / "nowhere"))
    assert result.exit_code == 1 and "no such workspace" in result.stderr
