"""``factloom schema canonicalise`` as a user runs it: open extraction phrases mapped to a schema's types.

The workspace is built by a real open extraction run (``--schema open``: real ingest, SQLite and collection
build) with a scripted model standing in for the entity finder and the relation reasoner; the mapping uses
the real MiniLM embedder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from factloom.graphs.cli import main
from factloom.graphs.extract_options import ExtractOptions
from factloom.graphs.run import ExtractionRun, run_extraction
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.scripted import ScriptedLLM
from factloom.tools.resolution.collection import build_collection
from factloom.tools.store.documents import iter_document_graphs

TEXT = (
    "Ann Lee works for Acme Corp. Bob Roe is employed by Zenith Ltd. Ann Lee was born in Boston. "
    "Acme Corp works for Zenith Ltd.\n"
)
TYPES = {"Ann Lee": "person", "Bob Roe": "people", "Acme Corp": "company", "Zenith Ltd": "organization",
         "Boston": "city"}  # fmt: skip
PHRASES = ("works for", "is employed by", "born in")
SCHEMA = """\
name: jobs
entity_types:
  - name: person
    description: A named human being.
  - name: organisation
    description: A company, institution or other organised group.
  - name: location
    description: A named place, such as a country, region or city.
relation_types:
  - name: Work_For
    description: The person works for or is employed by the organisation.
    domain: [person]
    range: [organisation]
  - name: Live_In
    description: The person lives in the location.
    domain: [person]
    range: [location]
"""


def _entities(messages, output):
    text = messages[-1].content
    return {"entities": [{"text": n, "type": t} for n, t in TYPES.items() if n in text]}


def _relations(messages, output):
    text = messages[-1].content.split("\n\nEntities:")[0].replace("Text:\n", "")
    found = []
    for sentence in re.split(r"(?<=\.)\s+", text):
        names = sorted((n for n in TYPES if n in sentence), key=sentence.index)
        for phrase in PHRASES:
            if phrase in sentence and len(names) == 2:
                evidence = sentence.strip().rstrip(".")
                found.append({"head": names[0], "type": phrase, "tail": names[1], "evidence": evidence})
    return {"relations": found}


class _Quiet:
    def say(self, line: str) -> None: ...

    def warn(self, line: str) -> None: ...

    def documents(self, total: int, label: str):
        from contextlib import nullcontext

        return nullcontext(lambda _graph: None)


@pytest.fixture(scope="module")
def open_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a workspace holding an open extraction of ``TEXT`` (to be copied by each test)."""
    root = tmp_path_factory.mktemp("open")
    doc = root / "jobs.txt"
    doc.write_text(TEXT)
    llm = ScriptedLLM({"entity_finder": _entities, "relation_reasoner": _relations})
    run = ExtractionRun(root / "ws", (str(doc),), schema="open", options=ExtractOptions(demos=False))
    result = run_extraction(run, _Quiet(), llm=llm)
    assert result.collection is not None and result.collection.relations == 4
    return root / "ws"


@pytest.fixture
def ws(open_ws: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(open_ws, tmp_path / "ws"))


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    path = tmp_path / "jobs.yaml"
    path.write_text(SCHEMA)
    return path


def _run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def _export(ws: Path) -> tuple[dict[str, str], list[dict]]:
    result = _run("export", "-w", ws, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    names = {x["id"]: x["name"] for x in lines if x["kind"] == "entity"}
    types = {x["name"]: x["type"] for x in lines if x["kind"] == "entity"}
    return types, [
        {**x, "head": names[x["head"]], "tail": names[x["tail"]]} for x in lines if x["kind"] == "relation"
    ]


def test_phrases_that_mean_work_for_are_mapped_and_keep_their_phrase(ws: Path, schema_file: Path) -> None:
    result = _run("schema", "canonicalise", "-w", ws, schema_file)
    assert result.exit_code == 0, result.output
    out = result.output
    assert re.search(r"works_for -> Work_For \(0\.\d\d\), 2 facts; 1 kept as extracted \(domain/range\)", out)
    assert re.search(r"is_employed_by -> Work_For \(0\.\d\d\), 1 facts\n", out)
    assert re.search(r"unmapped: born_in, 1 facts; closest Live_In \(0\.\d\d\)", out)
    assert "company -> organisation" in out and "people -> person" in out

    types, relations = _export(ws)
    assert types == {"Ann Lee": "person", "Bob Roe": "person", "Acme Corp": "organisation",
                     "Zenith Ltd": "organisation", "Boston": "location"}  # fmt: skip
    facts = {(r["head"], r["type"], r["tail"], r.get("phrase")) for r in relations}
    assert facts == {
        ("Ann Lee", "Work_For", "Acme Corp", "works_for"),
        ("Bob Roe", "Work_For", "Zenith Ltd", "is_employed_by"),
        ("Ann Lee", "born_in", "Boston", None),  # under the threshold: left as extracted, never forced
        ("Acme Corp", "works_for", "Zenith Ltd", None),  # organisation -> organisation: not Work_For's domain
    }
    stats = json.loads(_run("stats", "-w", ws, "--json").stdout)
    assert stats["relations_by_type"] == {"Work_For": 2, "born_in": 1, "works_for": 1}
    assert stats["entities_by_type"] == {"location": 1, "organisation": 2, "person": 2}


def test_the_mapping_survives_a_rebuild_and_a_second_run_replaces_it(ws: Path, schema_file: Path) -> None:
    assert _run("schema", "canonicalise", "-w", ws, schema_file).exit_code == 0
    assert _run("resolve", "-w", ws).exit_code == 0  # the collection graph is built again
    _, relations = _export(ws)
    assert sorted(r["type"] for r in relations) == ["Work_For", "Work_For", "born_in", "works_for"]

    stricter = _run("schema", "canonicalise", "-w", ws, schema_file, "--threshold", "0.7")
    assert stricter.exit_code == 0, stricter.output
    assert "unmapped: is_employed_by, 1 facts; closest Work_For" in stricter.output
    assert "unmapped: company, 1 entities; closest organisation" in stricter.output
    types, relations = _export(ws)
    assert types["Acme Corp"] == "company"  # so Ann Lee -> Acme Corp no longer fits Work_For's range
    assert sorted(r["type"] for r in relations) == ["born_in", "is_employed_by", "works_for", "works_for"]
    assert not any("phrase" in r for r in relations)


def test_a_dry_run_prints_the_mapping_and_stores_nothing(ws: Path, schema_file: Path) -> None:
    result = _run("schema", "canonicalise", "-w", ws, schema_file, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "is_employed_by -> Work_For" in result.output and "dry run: nothing stored" in result.output
    _, relations = _export(ws)
    assert "Work_For" not in {r["type"] for r in relations}


def test_the_graph_is_stored_as_extracted(ws: Path, schema_file: Path) -> None:
    """The document graphs (the source of truth) keep the phrases; only what users see is mapped."""
    assert _run("schema", "canonicalise", "-w", ws, schema_file).exit_code == 0
    with Workspace(ws, create=False) as opened:
        stored = {r.type for _, _, rels in iter_document_graphs(opened) for r in rels}
    assert stored == {"works_for", "is_employed_by", "born_in"}


def test_errors_are_one_line(tmp_path: Path, ws: Path, schema_file: Path) -> None:
    cases = []
    cases.append((_run("schema", "canonicalise", "-w", tmp_path / "nope", schema_file), "no such workspace"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("entity_types:\n  - name: person\n    colour: red\n")
    cases.append(
        (_run("schema", "canonicalise", "-w", ws, bad), "bad.yaml: line 3, field entity_types.0.colour")
    )
    cases.append((_run("schema", "canonicalise", "-w", ws, "open"), "an open schema has no fixed types"))
    closed = tmp_path / "closed"
    with Workspace(closed) as opened:  # a workspace extracted with a closed schema
        build_collection(opened, load_schema("news"))
    cases.append((_run("schema", "canonicalise", "-w", closed, schema_file), "no open extraction"))
    empty = tmp_path / "empty"
    empty.mkdir()
    cases.append((_run("schema", "canonicalise", "-w", empty, schema_file), "no open extraction"))
    for result, message in cases:
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], result.output
