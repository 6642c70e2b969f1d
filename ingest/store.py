"""The ingest tables of the workspace database: documents, pages, blocks, sections and chunks.

A document and everything derived from it is written in one transaction, so a reader sees either
the whole document or none of it. Deleting a document deletes its rows in every table (cascade).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from factloom.ingest.errors import UnknownChunkError, UnknownDocumentError
from factloom.ingest.models import Block, Chunk, Document, Page, Section
from factloom.ingest.table_store import ensure as ensure_table_tables
from factloom.ingest.table_store import read_tables, write_tables
from factloom.ingest.workspace import Workspace

log = logging.getLogger(__name__)

DDL = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    pages INTEGER NOT NULL,
    chunks INTEGER NOT NULL,
    text TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_path ON documents(path);
CREATE TABLE IF NOT EXISTS pages (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    number INTEGER NOT NULL, width REAL NOT NULL, height REAL NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, has_text INTEGER NOT NULL,
    PRIMARY KEY (doc_id, number)
);
CREATE TABLE IF NOT EXISTS blocks (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, page INTEGER NOT NULL,
    x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, is_heading INTEGER NOT NULL,
    PRIMARY KEY (doc_id, idx)
);
CREATE TABLE IF NOT EXISTS sections (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, title TEXT NOT NULL, level INTEGER NOT NULL, start INTEGER NOT NULL,
    PRIMARY KEY (doc_id, idx)
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
    page INTEGER NOT NULL, section TEXT, n_tokens INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, idx);
CREATE TABLE IF NOT EXISTS cleaning (
    doc_id TEXT PRIMARY KEY REFERENCES documents(doc_id) ON DELETE CASCADE,
    counts TEXT NOT NULL
);
"""

_ready: weakref.WeakSet[Workspace] = weakref.WeakSet()


@dataclass(frozen=True)
class DocumentInfo:
    """One line of the document list: what was ingested, from where, and how big it is."""

    doc_id: str
    path: str
    title: str
    pages: int
    chunks: int
    content_hash: str
    ingested_at: str


def _db(ws: Workspace) -> sqlite3.Connection:
    if ws not in _ready:
        ws.ensure_tables(DDL)
        ensure_table_tables(ws)
        _ready.add(ws)
    return ws.db


def save_document(ws: Workspace, doc: Document, chunks: list[Chunk], *, replaces: str | None = None) -> None:
    """Write a document with its pages, blocks, sections, tables and chunks, replacing any earlier copy.

    Args:
        ws: the workspace.
        doc: the document.
        chunks: its chunks.
        replaces: the id of an older version of the document, deleted in the same transaction.
    """
    db = _db(ws)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with ws.transaction():
        db.execute("DELETE FROM documents WHERE doc_id IN (?, ?)", (doc.doc_id, replaces or doc.doc_id))
        db.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (doc.doc_id, doc.path, doc.content_hash, doc.title, len(doc.pages), len(chunks), doc.text, now),
        )
        db.executemany(
            "INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(doc.doc_id, p.number, p.width, p.height, p.start, p.end, p.has_text) for p in doc.pages],
        )
        db.executemany(
            "INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (doc.doc_id, i, b.page, *b.bbox, b.start, b.end, b.is_heading)
                for i, b in enumerate(doc.blocks)
            ],
        )
        db.executemany(
            "INSERT INTO sections VALUES (?, ?, ?, ?, ?)",
            [(doc.doc_id, i, s.title, s.level, s.start) for i, s in enumerate(doc.sections)],
        )
        write_tables(db, doc)
        counts = json.dumps(doc.cleaning, sort_keys=True)
        db.execute("INSERT INTO cleaning VALUES (?, ?)", (doc.doc_id, counts))
        db.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (c.chunk_id, c.doc_id, c.index, c.start, c.end, c.text, c.page, c.section, c.n_tokens)
                for c in chunks
            ],
        )
    log.debug("saved %s (%d pages, %d chunks)", doc.doc_id, len(doc.pages), len(chunks))


def delete_document(ws: Workspace, doc_id: str) -> None:
    """Delete a document and all its rows (unknown ids are ignored)."""
    db = _db(ws)
    with ws.transaction():
        db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))


def get_document(ws: Workspace, doc_id: str) -> Document:
    """Return the stored document with its pages, blocks and sections.

    Raises:
        UnknownDocumentError: no such document in the workspace.
    """
    db = _db(ws)
    row = db.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
    if row is None:
        raise UnknownDocumentError(f"{doc_id}: no such document; list them with `factloom inspect docs`")
    q = "SELECT * FROM {} WHERE doc_id = ? ORDER BY {}"
    pages = [
        Page(number=r["number"], width=r["width"], height=r["height"], start=r["start"], end=r["end"],
             has_text=bool(r["has_text"]))
        for r in db.execute(q.format("pages", "number"), (doc_id,))
    ]
    blocks = [
        Block(page=r["page"], bbox=(r["x0"], r["y0"], r["x1"], r["y1"]), start=r["start"], end=r["end"],
              is_heading=bool(r["is_heading"]))
        for r in db.execute(q.format("blocks", "idx"), (doc_id,))
    ]
    sections = [
        Section(title=r["title"], level=r["level"], start=r["start"])
        for r in db.execute(q.format("sections", "idx"), (doc_id,))
    ]
    return Document(
        doc_id=doc_id, path=row["path"], title=row["title"], content_hash=row["content_hash"],
        text=row["text"], pages=pages, blocks=blocks, sections=sections,
        cleaning=get_cleaning(ws, doc_id) or {}, tables=read_tables(ws, doc_id),
    )


def get_cleaning(ws: Workspace, doc_id: str) -> dict[str, int] | None:
    """Return the characters each cleaning rule removed from a document, or None when not recorded.

    Documents ingested before factloom recorded cleaning have no counts; ingesting them again records them.
    """
    row = _db(ws).execute("SELECT counts FROM cleaning WHERE doc_id = ?", (doc_id,)).fetchone()
    return None if row is None else dict(json.loads(row["counts"]))


def _info(row: sqlite3.Row) -> DocumentInfo:
    return DocumentInfo(
        doc_id=row["doc_id"], path=row["path"], title=row["title"], pages=row["pages"],
        chunks=row["chunks"], content_hash=row["content_hash"], ingested_at=row["ingested_at"],
    )


_INFO_COLS = "doc_id, path, title, pages, chunks, content_hash, ingested_at"


def list_documents(ws: Workspace) -> list[DocumentInfo]:
    """Return every document of the workspace, ordered by path."""
    rows = _db(ws).execute(f"SELECT {_INFO_COLS} FROM documents ORDER BY path, doc_id")
    return [_info(r) for r in rows]


def find_document_by_path(ws: Workspace, path: str | Path) -> DocumentInfo | None:
    """Return the document ingested from ``path`` (compared as an absolute path), if any."""
    key = str(Path(path).resolve())
    row = _db(ws).execute(f"SELECT {_INFO_COLS} FROM documents WHERE path = ?", (key,)).fetchone()
    return _info(row) if row else None


def find_document_by_hash(ws: Workspace, content_hash: str) -> DocumentInfo | None:
    """Return a document with this content hash, if any."""
    row = _db(ws).execute(
        f"SELECT {_INFO_COLS} FROM documents WHERE content_hash = ?", (content_hash,)
    ).fetchone()
    return _info(row) if row else None


def _chunk(row: sqlite3.Row) -> Chunk:
    return Chunk(
        chunk_id=row["chunk_id"], doc_id=row["doc_id"], index=row["idx"], start=row["start"],
        end=row["end"], text=row["text"], page=row["page"], section=row["section"], n_tokens=row["n_tokens"],
    )


def get_chunks(ws: Workspace, doc_id: str | None = None) -> list[Chunk]:
    """Return the chunks of one document in order (of every document when ``doc_id`` is None)."""
    db = _db(ws)
    if doc_id is None:
        rows = db.execute("SELECT * FROM chunks ORDER BY doc_id, idx")
    else:
        rows = db.execute("SELECT * FROM chunks WHERE doc_id = ? ORDER BY idx", (doc_id,))
    return [_chunk(r) for r in rows]


def get_chunk(ws: Workspace, chunk_id: str) -> Chunk:
    """Return one chunk.

    Raises:
        UnknownChunkError: no such chunk in the workspace.
    """
    row = _db(ws).execute("SELECT * FROM chunks WHERE chunk_id = ?", (chunk_id,)).fetchone()
    if row is None:
        raise UnknownChunkError(f"{chunk_id}: no such chunk; list them with `factloom inspect chunks`")
    return _chunk(row)
