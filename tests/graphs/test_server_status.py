"""Relation status in the HTTP API and in ``ask``: labelled by default, filtered on request.

A real uvicorn server over a real workspace (scripted LLM for /ask: wiring, not answer quality).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from factloom.graphs.cli import main
from factloom.graphs.cli.ask import _echo_result
from factloom.graphs.query import ask, open_context
from factloom.graphs.server import create_app
from factloom.ingest.workspace import Workspace
from factloom.tools.store.documents import load_document_graph, save_document_graph

_spec = importlib.util.spec_from_file_location(
    "query_fixtures", Path(__file__).parents[1] / "query_fixtures.py"
)
qf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qf)

RATIONALE = "The quote says lithium carbonate causes hypotension."
LITHIUM_QUOTE = "Lithium carbonate is known to cause hypotension in some patients."


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The query workspace with one verified relation (lithium causes hypotension); the others unverified."""
    root = tmp_path_factory.mktemp("status") / "ws"
    info = qf.build_workspace(root)
    with Workspace(root, create=False) as ws:
        entities, relations = load_document_graph(ws, info["doc_id"])
        lithium = info["ids"]["Lithium carbonate"]
        relations = [
            r.model_copy(update={"status": "verified", "agent": "relation_reasoner", "rationale": RATIONALE})
            if r.head == lithium
            else r.model_copy(update={"agent": "consolidator"})
            for r in relations
        ]
        save_document_graph(ws, info["doc_id"], entities, relations)
    info["root"] = root
    return info


@pytest.fixture(scope="module")
def client(built: dict) -> Iterator[httpx.Client]:
    with Workspace(built["root"], create=False) as ws:
        app = create_app(open_context(ws, qf.QuoteLLM(), vectors=False))
        with qf.serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as c:
            yield c


def test_relations_are_labelled_and_can_be_filtered(client: httpx.Client) -> None:
    every = client.get("/relations").json()["relations"]
    assert {(r["head_name"], r["status"], r["agent"]) for r in every} == {
        ("Lithium carbonate", "verified", "relation_reasoner"),
        ("Warfarin", "unverified", "consolidator"),
        ("Aspirin", "unverified", "consolidator"),
    }
    lithium = next(r for r in every if r["status"] == "verified")
    assert lithium["rationale"] == RATIONALE
    assert lithium["evidence"][0]["method"] == "exact" and lithium["evidence"][0]["score"] == 100.0
    only = client.get("/relations", params={"verified_only": "true"}).json()["relations"]
    assert [r["relation_id"] for r in only] == [lithium["relation_id"]]


def test_graph_edges_and_entity_relations_carry_status(client: httpx.Client, built: dict) -> None:
    ids = built["ids"]
    seeds = ",".join((ids["Lithium carbonate"], ids["Warfarin"]))
    edges = client.get("/graph", params={"entities": seeds}).json()["edges"]
    assert sorted(e["status"] for e in edges) == ["unverified", "verified"]
    only = client.get("/graph", params={"entities": seeds, "verified_only": "true"}).json()
    assert [e["status"] for e in only["edges"]] == ["verified"]
    assert {n["name"] for n in only["nodes"]} >= {"Lithium carbonate", "Warfarin"}  # entities are kept
    warfarin = client.get(f"/entities/{ids['Warfarin']}").json()["relations"]
    assert [r["status"] for r in warfarin] == ["unverified"]
    assert (
        client.get(f"/entities/{ids['Warfarin']}", params={"verified_only": "true"}).json()["relations"] == []
    )


def test_ask_citations_name_the_facts_they_support_and_their_status(client: httpx.Client) -> None:
    body = client.post("/ask", json={"question": "What does lithium carbonate cause?"}).json()
    [citation] = body["citations"]
    assert citation["quote"] == LITHIUM_QUOTE and citation["source"] == "relation"
    [fact] = citation["facts"]
    assert (fact["status"], fact["rationale"], fact["method"]) == ("verified", RATIONALE, "exact")
    assert fact["fact"] == "Lithium carbonate --causes--> hypotension"
    assert body["graph"]["edges"][0]["status"] == "verified"
    assert any(ev["facts"] and ev["facts"][0]["status"] == "verified" for ev in body["evidence"])

    warfarin = client.post("/ask", json={"question": "What does Warfarin increase?"}).json()
    assert [f["status"] for c in warfarin["citations"] for f in c["facts"]] == ["unverified"]
    only = client.post(
        "/ask", params={"verified_only": "true"}, json={"question": "What does Warfarin increase?"}
    ).json()
    assert only["graph"]["edges"] == []
    assert all(not c["facts"] for c in only["citations"])  # a passage may remain, never as a fact


async def test_ask_verified_only_answers_without_unverified_relations(built: dict) -> None:
    with Workspace(built["root"], create=False) as ws:
        every = await ask("What does Warfarin increase?", open_context(ws, qf.QuoteLLM(), vectors=False))
        only = await ask(
            "What does Warfarin increase?",
            open_context(ws, qf.QuoteLLM(), vectors=False, verified_only=True),
        )
    assert [r.status for r in every.subgraph.relations] == ["unverified"]
    assert only.subgraph.relations == [] and all(ev.source != "relation" for ev in only.evidence)
    assert [f["status"] for c in every.to_json()["citations"] for f in c["facts"]] == ["unverified"]


async def test_ask_prints_the_status_of_the_fact_behind_each_citation(built: dict, capsys) -> None:
    with Workspace(built["root"], create=False) as ws:
        result = await ask(
            "What does lithium carbonate cause?", open_context(ws, qf.QuoteLLM(), vectors=False)
        )
    _echo_result(result)
    lines = capsys.readouterr().out.splitlines()
    cited = next(i for i, line in enumerate(lines) if line.strip().startswith("[1]"))
    assert LITHIUM_QUOTE in lines[cited]
    assert lines[cited + 1].strip() == "verified: Lithium carbonate --causes--> hypotension"


def test_ask_and_chat_help_say_unverified_relations_are_included_and_labelled() -> None:
    for command in ("ask", "chat"):
        text = " ".join(CliRunner().invoke(main, [command, "--help"]).output.split())
        assert "unverified relations are included and labelled; --verified-only drops them" in text
