"""The table agents' prompts and units: placeholders, a long table cut into units that repeat its header,
row and column labels, and chunks that are not table units (real pymupdf on the tablegen PDF)."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from tablegen import ADVERSE_EVENTS, table_pdf

from factloom.agents import table_entities, table_relations
from factloom.agents.table_unit import TableUnit, table_unit
from factloom.ingest.chunking import chunk_document
from factloom.ingest.models import Chunk, Table, TableCell
from factloom.ingest.sources import read_document
from factloom.tools.extraction.schema import load_schema

TEMPLATES = [
    (table_entities.SYSTEM_TEMPLATE, {"entity_types"}),
    (table_entities.USER_TEMPLATE, {"table", "columns", "rows"}),
    (table_relations.SYSTEM_TEMPLATE, {"relation_types", "answer_format"}),
    (table_relations.USER_TEMPLATE, {"table", "mentions"}),
]


@pytest.mark.parametrize(("template", "expected"), TEMPLATES)
def test_template_placeholders(template: str, expected: set[str]) -> None:
    names = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    assert names == expected


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory):
    return read_document(table_pdf(tmp_path_factory.mktemp("units") / "trial.pdf"))


def test_a_long_table_is_cut_between_rows_into_units_that_repeat_its_header(doc) -> None:
    chunks = chunk_document(doc, chunk_tokens=40, overlap_tokens=4)
    units = [u for c in chunks if (u := table_unit(doc, c)) is not None and u.index == 0]
    assert len(units) >= 2
    header = " | ".join(ADVERSE_EVENTS[0])
    rows_seen = []
    for u in units:
        shown = u.text()
        assert shown.startswith("Table 1 Adverse events by arm\n\n" + header)  # caption and header every time
        assert not any(c.start < u.chunk.start for c in u.cells() if c.row >= u.table.header_rows)
        rows_seen += list(u.row_labels())
    assert rows_seen == [r[0] for r in ADVERSE_EVENTS[1:]]  # every body row in exactly one unit
    for c in chunks:  # no chunk mixes table rows with prose
        if table_unit(doc, c) is None:
            assert not any(t.start < c.end and c.start < t.end for t in doc.tables)


def test_the_system_prompt_is_the_same_for_every_table(doc) -> None:
    schema = load_schema("biomed")
    units = [u for c in chunk_document(doc) if (u := table_unit(doc, c)) is not None]
    prefixes = {table_entities.build_messages(u, schema)[0].content for u in units}
    assert len(units) == 2 and len(prefixes) == 1


def test_a_chunk_holding_a_table_and_prose_is_left_to_the_prose_agents(doc) -> None:
    table = doc.tables[0]
    after = doc.text.index("Gastrointestinal events")
    old = Chunk(chunk_id="c", doc_id=doc.doc_id, index=0, start=table.start, end=after + 20,
                text=doc.text[table.start : after + 20], page=1)  # fmt: skip
    assert table_unit(doc, old) is None  # a workspace chunked before tables were units


def test_empty_and_repeated_headers_get_their_number() -> None:
    texts = [["", "A", "A"], ["x", "1", "2"], ["", "3", "4"], ["x", "5", "6"]]
    cells, pos = [], 0
    for r, row in enumerate(texts):
        for c, text in enumerate(row):
            cells.append(TableCell(row=r, col=c, start=pos, end=pos + len(text), text=text))
            pos += len(text) + 3
    table = Table(page=1, bbox=(0, 0, 1, 1), start=0, end=pos, n_rows=4, n_cols=3, cells=cells)
    chunk = Chunk(chunk_id="c", doc_id="d", index=0, start=0, end=pos, text="-" * pos, page=1)
    unit = TableUnit(chunk=chunk, table=table, index=0)
    assert unit.row_labels() == {"x": 1, "row 2": 2, "x (row 3)": 3}
    assert unit.column_labels() == {"A": 1, "A (column 2)": 2}


SHARED = Path("/work/shared/data/pdfs/medical_BMCHealthServRes-2014_quality_improvement_Malawi.pdf")


@pytest.mark.skipif(not SHARED.exists(), reason=f"{SHARED} absent (shared data)")
def test_every_table_of_a_shared_pdf_is_a_unit_with_its_caption() -> None:
    doc = read_document(SHARED)
    units = [u for c in chunk_document(doc) if (u := table_unit(doc, c)) is not None]
    assert doc.tables and {u.index for u in units} == set(range(len(doc.tables)))
    first = next(u for u in units if u.index == 0)
    assert first.caption.startswith("Table") and "Yes (%)" in first.column_labels()


def test_the_entity_prompt_lists_the_headers_where_the_compared_groups_are_named(doc) -> None:
    """Qwen2.5-1.5B listed only the row headers of the adverse-events table, missing the drugs named in
    its column headers, so the reasoner had nothing to relate; the headers are now listed below the table."""
    unit = next(u for c in chunk_document(doc) if (u := table_unit(doc, c)) is not None and u.index == 0)
    user = table_entities.build_messages(unit, load_schema("biomed"))[1].content
    columns = next(line for line in user.splitlines() if line.startswith("Column headers: "))
    rows = next(line for line in user.splitlines() if line.startswith("Row headers: "))
    assert columns.removeprefix("Column headers: ").split(" | ") == ADVERSE_EVENTS[0][1:]
    assert rows.removeprefix("Row headers: ").split(" | ") == [r[0] for r in ADVERSE_EVENTS[1:]]


def test_headers_listed_once_without_the_numbers_labels_add() -> None:
    labels = {"x": 1, "row 2": 2, "x (row 3)": 3, "Dose (mg)": 4}
    assert table_entities._listed(labels) == "x | Dose (mg)"
    assert table_entities._listed({"column 1": 1}) == "none"
