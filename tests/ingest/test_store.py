"""The SQLite store: documents round-trip whole, chunks in order, replacement in one transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from factloom.ingest.chunking import chunk_document
from factloom.ingest.errors import UnknownChunkError, UnknownDocumentError
from factloom.ingest.sources import read_document
from factloom.ingest.store import (
    find_document_by_path,
    get_chunk,
    get_chunks,
    get_document,
    list_documents,
    save_document,
)
from factloom.ingest.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path):
    with Workspace(tmp_path / "ws") as ws:
        yield ws


def test_document_round_trips_with_pages_blocks_sections_and_chunks(ws: Workspace, shared_pdfs: list[Path]):
    path = next(p for p in shared_pdfs if p.name.startswith("scientific_ACL"))
    doc = read_document(path.resolve())
    chunks = chunk_document(doc)
    save_document(ws, doc, chunks)
    assert get_document(ws, doc.doc_id) == doc
    assert get_chunks(ws, doc.doc_id) == chunks
    assert get_chunk(ws, chunks[3].chunk_id) == chunks[3]
    [info] = list_documents(ws)
    assert (info.doc_id, info.pages, info.chunks) == (doc.doc_id, 8, len(chunks))
    assert info.content_hash == doc.content_hash
    assert find_document_by_path(ws, path).doc_id == doc.doc_id


def test_saving_a_new_version_replaces_the_old_one_entirely(ws: Workspace, tmp_path: Path):
    path = tmp_path / "note.md"
    path.write_text("# Old\n\nThe old text says one thing.\n")
    old = read_document(path.resolve())
    save_document(ws, old, chunk_document(old))
    path.write_text("# New\n\nThe new text says another thing.\n")
    new = read_document(path.resolve())
    save_document(ws, new, chunk_document(new), replaces=old.doc_id)
    assert [d.doc_id for d in list_documents(ws)] == [new.doc_id]
    assert get_chunks(ws, old.doc_id) == []
    with pytest.raises(UnknownDocumentError, match="no such document"):
        get_document(ws, old.doc_id)


def test_a_failed_save_leaves_nothing_behind(ws: Workspace, tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_text("First sentence. Second sentence.")
    doc = read_document(path.resolve())
    chunks = chunk_document(doc)
    broken = [*chunks, chunks[0]]  # a duplicate chunk id violates the primary key mid-transaction
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        save_document(ws, doc, broken)
    assert list_documents(ws) == []
    assert get_chunks(ws) == []


def test_unknown_ids_raise_user_errors(ws: Workspace):
    with pytest.raises(UnknownChunkError, match="chk_nope: no such chunk"):
        get_chunk(ws, "chk_nope")
