"""The vector index: real Chroma, real local embedder; Chroma's own embedder never runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from chromadb.utils import embedding_functions

from factloom.ingest.embed import LlamaIndexEmbedding, get_embedder
from factloom.ingest.index import IndexItem, VectorIndex
from factloom.ingest.workspace import Workspace

pytestmark = pytest.mark.slow

ITEMS = [
    IndexItem("c1", "Aspirin reduced the fever and headache of patients.", {"doc_id": "d1", "page": 1}),
    IndexItem("c2", "This Agreement is governed by the laws of Texas.", {"doc_id": "d2", "page": 5}),
    IndexItem("c3", "The river compact shares water of Oklahoma and Texas.", {"doc_id": "d2", "page": 9}),
]


@pytest.fixture(autouse=True)
def chroma_default_embedder_forbidden(monkeypatch: pytest.MonkeyPatch):
    """Fail the test if Chroma's default (internet-downloading) embedder is ever called."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("Chroma's default embedding function ran")

    monkeypatch.setattr(embedding_functions.DefaultEmbeddingFunction, "__call__", refuse)


def test_embedder_gives_unit_vectors_in_input_order():
    e = get_embedder()
    texts = ["short", "a much longer sentence about aspirin and fever in children", "short"]
    v = e.embed(texts, batch_size=2)
    assert e.dim == 384 and all(len(x) == 384 for x in v)
    assert v[0] == pytest.approx(v[2], abs=1e-5)
    assert sum(x * x for x in v[1]) == pytest.approx(1.0, abs=1e-4)
    assert LlamaIndexEmbedding().get_query_embedding("short") == pytest.approx(v[0], abs=1e-5)


def test_query_ranks_by_meaning_and_filters(tmp_path: Path):
    with Workspace(tmp_path) as ws:
        index = VectorIndex(ws, "chunks")
        index.upsert(ITEMS)
        hits = index.query("which law governs the contract?", k=3)
        assert hits[0].id == "c2"
        assert hits[0].score > hits[1].score and hits[0].metadata == {"doc_id": "d2", "page": 5}
        assert [h.id for h in index.query("water", k=3, where={"doc_id": "d2", "page": 9})] == ["c3"]
    with Workspace(tmp_path) as ws:  # persisted in the workspace folder
        assert VectorIndex(ws, "chunks").count() == 3
        assert VectorIndex(ws, "demos").count() == 0


def test_upsert_replaces_and_delete_where_removes(tmp_path: Path):
    with Workspace(tmp_path) as ws:
        index = VectorIndex(ws, "chunks")
        index.upsert(ITEMS)
        index.upsert([IndexItem("c1", "Paracetamol lowers fever.", {"doc_id": "d1", "page": 2})])
        assert index.count() == 3
        [hit] = index.query("paracetamol", k=1, where={"doc_id": "d1"})
        assert (hit.text, hit.metadata["page"]) == ("Paracetamol lowers fever.", 2)
        index.delete_where({"doc_id": "d2"})
        assert index.ids() == ["c1"]
