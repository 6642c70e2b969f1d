"""Tables of a page as text: the words of each cell, and the table written as ``|``-separated rows.

Works on plain geometry (cell boxes from the PDF reader's table finder, words with their boxes) so the
rules can be tested without a PDF; ``ingest.pdf`` calls pymupdf and hands the results here. A table is
written into the document text as one block: the header row, then one line per row, cells joined by
``CELL_SEPARATOR``. Each cell keeps its span in that block, so its text is ``text[start:end]``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from factloom.ingest.text import clean_block

BBox = tuple[float, float, float, float]
CELL_SEPARATOR = " | "
ROW_SEPARATOR = "\n"
INSIDE = 0.5
"""A text block belongs to a table when at least this share of its area lies inside the table's box."""
CAPTION = re.compile(r"^(Table|TABLE)\s*([0-9]+|[IVX]+)\b")
"""A table caption: a page that holds one is searched for tables (the finder costs ~0.3-0.8 s CPU a page)."""
GAP = 12.0
"""Points between two words of a line that set them in different columns (about five spaces)."""
TABULAR_LINES = 3
"""A page with this many lines of three or more columns is searched for tables, caption or not."""


@dataclass(frozen=True)
class Word:
    """A word of the page with its box and its place in the reading order (block, line)."""

    bbox: BBox
    text: str
    block: int
    line: int


@dataclass
class RawTable:
    """A table as found on a page: the cell boxes row by row (None where a cell is merged into another)."""

    page: int
    bbox: BBox
    rows: list[list[BBox | None]]
    header_rows: int = 1
    texts: list[list[str]] = field(default_factory=list)
    spans: list[list[tuple[int, int]]] = field(default_factory=list)
    text: str = ""
    stacked: bool = False
    """A body cell holds several lines of numbers: rows the finder merged (a table without row rules)."""


def area(b: BBox) -> float:
    """Return the area of a box (0 for an empty one)."""
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def overlap(a: BBox, b: BBox) -> float:
    """Return the area of the intersection of two boxes."""
    return area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def covered(block: BBox, table: BBox) -> bool:
    """Return True when most of a text block lies inside a table (its words are the table's cells)."""
    a = area(block)
    return a > 0 and overlap(block, table) >= INSIDE * a


def _holds(cell: BBox, word: Word) -> bool:
    x = (word.bbox[0] + word.bbox[2]) / 2
    y = (word.bbox[1] + word.bbox[3]) / 2
    return cell[0] <= x <= cell[2] and cell[1] <= y <= cell[3]


def fill(table: RawTable, words: list[Word]) -> RawTable:
    """Set each cell's text from the words whose centre lies in it, then write the table as text.

    Words keep the page's reading order; words on one line are joined by a space, lines of a cell are
    joined as in a paragraph (a word hyphenated at a line end is joined again). Rows without any text
    are dropped. A table without any text in its cells is returned unchanged, with empty ``text``.
    """
    texts: list[list[str]] = []
    stacked = False
    for r, row in enumerate(table.rows):
        lines = [_cell_lines(cell, words) if cell is not None else [] for cell in row]
        if r >= table.header_rows:
            stacked = stacked or any(len(ls) > 1 and all(_NUMBERS.fullmatch(x) for x in ls) for ls in lines)
        texts.append([clean_block("\n".join(ls)) for ls in lines])
    keep = [i for i, row in enumerate(texts) if any(row)]
    if not keep:
        return table
    table.rows = [table.rows[i] for i in keep]
    table.texts = [texts[i] for i in keep]
    table.stacked = stacked
    table.text, table.spans = render(table.texts)
    return table


_NUMBERS = re.compile(r"[-+−–±]?[\d.,]+%?(\s+[-+−–±]?[\d.,]+%?)*")
"""A line holding only numbers (``85.5 85.5 85.5``, ``12%``)."""


def _cell_lines(cell: BBox, words: list[Word]) -> list[str]:
    lines: dict[tuple[int, int], list[str]] = {}
    for w in words:
        if _holds(cell, w):
            lines.setdefault((w.block, w.line), []).append(w.text)
    return [" ".join(ws) for ws in lines.values()]


def lost_words(table: RawTable, blocks: list[BBox], words: list[Word]) -> list[Word]:
    """Return the words of the text blocks a table replaces that fall in none of its cells."""
    cells = [c for row in table.rows for c in row if c is not None]
    return [
        w for w in words if any(_holds(b, w) for b in blocks) and not any(_holds(c, w) for c in cells)
    ]


def non_empty(table: RawTable) -> int:
    """Return the number of cells with text."""
    return sum(1 for row in table.texts for t in row if t)


def render(rows: list[list[str]]) -> tuple[str, list[list[tuple[int, int]]]]:
    """Write rows of cell texts as ``|``-separated lines; return the text and each cell's (start, end)."""
    parts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    pos = 0
    for r, row in enumerate(rows):
        if r:
            parts.append(ROW_SEPARATOR)
            pos += len(ROW_SEPARATOR)
        row_spans = []
        for c, cell in enumerate(row):
            if c:
                parts.append(CELL_SEPARATOR)
                pos += len(CELL_SEPARATOR)
            row_spans.append((pos, pos + len(cell)))
            parts.append(cell)
            pos += len(cell)
        spans.append(row_spans)
    return "".join(parts), spans


_UNIT = re.compile(r"\(([^()=]{1,12})\)\s*$")
_NOT_UNIT = re.compile(r"^\s*(n|N|SD|SE|SEM|IQR|CI|range)\b|\d")


def header_unit(header: str) -> str | None:
    """Return the unit a column header gives its values: ``Dose (mg)`` -> ``mg``, ``Yes (%)`` -> ``%``.

    A bracket holding a count, a statistic or a number (``Placebo (n = 118)``, ``Mean (SD)``) is no unit.
    """
    m = _UNIT.search(header)
    if m is None:
        return None
    unit = m.group(1).strip()
    return None if not unit or _NOT_UNIT.search(unit) else unit


def looks_tabular(words: list[Word], lines: int = TABULAR_LINES) -> bool:
    """Return True when ``lines`` lines of the page hold words in three or more columns (wide gaps apart).

    Lines are words whose vertical centres lie within 2 points, across text blocks (a table's cells are
    often blocks of their own). Running text has one column per line, or two beside a gutter.
    """
    rows: list[tuple[float, list[Word]]] = []
    for w in sorted(words, key=lambda w: (w.bbox[1] + w.bbox[3]) / 2):
        y = (w.bbox[1] + w.bbox[3]) / 2
        if rows and y - rows[-1][0] <= 2.0:
            rows[-1][1].append(w)
        else:
            rows.append((y, [w]))
    found = 0
    for _, row in rows:
        row.sort(key=lambda w: w.bbox[0])
        gaps = sum(1 for a, b in itertools.pairwise(row) if b.bbox[0] - a.bbox[2] > GAP)
        found += gaps >= 2
    return found >= lines


def has_caption(texts: list[str]) -> bool:
    """Return True when one of a page's text blocks starts like a table caption (``Table 2``)."""
    return any(CAPTION.match(t) for t in texts)
