"""How each relation was checked (status, proposing agent, verifier rationale, grounding of its quotes),
kept through storage, the collection merge, undo, the query index, and older workspaces."""

from __future__ import annotations

import importlib.util
import itertools
import json
import sqlite3
from pathlib import Path

import pytest

from factloom.ingest.workspace import DB_NAME, Workspace
from factloom.tools.extraction.kg import Evidence, Relation
from factloom.tools.query.graph_index import GraphIndex
from factloom.tools.resolution.collection import build_collection, undo_merge
from factloom.tools.resolution.relation_merge import merge_statements
from factloom.tools.store import collection as clog
from factloom.tools.store.documents import documents_fingerprint, load_document_graph, save_document_graph
from factloom.tools.store.view import load_graph, stats

_spec = importlib.util.spec_from_file_location("kg_fixtures", Path(__file__).parents[1] / "kg_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path / "ws")
    fx.acme_collection(workspace)
    yield workspace
    workspace.close()


def _by_type_and_tail(entities, relations) -> dict[tuple[str, str], Relation]:
    names = {e.entity_id: e.name for e in entities}
    return {(r.type, names[r.tail]): r for r in relations}


def test_document_graphs_store_status_agent_rationale_and_grounding(ws: Workspace) -> None:
    _, rels = load_document_graph(ws, "doc2")
    work = next(r for r in rels if r.type == "work_for")
    assert (work.status, work.agent, work.rationale, work.confidence) == (
        "unverified",
        "relation_reasoner",
        "",
        0.95,
    )
    assert [(ev.method, ev.score) for ev in work.evidence] == [("fuzzy", 91.5)]
    _, rels = load_document_graph(ws, "doc1")
    assert {r.type: (r.status, r.rationale) for r in rels} == {
        "headquartered_in": ("verified", fx.HQ_RATIONALE),
        "work_for": ("verified", fx.WORK_RATIONALE),
    }


def test_collection_merge_keeps_status_by_the_merge_rule(ws: Workspace) -> None:
    build_collection(ws, fx.SCHEMA)
    rels = _by_type_and_tail(*load_graph(ws))
    work = rels[("work_for", "Acme Corporation")]
    # doc1's statement was verified (0.8); doc2's was surer (0.95) but never checked: the verified one wins
    assert (work.status, work.confidence, work.rationale, work.agent) == (
        "verified",
        0.8,
        fx.WORK_RATIONALE,
        "relation_reasoner",
    )
    assert {ev.doc_id: (ev.method, ev.score) for ev in work.evidence} == {
        "doc1": ("exact", 100.0),
        "doc2": ("fuzzy", 91.5),
    }
    munich = rels[("headquartered_in", "Munich")]
    assert (munich.status, munich.agent, munich.confidence) == ("unverified", "consolidator", 0.0)
    conflict = clog.list_conflicts(ws)[0]
    assert {v.tail_name: v.status for v in conflict.values} == {"Berlin": "verified", "Munich": "unverified"}
    assert stats(ws).relations_by_status == {"unverified": 1, "verified": 2}


def test_undoing_a_merge_keeps_each_relation_status(ws: Workspace) -> None:
    build_collection(ws, fx.SCHEMA)
    acme = next(m for m in clog.list_merges(ws) if m.name == "Acme Corporation")
    undo_merge(ws, acme.merge_id)
    entities, relations = load_graph(ws)
    names = {e.entity_id: e.name for e in entities}
    work = {names[r.tail]: (r.status, r.rationale) for r in relations if r.type == "work_for"}
    assert work == {"ACME Corp.": ("verified", fx.WORK_RATIONALE), "Acme Corporation": ("unverified", "")}


def _part(status: str, confidence: float, quote: str, rationale: str = "", method: str = "exact") -> Relation:
    ev = Evidence(doc_id="d", page=1, start=len(quote), end=2 * len(quote), quote=quote, method=method)
    return Relation(
        relation_id=f"r-{quote}-{method}",
        head="h",
        type="t",
        tail="x",
        confidence=confidence,
        reasoning=f"because {quote}",
        evidence=[ev],
        status=status,
        agent="relation_reasoner" if status == "verified" else "consolidator",
        rationale=rationale,
    )


def test_the_merge_rule_is_pure_and_does_not_depend_on_order() -> None:
    parts = [
        _part("unverified", 0.99, "a"),
        _part("verified", 0.7, "bb", "supported by bb"),
        _part("verified", 0.7, "cc", "supported by cc"),  # a tie: decided by the evidence, not the order
        _part("verified", 0.5, "ddd", "weak"),
        _part("unverified", 0.4, "bb", method="fuzzy"),  # same quote as a verified part
    ]
    merged = [merge_statements("r", "h", "t", "x", p) for p in itertools.permutations(parts)]
    assert len({m.model_dump_json() for m in merged}) == 1
    m = merged[0]
    assert (m.status, m.confidence, m.rationale, m.agent) == (
        "verified",
        0.7,
        "supported by bb",
        "relation_reasoner",
    )
    assert [(ev.quote, ev.method) for ev in m.evidence] == [
        ("a", "exact"),
        ("bb", "exact"),
        ("cc", "exact"),
        ("ddd", "exact"),
    ]
    assert m.reasoning.splitlines()[0] == "because bb"
    unchecked = merge_statements("r", "h", "t", "x", [parts[0], parts[4]])
    assert (unchecked.status, unchecked.confidence, unchecked.agent) == ("unverified", 0.99, "consolidator")


def test_the_query_index_carries_status_and_can_keep_verified_relations_only(ws: Workspace) -> None:
    build_collection(ws, fx.SCHEMA)
    index = GraphIndex(ws)
    every = index.relations()
    assert {r.status for r in every} == {"verified", "unverified"}
    work = next(r for r in every if r.type == "work_for")
    assert work.reasoning and work.rationale == fx.WORK_RATIONALE  # the index used to drop the reasoning
    verified = index.view(verified_only=True)
    assert {r.relation_id for r in verified.relations()} == {
        r.relation_id for r in every if r.status == "verified"
    }
    ids = [e.entity_id for e in load_graph(ws)[0]]
    assert {r.status for r in verified.relations_of(ids)} == {"verified"}
    assert len(index.relations_of(ids)) == len(every)


OLD_DDL = """
CREATE TABLE doc_entities (entity_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, name TEXT NOT NULL,
    type TEXT NOT NULL, aliases TEXT NOT NULL, mentions TEXT NOT NULL);
CREATE TABLE doc_relations (relation_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, head TEXT NOT NULL,
    type TEXT NOT NULL, tail TEXT NOT NULL, confidence REAL NOT NULL, reasoning TEXT NOT NULL,
    evidence TEXT NOT NULL);
CREATE TABLE coll_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE coll_entities (entity_id TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL,
    aliases TEXT NOT NULL, mentions TEXT NOT NULL);
CREATE TABLE coll_relations (relation_id TEXT PRIMARY KEY, head TEXT NOT NULL, type TEXT NOT NULL,
    tail TEXT NOT NULL, confidence REAL NOT NULL, reasoning TEXT NOT NULL, evidence TEXT NOT NULL);
CREATE TABLE qx_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE qx_relations (relation_id TEXT PRIMARY KEY, head TEXT NOT NULL, type TEXT NOT NULL,
    tail TEXT NOT NULL, confidence REAL NOT NULL, evidence TEXT NOT NULL);
"""
"""The graph tables as workspaces written before relation status existed had them."""


def _old_workspace(root: Path) -> None:
    """Write a workspace the way the previous version did: no status columns, evidence without grounding."""
    root.mkdir()
    db = sqlite3.connect(root / DB_NAME)
    db.executescript(OLD_DDL)
    quote = "Jane Doe works for ACME Corp."
    evidence = json.dumps([{"doc_id": "old", "page": 1, "start": 0, "end": len(quote), "quote": quote}])
    mention = {
        "mention_id": "m1",
        "doc_id": "old",
        "chunk_id": "c0",
        "start": 0,
        "end": 8,
        "text": "Jane Doe",
    }
    for eid, name, type_ in (("e1", "Jane Doe", "person"), ("e2", "ACME Corp.", "organization")):
        mentions = json.dumps([{**mention, "mention_id": eid, "type": type_, "page": 1}])
        db.execute("INSERT INTO doc_entities VALUES (?, 'old', ?, ?, '[]', ?)", (eid, name, type_, mentions))
        db.execute("INSERT INTO coll_entities VALUES (?, ?, ?, '[]', ?)", (eid, name, type_, mentions))
    row = ("r1", "e1", "work_for", "e2", 0.9, "it says so", evidence)
    db.execute("INSERT INTO doc_relations VALUES (?, 'old', ?, ?, ?, ?, ?, ?)", row)
    db.execute("INSERT INTO coll_relations VALUES (?, ?, ?, ?, ?, ?, ?)", row)
    db.execute("INSERT INTO qx_relations VALUES (?, ?, ?, ?, ?, ?)", row[:5] + row[6:])
    db.commit()
    db.close()


def test_an_older_workspace_reads_as_unverified_with_exact_quotes_and_stays_usable(tmp_path: Path) -> None:
    root = tmp_path / "old"
    _old_workspace(root)
    with Workspace(root) as ws:
        fingerprint = documents_fingerprint(ws)
        ws.db.execute("INSERT INTO coll_meta VALUES ('documents', ?)", (fingerprint,))
        ws.db.commit()
        assert clog.freshness(ws) == "fresh"  # the migration added columns, it did not rewrite rows
        [old] = load_graph(ws)[1]  # read from the migrated collection table
        assert (old.status, old.agent, old.rationale, old.reasoning) == ("unverified", "", "", "it says so")
        assert [(ev.method, ev.score) for ev in old.evidence] == [("exact", 100.0)]
        assert load_document_graph(ws, "old")[1] == [old]
        [indexed] = GraphIndex(ws).relations()  # the old query index is rebuilt with the new columns
        assert indexed == old
        assert GraphIndex(ws).view(verified_only=True).relations() == []

        entities, _ = load_document_graph(ws, "old")
        save_document_graph(
            ws, "old", entities, [old.model_copy(update={"status": "verified", "rationale": "ok"})]
        )
        build_collection(ws)
        [rebuilt] = load_graph(ws)[1]
        assert (rebuilt.status, rebuilt.rationale) == ("verified", "ok")
        assert GraphIndex(ws).relations()[0].status == "verified"
