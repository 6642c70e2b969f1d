"""Typed records of the ingest layer: documents, pages, blocks, sections and chunks.

Offsets are character offsets into ``Document.text``, the one string that every
later fact points into (``text[start:end]``).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from factloom.ingest.tables import header_unit

BBox = tuple[float, float, float, float]


class Block(BaseModel):
    """A text block of a page, in reading order, with its span in the document text."""

    model_config = ConfigDict(frozen=True)

    page: int = Field(description="1-based page number")
    bbox: BBox
    start: int
    end: int
    is_heading: bool = False


class Page(BaseModel):
    """A page and the span of the document text it produced."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(description="1-based page number")
    width: float
    height: float
    start: int
    end: int
    has_text: bool = True


class Section(BaseModel):
    """A section heading and where its section starts in the document text."""

    model_config = ConfigDict(frozen=True)

    title: str
    level: int = 1
    start: int


class TableCell(BaseModel):
    """A cell of a table: its row and column, its box on the page and its span in the document text."""

    model_config = ConfigDict(frozen=True)

    row: int
    col: int
    bbox: BBox | None = Field(default=None, description="None for a cell merged into its neighbour")
    start: int
    end: int
    text: str


class Table(BaseModel):
    """A table found on a page, written into the document text as ``|``-separated rows.

    ``doc.text[start:end]`` is the whole table; each cell's ``text`` is ``doc.text[cell.start:cell.end]``.
    The first ``header_rows`` rows are the column headers, the first column holds the row headers.
    """

    model_config = ConfigDict(frozen=True)

    page: int
    bbox: BBox
    start: int
    end: int
    n_rows: int
    n_cols: int
    header_rows: int = 1
    cells: list[TableCell] = Field(default_factory=list)

    def cell(self, row: int, col: int) -> TableCell | None:
        """Return the cell at (row, col), or None outside the table."""
        i = row * self.n_cols + col
        return self.cells[i] if 0 <= row < self.n_rows and 0 <= col < self.n_cols else None

    def column_header(self, cell: TableCell) -> str:
        """Return the header of a cell's column (header rows' texts joined; empty for a header cell)."""
        if cell.row < self.header_rows:
            return ""
        parts = [c.text for r in range(self.header_rows) if (c := self.cell(r, cell.col)) and c.text]
        return " ".join(parts)

    def unit(self, cell: TableCell) -> str | None:
        """Return the unit its column header gives a cell's value (``Dose (mg)`` -> ``mg``), if any."""
        return header_unit(self.column_header(cell)) if cell.row >= self.header_rows else None

    def row_header(self, cell: TableCell) -> str:
        """Return the header of a cell's row: the text of its row's first cell (empty for that cell)."""
        first = self.cell(cell.row, 0)
        return "" if cell.col == 0 or first is None else first.text

    def cells_in(self, start: int, end: int) -> list[TableCell]:
        """Return the non-empty cells whose text overlaps ``[start, end)`` of the document text."""
        return [c for c in self.cells if c.text and c.start < end and start < c.end]

    def rows(self) -> list[list[str]]:
        """Return the cells' texts row by row."""
        n = self.n_cols
        return [[c.text for c in self.cells[r * n : (r + 1) * n]] for r in range(self.n_rows)]


def page_at(pages: Sequence[Page], offset: int) -> int:
    """Return the 1-based page holding document offset ``offset`` (1 when pages are unknown)."""
    if not pages:
        return 1
    i = bisect.bisect_right([p.start for p in pages], offset) - 1
    return pages[max(i, 0)].number


class Document(BaseModel):
    """A parsed document: one text string plus the map from offsets back to pages and blocks."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    path: str
    title: str
    content_hash: str
    text: str
    pages: list[Page]
    blocks: list[Block] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    cleaning: dict[str, int] = Field(
        default_factory=dict, description="characters removed (or kept) by each cleaning rule of the reader"
    )
    tables: list[Table] = Field(default_factory=list)

    def page_at(self, offset: int) -> int:
        """Return the 1-based page number holding character ``offset``."""
        return page_at(self.pages, offset)

    def block_at(self, offset: int) -> Block | None:
        """Return the block holding character ``offset``, or None between blocks."""
        starts = [b.start for b in self.blocks]
        i = bisect.bisect_right(starts, offset) - 1
        if i >= 0 and self.blocks[i].start <= offset < self.blocks[i].end:
            return self.blocks[i]
        return None

    def table_at(self, offset: int) -> Table | None:
        """Return the table whose text holds character ``offset``, or None outside tables."""
        return next((t for t in self.tables if t.start <= offset < t.end), None)

    def section_at(self, offset: int) -> str | None:
        """Return the title of the section that ``offset`` falls in."""
        starts = [s.start for s in self.sections]
        i = bisect.bisect_right(starts, offset) - 1
        return self.sections[i].title if i >= 0 else None


class Chunk(BaseModel):
    """A contiguous span of a document's text: ``doc.text[start:end] == text``."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    doc_id: str
    index: int
    start: int
    end: int
    text: str
    page: int
    section: str | None = None
    n_tokens: int = 0
