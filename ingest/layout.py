"""Page layout rules on extracted text blocks: reading order, running headers, headings.

Works on :class:`RawBlock` records (geometry, text, font size, boldness) so the rules can be
tested without a PDF; ``ingest.pdf`` builds the records with pymupdf.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from factloom.ingest.tables import RawTable
from factloom.ingest.text import is_page_number, repeat_key

BBox = tuple[float, float, float, float]
MARGIN = 0.2
"""Running headers and footers are looked for in this top and bottom share of the page height."""
WIDE = 0.55
"""A block wider than this share of the text area spans the columns (a title, a figure caption)."""


@dataclass
class RawBlock:
    """A text block as the PDF reader found it, before it becomes part of the document text."""

    page: int
    bbox: BBox
    text: str
    size: float
    bold: bool
    n_lines: int
    first_line: str = ""
    heading_level: int = 0
    outline: bool = field(default=False, repr=False)
    table: RawTable | None = field(default=None, repr=False)

    @property
    def words(self) -> int:
        """Return the number of whitespace-separated words."""
        return self.text.count(" ") + 1


@dataclass
class RawPage:
    """A page as the PDF reader found it: its blocks, and whether it has a text layer at all.

    ``symbol_chars`` counts the characters of blocks dropped for holding no letter or digit.
    """

    blocks: list[RawBlock]
    symbol_chars: int = 0
    has_text: bool = True


def reading_order(blocks: list[RawBlock]) -> list[RawBlock]:
    """Sort a page's blocks in reading order, column by column on multi-column pages.

    Columns are the x-ranges covered by the narrow blocks, separated by vertical gutters. A block
    that crosses a gutter (a title, an abstract, a wide figure) ends one band of columns and
    starts the next; inside a band the columns are read left to right, each top to bottom.
    """
    if len(blocks) < 2:
        return list(blocks)
    left = min(b.bbox[0] for b in blocks)
    right = max(b.bbox[2] for b in blocks)
    limit = WIDE * (right - left)
    columns = _merge_ranges([(b.bbox[0], b.bbox[2]) for b in blocks if b.bbox[2] - b.bbox[0] <= limit])
    by_y = sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0]))
    if len(columns) < 2:
        return by_y
    out: list[RawBlock] = []
    band: list[RawBlock] = []
    for b in by_y:
        col = _column(b.bbox, columns)
        if col is None:
            out.extend(sorted(band, key=lambda x: (_column(x.bbox, columns) or 0, x.bbox[1])))
            band = []
            out.append(b)
        else:
            band.append(b)
    out.extend(sorted(band, key=lambda x: (_column(x.bbox, columns) or 0, x.bbox[1])))
    return out


def _merge_ranges(ranges: list[tuple[float, float]], gap: float = 4.0) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _column(bbox: BBox, columns: list[tuple[float, float]]) -> int | None:
    """Return the index of the column holding ``bbox``, or None when it crosses a gutter."""
    for i, (lo, hi) in enumerate(columns):
        if bbox[0] >= lo - 1 and bbox[2] <= hi + 1:
            return i
    return None


RUNNING_TEXT = "running_headers_footers"
PAGE_NUMBERS = "page_numbers"
KEPT_ONLY_TEXT = "kept_as_page_only_text"
"""Cleaning counts: characters removed as running text and as page numbers, and characters of running
text kept because removing them would have left their page without text."""


def drop_running_text(
    pages: list[list[RawBlock]], heights: list[float], body: float
) -> tuple[list[list[RawBlock]], Counter[str]]:
    """Remove page numbers and running headers/footers (text repeated at the same place on many pages).

    Blocks near the top or bottom of a page are compared by their first line with digits masked
    (``Page 2 of 10`` and ``Page 3 of 10`` match) and by their height on the page. Text set larger
    than the body text is a heading, never running text. Repeated text that is all a page holds
    (besides its page number) is kept: a document whose every page follows one pattern is content, not
    headers, and no page loses its only text.

    Returns:
        The pages' remaining blocks, and the characters removed (or kept) by each rule.
    """
    keys = [[_margin_key(b, h, body) for b in blocks] for blocks, h in zip(pages, heights, strict=True)]
    seen: dict[tuple[str, int], set[int]] = defaultdict(set)
    for page_no, page_keys in enumerate(keys):
        for key in filter(None, page_keys):
            for shift in (-1, 0, 1):  # tolerate small shifts of the same header
                seen[key[0], key[1] + shift].add(page_no)
    need = max(2, math.ceil(0.3 * len(pages)))
    repeated = {k for k, found in seen.items() if len(found) >= need}
    counts: Counter[str] = Counter()
    out = [_clean_page(blocks, found, repeated, counts) for blocks, found in zip(pages, keys, strict=True)]
    return out, counts


def _clean_page(
    blocks: list[RawBlock], keys: list[tuple[str, int] | None], repeated: set[tuple[str, int]],
    counts: Counter[str],
) -> list[RawBlock]:
    """Return a page's blocks without page numbers and running text, unless that is all the page holds."""
    numbers = [key is not None and is_page_number(b.text) for b, key in zip(blocks, keys, strict=True)]
    running = [key in repeated and not number for key, number in zip(keys, numbers, strict=True)]
    keep_running = any(running) and all(r or n for r, n in zip(running, numbers, strict=True))
    kept = []
    for b, number, run in zip(blocks, numbers, running, strict=True):
        if number:
            counts[PAGE_NUMBERS] += len(b.text)
        elif run and not keep_running:
            counts[RUNNING_TEXT] += len(b.text)
        else:
            counts[KEPT_ONLY_TEXT] += len(b.text) if run else 0
            kept.append(b)
    return kept


def _margin_key(b: RawBlock, height: float, body: float) -> tuple[str, int] | None:
    if b.table is not None:
        return None
    top, bottom = b.bbox[1] < MARGIN * height, b.bbox[3] > (1 - MARGIN) * height
    if not (top or bottom) or b.n_lines > 3 or len(b.text) > 200 or b.size > body * 1.15:
        return None
    return repeat_key(b.first_line or b.text), round(b.bbox[1] / 12)


def body_size(pages: list[list[RawBlock]]) -> float:
    """Return the font size of most of the text (weighted by characters)."""
    sizes: Counter[float] = Counter()
    for blocks in pages:
        for b in blocks:
            sizes[round(b.size * 2) / 2] += len(b.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def mark_headings(pages: list[list[RawBlock]], outline: dict[tuple[int, str], int], body: float) -> None:
    """Set ``heading_level`` (1 = top) on blocks that look like section headings.

    A heading is a short block that is in the PDF outline (``{(page, key): level}``), or one that
    starts with a capital or a number, does not end like a sentence, is not a table or figure
    caption, and is set larger than the body text, or at body size but bold, numbered
    (``2.1 Methods``) or in capitals (``RESULTS``). Levels follow sizes, largest first.
    """
    candidates = [b for blocks in pages for b in blocks if _looks_like_heading(b, body, outline)]
    sizes = sorted({round(b.size * 2) / 2 for b in candidates if not b.outline}, reverse=True)
    for b in candidates:
        if b.outline:
            continue
        b.heading_level = min(sizes.index(round(b.size * 2) / 2) + 1, 3) if sizes else 1


def _looks_like_heading(b: RawBlock, body: float, outline: dict[tuple[int, str], int]) -> bool:
    if b.table is not None:
        return False
    level = outline.get((b.page, heading_key(b.text))) if outline else None
    if level is not None:
        b.heading_level, b.outline = level, True
        return True
    if b.n_lines > 3 or b.words > 20 or len(b.text) < 2 or is_page_number(b.text):
        return False
    if b.text.endswith((".", ",", ";", ":")) or (not b.text[0].isupper() and not b.text[0].isdigit()):
        return False
    if _CAPTION.match(b.text) or not any(c.isalpha() for c in b.text):
        return False
    if b.size >= body * 1.15:
        return True
    marked = b.bold or (b.words <= 12 and (_NUMBERED.match(b.text) is not None or _capitals(b.text)))
    return marked and b.size >= body * 0.9


def _capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 5 and text.upper() == text


def heading_key(text: str) -> str:
    """Return the form of a heading used to match it against the PDF outline (no numbering, case)."""
    return _NUMBERING.sub("", " ".join(text.lower().split()))[:60]


_CAPTION = re.compile(r"(Table|Figure|Fig\.|Supplementary)\s*\w*\d", re.I)
_NUMBERED = re.compile(r"(\d+(\.\d+)*\.?|[IVX]+\.?|[A-Z]\.)\s+[A-Z]")
_NUMBERING = re.compile(r"^(\d+(\.\d+)*\.?|[ivx]+\.|[a-z]\.)\s+")
