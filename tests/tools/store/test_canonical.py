"""The stored canonicalisation (real SQLite): applied to the graph users see, replaced by a second one."""

from __future__ import annotations

from pathlib import Path

from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.canonicalise import Canonicalisation, TypeMatch
from factloom.tools.extraction.schema import EntityType, RelationType, Schema, load_schema
from factloom.tools.query.graph_index import GraphIndex
from factloom.tools.resolution.collection import build_collection
from factloom.tools.store import canonical
from factloom.tools.store.review import fact_key, record
from factloom.tools.store.view import load_graph, stats
from tests.tools.kg_fixtures import DocBuilder

TARGET = Schema(
    name="jobs",
    entity_types=[EntityType(name="person"), EntityType(name="organisation")],
    relation_types=[
        RelationType(name="Work_For", domain=["person"], range=["organisation"]),
        RelationType(name="Employs", domain=["organisation"], range=["person"]),
    ],
)


def _open_workspace(root: Path) -> Workspace:
    ws = Workspace(root)
    d = DocBuilder("d1", "Ann Lee works for Acme Corp. Bob Roe is employed by Acme Corp.")
    ann, bob = d.entity("Ann Lee", "person"), d.entity("Bob Roe", "person")
    acme = d.entity("Acme Corp", "company")
    d.relation(ann, "works_for", acme, "Ann Lee works for Acme Corp.")
    d.relation(bob, "is_employed_by", acme, "Bob Roe is employed by Acme Corp.")
    d.save(ws)
    build_collection(ws, load_schema("open"))
    return ws


def _canon(relation_type: str) -> Canonicalisation:
    matches = [
        TypeMatch(kind="entity", label="person", count=2, closest="person", similarity=1.0, mapped=True),
        TypeMatch(
            kind="entity", label="company", count=1, closest="organisation", similarity=0.68, mapped=True
        ),
        TypeMatch(
            kind="relation", label="works_for", count=1, closest="Work_For", similarity=0.79, mapped=True
        ),
        TypeMatch(
            kind="relation",
            label="is_employed_by",
            count=1,
            closest=relation_type,
            similarity=0.66,
            mapped=True,
        ),
    ]
    return Canonicalisation(target=TARGET, threshold=0.6, matches=matches)


def test_the_web_page_index_shows_canonical_types_and_follows_a_replacement(tmp_path: Path) -> None:
    ws = _open_workspace(tmp_path / "ws")
    assert canonical.open_extraction(ws) and canonical.load(ws) is None
    index = GraphIndex(ws)
    assert {r.type for r in index.relations()} == {"works_for", "is_employed_by"}

    canonical.save(ws, _canon("Work_For"), "jobs.yaml")
    assert index.refresh()  # the mapping is part of the graph's fingerprint
    assert {r.type for r in index.relations()} == {"Work_For"}
    assert index.types() == {"organisation": 1, "person": 2}

    canonical.save(ws, _canon("Employs"), "jobs.yaml")  # person -> organisation: Employs' domain refuses it
    assert index.refresh()
    assert sorted(r.type for r in index.relations()) == ["Work_For", "is_employed_by"]
    assert ws.db.execute("SELECT count(*) FROM canonical_types").fetchone()[0] == 1
    ws.close()


def test_a_fact_rejected_as_shown_stays_out_and_the_store_keeps_the_phrases(tmp_path: Path) -> None:
    ws = _open_workspace(tmp_path / "ws")
    canonical.save(ws, _canon("Work_For"), "jobs.yaml")
    shown = {r.phrase: r for r in load_graph(ws)[1]}
    record(ws, "reject", shown["is_employed_by"].relation_id, key=fact_key(shown["is_employed_by"]))
    assert [(r.type, r.phrase) for r in load_graph(ws)[1]] == [("Work_For", "works_for")]
    assert sorted(r.type for r in load_graph(ws, raw=True)[1]) == ["works_for"]
    assert stats(ws).relations_by_type == {"Work_For": 2}  # stats count every stored fact
    ws.close()


def test_a_workspace_extracted_with_a_closed_schema_is_not_open(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        assert not canonical.open_extraction(ws)  # nothing built yet, and no table created by asking
        assert ws.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        build_collection(ws, load_schema("news"))
        assert not canonical.open_extraction(ws)
