"""Evidence on its page: a span of the document text as boxes on the drawn page, and the page images cache.

A span (``doc.text[start:end]``, a quote or a mention) is mapped back through the blocks and tables that
the PDF reader recorded: inside a table each cell it touches is one box (the cell's own box); elsewhere
the span's text is searched for inside each block it touches. Evidence that cites a table cell (a fact
read from a table) is shown by the boxes of that cell, its row header and its column header. Page images
are drawn once per page and
zoom and kept in the workspace (``page-images/DOC_ID/PAGE-ZOOM.png``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from factloom.ingest.errors import NoPageImageError
from factloom.ingest.models import Document, Table, TableCell
from factloom.ingest.pdf_pages import Piece, find_boxes, render_png
from factloom.ingest.workspace import Workspace

log = logging.getLogger(__name__)

BBox = tuple[float, float, float, float]
CACHE_DIR = "page-images"
CONTEXT_CHARS = 300
"""Characters of text shown before and after the span."""


@dataclass(frozen=True)
class CellRef:
    """A table cell that a span touches, with its headers."""

    row: int
    col: int
    text: str
    row_header: str
    column_header: str
    unit: str | None = None


@dataclass(frozen=True)
class EvidenceView:
    """Where a span of the document text is: its page, its boxes there (shares of the page), its context."""

    doc_id: str
    page: int
    start: int
    end: int
    quote: str
    before: str
    after: str
    page_width: float
    page_height: float
    boxes: list[BBox]
    cells: list[CellRef] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    """For a cited cell, what each box is: ``value``, ``row header`` or ``column header``."""


def pdf_path(doc: Document) -> Path:
    """Return the PDF a document was read from.

    Raises:
        NoPageImageError: the document is not a PDF, or the file is no longer where it was ingested from.
    """
    path = Path(doc.path)
    if path.suffix.lower() != ".pdf":
        raise NoPageImageError(f"{path.name}: not a PDF; only PDF pages can be shown as images")
    if not path.is_file():
        raise NoPageImageError(f"{path}: the PDF is no longer there; put it back or ingest it again")
    return path


def page_image(ws: Workspace, doc: Document, number: int, zoom: float = 1.5) -> Path:
    """Return the PNG of a page at ``zoom``, drawing it on first use."""
    target = ws.root / CACHE_DIR / doc.doc_id / f"{number}-{round(zoom * 100)}.png"
    if target.is_file():
        return target
    png = render_png(pdf_path(doc), number, zoom)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_suffix(f".{os.getpid()}.part")
    part.write_bytes(png)
    part.replace(target)  # atomic: a reader never sees half an image
    log.debug("drew %s page %d at %.2f (%d bytes)", doc.doc_id, number, zoom, len(png))
    return target


def evidence_view(
    doc: Document,
    start: int,
    end: int,
    context: int = CONTEXT_CHARS,
    cell: tuple[int, int, int] | None = None,
) -> EvidenceView:
    """Return the page of ``doc.text[start:end]`` and its boxes there (across pages: its first page).

    With ``cell`` (table index, row, column) the boxes are that cell's, its row header's and its column
    header's, when the cell is the span's; a cell the document does not have is ignored.
    """
    start, end = max(0, start), min(len(doc.text), end)
    number = doc.page_at(start)
    page = next(p for p in doc.pages if p.number == number)
    end = max(start, min(end, page.end))
    cited = _cited(doc, cell, start, end) if cell is not None else None
    roles: list[str] = []
    if cited is not None:
        pieces = [Piece("", box) for _, box, _ in cited]
        cells = [ref for ref, _, role in cited if role == "value"]
        roles = [role for _, _, role in cited]
    else:
        pieces, cells = _pieces(doc, number, start, end) if end > start else ([], [])
    found = find_boxes(pdf_path(doc), number, pieces) if pieces else None
    return EvidenceView(
        doc_id=doc.doc_id,
        page=number,
        start=start,
        end=end,
        quote=doc.text[start:end],
        before=doc.text[max(page.start, start - context) : start],
        after=doc.text[end : min(page.end, end + context)],
        page_width=found.width if found else 0.0,
        page_height=found.height if found else 0.0,
        boxes=found.boxes if found else [],
        cells=cells,
        roles=roles,
    )


def _cited(
    doc: Document, cell: tuple[int, int, int], start: int, end: int
) -> list[tuple[CellRef, BBox, str]] | None:
    """Return the cited cell, its row header and its column header(s) with their roles, or None."""
    index, row, col = cell
    table = doc.tables[index] if 0 <= index < len(doc.tables) else None
    value = table.cell(row, col) if table is not None else None
    if (
        table is None
        or value is None
        or value.bbox is None
        or not (value.start <= start and end <= value.end)
    ):
        return None
    out = [(_ref(table, value), value.bbox, "value")]
    if col > 0 and (head := table.cell(row, 0)) is not None and head.bbox is not None:
        out.append((_ref(table, head), head.bbox, "row header"))
    for r in range(table.header_rows if row >= table.header_rows else 0):
        head = table.cell(r, col)
        if head is not None and head.bbox is not None and head.text:
            out.append((_ref(table, head), head.bbox, "column header"))
    return out


def _ref(table: Table, c: TableCell) -> CellRef:
    return CellRef(c.row, c.col, c.text, table.row_header(c), table.column_header(c), table.unit(c))


def _pieces(doc: Document, number: int, start: int, end: int) -> tuple[list[Piece], list[CellRef]]:
    """Return the text to find in each block the span touches, and the table cells it touches."""
    tables = {t.start: t for t in doc.tables if t.page == number}
    pieces: list[Piece] = []
    cells: list[CellRef] = []
    for b in doc.blocks:
        if b.page != number or b.end <= start or b.start >= end:
            continue
        table = tables.get(b.start)
        if table is None:
            lo, hi = max(start, b.start), min(end, b.end)
            block, text = doc.text[b.start : b.end].lower(), doc.text[lo:hi].lower()
            nth = block.count(text, 0, lo - b.start + len(text) - 1) if text else 0
            pieces.append(Piece(doc.text[lo:hi], b.bbox, nth, block.count(text) if text else 1))
            continue
        for ref, box in _cells(table, start, end):
            cells.append(ref)
            pieces.append(Piece("", box))
    return pieces, cells


def _cells(table: Table, start: int, end: int) -> list[tuple[CellRef, BBox]]:
    return [(_ref(table, c), c.bbox) for c in table.cells_in(start, end) if c.bbox is not None]
