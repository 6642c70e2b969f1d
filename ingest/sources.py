"""Find the input files (files, folders, globs) and read each into a :class:`Document`.

PDFs go to ``ingest.pdf``; ``.txt`` and ``.md`` files are read here: paragraphs become blocks
of one page, Markdown ``#`` headings become sections.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from factloom.ingest.errors import SourceError
from factloom.ingest.models import Block, Document, Page, Section
from factloom.ingest.pdf import parse_pdf
from factloom.ingest.text import clean_block

log = logging.getLogger(__name__)

SUFFIXES = (".pdf", ".txt", ".md")
MAX_BYTES = 512 * 1024 * 1024
"""Files larger than this are refused by default (the CLI's ``--max-mb``)."""
_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_MD_HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*#*\s*")


@dataclass(frozen=True)
class Expanded:
    """The files found for the given paths, and the paths that gave none (with the reason)."""

    files: list[Path]
    problems: list[tuple[str, str]]


def expand_paths(paths: list[str]) -> Expanded:
    """Expand files, folders (recursively) and glob patterns into supported files, sorted, once each."""
    found: dict[Path, None] = {}
    problems: list[tuple[str, str]] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            hits = [f for f in sorted(p.rglob("*")) if f.is_file() and _supported(f)]
            if not hits:
                problems.append((raw, f"no {'/'.join(SUFFIXES)} files in this folder"))
        elif p.is_file():
            hits = [p] if _supported(p) else []
            if not hits:
                problems.append((raw, f"unsupported file type; factloom reads {', '.join(SUFFIXES)}"))
        else:
            hits = [Path(g) for g in sorted(glob.glob(raw, recursive=True)) if _supported(Path(g))]
            if not hits:
                problems.append((raw, "no such file, folder or matching files; check the path"))
        found.update((f.resolve(), None) for f in hits if f.is_file())
    return Expanded(files=list(found), problems=problems)


def _supported(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def file_hash(path: Path) -> str:
    """Return the SHA-256 of the file's bytes (hex)."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def doc_id_for(content_hash: str) -> str:
    """Return the document id for a content hash: the same bytes give the same id anywhere."""
    return f"doc_{content_hash[:16]}"


def read_document(
    path: Path, *, password: str | None = None, content_hash: str | None = None, max_bytes: int = MAX_BYTES,
    tables: bool = True,
) -> Document:
    """Read one supported file into a :class:`Document` (id and hash from its bytes).

    Raises:
        SourceError: the file is too large or its text cannot be decoded.
        PdfError: the PDF cannot be read (see ``ingest.pdf``).
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise SourceError(
            f"{path.name}: {size / 2**20:.0f} MB is over the {max_bytes / 2**20:.0f} MB limit; "
            "split the file or raise --max-mb"
        )
    content_hash = content_hash or file_hash(path)
    doc_id = doc_id_for(content_hash)
    if path.suffix.lower() == ".pdf":
        return parse_pdf(path, doc_id=doc_id, content_hash=content_hash, password=password, tables=tables)
    return parse_text(path, doc_id=doc_id, content_hash=content_hash)


def parse_text(path: Path, *, doc_id: str, content_hash: str) -> Document:
    """Read a UTF-8 ``.txt`` or ``.md`` file: paragraphs become blocks, ``#`` lines sections."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise SourceError(f"{path.name}: not UTF-8 text ({e.reason}); convert it to UTF-8 first") from e
    markdown = path.suffix.lower() == ".md"
    parts: list[str] = []
    blocks: list[Block] = []
    sections: list[Section] = []
    pos = 0
    for para in _PARAGRAPHS.split(raw.replace("\r\n", "\n")):
        for text, level in _paragraph_blocks(para, markdown):
            if parts:
                parts.append("\n\n")
                pos += 2
            parts.append(text)
            end = pos + len(text)
            blocks.append(Block(page=1, bbox=(0, 0, 0, 0), start=pos, end=end, is_heading=level > 0))
            if level:
                sections.append(Section(title=text, level=level, start=pos))
            pos += len(text)
    if not parts:
        raise SourceError(f"{path.name}: the file has no text; nothing to ingest")
    text = "".join(parts)
    title = sections[0].title if sections else path.stem
    page = Page(number=1, width=0, height=0, start=0, end=len(text))
    return Document(doc_id=doc_id, path=str(path), title=title, content_hash=content_hash, text=text,
                    pages=[page], blocks=blocks, sections=sections)


def _paragraph_blocks(para: str, markdown: bool) -> list[tuple[str, int]]:
    """Split a paragraph into (text, heading level) blocks; Markdown heading lines stand alone."""
    out: list[tuple[str, int]] = []
    lines: list[str] = []
    for line in para.split("\n"):
        m = _MD_HEADING.fullmatch(line.strip()) if markdown else None
        if m is None:
            lines.append(line)
            continue
        if lines:
            out.append((clean_block("\n".join(lines)), 0))
            lines = []
        out.append((clean_block(m.group(2)), len(m.group(1))))
    if lines:
        out.append((clean_block("\n".join(lines)), 0))
    return [(t, level) for t, level in out if t]
