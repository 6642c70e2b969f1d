"""Pages of a PDF as images, and where a piece of text sits on a page: the evidence view's pymupdf side.

``ingest.pdf`` reads PDFs into text; this module opens them again to draw a page and to find the boxes
of a quote on it. Boxes in and out are in the coordinates of the text layer (the unrotated page, as
``Block.bbox`` and ``TableCell.bbox``); ``PageBoxes`` turns them into shares of the page as shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pymupdf

from factloom.ingest.errors import CorruptPdfError
from factloom.ingest.pdf import FLAGS

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class PageBoxes:
    """Boxes on a page as shares (0..1) of the page's width and height as it is shown (rotation applied)."""

    width: float
    height: float
    boxes: list[BBox]


def render_png(path: Path, number: int, zoom: float) -> bytes:
    """Return page ``number`` (1-based) of the PDF drawn at ``zoom`` (1.0 = 72 dpi) as PNG bytes.

    Raises:
        CorruptPdfError: the file cannot be opened or has no such page.
    """
    with _open(path) as pdf:
        page = _page(pdf, path, number)
        return page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False).tobytes("png")


@dataclass(frozen=True)
class Piece:
    """Text to find inside a box: its ``nth`` (0-based) of ``count`` occurrences in the box's text."""

    text: str
    clip: BBox
    nth: int = 0
    count: int = 1


def find_boxes(path: Path, number: int, pieces: list[Piece]) -> PageBoxes:
    """Return the boxes of each text piece on page ``number``, searched inside the box given with it.

    A piece that the search does not find (its text was cleaned: joined hyphens, dropped characters)
    is shown by the whole box it was searched in. Pieces with no text give their box as is (table cells).
    When the text occurs several times in its box, the boxes of its ``nth`` occurrence are kept.
    """
    with _open(path) as pdf:
        page = _page(pdf, path, number)
        textpage = page.get_textpage(flags=FLAGS | pymupdf.TEXT_DEHYPHENATE)  # "treat-/ment" as in the text
        found: list[BBox] = []
        for p in pieces:
            hits = _search(page, textpage, p.text, p.clip) if p.text.strip() else []
            if p.count > 1 and len(hits) == p.count:
                hits = [hits[p.nth]]
            found.extend(hits or [p.clip])
        turn = page.rotation_matrix
        w, h = page.rect.width, page.rect.height
        shown = [pymupdf.Rect(b) * turn for b in found]
        boxes = [(r.x0 / w, r.y0 / h, r.x1 / w, r.y1 / h) for r in shown]
        return PageBoxes(width=w, height=h, boxes=boxes)


def _search(page: pymupdf.Page, textpage: pymupdf.TextPage, text: str, clip: BBox) -> list[BBox]:
    area = pymupdf.Rect(clip[0] - 2, clip[1] - 2, clip[2] + 2, clip[3] + 2)

    def inside(needle: str) -> list[pymupdf.Rect]:  # search_for ignores its clip when given a textpage
        hits = page.search_for(" ".join(needle.split()), textpage=textpage)
        return [r for r in hits if area.contains((r.tl + r.br) / 2)]

    rects = inside(text)
    if not rects and len(text) > 30:  # not found as a whole: find its two ends and take the lines between
        n = min(40, len(text) // 2)
        head, tail = inside(text[:n]), inside(text[-n:])
        if head and tail and head[0].y0 <= tail[-1].y1:
            top, bottom = head[0], tail[-1]
            return [
                (top.x0, top.y0, area.x1, top.y1),
                (area.x0, top.y1, area.x1, bottom.y0),
                (area.x0, bottom.y0, bottom.x1, bottom.y1),
            ]
    return [tuple(r) for r in rects]


def _open(path: Path) -> pymupdf.Document:
    try:
        return pymupdf.open(path, filetype="pdf")
    except (pymupdf.FileDataError, RuntimeError) as e:
        raise CorruptPdfError(f"{path.name}: cannot open the PDF ({e}); ingest it again") from e


def _page(pdf: pymupdf.Document, path: Path, number: int) -> pymupdf.Page:
    if not 1 <= number <= pdf.page_count:
        raise CorruptPdfError(f"{path.name}: no page {number} (the PDF has {pdf.page_count})")
    return pdf[number - 1]
