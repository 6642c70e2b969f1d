"""File exports of the collection graph: GraphML, Turtle, JSON-LD (with provenance), neo4j-admin CSV."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF

from factloom.graphs.cli import main
from factloom.ingest.workspace import Workspace
from factloom.tools.export import EXPORTERS
from factloom.tools.export.rdf import VOCAB
from factloom.tools.resolution.collection import build_collection
from factloom.tools.store.view import load_graph

_spec = importlib.util.spec_from_file_location("kg_fixtures", Path(__file__).parents[1] / "kg_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

WORKS = ("Jane Doe works for ACME Corp.", "Jane Doe joined Acme Corporation in 2020.")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    with Workspace(root) as ws:
        fx.acme_collection(ws)
        build_collection(ws, fx.SCHEMA)
    return root


@pytest.fixture
def graph(workspace: Path):
    with Workspace(workspace) as ws:
        return load_graph(ws)


def _write(fmt: str, graph) -> str:
    buf = io.StringIO()
    EXPORTERS[fmt].write(*graph, buf)
    return buf.getvalue()


def test_graphml_round_trips_through_networkx(graph) -> None:
    g = nx.read_graphml(io.StringIO(_write("graphml", graph)), force_multigraph=True)
    entities, relations = graph
    assert g.number_of_nodes() == len(entities) and g.number_of_edges() == len(relations)
    names = {n: d["name"] for n, d in g.nodes(data=True)}
    work = [d for h, t, d in g.edges(data=True) if d["type"] == "work_for"]
    assert len(work) == 1
    assert {ev["quote"] for ev in json.loads(work[0]["evidence"])} == set(WORKS)
    assert "Acme Corporation" in names.values()


@pytest.mark.parametrize("fmt,rdf_format", [("ttl", "turtle"), ("jsonld", "json-ld")])
def test_rdf_keeps_each_fact_and_its_provenance(graph, fmt: str, rdf_format: str) -> None:
    g = Graph().parse(data=_write(fmt, graph), format=rdf_format)
    fl = lambda name: URIRef(VOCAB + name)  # noqa: E731
    stmts = list(g.subjects(RDF.predicate, fl("work_for")))
    assert len(stmts) == 1
    head, tail = g.value(stmts[0], RDF.subject), g.value(stmts[0], RDF.object)
    assert (head, fl("work_for"), tail) in g  # the plain triple is there too
    quotes, docs = set(), set()
    for ev in g.objects(stmts[0], PROV.wasDerivedFrom):
        quotes.add(str(g.value(ev, PROV.value)))
        docs.add(str(g.value(ev, PROV.wasQuotedFrom)))
        start, end = g.value(ev, fl("start")).toPython(), g.value(ev, fl("end")).toPython()
        assert end - start == len(str(g.value(ev, PROV.value)))
    assert quotes == set(WORKS)
    assert docs == {"urn:factloom:document:doc1", "urn:factloom:document:doc2"}
    assert (tail, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("Acme Corporation")) in g


def test_neo4j_csv_has_import_headers_and_one_row_per_fact(graph, tmp_path: Path) -> None:
    entities, relations = graph
    EXPORTERS["neo4j-csv"].files(entities, relations, tmp_path / "neo")
    with (tmp_path / "neo" / "entities.csv").open(encoding="utf-8") as f:
        nodes = list(csv.reader(f))
    with (tmp_path / "neo" / "relations.csv").open(encoding="utf-8") as f:
        edges = list(csv.reader(f))
    assert nodes[0][0] == "entityId:ID" and nodes[0][-1] == ":LABEL"
    assert edges[0][:3] == [":START_ID", ":END_ID", ":TYPE"]
    assert len(nodes) == len(entities) + 1 and len(edges) == len(relations) + 1
    ids = {row[0] for row in nodes[1:]}
    assert all(row[0] in ids and row[1] in ids for row in edges[1:])
    assert "Entity;organization" in {row[-1] for row in nodes[1:]}


def test_cli_exports_every_format_to_a_file(workspace: Path, tmp_path: Path) -> None:
    for fmt in ("graphml", "ttl", "jsonld"):
        out = tmp_path / f"kg.{fmt}"
        result = CliRunner().invoke(
            main, ["export", "-w", str(workspace), "--format", fmt, "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert "6 entities" in result.output and out.stat().st_size > 0
    folder = tmp_path / "neo4j"
    result = CliRunner().invoke(
        main, ["export", "-w", str(workspace), "--format", "neo4j-csv", "--out", str(folder)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["entities.csv", "relations.csv"]


def test_cli_neo4j_csv_to_stdout_is_a_clear_error(workspace: Path) -> None:
    result = CliRunner().invoke(main, ["export", "-w", str(workspace), "--format", "neo4j-csv"])
    assert result.exit_code == 1 and "pass --out FOLDER" in result.output


WORK_QUOTE, FUZZY_QUOTE = WORKS
MUNICH_QUOTE = "ACME Inc has its head office in Munich."


def _check_work_for(status: str, agent: str, rationale: str, grounding: dict[str, tuple[str, float]]) -> None:
    """The merged work_for relation: verified by doc1's statement, doc2's quote grounded fuzzily."""
    assert (status, agent, rationale) == ("verified", "relation_reasoner", fx.WORK_RATIONALE)
    assert grounding == {WORK_QUOTE: ("exact", 100.0), FUZZY_QUOTE: ("fuzzy", 91.5)}


def test_jsonl_carries_status_agent_rationale_and_grounding(graph) -> None:
    records = [json.loads(line) for line in _write("jsonl", graph).splitlines()]
    rels = {r["type"] + ":" + r["evidence"][0]["quote"]: r for r in records if r["kind"] == "relation"}
    work = next(r for r in rels.values() if r["type"] == "work_for")
    grounding = {ev["quote"]: (ev["method"], ev["score"]) for ev in work["evidence"]}
    _check_work_for(work["status"], work["agent"], work["rationale"], grounding)
    munich = rels["headquartered_in:" + MUNICH_QUOTE]
    assert (munich["status"], munich["agent"], munich["confidence"]) == ("unverified", "consolidator", 0.0)
    assert all(r["status"] in ("verified", "unverified") for r in rels.values())


def test_graphml_edges_carry_status_agent_rationale_and_grounding(graph) -> None:
    g = nx.read_graphml(io.StringIO(_write("graphml", graph)), force_multigraph=True)
    [work] = [d for _h, _t, d in g.edges(data=True) if d["type"] == "work_for"]
    grounding = {ev["quote"]: (ev["method"], ev["score"]) for ev in json.loads(work["evidence"])}
    _check_work_for(work["status"], work["agent"], work["rationale"], grounding)
    assert sorted(work["methods"].split()) == ["exact", "fuzzy"]
    assert {d["status"] for _h, _t, d in g.edges(data=True)} == {"verified", "unverified"}


@pytest.mark.parametrize("fmt,rdf_format", [("ttl", "turtle"), ("jsonld", "json-ld")])
def test_rdf_statements_carry_status_agent_rationale_and_grounding(graph, fmt: str, rdf_format: str) -> None:
    g = Graph().parse(data=_write(fmt, graph), format=rdf_format)
    fl = lambda name: URIRef(VOCAB + name)  # noqa: E731
    [stmt] = g.subjects(RDF.predicate, fl("work_for"))
    agent = g.value(stmt, PROV.wasAttributedTo)
    assert (agent, RDF.type, PROV.SoftwareAgent) in g
    grounding = {
        str(g.value(ev, PROV.value)): (
            str(g.value(ev, fl("groundingMethod"))),
            g.value(ev, fl("groundingScore")).toPython(),
        )
        for ev in g.objects(stmt, PROV.wasDerivedFrom)
    }
    label = str(g.value(agent, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    _check_work_for(str(g.value(stmt, fl("status"))), label, str(g.value(stmt, fl("rationale"))), grounding)
    statuses = {str(s) for s in g.objects(None, fl("status"))}
    assert statuses == {"verified", "unverified"}


def test_neo4j_csv_rows_carry_status_agent_rationale_and_grounding(graph, tmp_path: Path) -> None:
    EXPORTERS["neo4j-csv"].files(*graph, tmp_path / "neo")
    with (tmp_path / "neo" / "relations.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    [work] = [r for r in rows if r["type"] == "work_for"]
    evidence = json.loads(work["evidence"])
    grounding = {ev["quote"]: (ev["method"], ev["score"]) for ev in evidence}
    _check_work_for(work["status"], work["agent"], work["rationale"], grounding)
    assert work["methods:string[]"].split(";") == [ev["method"] for ev in evidence]
    assert [float(s) for s in work["scores:float[]"].split(";")] == [ev["score"] for ev in evidence]
    assert {r["status"] for r in rows} == {"verified", "unverified"}


def test_cli_verified_only_keeps_checked_facts_and_every_entity(workspace: Path) -> None:
    every = CliRunner().invoke(main, ["export", "-w", str(workspace)])
    only = CliRunner().invoke(main, ["export", "-w", str(workspace), "--verified-only"])
    assert every.exit_code == 0 and only.exit_code == 0, only.output
    lines = [json.loads(line) for line in only.stdout.splitlines()]
    all_lines = [json.loads(line) for line in every.stdout.splitlines()]
    rels = [r for r in lines if r["kind"] == "relation"]
    assert rels and {r["status"] for r in rels} == {"verified"}
    assert len(rels) < sum(r["kind"] == "relation" for r in all_lines)
    assert sum(r["kind"] == "entity" for r in lines) == sum(r["kind"] == "entity" for r in all_lines) == 6
    assert "1 unverified relations left out" in only.stderr


def test_export_help_says_unverified_relations_are_included_and_labelled() -> None:
    text = " ".join(CliRunner().invoke(main, ["export", "--help"]).output.split())
    assert "unverified relations are included and labelled; --verified-only drops them" in text
