"""The collection graph built from real document graphs in a real SQLite workspace."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from factloom.ingest.workspace import Workspace
from factloom.tools.resolution.collection import build_collection, undo_merge
from factloom.tools.store import collection as clog
from factloom.tools.store.view import load_graph

_spec = importlib.util.spec_from_file_location("kg_fixtures", Path(__file__).parents[1] / "kg_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path / "ws")
    fx.acme_collection(workspace)
    yield workspace
    workspace.close()


def _by_name(entities):
    return {e.name: e for e in entities}


def test_entities_merge_across_documents_and_homonyms_stay_apart(ws: Workspace) -> None:
    summary = build_collection(ws, fx.SCHEMA)
    entities, _ = load_graph(ws)
    names = sorted((e.name, e.type) for e in entities)
    assert summary.documents == 3
    assert names == sorted(
        [
            ("Acme Corporation", "organization"),
            ("Berlin", "location"),
            ("Jane Doe", "person"),
            ("Apple", "organization"),
            ("Munich", "location"),
            ("apple", "fruit"),
        ]
    )
    acme = _by_name(entities)["Acme Corporation"]  # equally mentioned: the longest name is canonical
    assert set(acme.aliases) == {"ACME Corp.", "ACME Inc"}
    assert {m.doc_id for m in acme.mentions} == {"doc1", "doc2", "doc3"}


def test_relations_of_merged_entities_keep_all_evidence(ws: Workspace) -> None:
    build_collection(ws, fx.SCHEMA)
    entities, relations = load_graph(ws)
    names = {e.entity_id: e.name for e in entities}
    works = [r for r in relations if r.type == "work_for"]
    assert len(works) == 1
    assert (names[works[0].head], names[works[0].tail]) == ("Jane Doe", "Acme Corporation")
    assert sorted(ev.doc_id for ev in works[0].evidence) == ["doc1", "doc2"]


def test_functional_relation_with_different_values_is_a_conflict_with_both_sources(ws: Workspace) -> None:
    build_collection(ws, fx.SCHEMA)
    conflicts = clog.list_conflicts(ws)
    assert len(conflicts) == 1
    conflict = conflicts[0]
    assert (conflict.head_name, conflict.type) == ("Acme Corporation", "headquartered_in")
    sources = {v.tail_name: sorted(ev.doc_id for ev in v.evidence) for v in conflict.values}
    assert sources == {"Berlin": ["doc1", "doc2"], "Munich": ["doc3"]}


def test_no_schema_means_no_conflicts(ws: Workspace) -> None:
    assert build_collection(ws).conflicts == 0


def test_merge_log_and_undo_is_remembered_on_rebuild(ws: Workspace) -> None:
    build_collection(ws, fx.SCHEMA)
    merges = {m.name: m for m in clog.list_merges(ws)}
    assert set(merges) == {"Acme Corporation", "Berlin", "Jane Doe"}
    acme = merges["Acme Corporation"]
    assert {e.doc_id for e in acme.entities} == {"doc1", "doc2", "doc3"}
    assert acme.evidence and all(link.reason for link in acme.evidence)

    undo_merge(ws, acme.merge_id)
    entities, _ = load_graph(ws)
    acmes = sorted(e.name for e in entities if e.type == "organization" and e.name != "Apple")
    assert acmes == ["ACME Corp.", "ACME Inc", "Acme Corporation"]
    assert clog.list_conflicts(ws) == []  # the conflict came from the merge

    build_collection(ws, fx.SCHEMA)
    entities, _ = load_graph(ws)
    assert len([e for e in entities if e.name.lower().startswith("acme")]) == 3
    with pytest.raises(clog.MergeNotFoundError, match="already undone"):
        undo_merge(ws, acme.merge_id)


def test_stale_collection_falls_back_to_document_graphs(ws: Workspace) -> None:
    build_collection(ws, fx.SCHEMA)
    assert len(load_graph(ws)[0]) == 6
    extra = fx.DocBuilder("doc5", "Bob Roe lives in Paris.")
    extra.entity("Bob Roe", "person")
    extra.save(ws)
    assert clog.freshness(ws) == "stale"
    assert len(load_graph(ws)[0]) == 11  # the union of the document graphs, nothing hidden
    build_collection(ws, fx.SCHEMA)
    assert len(load_graph(ws)[0]) == 7
