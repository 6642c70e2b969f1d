"""``factloom resolve / merges / conflicts / stats`` on a real workspace, through the real CLI."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from factloom.graphs.cli import main
from factloom.ingest.workspace import Workspace

_spec = importlib.util.spec_from_file_location(
    "kg_fixtures", Path(__file__).parents[1] / "tools" / "kg_fixtures.py"
)
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    with Workspace(root) as ws:
        fx.acme_collection(ws)
    schema = tmp_path / "schema.yaml"
    schema.write_text(json.dumps(fx.SCHEMA.model_dump()), encoding="utf-8")  # JSON is YAML
    result = CliRunner().invoke(main, ["resolve", "-w", str(root), "--schema", str(schema)])
    assert result.exit_code == 0, result.output
    assert "3 documents: 10 document entities -> 6 entities" in result.output
    return root


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_merges_list_shows_entities_documents_and_reason(workspace: Path) -> None:
    out = run("merges", "list", "-w", str(workspace))
    assert "'Acme Corporation'" in out and "in doc3" in out and "reason: same name" in out
    assert out.strip().endswith("3 merges")


def test_undo_splits_the_entities_and_stats_show_it(workspace: Path) -> None:
    merges = json.loads(run("merges", "list", "-w", str(workspace), "--json"))
    acme = next(m for m in merges if m["name"] == "Acme Corporation")
    out = run("merges", "undo", acme["merge_id"], "-w", str(workspace))
    assert "3 entities are separate again" in out
    stats = json.loads(run("stats", "-w", str(workspace), "--json"))
    assert stats["entities"] == 8 and stats["merges"] == 2 and stats["undone_merges"] == 1
    assert stats["entities_by_type"]["organization"] == 4
    assert stats["conflicts"] == 0
    again = CliRunner().invoke(main, ["merges", "undo", acme["merge_id"], "-w", str(workspace)])
    assert again.exit_code == 1 and "already undone" in again.output


def test_conflicts_show_both_values_with_their_sources(workspace: Path) -> None:
    out = run("conflicts", "-w", str(workspace))
    assert "'Acme Corporation' headquartered_in: 2 different values" in out
    assert "'Munich'  [doc3 p.1] \"ACME Inc has its head office in Munich.\"" in out
    assert "'Berlin'  [doc1 p.1]" in out


def test_stats_text(workspace: Path) -> None:
    out = run("stats", "-w", str(workspace))
    assert "graph: collection graph" in out
    assert "documents: 3" in out and "entities: 6" in out and "work_for: 1" in out
    assert "conflicts: 1" in out


def test_unknown_merge_id_is_one_line_error(workspace: Path) -> None:
    result = CliRunner().invoke(main, ["merges", "undo", "mg_nope", "-w", str(workspace)])
    assert result.exit_code == 1
    assert "no merge 'mg_nope'" in result.output and "Traceback" not in result.output


def test_missing_workspace_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["stats", "-w", str(tmp_path / "none")])
    assert result.exit_code == 1 and "no such workspace" in result.output


class AlwaysSame:
    """A scripted LLM that says every numbered pair is the same entity (wiring test, not quality)."""

    name = "scripted"

    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, messages, output, *, sampling=None, tag=None):
        import re

        from factloom.tools.llm.base import Completion

        self.calls += 1
        numbers = re.findall(r"^(\d+)\. A:", messages[-1].content, flags=re.M)
        return Completion(
            value=output.model_validate({"verdicts": [{"pair": int(n), "same": True} for n in numbers]})
        )


def test_extraction_hook_judges_ambiguous_pairs_once(tmp_path: Path) -> None:
    from factloom.graphs.cli.collection import resolve_workspace
    from factloom.tools.store.view import load_graph

    with Workspace(tmp_path / "ws") as ws:
        for doc_id, name in (("d1", "Microsoft"), ("d2", "Microsfot")):
            doc = fx.DocBuilder(doc_id, f"{name} ships software.")
            doc.entity(name, "organization")
            doc.save(ws)
        assert resolve_workspace(ws, fx.SCHEMA).entities == 2  # no LLM: the typo pair stays apart
        llm = AlwaysSame()
        summary = resolve_workspace(ws, fx.SCHEMA, llm)
        assert (summary.entities, summary.judged_pairs, llm.calls) == (1, 1, 1)
        again = resolve_workspace(ws, fx.SCHEMA, llm)  # the verdict is stored: nothing to ask
        assert (again.entities, again.judged_pairs, llm.calls) == (1, 0, 1)
        (entity,) = load_graph(ws)[0]
        assert {entity.name, *entity.aliases} == {"Microsoft", "Microsfot"}
