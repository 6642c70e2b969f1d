"""``factloom ask`` on the command line: JSON output with checked citations, clear errors."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from factloom.graphs.cli import main

_spec = importlib.util.spec_from_file_location("query_fixtures", Path(__file__).parents[1] / "query_fixtures.py")
qf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qf)


def test_ask_on_a_missing_workspace_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["ask", "What?", "-w", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: ") and "no such workspace" in result.output
    assert "Traceback" not in result.output


def test_ask_on_a_workspace_without_documents_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    result = CliRunner().invoke(main, ["ask", "What?", "-w", str(tmp_path / "ws")])
    assert result.exit_code == 1 and "run `factloom ingest" in result.output


@pytest.mark.slow
def test_ask_json_with_the_embedded_model_cites_real_passages(tmp_path: Path) -> None:
    info = qf.build_workspace(tmp_path / "ws")
    question = "What does lithium carbonate cause?"
    result = CliRunner().invoke(main, ["ask", question, "-w", str(tmp_path / "ws"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"answer", "citations", "entities"}
    assert out["entities"][0]["name"] == "Lithium carbonate"
    for c in out["citations"]:
        assert info["text"][c["start"] : c["end"]] == c["quote"] and c["doc_id"] == info["doc_id"]
    if not out["citations"]:
        assert out["answer"] == "The documents do not say what does lithium carbonate cause."
