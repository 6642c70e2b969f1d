"""The review log (real SQLite): a fact is known by its id and by its key, so its state survives new ids."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from factloom.ingest.workspace import Workspace
from factloom.tools.errors import ReviewError
from factloom.tools.store.review import fact_key, fact_reviews, read_log, record, review_of
from factloom.tools.store.view import load_graph

_spec = importlib.util.spec_from_file_location(
    "browse_fixtures", Path(__file__).parents[2] / "browse_fixtures.py"
)
bf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bf)


def test_a_fact_rejected_under_an_old_id_stays_out_by_its_key_and_comes_back_when_restored(
    tmp_path: Path,
) -> None:
    """Regression guard: ids of collection facts change when merges change; the rejection must not be lost."""
    info = bf.qf.build_workspace(tmp_path / "ws")
    with Workspace(tmp_path / "ws", create=False) as ws:
        assert read_log(ws) == [] and fact_reviews(ws) == {}  # reading creates nothing
        fact = next(r for r in load_graph(ws)[1] if r.head == info["ids"]["Warfarin"])
        record(ws, "check", "r_old_id", "a reviewer", key=fact_key(fact))
        record(ws, "reject", "r_old_id", "a reviewer", note="wrong arm", key=fact_key(fact))
        assert fact.relation_id not in {r.relation_id for r in load_graph(ws)[1]}
        assert review_of(fact_reviews(ws), fact).checked_by == "a reviewer"
        record(ws, "restore", "r_old_id", "a reviewer", key=fact_key(fact))
        assert fact.relation_id in {r.relation_id for r in load_graph(ws)[1]}
        assert [e.action for e in read_log(ws)] == ["restore", "reject", "check"]
        with pytest.raises(ReviewError, match="unknown review action"):
            record(ws, "delete", fact.relation_id)
