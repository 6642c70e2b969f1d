"""Read a PDF with pymupdf into a :class:`Document`: one text string, pages, blocks and sections.

This is the only module that imports pymupdf. Blocks come out in reading order (column by column),
without running headers, footers and page numbers, with ligatures expanded and words hyphenated at
line ends joined again. Bad files raise a specific :class:`PdfError` whose message names the file
and says what to do.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pymupdf
from factloom.ingest.errors import FactloomError
from factloom.ingest.layout import RawBlock, drop_running_text, heading_key, mark_headings, reading_order
from factloom.ingest.models import Block, Document, Page, Section
from factloom.ingest.text import normalize, normalize_lines, page_ranges

log = logging.getLogger(__name__)

FLAGS = (pymupdf.TEXTFLAGS_TEXT | pymupdf.TEXT_MEDIABOX_CLIP) & ~pymupdf.TEXT_PRESERVE_LIGATURES
"""Text extraction flags: no images, text clipped to the page, ligatures expanded by MuPDF."""
BOLD_FLAG = 16
BOLD_NAMES = ("bold", "black", "heavy", "semibold", "demi", "-medi")
SEPARATOR = "\n\n"
"""Between blocks in the document text: a paragraph break."""

pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)


class PdfError(FactloomError):
    """A PDF cannot be read."""


class NotAPdfError(PdfError):
    """The file is not a PDF, whatever its name says."""


class CorruptPdfError(PdfError):
    """The PDF is damaged or truncated beyond repair."""


class EncryptedPdfError(PdfError):
    """The PDF needs a password (none or a wrong one was given)."""


class EmptyPdfError(PdfError):
    """The PDF has no pages."""


class ImageOnlyPdfError(PdfError):
    """No page of the PDF has a text layer (a scan without OCR)."""


def parse_pdf(path: Path, *, doc_id: str, content_hash: str, password: str | None = None) -> Document:
    """Parse the PDF at ``path`` into a :class:`Document`.

    Raises:
        NotAPdfError, CorruptPdfError, EncryptedPdfError, EmptyPdfError, ImageOnlyPdfError.
    """
    with _open(path, password) as pdf:
        pages, sizes = [], []
        for page in pdf:
            pages.append(_page_blocks(page))
            sizes.append((page.rect.width, page.rect.height))
        outline = {(page, heading_key(title)): min(level, 3) for level, title, page in pdf.get_toc()}
        meta_title = (pdf.metadata or {}).get("title") or ""
        repaired = pdf.is_repaired
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
    pages = drop_running_text(pages, [h for _, h in sizes])
    pages = [reading_order(blocks) for blocks in pages]
    mark_headings(pages, outline)
    return _assemble(path, doc_id, content_hash, pages, sizes, meta_title)


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


def _page_blocks(page: pymupdf.Page) -> list[RawBlock]:
    try:
        data = page.get_text("dict", flags=FLAGS)
    except (pymupdf.FileDataError, RuntimeError) as e:
        raise CorruptPdfError(f"page {page.number + 1} is damaged ({e}); get a fresh copy of the file") from e
    out = []
    for b in data["blocks"]:
        block = _raw_block(page.number + 1, b)
        if block is not None:
            out.append(block)
    return out


def _raw_block(page_no: int, b: dict) -> RawBlock | None:
    lines, size, chars, bold_chars = [], 0.0, 0, 0
    for line in b["lines"]:
        spans = line["spans"]
        lines.append("".join(s["text"] for s in spans))
        for s in spans:
            n = len(s["text"].strip())
            chars += n
            if n and (s["flags"] & BOLD_FLAG or any(k in s["font"].lower() for k in BOLD_NAMES)):
                bold_chars += n
            size = max(size, s["size"]) if n else size
    text = normalize_lines(lines)
    if not any(c.isalnum() for c in text):
        return None
    return RawBlock(
        page=page_no, bbox=tuple(b["bbox"]), text=text, size=size,
        bold=bold_chars >= 0.9 * chars, n_lines=len(lines), first_line=lines[0] if lines else "",
    )


def _assemble(
    path: Path,
    doc_id: str,
    content_hash: str,
    pages: list[list[RawBlock]],
    sizes: list[tuple[float, float]],
    meta_title: str,
) -> Document:
    parts: list[str] = []
    pos = 0
    doc_pages, blocks, sections = [], [], []
    for number, (raw, (width, height)) in enumerate(zip(pages, sizes, strict=True), start=1):
        page_start = pos + (len(SEPARATOR) if parts and raw else 0)
        for b in raw:
            if parts:
                parts.append(SEPARATOR)
                pos += len(SEPARATOR)
            parts.append(b.text)
            blocks.append(Block(page=number, bbox=b.bbox, start=pos, end=pos + len(b.text),
                                is_heading=b.heading_level > 0))
            if b.heading_level:
                sections.append(Section(title=b.text, level=b.heading_level, start=pos))
            pos += len(b.text)
        doc_pages.append(Page(number=number, width=width, height=height, start=page_start,
                              end=pos, has_text=bool(raw)))
    title = _title(pages, meta_title) or path.stem
    return Document(doc_id=doc_id, path=str(path), title=title, content_hash=content_hash,
                    text="".join(parts), pages=doc_pages, blocks=blocks, sections=sections)


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
