"""The ``extract``, ``graph`` and ``export`` commands as a user runs them (no model needed here)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from factloom.graphs.cli import main
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.kg import Entity, Evidence, Mention, Relation
from factloom.tools.store.documents import save_document_graph

TEXT = "Ann Lee works for IBM."


def _saved_graph(root: Path) -> None:
    ann = Mention(
        mention_id="m1", doc_id="d1", chunk_id="c1", start=0, end=7, text="Ann Lee", type="person", page=1
    )
    ibm = Mention(
        mention_id="m2", doc_id="d1", chunk_id="c1", start=18, end=21, text="IBM", type="organization", page=1
    )
    entities = [
        Entity(entity_id="e1", name="Ann Lee", type="person", mentions=[ann]),
        Entity(entity_id="e2", name="IBM", type="organization", mentions=[ibm]),
    ]
    ev = Evidence(doc_id="d1", page=1, start=0, end=22, quote=TEXT)
    relations = [
        Relation(relation_id="r1", head="e1", type="work_for", tail="e2", confidence=0.8, evidence=[ev])
    ]
    with Workspace(root) as ws:
        save_document_graph(ws, "d1", entities, relations)


def test_graph_mermaid_prints_the_agents_and_the_reflection_loop() -> None:
    result = CliRunner().invoke(main, ["graph", "--mermaid"])
    assert result.exit_code == 0
    assert "graph TD;" in result.output and "verify" in result.output and "consolidate" in result.output


def test_export_jsonl_writes_the_issue_format(tmp_path: Path) -> None:
    _saved_graph(tmp_path / "ws")
    out = tmp_path / "graph.jsonl"
    result = CliRunner().invoke(
        main, ["export", "-w", str(tmp_path / "ws"), "--format", "jsonl", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [x["kind"] for x in lines] == ["entity", "entity", "relation"]
    assert lines[0] == {
        "kind": "entity",
        "id": "e1",
        "name": "Ann Lee",
        "type": "person",
        "aliases": [],
        "mentions": [{"doc_id": "d1", "page": 1, "start": 0, "end": 7, "text": "Ann Lee"}],
    }
    rel = lines[2]
    assert (rel["head"], rel["type"], rel["tail"], rel["confidence"]) == ("e1", "work_for", "e2", 0.8)
    assert (rel["status"], rel["agent"], rel["rationale"]) == ("unverified", "", "")
    assert rel["evidence"] == [
        {"doc_id": "d1", "page": 1, "start": 0, "end": 22, "quote": TEXT, "method": "exact", "score": 100.0}
    ]


def test_export_of_a_missing_workspace_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", "-w", str(tmp_path / "nope")])
    assert result.exit_code == 1 and result.output.startswith("error:") and "Traceback" not in result.output


def test_extract_with_an_unknown_schema_fails_before_any_work(tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text(TEXT)
    result = CliRunner().invoke(
        main, ["extract", str(doc), "-w", str(tmp_path / "ws"), "--schema", "nonsense"]
    )
    assert result.exit_code == 1 and "nonsense: no such schema file or preset" in result.output
    assert not (tmp_path / "ws").exists()
