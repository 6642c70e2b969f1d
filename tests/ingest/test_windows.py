"""Every part of a chunk is searchable: chunks longer than the embedder's 256 word pieces are embedded in
windows (real MiniLM, real Chroma, real SQLite)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from factloom.graphs.cli import main
from factloom.ingest.embed import get_embedder
from factloom.ingest.index import IndexItem, VectorIndex
from factloom.ingest.pipeline import CHUNKS, chunk_metadata, ingest_paths
from factloom.ingest.store import get_chunks
from factloom.ingest.workspace import Workspace

pytestmark = pytest.mark.slow

LAST = "The lighthouse keeper fed seventeen stray cats every winter evening."
FILLER = " ".join(
    f"Clause {i}: the supplier shall invoice the buyer for the goods delivered in month {i}, and the "
    "buyer shall pay each invoice within thirty days of receipt."
    for i in range(1, 16)
)
QUESTION = "Who fed the stray cats in winter?"
NEAR_MISS = "Winter storms closed the harbour and the lighthouse for two weeks."
"""Closer to the question than the long chunk's first 256 word pieces, further than its last sentence."""


def n_pieces(text: str) -> int:
    return len(get_embedder()._tokenizer(text, add_special_tokens=False)["input_ids"])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("long")
    (folder / "terms.txt").write_text(f"{FILLER} {LAST}\n")
    (folder / "river.txt").write_text("The river compact shares the water of Oklahoma and Texas.\n")
    (folder / "harbour.txt").write_text(NEAR_MISS + "\n")
    return folder


def test_window_spans_cover_the_text_in_embedder_sized_overlapping_parts():
    text = f"{FILLER} {LAST}"
    spans = get_embedder().windows(text)
    assert len(spans) >= 2 and spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(n_pieces(text[s:e]) <= 254 for s, e in spans)
    assert all(b[0] < a[1] for a, b in itertools.pairwise(spans))  # consecutive windows overlap
    assert not any(text[s - 1].isalnum() and text[s].isalnum() for s, _ in spans[1:])  # whole words
    assert get_embedder().windows("short text") == [(0, 10)] and get_embedder().windows("") == []


def test_a_sentence_at_the_end_of_a_long_chunk_is_found_by_search(inputs: Path, tmp_path: Path):
    """Regression: MiniLM read only the first 256 word pieces, so the end of every chunk was unsearchable."""
    ws = tmp_path / "ws"
    assert CliRunner().invoke(main, ["ingest", str(inputs), "-w", str(ws)]).exit_code == 0
    with Workspace(ws) as w:
        [chunk] = [c for c in get_chunks(w) if LAST in c.text]
    assert chunk.text.endswith(LAST) and n_pieces(chunk.text[: chunk.text.index(LAST)]) > 254
    result = CliRunner().invoke(main, ["search", QUESTION, "-w", str(ws), "--k", "3", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["chunk_id"] == chunk.chunk_id and rows[0]["text"] == chunk.text
    assert len({r["chunk_id"] for r in rows}) == len(rows) == 3  # each chunk once, not once per window
    with Workspace(ws) as w:
        [hit] = VectorIndex(w, CHUNKS).query(QUESTION, k=1)
        assert hit.text[hit.span[0] : hit.span[1]].endswith(LAST)
        assert VectorIndex(w, CHUNKS).count() == 3 and VectorIndex(w, CHUNKS).unwindowed_ids() == []


def test_an_old_workspace_is_reindexed_by_the_next_ingest(inputs: Path, tmp_path: Path):
    """Chunks indexed whole (before windows) are re-embedded by the next ingest, even of unchanged files."""
    with Workspace(tmp_path / "ws") as ws:
        ingest_paths(ws, [str(inputs)])
        index = VectorIndex(ws, CHUNKS)
        chunks = get_chunks(ws)
        index.delete_ids([c.chunk_id for c in chunks])
        client = index._store.client  # write the chunks as factloom did before windows: one vector each
        client.add(ids=[c.chunk_id for c in chunks], documents=[c.text for c in chunks],
                   embeddings=get_embedder().embed([c.text for c in chunks]),
                   metadatas=[chunk_metadata(c) for c in chunks])
        assert sorted(index.unwindowed_ids()) == sorted(c.chunk_id for c in chunks)
        assert index.query(QUESTION, k=1)[0].text == NEAR_MISS  # the end of the long chunk is invisible

        report = ingest_paths(ws, [str(inputs)])
        assert report.reindexed == 3 and len(report.skipped) == 3
        assert index.unwindowed_ids() == [] and index.count() == 3
        assert sorted(index.ids()) == sorted(c.chunk_id for c in chunks)
        assert LAST in index.query(QUESTION, k=1)[0].text
        assert ingest_paths(ws, [str(inputs)]).reindexed == 0


def test_a_long_query_is_matched_window_by_window(tmp_path: Path):
    """Demonstrations are retrieved with a whole chunk as the query: its end must count too."""
    with Workspace(tmp_path) as ws:
        index = VectorIndex(ws, "demos")
        index.upsert([
            IndexItem("cats", "A keeper fed stray cats in the winter.", {"schema": "news"}),
            IndexItem("rivers", "Water of the river is shared by two states.", {"schema": "news"}),
        ])
        hits = index.query(f"{FILLER} {LAST}", k=2)
        assert hits[0].id == "cats" and [h.metadata for h in hits] == [{"schema": "news"}] * 2
