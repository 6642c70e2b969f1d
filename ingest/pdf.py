"""Read a PDF with pymupdf into a :class:`Document`: one text string, pages, blocks and sections.

With its table part (``ingest.pdf_tables``) and the page images (``ingest.pdf_pages``), the only module
that imports pymupdf. Blocks come out in reading order (column by column), without running headers,
footers and page numbers, with ligatures expanded and words hyphenated at line ends joined again.
Bad files raise a specific :class:`PdfError` whose message names the file and says what to do.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pymupdf

from factloom.ingest.errors import (
    CorruptPdfError,
    EmptyPdfError,
    EncryptedPdfError,
    ImageOnlyPdfError,
    NotAPdfError,
)
from factloom.ingest.layout import (
    RawBlock,
    RawPage,
    body_size,
    drop_running_text,
    heading_key,
    mark_headings,
    reading_order,
)
from factloom.ingest.models import Block, Document, Page, Section, Table, TableCell
from factloom.ingest.pdf_tables import page_words, search_reason, with_tables
from factloom.ingest.tables import RawTable
from factloom.ingest.text import clean_block, normalize, page_ranges

log = logging.getLogger(__name__)

FLAGS = (pymupdf.TEXTFLAGS_TEXT | pymupdf.TEXT_MEDIABOX_CLIP) & ~pymupdf.TEXT_PRESERVE_LIGATURES
"""Text extraction flags: no images, text clipped to the page, ligatures expanded by MuPDF."""
BOLD = pymupdf.TEXT_FONT_BOLD
_ALNUM = re.compile(r"[^\W_]")
_HTML_LINE = re.compile(r'<p style="[^"]*line-height:([\d.]+)pt">(.*?)</p>', re.S)
SEPARATOR = "\n\n"
"""Between blocks in the document text: a paragraph break."""
NO_LETTERS = "blocks_without_letters_or_digits"
"""Cleaning count: characters of blocks with no letter or digit (rules, bullets, dot leaders)."""

pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)


def parse_pdf(
    path: Path, *, doc_id: str, content_hash: str, password: str | None = None, tables: bool = True
) -> Document:
    """Parse the PDF at ``path`` into a :class:`Document`.

    With ``tables``, pages that hold a table caption or lines in three or more columns are searched for
    tables (pymupdf's table finder);
    each table found replaces its words in the text by rows of ``|``-separated cells (``Document.tables``).

    Raises:
        NotAPdfError, CorruptPdfError, EncryptedPdfError, EmptyPdfError, ImageOnlyPdfError.
    """
    with _open(path, password) as pdf:
        read: list[RawPage] = []
        sizes = []
        try:
            for page in pdf:
                read.append(_page_blocks(page, tables))
                sizes.append((page.rect.width, page.rect.height))
        except (pymupdf.FileDataError, RuntimeError) as e:
            raise CorruptPdfError(
                f"{path.name}: page {len(read) + 1} is damaged ({e}); get a fresh copy of the file"
            ) from e
        outline = {(page, heading_key(title)): min(level, 3) for level, title, page in pdf.get_toc()}
        meta_title = (pdf.metadata or {}).get("title") or ""
        repaired = pdf.is_repaired
    pages = [r.blocks for r in read]
    blank = [i for i, blocks in enumerate(pages, start=1) if not blocks]
    if repaired and blank:
        raise CorruptPdfError(
            f"{path.name}: damaged or truncated PDF (repaired, but page(s) {page_ranges(blank)} "
            "lost their text); get a complete copy of the file"
        )
    if not any(pages):
        raise ImageOnlyPdfError(
            f"{path.name}: no text layer on any page ({page_ranges(blank)}; a scan?); "
            "run OCR on it first (e.g. `ocrmypdf in.pdf out.pdf`)"
        )
    body = body_size(pages)
    pages, cleaning = drop_running_text(pages, [h for _, h in sizes], body)
    cleaning[NO_LETTERS] = sum(r.symbol_chars for r in read)
    pages = [reading_order(blocks) for blocks in pages]
    mark_headings(pages, outline, body)
    doc = _assemble(path, doc_id, content_hash, pages, sizes, meta_title, [r.has_text for r in read])
    return doc.model_copy(update={"cleaning": {rule: n for rule, n in sorted(cleaning.items()) if n}})


def _open(path: Path, password: str | None) -> pymupdf.Document:
    with path.open("rb") as f:
        head = f.read(1024)
    if b"%PDF-" not in head:
        raise NotAPdfError(f"{path.name}: not a PDF (no %PDF header); check the file or its name")
    try:
        pdf = pymupdf.open(path, filetype="pdf")
    except (pymupdf.FileDataError, RuntimeError) as e:
        raise CorruptPdfError(f"{path.name}: damaged PDF ({e}); get a fresh copy of the file") from e
    if pdf.needs_pass:
        if password is None:
            pdf.close()
            raise EncryptedPdfError(f"{path.name}: encrypted; pass --password or decrypt it first")
        if not pdf.authenticate(password):
            pdf.close()
            raise EncryptedPdfError(f"{path.name}: wrong password; check --password")
    if pdf.page_count == 0:
        pdf.close()
        raise EmptyPdfError(f"{path.name}: the PDF has no pages; nothing to ingest")
    return pdf


def _page_blocks(page: pymupdf.Page, tables: bool = True) -> RawPage:
    """Return the page's text blocks with their font size and boldness, and what had no letter or digit.

    Text and boxes come from the ``blocks`` output and fonts from the ``html`` output (one ``<p>``
    per line, in the same order), both built in C: this costs far less than the ``dict`` output,
    which is only the fallback for a page whose two outputs do not line up.
    """
    textpage = page.get_textpage(flags=FLAGS)
    blocks = [(b[:4], b[4], _lines(b[4])) for b in textpage.extractBLOCKS()]
    styles = _line_styles(textpage, sum(len(lines) for _, _, lines in blocks))
    out, i, symbols = [], 0, 0
    for bbox, raw, lines in blocks:
        mine = [style for style, line in zip(styles[i : i + len(lines)], lines, strict=True) if line.strip()]
        i += len(lines)
        text = clean_block(raw)
        if mine and _ALNUM.search(text):
            out.append(RawBlock(
                page=page.number + 1, bbox=bbox, text=text, size=max(size for size, _ in mine),
                bold=all(bold for _, bold in mine), n_lines=len(lines), first_line=lines[0],
            ))
        else:
            symbols += len(text)
    if tables:
        words = page_words(textpage)
        if search_reason([b.text for b in out], words):
            out = with_tables(page, words, out)
    return RawPage(blocks=out, symbol_chars=symbols, has_text=bool(out) or symbols > 0)


def table_search_pages(path: Path, password: str | None = None) -> dict[int, str]:
    """Return the pages of a PDF that ingest searches for tables, each with why (``caption``, ``columns``)."""
    out: dict[int, str] = {}
    with _open(path, password) as pdf:
        for page in pdf:
            textpage = page.get_textpage(flags=FLAGS)
            texts = [clean_block(b[4]) for b in textpage.extractBLOCKS()]
            reason = search_reason(texts, page_words(textpage))
            if reason is not None:
                out[page.number + 1] = reason
    return out


def _lines(raw: str) -> list[str]:
    lines = raw.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _line_styles(textpage: pymupdf.TextPage, n_lines: int) -> list[tuple[float, bool]]:
    """Return (font size, all bold) for each line of the page, in block order."""
    found = _HTML_LINE.findall(textpage.extractHTML())
    if len(found) == n_lines:
        return [(float(size), inner.startswith("<b>") and inner.endswith("</b>")) for size, inner in found]
    log.debug("html and blocks output disagree on %d lines; reading fonts from the dict output", n_lines)
    return [_dict_style(line) for block in textpage.extractDICT()["blocks"] for line in block["lines"]]


def _dict_style(line: dict) -> tuple[float, bool]:
    spans = [s for s in line["spans"] if s["text"].strip()]
    return max((s["size"] for s in spans), default=0.0), bool(spans) and all(s["flags"] & BOLD for s in spans)


def _assemble(
    path: Path,
    doc_id: str,
    content_hash: str,
    pages: list[list[RawBlock]],
    sizes: list[tuple[float, float]],
    meta_title: str,
    has_text: list[bool],
) -> Document:
    parts: list[str] = []
    pos = 0
    doc_pages, blocks, sections, tables = [], [], [], []
    for number, (raw, (width, height), layer) in enumerate(zip(pages, sizes, has_text, strict=True), start=1):
        page_start = pos + (len(SEPARATOR) if parts and raw else 0)
        for b in raw:
            if parts:
                parts.append(SEPARATOR)
                pos += len(SEPARATOR)
            parts.append(b.text)
            blocks.append(Block(page=number, bbox=b.bbox, start=pos, end=pos + len(b.text),
                                is_heading=b.heading_level > 0))
            if b.table is not None:
                tables.append(_table(b.table, pos))
            if b.heading_level:
                sections.append(Section(title=b.text, level=b.heading_level, start=pos))
            pos += len(b.text)
        doc_pages.append(Page(number=number, width=width, height=height, start=page_start,
                              end=pos, has_text=layer))
    title = _title(pages, meta_title) or path.stem
    return Document(doc_id=doc_id, path=str(path), title=title, content_hash=content_hash,
                    text="".join(parts), pages=doc_pages, blocks=blocks, sections=sections, tables=tables)


def _table(raw: RawTable, offset: int) -> Table:
    """Return a table with its cells' spans moved from its own text into the document text."""
    cells = [
        TableCell(row=r, col=c, bbox=box, start=offset + s, end=offset + e, text=raw.texts[r][c])
        for r, (boxes, spans) in enumerate(zip(raw.rows, raw.spans, strict=True))
        for c, (box, (s, e)) in enumerate(zip(boxes, spans, strict=True))
    ]
    return Table(page=raw.page, bbox=raw.bbox, start=offset, end=offset + len(raw.text), n_rows=len(raw.rows),
                 n_cols=len(raw.rows[0]) if raw.rows else 0, header_rows=raw.header_rows, cells=cells)


def _title(pages: list[list[RawBlock]], meta_title: str) -> str:
    """Return the largest short text of the first page with text, else a usable metadata title."""
    first = next((blocks for blocks in pages if blocks), [])
    short = [b for b in first if b.words <= 30]
    meta = normalize(meta_title)
    if short:
        best = max(short, key=lambda b: b.size)
        body = sorted(b.size for b in first)[len(first) // 2]
        if best.size > body * 1.15:
            return best.text
    good_meta = len(meta.split()) >= 3 and not meta.lower().startswith("microsoft word")
    return meta if good_meta else ""
