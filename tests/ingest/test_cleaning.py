"""Ingest never drops text silently: cleaning keeps a page's only text, counts what it removes, and a
file that ends with no chunks gets a warning naming it (PDFs made with pymupdf, real ingest)."""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf
import pytest
from click.testing import CliRunner

from factloom.graphs.cli import main
from factloom.ingest.pipeline import ingest_paths
from factloom.ingest.store import get_chunks, get_cleaning, get_document, list_documents
from factloom.ingest.workspace import Workspace
from tests.ingest import pdfgen

pytestmark = pytest.mark.slow

A4 = pymupdf.paper_rect("a4")


def patterned_pdf(path: Path, n_pages: int) -> Path:
    """Write pages that each hold one record in the same pattern, near the top: all text, no header."""
    doc = pymupdf.open()
    for i in range(1, n_pages + 1):
        page = doc.new_page(width=A4.width, height=A4.height)
        page.insert_text((72, 90), f"Record {i}: sensor {i % 7} read {3 * i} units at station {i % 5}.",
                         fontsize=10)
    doc.save(path)
    return path


def numbers_only_pdf(path: Path, n_pages: int = 3) -> Path:
    """Write pages whose only text is their page number at the foot."""
    doc = pymupdf.open()
    for i in range(1, n_pages + 1):
        doc.new_page(width=A4.width, height=A4.height).insert_text((A4.width / 2, A4.height - 30), str(i))
    doc.save(path)
    return path


@pytest.mark.parametrize("n_pages", [40, 1000])
def test_pages_that_all_repeat_one_pattern_keep_their_text(tmp_path: Path, n_pages: int):
    """Regression: every page's only line was removed as a running header; 0 chunks, and a 40-page file
    was told "no text layer on page(s) 1-40; OCR them"."""
    pdf = patterned_pdf(tmp_path / "records.pdf", n_pages)
    with Workspace(tmp_path / "ws") as ws:
        report = ingest_paths(ws, [str(pdf)])
        [result] = report.ingested
        doc = get_document(ws, result.doc_id)
        assert result.chunks > 0 and result.chunks == len(get_chunks(ws))
        assert result.warnings == ()
        assert f"Record {n_pages}: sensor" in doc.text and doc.text.count("Record ") == n_pages
        assert all(p.has_text for p in doc.pages)
        cleaning = get_cleaning(ws, result.doc_id)
        assert cleaning is not None and "running_headers_footers" not in cleaning
        assert cleaning["kept_as_page_only_text"] == len(doc.text) - 2 * (n_pages - 1)  # minus separators


def test_running_headers_and_page_numbers_are_counted_and_shown_by_inspect_docs(tmp_path: Path):
    pdf = pdfgen.headed_pdf(tmp_path / "headed.pdf", n_pages=4)
    ws = tmp_path / "ws"
    assert CliRunner().invoke(main, ["ingest", str(pdf), "-w", str(ws)]).exit_code == 0
    result = CliRunner().invoke(main, ["inspect", "docs", "-w", str(ws)])
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    header = len("Journal of Invented Results, Vol. 7")
    assert row["cleaning"] == {"page_numbers": 4, "running_headers_footers": 4 * header}
    with Workspace(ws) as w:
        assert "Journal of Invented" not in get_document(w, row["doc_id"]).text


def test_a_file_whose_text_is_all_removed_gets_a_warning_naming_it(tmp_path: Path):
    pdf = numbers_only_pdf(tmp_path / "numbers.pdf")
    ws = tmp_path / "ws"
    result = CliRunner().invoke(main, ["ingest", str(pdf), "-w", str(ws)])
    assert result.exit_code == 0
    assert ("warning: numbers.pdf: 0 chunks: cleaning removed all 3 characters of its text (page_numbers 3); "
            "nothing of it can be searched or extracted") in result.stderr
    assert "no text layer" not in result.stderr  # the pages have a text layer
    with Workspace(ws) as w:
        [doc] = list_documents(w)
        assert doc.chunks == 0 and get_cleaning(w, doc.doc_id) == {"page_numbers": 3}


def test_cleaning_that_removes_most_of_a_file_is_reported(tmp_path: Path):
    header = "Proceedings of the Invented Society for Long Running Headers, Volume 12"
    doc = pymupdf.open()
    for i in range(1, 6):
        page = doc.new_page(width=A4.width, height=A4.height)
        page.insert_text((72, 40), header, fontsize=8)
        page.insert_text((72, A4.height - 30), f"Copyright 2024 the Society; page {i} of 5", fontsize=8)
        page.insert_text((72, 300), f"Item {i} passed.", fontsize=10)
    doc.save(tmp_path / "thin.pdf")
    with Workspace(tmp_path / "ws") as ws:
        [result] = ingest_paths(ws, [str(tmp_path / "thin.pdf")]).ingested
    [warning] = result.warnings
    assert warning.startswith("thin.pdf: cleaning removed ") and "running_headers_footers" in warning
    assert result.chunks == 1
