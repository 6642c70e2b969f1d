"""Bad files through the real CLI: one clear line naming the file (and line/field), exit 1, nothing lost.

The workspace already holds a good document before each bad input; it must still be there, unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from resume_fixtures import prepare_workspace, run_cli, write_corpus

from factloom.ingest.store import get_chunks, list_documents
from factloom.ingest.workspace import Workspace
from tests.ingest import pdfgen


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, list]:
    """A workspace holding one good document; yields it and that document's chunks."""
    doc, _ = write_corpus(tmp_path / "good")
    root = tmp_path / "ws"
    prepare_workspace(root, doc)
    with Workspace(root) as ws:
        return root, get_chunks(ws)


def _unchanged(root: Path, chunks: list) -> None:
    with Workspace(root, create=False) as ws:
        assert len(list_documents(ws)) == 1, "a bad file left a document behind"
        assert get_chunks(ws) == chunks, "the good document was changed"


def _one_error_line(output: str) -> str:
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    assert "Traceback" not in output
    return errors[0]


BAD_FILES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("encrypted.pdf", lambda p: pdfgen.encrypted_pdf(p, "s3cret"), "encrypted; pass --password"),
    ("truncated.pdf", pdfgen.truncated_pdf, "truncated.pdf"),
    ("zero.pdf", pdfgen.zero_page_pdf, "no pages"),
    ("scan.pdf", pdfgen.image_only_pdf, "scan.pdf"),
    ("fake.pdf", pdfgen.not_a_pdf, "not a PDF"),
    ("empty.txt", lambda p: (p.write_text(""), p)[1], "no text"),
    ("latin1.txt", lambda p: (p.write_bytes("caf\xe9 cr\xe8me".encode("latin-1")), p)[1], "not UTF-8"),
]


@pytest.mark.parametrize(("name", "make", "expected"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_ingesting_a_bad_file_fails_alone_with_one_line(
    workspace: tuple[Path, list], tmp_path: Path, name: str, make: Callable[[Path], Path], expected: str
) -> None:
    root, chunks = workspace
    bad = make(tmp_path / name)
    code, out = run_cli(["ingest", str(bad), "-w", str(root)])
    assert code == 1, out
    line = _one_error_line(out)
    assert name in line and expected in line, line
    _unchanged(root, chunks)


SCHEMAS = [
    (
        "unknown field",
        "name: x\nentity_types:\n  - name: person\n    descripton: typo\n",
        "line 4",
        "descripton",
    ),
    ("wrong type", "name: x\nentity_types:\n  - name: person\n    guidelines: 5\n", "line 4", "guidelines"),
    ("second item", "entity_types:\n  - name: a\n  - name: [b]\n", "line 3", "entity_types.1.name"),
    ("bad yaml", "name: x\nentity_types: [\n  - name: a\n", "line 3", "not valid YAML"),
    ("tab indent", "name: x\nentity_types:\n\t- name: a\n", "line 3", "not valid YAML"),
    ("not a mapping", "- just\n- a list\n", "", "expected a mapping"),
    ("empty", "", "", "expected a mapping"),
    ("bad date", "name: x\ndescription: 2001-02-30\n", "", "not a usable YAML value"),
    ("control char", "name: x\x07\n", "line 1", "unacceptable character #x0007"),
    ("unknown type", "entity_types: [{name: a}]\nrelation_types: [{name: r, domain: [zz]}]\n", "", "'zz'"),
]


@pytest.mark.parametrize(("case", "text", "line", "field"), SCHEMAS, ids=[s[0] for s in SCHEMAS])
def test_a_malformed_schema_names_the_line_and_field_before_anything_runs(
    tmp_path: Path, case: str, text: str, line: str, field: str
) -> None:
    schema = tmp_path / "schema.yaml"
    schema.write_text(text, encoding="utf-8")
    doc, _ = write_corpus(tmp_path / "in")
    root = tmp_path / "ws"
    code, out = run_cli(["extract", str(doc), "-w", str(root), "--schema", str(schema)])
    assert code == 1, out
    message = _one_error_line(out)
    assert str(schema) in message and line in message and field in message, message
    assert not root.exists(), "the workspace was touched before the schema was checked"


def test_a_billion_laughs_schema_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    lines.append("entity_types: *i")
    schema = tmp_path / "laughs.yaml"
    schema.write_text("\n".join(lines) + "\n")
    code, out = run_cli(["extract", str(tmp_path), "-w", str(tmp_path / "ws"), "--schema", str(schema)])
    assert code == 1 and "laughs.yaml" in _one_error_line(out)


DEMOS = [
    ("not json", "{not json}\n", "line 1", "not valid JSON"),
    ("wrong shape", json.dumps({"doc_id": "d", "text": 5}) + "\n", "line 1", "'text'"),
    ("span outside", json.dumps({"text": "Ann", "entities": [{"type": "person", "start": 0, "end": 99}]}),
     "line 1", "outside the text"),
    ("second line", json.dumps({"text": "Ann", "entities": []}) + "\n[1, 2]\n", "line 2", "JSON object"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "line", "detail"), DEMOS, ids=[d[0] for d in DEMOS])
def test_malformed_demonstrations_name_the_line_and_keep_the_workspace(
    workspace: tuple[Path, list], tmp_path: Path, case: str, text: str, line: str, detail: str
) -> None:
    root, chunks = workspace
    demos = tmp_path / "gold.jsonl"
    demos.write_text(text, encoding="utf-8")
    code, out = run_cli(["demos", "add", str(demos), "-w", str(root), "--format", "jsonl"])
    assert code == 1, out
    message = _one_error_line(out)
    assert "gold.jsonl" in message and line in message and detail in message, message
    _unchanged(root, chunks)
