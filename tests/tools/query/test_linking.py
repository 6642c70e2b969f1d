"""Linking questions to entities, the graph index, neighbourhoods and evidence, on a real workspace."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from factloom.ingest.index import VectorIndex
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.kg import Entity, Mention
from factloom.tools.names import lookup_key
from factloom.tools.query.graph_index import GraphIndex
from factloom.tools.query.linking import ENTITY_COLLECTION, link, link_aliases, refresh_entity_vectors
from factloom.tools.query.subgraph import Limits, gather_evidence, neighbourhood, sentence_around
from factloom.tools.store.documents import load_document_graph, save_document_graph

_spec = importlib.util.spec_from_file_location(
    "query_fixtures", Path(__file__).parents[2] / "query_fixtures.py"
)
qf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qf)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("linking") / "ws"
    info = qf.build_workspace(root)
    with Workspace(root) as w:
        refresh_entity_vectors(GraphIndex(w), VectorIndex(w, ENTITY_COLLECTION))
    info["root"] = root
    return info


@pytest.fixture
def ws(built: dict, tmp_path: Path) -> Workspace:
    """A private copy of the built workspace, so a test may change it."""
    root = tmp_path / "ws"
    shutil.copytree(built["root"], root)
    with Workspace(root, create=False) as w:
        yield w


def test_normalise_ignores_case_punctuation_and_spacing() -> None:
    assert lookup_key("  Lithium-Carbonate ") == lookup_key("lithium carbonate") == "lithium carbonate"
    assert lookup_key("ＡＢＣ") == "abc"


def test_exact_alias_prefers_the_longest_name(ws: Workspace, built: dict) -> None:
    graph = GraphIndex(ws)
    linked = link_aliases("Is LITHIUM CARBONATE dangerous for newborns?", graph)
    assert [e.entity_id for e in linked] == [built["ids"]["Lithium carbonate"]]
    assert linked[0].method == "alias"
    by_alias = link_aliases("what about lithium and stroke", graph)
    assert {e.name for e in by_alias} == {"Lithium carbonate", "stroke"}


def test_question_words_alone_link_nothing(ws: Workspace) -> None:
    assert link_aliases("What is it and how does it work?", GraphIndex(ws)) == []


def test_vector_index_links_a_misspelled_name(ws: Workspace, built: dict) -> None:
    graph = GraphIndex(ws)
    vectors = VectorIndex(ws, ENTITY_COLLECTION)
    assert refresh_entity_vectors(graph, vectors) == 0  # built and current already
    assert link_aliases("digoxine dosage", graph) == []
    linked = link("digoxine dosage", graph, vectors)
    assert linked and linked[0].entity_id == built["ids"]["digoxin"]
    assert linked[0].method == "vector"


def test_a_changed_graph_refreshes_both_indexes(ws: Workspace, built: dict) -> None:
    graph = GraphIndex(ws)
    vectors = VectorIndex(ws, ENTITY_COLLECTION)
    refresh_entity_vectors(graph, vectors)
    doc_id = built["doc_id"]
    entities, relations = load_document_graph(ws, doc_id)
    s = built["text"].index("infant")
    mention = Mention(
        mention_id="m_infant",
        doc_id=doc_id,
        chunk_id=f"{doc_id}:1",
        start=s,
        end=s + 6,
        text="infant",
        type="Person",
        page=1,
    )
    entities.append(Entity(entity_id="e_infant", name="newborn infant", type="Person", mentions=[mention]))
    save_document_graph(ws, doc_id, entities, relations)
    assert graph.is_stale()
    assert refresh_entity_vectors(graph, vectors) == 1  # only the new entity is embedded
    assert not graph.is_stale()
    assert [e.entity_id for e in link_aliases("How old was the newborn infant?", graph)] == ["e_infant"]


def test_neighbourhood_is_capped_and_evidence_reproduces_quotes(ws: Workspace, built: dict) -> None:
    graph = GraphIndex(ws)
    ids = built["ids"]
    sub = neighbourhood(graph, [ids["Lithium carbonate"], ids["Warfarin"]], Limits(max_nodes=3))
    assert len(sub.entities) == 3
    assert all(r.head in {e.entity_id for e in sub.entities} for r in sub.relations)
    full = neighbourhood(graph, [ids["Lithium carbonate"]])
    assert {e.name for e in full.entities} == {"Lithium carbonate", "hypotension"}
    text = built["text"]
    evidence = gather_evidence("What does lithium cause?", full, lambda _d: text, VectorIndex(ws, "chunks"))
    assert evidence[0].source == "relation" and "cause hypotension" in evidence[0].quote
    assert [e.evidence_id for e in evidence] == [f"E{i}" for i in range(1, len(evidence) + 1)]
    assert all(text[e.start : e.end] == e.quote for e in evidence)


def test_sentence_around_stays_inside_one_sentence() -> None:
    text = "First one. Lithium causes hypotension here. Last one."
    s = text.index("hypotension")
    start, end = sentence_around(text, s, s + 11)
    assert text[start:end] == "Lithium causes hypotension here."
