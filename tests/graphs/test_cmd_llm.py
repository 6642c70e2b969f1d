"""``factloom usage``: the token accounting a user reads after a run."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from factloom.graphs.cli import main
from factloom.ingest.workspace import Workspace
from factloom.tools.llm.base import CallTag, Usage
from factloom.tools.llm.cache import DDL


def _record(ws: Workspace, tag: CallTag, usage: Usage, hit: bool) -> None:
    ws.ensure_tables(DDL)
    with ws.transaction() as db:
        db.execute(
            "INSERT INTO llm_usage (ts, backend, agent, doc_id, prompt_tokens, cached_prompt_tokens,"
            " completion_tokens, seconds, cache_hit, ok) VALUES (0, 'b', ?, ?, ?, ?, ?, ?, ?, 1)",
            (
                tag.agent,
                tag.doc_id,
                usage.prompt_tokens,
                usage.cached_prompt_tokens,
                usage.completion_tokens,
                usage.seconds,
                int(hit),
            ),
        )


def test_usage_prints_tokens_per_agent_and_document(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        _record(ws, CallTag("entity_finder", "doc-a"), Usage(prompt_tokens=300, completion_tokens=40), False)
        _record(ws, CallTag("verifier", "doc-a"), Usage(prompt_tokens=120, cached_prompt_tokens=100), False)
        _record(ws, CallTag("verifier", "doc-b"), Usage(), True)
    runner = CliRunner()
    table = runner.invoke(main, ["usage", "-w", str(tmp_path / "ws")])
    assert table.exit_code == 0, table.output
    finder = next(line for line in table.output.splitlines() if line.startswith("entity_finder"))
    assert finder.split()[1:6] == ["1", "0", "300", "0", "40"]
    as_json = json.loads(runner.invoke(main, ["usage", "-w", str(tmp_path / "ws"), "--json"]).output)
    assert as_json["by_document"]["doc-a"]["prompt_tokens"] == 420
    assert as_json["by_agent"]["verifier"]["cache_hits"] == 1
    assert as_json["total"]["calls"] == 3


def test_usage_of_a_missing_workspace_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["usage", "-w", str(tmp_path / "none")])
    assert result.exit_code == 1 and "no such workspace" in result.output
