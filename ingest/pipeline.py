"""Ingest files into a workspace: parse -> chunk -> embed -> write, one file at a time.

Idempotent: a file whose bytes are unchanged since its last ingest is skipped; a changed file
replaces its old document, chunks and vectors. A file that fails is reported and leaves nothing
behind: vectors are keyed by chunk id and written first, then all SQLite rows of the document in
one transaction; the old document's vectors are removed only after that transaction commits.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from factloom.ingest.chunking import chunk_document
from factloom.ingest.errors import FactloomError
from factloom.ingest.index import IndexItem, VectorIndex
from factloom.ingest.layout import KEPT_ONLY_TEXT
from factloom.ingest.models import Chunk, Document
from factloom.ingest.sources import MAX_BYTES, expand_paths, file_hash, read_document
from factloom.ingest.store import find_document_by_hash, find_document_by_path, get_chunks, save_document
from factloom.ingest.text import page_ranges
from factloom.ingest.workspace import Workspace

log = logging.getLogger(__name__)

CHUNKS = "chunks"
"""The Chroma collection of chunk embeddings."""
MAX_CLEANED_SHARE = 0.5
"""Warn when cleaning (running headers, page numbers, ...) removed more than this share of a file's text."""


@dataclass(frozen=True)
class FileResult:
    """What happened to one input file."""

    path: str
    status: str  # "ingested", "skipped" or "failed"
    doc_id: str | None = None
    pages: int = 0
    chunks: int = 0
    message: str = ""
    warnings: tuple[str, ...] = ()


@dataclass
class IngestReport:
    """The outcome of one ingest run, per file, with the time spent in each stage.

    ``timings`` holds wall-clock seconds per stage, ``cpu_timings`` this process's CPU seconds
    (all threads), which other processes on the machine disturb less.
    """

    results: list[FileResult] = field(default_factory=list)
    reindexed: int = 0
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    cpu_timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def _with(self, status: str) -> list[FileResult]:
        return [r for r in self.results if r.status == status]

    @property
    def ingested(self) -> list[FileResult]:
        """Return the files ingested (new or changed)."""
        return self._with("ingested")

    @property
    def skipped(self) -> list[FileResult]:
        """Return the files skipped because the workspace already holds their content."""
        return self._with("skipped")

    @property
    def failed(self) -> list[FileResult]:
        """Return the files that could not be ingested, each with its message."""
        return self._with("failed")

    @property
    def pages(self) -> int:
        """Return the number of pages ingested."""
        return sum(r.pages for r in self.ingested)

    @property
    def chunks(self) -> int:
        """Return the number of chunks written."""
        return sum(r.chunks for r in self.ingested)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the time spent in the block to ``stage``."""
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.timings[stage] += time.perf_counter() - t0
            self.cpu_timings[stage] += time.process_time() - c0


def ingest_paths(
    ws: Workspace,
    paths: list[str],
    *,
    password: str | None = None,
    chunk_tokens: int = 512,
    overlap_tokens: int = 64,
    max_bytes: int = MAX_BYTES,
    progress: Callable[[FileResult], None] | None = None,
    tables: bool = True,
) -> IngestReport:
    """Ingest files, folders and globs into the workspace and report what happened to each file.

    ``tables=False`` skips the search for tables (their words stay plain text), which costs ~0.5 s of CPU
    per page that holds a table caption or lines in three or more columns.
    """
    report = IngestReport()
    found = expand_paths(paths)
    for raw, problem in found.problems:
        report.results.append(FileResult(path=raw, status="failed", message=f"{raw}: {problem}"))
    index = VectorIndex(ws, CHUNKS)
    report.reindexed = reindex_chunks(ws, index, report)
    for path in found.files:
        try:
            result = _ingest_file(ws, index, path, report, password, chunk_tokens, overlap_tokens, max_bytes,
                                  tables)
        except FactloomError as e:
            result = FileResult(path=str(path), status="failed", message=str(e))
        except OSError as e:
            result = FileResult(path=str(path), status="failed", message=f"{path.name}: cannot read ({e})")
        report.results.append(result)
        log.info("%s: %s %s", path, result.status, result.message)
        if progress is not None:
            progress(result)
    return report


def _ingest_file(
    ws: Workspace,
    index: VectorIndex,
    path: Path,
    report: IngestReport,
    password: str | None,
    chunk_tokens: int,
    overlap_tokens: int,
    max_bytes: int,
    tables: bool = True,
) -> FileResult:
    content_hash = file_hash(path)
    old = find_document_by_path(ws, path)
    if old is not None and old.content_hash == content_hash:
        return FileResult(str(path), "skipped", old.doc_id, old.pages, old.chunks, "unchanged")
    twin = find_document_by_hash(ws, content_hash)
    if twin is not None and twin.path != str(path):
        return FileResult(str(path), "skipped", twin.doc_id, twin.pages, twin.chunks,
                          f"same content as {twin.path}")
    with report.timed("parse"):
        doc = read_document(path, password=password, content_hash=content_hash, max_bytes=max_bytes,
                            tables=tables)
    with report.timed("chunk"):
        chunks = chunk_document(doc, chunk_tokens=chunk_tokens, overlap_tokens=overlap_tokens)
    _write(ws, index, doc, chunks, report, old.doc_id if old else None)
    warnings = _warnings(doc, len(chunks))
    for w in warnings:
        log.info("%s", w)
    return FileResult(str(path), "ingested", doc.doc_id, len(doc.pages), len(chunks), warnings=warnings)


def reindex_chunks(ws: Workspace, index: VectorIndex, report: IngestReport | None = None) -> int:
    """Embed again, window by window, the chunks indexed before windows existed; return how many.

    Such chunks (workspaces ingested by factloom before windowed embeddings) are searchable by their
    first 256 word pieces only. Vectors whose chunk is no longer in the workspace are removed.
    """
    old = index.unwindowed_ids()
    if not old:
        return 0
    known = {c.chunk_id: c for c in get_chunks(ws)}
    index.delete_ids([i for i in old if i not in known])
    chunks = [known[i] for i in old if i in known]
    log.info("re-indexing %d chunks stored before windowed embeddings", len(chunks))
    for lo in range(0, len(chunks), 256):
        _embed_and_store(index, chunks[lo : lo + 256], report or IngestReport())
    return len(chunks)


def _embed_and_store(index: VectorIndex, chunks: list[Chunk], report: IngestReport) -> list[IndexItem]:
    items = [IndexItem(id=c.chunk_id, text=c.text, metadata=chunk_metadata(c)) for c in chunks]
    with report.timed("embed"):
        windows = index.windows(items)
        vectors = index.embedder.embed([w.text for w in windows])
    with report.timed("write"):
        index.upsert_windows(windows, vectors)
    return items


def _write(
    ws: Workspace, index: VectorIndex, doc: Document, chunks: list[Chunk], report: IngestReport,
    old_doc_id: str | None,
) -> None:
    items = _embed_and_store(index, chunks, report)
    with report.timed("write"):
        replaced = old_doc_id if old_doc_id != doc.doc_id else None
        saved = False
        try:
            save_document(ws, doc, chunks, replaces=replaced)
            saved = True
        finally:
            if not saved:
                index.delete_ids([it.id for it in items])
        if replaced is not None:
            index.delete_where({"doc_id": replaced})


def chunk_metadata(c: Chunk) -> dict[str, str | int | float | bool]:
    """Return the metadata stored with a chunk's vector (filterable in ``VectorIndex.query``)."""
    return {"doc_id": c.doc_id, "page": c.page, "start": c.start, "end": c.end, "index": c.index,
            "section": c.section or ""}


def _warnings(doc: Document, n_chunks: int) -> tuple[str, ...]:
    """Return what the user must know about a document: pages without text, text lost to cleaning."""
    name = Path(doc.path).name
    out = []
    blank = [p.number for p in doc.pages if not p.has_text]
    if blank:
        out.append(f"{name}: no text layer on page(s) {page_ranges(blank)}; OCR them to include their text")
    removed = {rule: n for rule, n in doc.cleaning.items() if rule != KEPT_ONLY_TEXT}
    lost = sum(removed.values())
    rules = ", ".join(f"{rule} {n}" for rule, n in sorted(removed.items()))
    if n_chunks == 0:
        why = f"its {len(doc.text)} characters of text gave no chunk"
        if lost and not doc.text.strip():
            why = f"cleaning removed all {lost} characters of its text ({rules})"
        out.append(f"{name}: 0 chunks: {why}; nothing of it can be searched or extracted")
    elif lost > MAX_CLEANED_SHARE * (lost + len(doc.text)):
        out.append(f"{name}: cleaning removed {lost} of {lost + len(doc.text)} characters ({rules}); "
                   "see `factloom inspect docs`")
    return tuple(out)
