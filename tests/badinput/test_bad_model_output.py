"""Bad model output through the real OpenAI client, parser and graph: repaired once, dropped, nothing lost."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from resume_fixtures import (
    add_document,
    export_lines,
    extract_args,
    prepare_workspace,
    run_cli,
    write_corpus,
)
from scripted_server import start_server

REPLIES = [
    ("invalid json", "{not json at all", "stop"),
    ("empty", "", "stop"),
    ("truncated", '{"entities": [{"text": "Mary Jo', "length"),
    ("wrong shape", json.dumps({"people": ["Mary Jones"]}), "stop"),
    ("wrong json type", "[1, 2, 3]", "stop"),
    ("type outside the schema", json.dumps({"entities": [{"text": "Mary Jones", "type": "weapon"}]}), "stop"),
]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """A workspace whose first document was extracted by a healthy model; its export."""
    base = tmp_path_factory.mktemp("extracted")
    doc, script = write_corpus(base / "in")
    root = base / "ws"
    prepare_workspace(root, doc)
    proc, url = start_server(script, base / "server")
    try:
        code, out = run_cli(extract_args(root, doc, url))
    finally:
        proc.kill()
        proc.wait()
    assert code == 0, out
    return root, doc, export_lines(root)


@pytest.mark.parametrize(("case", "reply", "finish"), REPLIES, ids=[r[0] for r in REPLIES])
def test_unusable_output_is_repaired_once_then_dropped_and_earlier_work_kept(
    extracted: tuple[Path, Path, list[str]], tmp_path: Path, case: str, reply: str, finish: str
) -> None:
    source, doc, before = extracted
    root = tmp_path / "ws"
    shutil.copytree(source, root)
    new_doc = doc.with_name(f"new-{case.replace(' ', '-')}.txt")
    new_doc.write_text("Mary Jones works for Acme Corporation in Boston.\n", encoding="utf-8")
    add_document(root, new_doc)
    proc, url = start_server({}, tmp_path / "server", "--reply", reply, "--finish", finish)
    try:
        args = extract_args(root, doc, url)
        code, out = run_cli([*args[:2], str(new_doc), *args[2:]])
        with urllib.request.urlopen(url.removesuffix("/v1") + "/stats") as r:
            completions = json.load(r)["completions"]
    finally:
        proc.kill()
        proc.wait()
    assert code == 0 and "Traceback" not in out, out
    assert "invalid_output 1" in out, out  # the new document's one chunk: no mentions, counted
    assert completions == 2, "the bad answer was not repaired exactly once"
    assert export_lines(root) == before, "the new document added facts, or earlier work was lost"
