"""``demos synth``/``list``/``rm`` on a real workspace (SQLite + Chroma + the local embedder), scripted model.

Also the leak proof: a demonstration's entities never reach the extraction output of a document that does
not contain them, even when the model copies the demonstration's answer.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from factloom.agents.demo_synth import AGENT, NAMES_AGENT
from factloom.graphs.cli import main
from factloom.graphs.demo_synth import synth_from_collection, synth_from_schema
from factloom.graphs.extract import extract_document
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.store import save_document
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.demos import DemoEntity, Demonstration, DemoRelation, DemoStore
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.scripted import ScriptedLLM
from tests.extract_fixtures import make_document
from tests.graphs.test_extract import _llm

NEWS = load_schema("news")
OPTIONS = ExtractOptions(profile="large", cross_chunk_pairs=0, resume=False, verifier_style="verdicts")
WRITTEN = {
    "text": "Maria Keller, a spokeswoman for Dunmore Steel, said the plant would reopen.",
    "entities": [
        {"text": "Maria Keller", "type": "person"},
        {"text": "Dunmore Steel", "type": "organization"},
    ],
}
SUPPORTED = {"verdicts": [{"fact": 1, "rationale": "stated", "verdict": "supported", "confidence": 0.95}]}


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path / "ws")
    save_document(workspace, *make_document())
    yield workspace
    workspace.close()


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_synthetic_demos_are_stored_marked_listed_and_removed(ws: Workspace) -> None:
    invent = {"names": ["Maria Keller", "Dunmore Steel"]}
    llm = ScriptedLLM({NAMES_AGENT: invent, AGENT: WRITTEN, "verifier": SUPPORTED})
    report, new = asyncio.run(synth_from_schema(ws, NEWS, llm, OPTIONS, 1))
    assert new == len(report.demos) == 1
    style = llm.calls_of(AGENT)[0].messages[-1].content
    assert "John Smith works for Acme Corporation" in style  # the workspace's own text, as style
    gold = Demonstration(text="Ann works for Acme.", entities=(DemoEntity(text="Ann", type="person"),))
    store = DemoStore(ws)
    store.add([gold], "news")
    again, new = asyncio.run(synth_from_schema(ws, NEWS, llm, OPTIONS, 1))
    assert new == 0 and again.rejected["duplicate"] >= 1  # a stored passage is not written twice

    listed = cli("demos", "list", "-w", str(ws.root))
    assert "news\tsynthetic\tsynth:news\t1" in listed.output and "news\tgold\t\t1" in listed.output
    each = cli("demos", "list", "-w", str(ws.root), "--each", "--origin", "synthetic").output.splitlines()
    [line] = [x for x in each if "Maria Keller" in x]
    demo_id = line.split("\t")[0]
    assert "synthetic\t2 entities, 1 relations" in line

    assert cli("demos", "rm", "-w", str(ws.root), "nosuchid").exit_code == 1
    removed = cli("demos", "rm", "-w", str(ws.root), demo_id)
    assert removed.exit_code == 0 and "1 demonstrations removed, 1 left" in removed.output
    assert store.count() == store.index.count() == 1  # gone from SQLite and from Chroma
    assert cli("demos", "rm", "-w", str(ws.root), "--origin", "gold").exit_code == 0
    assert store.count() == store.index.count() == 0
    assert cli("demos", "rm", "-w", str(ws.root)).exit_code == 2  # nothing named


def test_synth_errors_are_one_line(tmp_path: Path, ws: Workspace) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("entity_types:\n  - name: person\nrelation_types:\n  - name: x\n    domain: [company]\n")
    empty = tmp_path / "empty"
    Workspace(empty).close()
    cases = [
        (["--schema", str(bad), "-w", str(ws.root)], "unknown entity types ['company']"),
        (["--schema", "open", "-w", str(ws.root)], "an open schema has none"),
        (["--schema", "news", "-w", str(empty)], "no documents to take the writing style from"),
        (["--schema", "news", "-w", str(tmp_path / "missing")], "no such workspace"),
    ]
    for args, message in cases:
        result = cli("demos", "synth", *args)
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output


def test_from_collection_keeps_verified_passages_that_eval_and_retrieval_never_show_back(
    ws: Workspace,
) -> None:
    got = asyncio.run(synth_from_collection(ws, NEWS, _llm(), OPTIONS, 10))
    store = DemoStore(ws, "news")
    items = store.items("self")
    assert got.documents == 1 and got.new == len(items) >= 2
    texts = {d.text for _, _, _, d in items}
    assert "Mary Jones lives in Paris." in texts
    doc_text = make_document()[0].text
    for _, _, _, demo in items:
        assert demo.source == "collection:doc_test" and demo.text in doc_text
        assert all(e.text in demo.text for e in demo.entities)
    # reading that document again, none of its own passages is retrieved
    assert not {d.text for d in store.retrieve(doc_text, 8, 5000)} & texts
    # the evaluation path drops them before scoring that document
    assert store.remove_documents(["doc_test"]) == len(items) and store.count() == 0


def test_a_demonstration_never_leaks_into_another_documents_output(ws: Workspace) -> None:
    """LangExtract users report example content showing up as extractions: grounding rules it out here."""
    demo = Demonstration(
        text="Zorblax Quint works for Mirova Labs in Quellport.",
        entities=(
            DemoEntity(text="Zorblax Quint", type="person"),
            DemoEntity(text="Mirova Labs", type="organization"),
            DemoEntity(text="Quellport", type="location"),
        ),
        relations=(DemoRelation(head="Zorblax Quint", type="work_for", tail="Mirova Labs"),),
        source="synth:news#work_for",
    )
    DemoStore(ws).add([demo], "news", origin="synthetic")

    def leaky_entities(messages: list, output: type) -> dict:
        """A model that copies every entity of the demonstrations it was shown, and finds John Smith."""
        shown = [m.content for m in messages if m.role == "assistant"]
        names = [n for n in ("Zorblax Quint", "Mirova Labs", "Quellport") if any(n in s for s in shown)]
        found = [{"text": n, "type": "person"} for n in names] + [{"text": "John Smith", "type": "person"}]
        return {"entities": found}

    llm = _llm(entity_finder=leaky_entities)
    graph = asyncio.run(extract_document(ws, "doc_test", NEWS, llm, OPTIONS))
    shown = [m.content for c in llm.calls_of("entity_finder") for m in c.messages if m.role == "assistant"]
    assert any("Zorblax Quint" in s for s in shown)  # the model did see the demonstration
    text = make_document()[0].text
    names = {m.text for m in graph.mentions} | {e.name for e in graph.entities}
    assert "John Smith" in names
    assert all(name in text for name in names)
    assert not names & {"Zorblax Quint", "Mirova Labs", "Quellport"}
    assert graph.stats.drops["mention_grounding"] >= 3
