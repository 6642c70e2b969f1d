"""Ingest end to end: real PDFs, real embedder, real Chroma and SQLite; idempotence and failures."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from factloom.ingest import pipeline
from factloom.ingest.index import VectorIndex
from factloom.ingest.pipeline import CHUNKS, ingest_paths
from factloom.ingest.store import get_chunks, get_document, list_documents
from factloom.ingest.workspace import Workspace
from tests.ingest import pdfgen

pytestmark = pytest.mark.slow

CONTRACT = "legal_contract_CUAD_BLACKBOXSTOCKS_Distributor_Agreement.pdf"
JUDGEMENT = "legal_judgement_MoCtApp_Jagels_v_State.pdf"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    for name in (CONTRACT, JUDGEMENT):
        shutil.copy(shared_data / "pdfs" / name, folder / name)
    (folder / "notes.md").write_text("# Notes\n\nAspirin was given to every patient in Leeds.\n")
    bad = tmp_path_factory.mktemp("pipeline_bad_inputs", numbered=False)
    pdfgen.encrypted_pdf(bad / "locked.pdf", "pw")
    pdfgen.not_a_pdf(bad / "fake.pdf")
    pdfgen.image_only_pdf(bad / "scan.pdf")
    return folder


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, inputs: Path):
    with Workspace(tmp_path_factory.mktemp("ws")) as ws:
        yield ws, ingest_paths(ws, [str(inputs), str(inputs.parent / "pipeline_bad_input*" / "*.pdf")])


@pytest.fixture
def ws(ingested) -> Workspace:
    return ingested[0]


def vectors_match_sqlite(ws: Workspace) -> bool:
    return sorted(VectorIndex(ws, CHUNKS).ids()) == sorted(c.chunk_id for c in get_chunks(ws))


def test_good_files_are_ingested_and_bad_ones_reported_one_line_each(ingested):
    ws, report = ingested
    assert sorted(Path(r.path).name for r in report.ingested) == sorted([CONTRACT, JUDGEMENT, "notes.md"])
    messages = sorted(r.message for r in report.failed)
    assert [m.split(":")[0] for m in messages] == ["fake.pdf", "locked.pdf", "scan.pdf"]
    assert "pass --password" in messages[1] and "no text layer" in messages[2]
    assert all("\n" not in m for m in messages)
    assert sorted(Path(d.path).name for d in list_documents(ws)) == sorted([CONTRACT, JUDGEMENT, "notes.md"])
    assert report.pages == 8 + 5 + 1 and report.chunks == len(get_chunks(ws))
    assert set(report.timings) == {"parse", "chunk", "embed", "write"}


def test_every_chunk_maps_back_to_its_page(ws: Workspace):
    for info in list_documents(ws):
        doc = get_document(ws, info.doc_id)
        for c in get_chunks(ws, info.doc_id):
            assert doc.text[c.start : c.end] == c.text
            assert doc.pages[c.page - 1].start <= c.start <= doc.pages[c.page - 1].end
    assert vectors_match_sqlite(ws)


def test_search_finds_the_governing_law_clause(ws: Workspace):
    [hit] = VectorIndex(ws, CHUNKS).query("Which state's law governs this agreement?", k=1)
    assert "governed by the laws of the State of Texas" in hit.text
    assert hit.metadata["doc_id"] == next(d.doc_id for d in list_documents(ws) if d.path.endswith(CONTRACT))


def test_reingesting_unchanged_files_does_nothing(ws: Workspace, inputs: Path):
    before = [(d.doc_id, d.ingested_at) for d in list_documents(ws)]
    report = ingest_paths(ws, [str(inputs)])
    assert len(report.skipped) == 3 and not report.ingested and not report.failed
    assert "embed" not in report.timings
    assert [(d.doc_id, d.ingested_at) for d in list_documents(ws)] == before


def test_a_changed_file_replaces_its_chunks_and_vectors(ws: Workspace, inputs: Path):
    note = inputs / "notes.md"
    old_id = next(d.doc_id for d in list_documents(ws) if d.path == str(note))
    note.write_text("# Notes\n\nParacetamol replaced aspirin in Uppsala.\n")
    report = ingest_paths(ws, [str(note)])
    [result] = report.ingested
    assert result.doc_id != old_id
    assert old_id not in {d.doc_id for d in list_documents(ws)}
    assert VectorIndex(ws, CHUNKS).ids({"doc_id": old_id}) == []
    assert vectors_match_sqlite(ws)
    assert "Paracetamol" in VectorIndex(ws, CHUNKS).query("paracetamol", k=1)[0].text


def test_the_password_opens_an_encrypted_pdf(ws: Workspace, inputs: Path):
    report = ingest_paths(ws, [str(inputs.parent / "pipeline_bad_inputs" / "locked.pdf")], password="pw")
    assert [Path(r.path).name for r in report.ingested] == ["locked.pdf"]


def test_a_failed_write_leaves_no_vectors_and_no_rows(ws: Workspace, tmp_path: Path, monkeypatch):
    """Regression guard: vectors written before a failed SQLite transaction must be removed."""
    path = tmp_path / "new.txt"
    path.write_text("A brand new document about warfarin and bleeding.")

    def disk_full(*_a, **_k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(pipeline, "save_document", disk_full)
    count = VectorIndex(ws, CHUNKS).count()
    with pytest.raises(sqlite3.OperationalError):
        ingest_paths(ws, [str(path)])
    assert VectorIndex(ws, CHUNKS).count() == count
    assert all(d.path != str(path.resolve()) for d in list_documents(ws))
