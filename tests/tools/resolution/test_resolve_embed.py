"""The embedding blocker with the real local embedder and a real Chroma store in the workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from factloom.ingest.workspace import Workspace
from factloom.tools.resolution.embed import entity_neighbours
from factloom.tools.resolution.resolve import Record, resolve


@pytest.mark.slow
def test_synonyms_found_by_embeddings_go_to_the_judge(tmp_path: Path) -> None:
    records = [
        Record("1", "heart attack", "disease", context=frozenset({"aspirin", "chest pain"}), doc_id="a"),
        Record(
            "2", "myocardial infarction", "disease", context=frozenset({"aspirin", "troponin"}), doc_id="b"
        ),
        Record("3", "lithium", "chemical", doc_id="b"),
        Record("4", "photosynthesis", "disease", doc_id="c"),
    ]
    asked: list[tuple[str, str]] = []

    def judge(pairs):
        asked.extend((a.name, b.name) for a, b, _ in pairs)
        return [True] * len(pairs)

    with Workspace(tmp_path / "ws") as ws:
        blocker = entity_neighbours(ws, k=2, min_score=0.5)
        assert len(resolve(records, neighbours=blocker)) == 4  # no judge: synonyms stay apart
        clusters = resolve(records, neighbours=blocker, judge=judge)
    assert ("heart attack", "myocardial infarction") in asked
    assert ("1", "2") in [c.members for c in clusters]
    assert all(("lithium" not in pair) for pair in asked)  # another type is never a candidate
