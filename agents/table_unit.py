"""A table as the table agents read it: one chunk that holds a table (and its caption), with its cells.

Chunking gives each table a chunk of its own (``ingest.chunking``); a chunk is a table unit when the only
text it holds besides the table's rows is the table's caption. A table longer than one chunk is cut between
rows; each of its chunks is a unit that shows the header rows again. Rows and columns are named in prompts
and answers by their headers (``row_labels``, ``column_labels``), which the cells' texts make unique.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from factloom.ingest.chunking import table_spans
from factloom.ingest.models import Chunk, Document, Table, TableCell
from factloom.ingest.tables import render


class TableUnit(BaseModel):
    """One chunk of a table: the table, its index in the document, its caption, the chunk's span of it."""

    model_config = ConfigDict(frozen=True)

    chunk: Chunk
    table: Table
    index: int
    caption: str = ""

    @property
    def start(self) -> int:
        """Return where the unit starts in the document text (its caption's start when it has one)."""
        return min(self.chunk.start, self.table.start)

    def body_rows(self) -> list[int]:
        """Return the indexes of the body rows (below the header) whose cells lie in the chunk."""
        t, c = self.table, self.chunk
        return [
            r
            for r in range(t.header_rows, t.n_rows)
            if any(c.start <= cell.start and cell.end <= c.end for cell in _row(t, r) if cell.text)
        ]

    def text(self) -> str:
        """Return what the prompt shows: the caption, the header rows, then the chunk's rows, as written."""
        t = self.table
        rows = t.rows()
        lines = list(range(min(t.header_rows, t.n_rows))) + self.body_rows()
        table, _ = render([rows[r] for r in lines])
        return f"{self.caption}\n\n{table}" if self.caption else table

    def row_labels(self) -> dict[str, int]:
        """Return the label of each body row of the chunk (its row header) and the row it names."""
        labels: dict[str, int] = {}
        for r in self.body_rows():
            first = self.table.cell(r, 0)
            _add(labels, first.text if first is not None else "", r, "row")
        return labels

    def column_labels(self) -> dict[str, int]:
        """Return the label of each value column (its header; every column but the row headers')."""
        labels: dict[str, int] = {}
        t = self.table
        for c in range(1 if t.n_cols > 1 else 0, t.n_cols):
            cell = t.cell(t.header_rows, c) or t.cell(0, c)
            header = t.column_header(cell) if cell is not None else ""
            _add(labels, header, c, "column")
        return labels

    def cells(self) -> list[TableCell]:
        """Return the non-empty cells of the unit: header rows and the chunk's body rows."""
        rows = set(range(self.table.header_rows)) | set(self.body_rows())
        return [c for c in self.table.cells if c.row in rows and c.text]


def _row(table: Table, r: int) -> list[TableCell]:
    return [c for c in (table.cell(r, col) for col in range(table.n_cols)) if c is not None]


def _add(labels: dict[str, int], header: str, index: int, kind: str) -> None:
    """Name a row or column by its header; an empty or repeated header gets its number added."""
    label = " ".join(header.split())
    if not label:
        label = f"{kind} {index}"
    elif label in labels:
        label = f"{label} ({kind} {index})"
    labels[label] = index


def table_unit(doc: Document, chunk: Chunk) -> TableUnit | None:
    """Return the table unit a chunk is, or None when the chunk holds prose (or no table)."""
    for table, (lo, _) in zip(_by_start(doc), table_spans(doc), strict=True):
        if table.start < chunk.end and chunk.start < table.end:
            if lo <= chunk.start and chunk.end <= table.end:
                caption = doc.text[lo : table.start].strip() if lo < table.start else ""
                return TableUnit(chunk=chunk, table=table, index=doc.tables.index(table), caption=caption)
            return None
    return None


def _by_start(doc: Document) -> list[Table]:
    return sorted(doc.tables, key=lambda t: t.start)
