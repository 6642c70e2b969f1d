"""Review and correct through the HTTP API (real uvicorn, real SQLite): undo a merge, reject, restore and
check a fact; every change is in the workspace's review log and survives a rebuild; without a token
the server is read-only unless ``allow_edits``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from factloom.graphs.query import open_context
from factloom.graphs.server import create_app
from factloom.ingest.workspace import Workspace
from factloom.tools.resolution.collection import build_collection
from factloom.tools.store.view import load_graph

_spec = importlib.util.spec_from_file_location(
    "browse_fixtures", Path(__file__).parents[1] / "browse_fixtures.py"
)
bf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bf)

TOKEN = "review-token"


@pytest.fixture
def built(tmp_path: Path) -> dict:
    return bf.build_with_merge(tmp_path / "ws")


def _serve(root: Path, **kwargs: object) -> Iterator[httpx.Client]:
    with Workspace(root, create=False) as ws:
        app = create_app(open_context(ws, bf.qf.QuoteLLM(), vectors=False), **kwargs)
        headers = {"Authorization": f"Bearer {TOKEN}"} if kwargs.get("token") else {}
        with bf.qf.serve_in_thread(app) as url, httpx.Client(base_url=url, headers=headers, timeout=60) as c:
            yield c


def _warfarin_fact(client: httpx.Client) -> dict:
    rels = client.get("/relations").json()["relations"]
    return next(r for r in rels if r["head_name"] == "Warfarin" and r["tail_name"] == "bleeding")


def test_a_token_holder_rejects_a_fact_and_it_stays_out_after_a_rebuild_until_restored(built: dict) -> None:
    for client in _serve(built["root"], token=TOKEN):
        assert httpx.post(f"{client.base_url}/review/facts/x/reject").status_code == 401  # no token
        fact = _warfarin_fact(client)
        n = client.get("/overview").json()["n_relations"]
        r = client.post(f"/review/facts/{fact['relation_id']}/reject", json={"note": "not in this study"})
        assert r.status_code == 200, r.text
        assert client.get("/overview").json()["n_relations"] == n - 1
        assert all(
            x["relation_id"] != fact["relation_id"] for x in client.get("/relations").json()["relations"]
        )
        log = client.get("/review").json()["log"]
        assert (log[0]["action"], log[0]["target"], log[0]["actor"], log[0]["note"]) == (
            "reject",
            fact["relation_id"],
            "token holder",
            "not in this study",
        )
    with Workspace(built["root"], create=False) as ws:
        build_collection(ws, None)  # what extraction does at its end: the rejection is kept
        assert all(r.relation_id != fact["relation_id"] for r in load_graph(ws)[1])  # exports read this
    for client in _serve(built["root"], token=TOKEN):
        assert client.post(f"/review/facts/{fact['relation_id']}/restore").status_code == 200
        assert _warfarin_fact(client)["relation_id"] == fact["relation_id"]
        assert client.post("/review/facts/r_nope/reject").status_code == 404


def test_checking_a_fact_records_who_and_when(built: dict) -> None:
    for client in _serve(built["root"], token=TOKEN):
        fact = _warfarin_fact(client)
        assert client.post(f"/review/facts/{fact['relation_id']}/check").status_code == 200
        checked = _warfarin_fact(client)
        assert checked["checked_by"] == "token holder" and checked["checked_at"]
        client.post(f"/review/facts/{fact['relation_id']}/uncheck")
        assert _warfarin_fact(client)["checked_by"] == ""


def test_undoing_a_merge_splits_the_entity_for_good(built: dict) -> None:
    for client in _serve(built["root"], token=TOKEN):
        review = client.get("/review").json()
        (merge,) = review["merges"]
        assert merge["name"] == "Warfarin" and merge["score"] == 1.0 and "same name" in merge["reason"]
        assert review["can_edit"] is True
        assert len(client.get("/entities", params={"q": "warfarin"}).json()["entities"]) == 1
        r = client.post(f"/review/merges/{merge['merge_id']}/undo", json={"note": "different patients"})
        assert r.status_code == 200, r.text
        assert len(client.get("/entities", params={"q": "warfarin"}).json()["entities"]) == 2
        review = client.get("/review").json()
        assert review["merges"] == [] and review["undone"][0]["merge_id"] == merge["merge_id"]
        assert review["log"][0]["action"] == "undo_merge"
        assert client.post(f"/review/merges/{merge['merge_id']}/undo").status_code == 404
    with Workspace(built["root"], create=False) as ws:
        assert build_collection(ws, None).merges == 0  # a rebuild keeps them apart


@pytest.mark.parametrize("allow_edits", [False, True])
def test_without_a_token_the_server_is_read_only_unless_edits_are_allowed(
    built: dict, allow_edits: bool
) -> None:
    for client in _serve(built["root"], allow_edits=allow_edits):
        fact = _warfarin_fact(client)
        r = client.post(f"/review/facts/{fact['relation_id']}/reject")
        assert client.get("/review").json()["can_edit"] is allow_edits
        if allow_edits:
            assert r.status_code == 200
            assert client.get("/review").json()["log"][0]["actor"] == "web page (--allow-edits)"
        else:
            assert r.status_code == 403 and "read-only" in r.json()["detail"]
            merge = client.get("/review").json()["merges"][0]
            assert client.post(f"/review/merges/{merge['merge_id']}/undo").status_code == 403


def test_the_review_routes_are_in_the_openapi_docs(built: dict) -> None:
    for client in _serve(built["root"]):
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/review", "/review/merges/{merge_id}/undo", "/review/facts/{relation_id}/{action}"} <= set(
            paths
        )


def test_a_rejected_fact_stays_rejected_after_a_merge_is_undone(built: dict) -> None:
    for client in _serve(built["root"], token=TOKEN):
        fact = _warfarin_fact(client)
        client.post(f"/review/facts/{fact['relation_id']}/check")
        client.post(f"/review/facts/{fact['relation_id']}/reject")
        merge = client.get("/review").json()["merges"][0]
        assert client.post(f"/review/merges/{merge['merge_id']}/undo").status_code == 200
        rels = client.get("/relations").json()["relations"]
        assert not any(r["head_name"] == "Warfarin" and r["tail_name"] == "bleeding" for r in rels)
        assert client.post(f"/review/facts/{fact['relation_id']}/restore").status_code == 200
        assert _warfarin_fact(client)["checked_by"] == "token holder"
