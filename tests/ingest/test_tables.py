"""Tables in ingest: found by pymupdf's table finder, written into the text as rows, stored with the document.

Real pymupdf on a PDF made with pymupdf holding two known tables (bench/tablegen.py) and on a
shared PDF, real SQLite.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from tablegen import ADVERSE_EVENTS, DOSING, table_pdf

from factloom.graphs.cli import main
from factloom.ingest.chunking import chunk_document
from factloom.ingest.pdf import parse_pdf
from factloom.ingest.sources import read_document
from factloom.ingest.store import DDL, get_document, save_document
from factloom.ingest.tables import RawTable, Word, covered, fill, header_unit, render
from factloom.ingest.workspace import Workspace


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return table_pdf(tmp_path_factory.mktemp("tables") / "trial.pdf")


@pytest.fixture(scope="module")
def doc(pdf: Path):
    return read_document(pdf)


def test_both_known_tables_are_found_with_every_cell_right(doc) -> None:
    assert [t.page for t in doc.tables] == [1, 2]
    assert doc.tables[0].rows() == ADVERSE_EVENTS
    assert doc.tables[1].rows() == DOSING


def test_a_table_is_written_as_header_and_rows_in_place_of_its_flattened_words(doc) -> None:
    table = doc.tables[0]
    assert doc.text[table.start : table.end] == "\n".join(" | ".join(row) for row in ADVERSE_EVENTS)
    assert doc.text.count("Nausea") == 1  # the words are not there a second time, flattened
    caption = doc.text.index("Table 1 Adverse events by arm")
    assert caption < table.start < doc.text.index("Gastrointestinal events were more frequent")


def test_every_cell_block_and_chunk_span_is_exact(doc) -> None:
    for table in doc.tables:
        for cell in table.cells:
            assert doc.text[cell.start : cell.end] == cell.text
    assert all(doc.block_at(t.start).start == t.start for t in doc.tables)
    for chunk in chunk_document(doc, chunk_tokens=64, overlap_tokens=8):
        assert doc.text[chunk.start : chunk.end] == chunk.text
    assert any("Diarrhoea | 22 (18.3%) | 9 (7.6%) | 0.01" in c.text for c in chunk_document(doc))


def test_cells_know_their_row_and_column_headers_and_where_they_are_on_the_page(doc, pdf: Path) -> None:
    table = doc.tables[0]
    cell = table.cell(2, 1)
    assert (cell.text, table.row_header(cell), table.column_header(cell)) == (
        "22 (18.3%)",
        "Diarrhoea",
        "Metformin (n = 120)",
    )
    import pymupdf  # only to read back where the word is printed

    with pymupdf.open(pdf) as raw:
        where = raw[0].search_for("22 (18.3%)")[0]
    x0, y0, x1, y1 = cell.bbox
    assert x0 <= where.x0 and where.x1 <= x1 and y0 <= (where.y0 + where.y1) / 2 <= y1
    assert covered(cell.bbox, table.bbox)


def test_tables_are_stored_with_the_document_and_deleted_with_it(tmp_path: Path, doc) -> None:
    with Workspace(tmp_path / "ws") as ws:
        save_document(ws, doc, chunk_document(doc))
        back = get_document(ws, doc.doc_id)
        assert back.tables == doc.tables
        save_document(ws, doc, chunk_document(doc))  # written again: replaced, not doubled
        assert ws.db.execute("SELECT count(*) FROM table_cells").fetchone()[0] == 20 + 12
        ws.db.execute("DELETE FROM documents")
        assert ws.db.execute("SELECT count(*) FROM table_cells").fetchone()[0] == 0


def test_a_workspace_made_before_tables_opens_and_its_documents_have_none(tmp_path: Path, doc) -> None:
    """Regression guard: old workspaces have no table tables; reading them must not fail."""
    root = tmp_path / "old"
    root.mkdir()
    db = sqlite3.connect(root / "factloom.sqlite")
    db.executescript(DDL)
    db.execute(
        "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ("doc_old", "/x.pdf", "h", "Old", 1, 0, "Some text.", "2025-01-01T00:00:00"),
    )
    db.execute("INSERT INTO pages VALUES ('doc_old', 1, 595, 842, 0, 10, 1)")
    db.commit()
    db.close()
    with Workspace(root, create=False) as ws:
        old = get_document(ws, "doc_old")
        assert old.tables == [] and old.text == "Some text."
        save_document(ws, doc, chunk_document(doc))
        assert len(get_document(ws, doc.doc_id).tables) == 2


def test_no_tables_keeps_the_words_as_plain_text(pdf: Path) -> None:
    plain = parse_pdf(pdf, doc_id="d", content_hash="h", tables=False)
    assert plain.tables == [] and " | " not in plain.text and "Nausea" in plain.text


def test_inspect_tables_lists_rows_and_cells_with_their_headers(tmp_path: Path, doc) -> None:
    ws = tmp_path / "ws"
    with Workspace(ws) as w:
        save_document(w, doc, chunk_document(doc))
    result = CliRunner().invoke(main, ["inspect", "tables", "-w", str(ws), doc.doc_id])
    assert result.exit_code == 0, result.output
    tables = [json.loads(line) for line in result.output.splitlines()]
    assert [t["rows"] for t in tables] == [ADVERSE_EVENTS, DOSING]
    cell = next(c for c in tables[1]["cells"] if c["text"] == "1000")
    assert (cell["row_header"], cell["column_header"], tables[1]["page"]) == ("3-4", "Dose (mg)", 2)
    missing = CliRunner().invoke(main, ["inspect", "tables", "-w", str(ws), "doc_nope"])
    assert missing.exit_code != 0 and "no such document" in missing.output


def test_cell_text_comes_from_the_words_inside_it_and_lines_join_as_a_paragraph() -> None:
    table = RawTable(
        page=1, bbox=(0, 0, 200, 40), rows=[[(0, 0, 100, 20), (100, 0, 200, 20)], [(0, 20, 100, 40), None]]
    )
    words = [
        Word((5, 2, 40, 8), "Adverse", 0, 0),
        Word((45, 2, 60, 8), "treat-", 0, 0),
        Word((5, 11, 40, 18), "ment", 0, 1),
        Word((105, 2, 150, 18), "Rate", 1, 0),
        Word((5, 25, 40, 35), "Nausea", 2, 0),
        Word((300, 25, 340, 35), "outside", 3, 0),
    ]
    filled = fill(table, words)
    assert filled.texts == [["Adverse treatment", "Rate"], ["Nausea", ""]]
    text, spans = render(filled.texts)
    assert text == "Adverse treatment | Rate\nNausea | "
    assert [text[s:e] for row in spans for s, e in row] == ["Adverse treatment", "Rate", "Nausea", ""]


def test_a_results_table_of_a_shared_pdf_is_read_with_its_header(shared_pdfs: list[Path]) -> None:
    path = next(p for p in shared_pdfs if "Malawi" in p.name)
    doc = parse_pdf(path, doc_id="d", content_hash="h")
    first = next(t for t in doc.tables if t.page == 4)
    assert first.rows()[:2] == [
        ["Item", "Yes (%)", "No (%)", "Respondents"],
        ["Privacy given", "99", "1", "97"],
    ]
    for t in doc.tables:
        assert all(doc.text[c.start : c.end] == c.text for c in t.cells)


def test_a_table_that_fits_in_a_chunk_is_a_chunk_of_its_own_with_its_caption(doc) -> None:
    chunks = chunk_document(doc, chunk_tokens=128, overlap_tokens=16)
    for table in doc.tables:
        holding = [c for c in chunks if c.start < table.end and table.start < c.end]
        assert len(holding) == 1 and holding[0].start <= table.start and table.end == holding[0].end
    first = doc.tables[0]
    caption = doc.text.index("Table 1 Adverse events by arm")
    (chunk,) = [c for c in chunks if c.start == caption]  # caption and table, after the intro
    assert chunk.end == first.end and not any(c.start < caption < c.end for c in chunks)


def test_a_table_longer_than_a_chunk_is_cut_between_rows(doc) -> None:
    table = doc.tables[0]
    row_ends = {table.start + i for i, ch in enumerate(doc.text[table.start : table.end]) if ch == "\n"}
    for chunk in chunk_document(doc, chunk_tokens=32, overlap_tokens=4):
        if table.start < chunk.end < table.end:
            assert chunk.end in row_ends


def test_a_value_gets_the_unit_its_column_header_gives(doc) -> None:
    dosing = doc.tables[1]
    assert dosing.unit(dosing.cell(2, 1)) == "mg"  # "1000" under "Dose (mg)"
    assert dosing.unit(dosing.cell(0, 1)) is None  # the header itself
    events = doc.tables[0]
    assert events.unit(events.cell(1, 1)) is None  # "Metformin (n = 120)": a count, not a unit
    assert [header_unit(h) for h in ("Yes (%)", "Mean (SD)", "Energy (kcal/mol)", "Week")] == [
        "%",
        None,
        "kcal/mol",
        None,
    ]


def test_rows_merged_by_the_finder_are_split_by_their_lines_and_no_word_is_lost(
    shared_pdfs: list[Path],
) -> None:
    """ACL tables have no row rules: the finder read each column as one cell of stacked numbers."""
    path = next(p for p in shared_pdfs if "ACL-N18" in p.name)
    doc = parse_pdf(path, doc_id="d", content_hash="h")
    first = next(t for t in doc.tables if t.page == 3)
    assert first.rows()[:3] == [
        ["Field", "Precision", "Recall", "F1"],
        ["title", "85.5", "85.5", "85.5"],
        ["authors", "92.1", "92.1", "92.1"],
    ]


def test_tables_keep_every_word_of_the_shared_pdfs_once(shared_pdfs: list[Path]) -> None:
    """Rendering tables moves words into rows; none may be lost or written twice."""
    for path in shared_pdfs:
        with_tables = parse_pdf(path, doc_id="d", content_hash="h")
        plain = parse_pdf(path, doc_id="d", content_hash="h", tables=False)
        words = Counter(with_tables.text.replace(" | ", " ").split())
        assert words == Counter(plain.text.split()), path.name


def test_a_table_without_a_caption_is_found(tmp_path: Path) -> None:
    """Regression: only pages with a "Table N" caption were searched, so a party list or a payment
    schedule printed without one stayed flattened words."""
    from tablegen import PARTIES, uncaptioned_pdf

    pdf = uncaptioned_pdf(tmp_path / "parties.pdf")
    doc = read_document(pdf)
    assert [t.rows() for t in doc.tables] == [PARTIES]
    assert doc.tables[0].unit(doc.tables[0].cell(1, 2)) == "USD"
    assert parse_pdf(pdf, doc_id="d", content_hash="h", tables=False).tables == []


def test_running_text_in_two_columns_does_not_look_tabular() -> None:
    from factloom.ingest.tables import looks_tabular

    def line(y: float, xs: list[tuple[float, float]]) -> list[Word]:
        return [Word(bbox=(x0, y, x1, y + 10), text="w", block=0, line=int(y)) for x0, x1 in xs]

    two_columns = [w for y in range(0, 200, 12) for w in line(y, [(72, 100), (103, 290), (310, 540)])]
    assert not looks_tabular(two_columns)  # one gutter a line
    three = [w for y in range(0, 36, 12) for w in line(y, [(72, 100), (200, 230), (330, 360)])]
    assert looks_tabular(three) and not looks_tabular(three[:6])
