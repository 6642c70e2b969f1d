"""The table part of the PDF reader: which pages to search for tables, and each table found as a block.

pymupdf's table finder (with its layout model) finds the cells; ``ingest.tables`` fills them with the
page's words and writes the table as rows. Only ``ingest.pdf`` calls in here.
"""

from __future__ import annotations

import logging

import pymupdf

from factloom.ingest.layout import RawBlock
from factloom.ingest.tables import (
    RawTable,
    Word,
    covered,
    fill,
    has_caption,
    looks_tabular,
    lost_words,
    non_empty,
)

log = logging.getLogger(__name__)


def page_words(textpage: pymupdf.TextPage) -> list[Word]:
    """Return the words of a page with their boxes and places in the reading order."""
    return [Word(bbox=tuple(w[:4]), text=w[4], block=w[5], line=w[6]) for w in textpage.extractWORDS()]


def search_reason(texts: list[str], words: list[Word]) -> str | None:
    """Return why a page is searched for tables (``caption``, ``columns``), or None when it is not."""
    if has_caption(texts):
        return "caption"
    return "columns" if looks_tabular(words) else None


def with_tables(page: pymupdf.Page, words: list[Word], blocks: list[RawBlock]) -> list[RawBlock]:
    """Replace the text blocks inside each table of the page by one block holding the table as rows.

    A table whose cells would drop a word of the blocks it replaces is left as text (no word is lost).
    """
    for found in page.find_tables().tables:
        plain = fill(_raw_table(page, found), words)
        finer = _by_text(page, found, words, non_empty(plain)) if plain.stacked else None
        for table in filter(None, (finer, plain)):  # the first that keeps every word of its blocks
            inside = [b for b in blocks if covered(b.bbox, table.bbox)]
            if table.text and inside and not lost_words(table, [b.bbox for b in inside], words):
                break
        else:
            log.debug("page %d: a table would drop words of its text; kept as text", page.number + 1)
            continue
        first = blocks.index(inside[0])
        blocks = [b for b in blocks if b not in inside]
        blocks.insert(first, RawBlock(
            page=page.number + 1, bbox=table.bbox, text=table.text, size=min(b.size for b in inside),
            bold=False, n_lines=len(table.rows), first_line=table.text.split("\n", 1)[0], table=table,
        ))
    return blocks


def _by_text(
    page: pymupdf.Page, found: pymupdf.table.Table, words: list[Word], cells: int
) -> RawTable | None:
    """Find a table again inside its box from the alignment of its words (rows the lines merged).

    Returns the new table if it has more than ``cells`` cells with text and no stacked numbers left.
    """
    clip = pymupdf.Rect(found.bbox)
    if found.header.external:
        clip |= pymupdf.Rect(found.header.bbox)
    best = None
    for other in page.find_tables(clip=clip, use_layout=False, strategy="text", min_words_vertical=2).tables:
        table = fill(_raw_table(page, other), words)
        if table.text and not table.stacked and (best is None or non_empty(table) > non_empty(best)):
            best = table
    return best if best is not None and non_empty(best) > cells else None


def _raw_table(page: pymupdf.Page, found: pymupdf.table.Table) -> RawTable:
    """Return the cell boxes of a table found by pymupdf, with a header printed above it as row 0."""
    n = found.col_count
    turn = page.derotation_matrix  # the finder works on the page as shown; blocks and words are unrotated

    def shown(b: tuple | None) -> tuple[float, float, float, float] | None:
        return None if b is None else tuple(pymupdf.Rect(b) * turn)

    rows = [[shown(c) for c in row.cells] for row in found.rows]
    box = shown(found.bbox)
    if found.header.external:
        rows.insert(0, [shown(c) for c in found.header.cells])
        hb = shown(found.header.bbox)
        box = (min(box[0], hb[0]), min(box[1], hb[1]), max(box[2], hb[2]), max(box[3], hb[3]))
    rows = [(row + [None] * n)[:n] for row in rows]
    return RawTable(page=page.number + 1, bbox=box, rows=rows)
