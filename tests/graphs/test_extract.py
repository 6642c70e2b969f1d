"""The extraction graph with a scripted LLM: shape, fan-out, bounded reflection, resume, retries, export."""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path

import pytest

from factloom.graphs.extract import build_graph, extract_collection, extract_document
from factloom.graphs.extract_options import ExtractOptions, ExtractOptionsError
from factloom.ingest.store import save_document
from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMRequestError, LLMUnavailableError
from factloom.tools.export.jsonl import write
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.scripted import ScriptedLLM
from factloom.tools.store.jobs import JobTable
from factloom.tools.store.view import load_graph
from tests.extract_fixtures import NEWS_TEXT, make_document

NEWS = load_schema("news")
NAMES = {
    "John Smith": "person",
    "Acme Corporation": "organization",
    "ACME": "organization",
    "Boston": "location",
    "Mary Jones": "person",
    "Paris": "location",
    "Smith": "person",
    "Massachusetts": "location",
}
RELATIONS = [
    ("John Smith", "work_for", "Acme Corporation", "John Smith works for Acme Corporation (ACME) in Boston."),
    ("Mary Jones", "live_in", "Paris", "Mary Jones lives in Paris."),
    ("ACME", "orgbased_in", "Boston", "ACME is based in Boston"),
]
OPTIONS = ExtractOptions(cross_chunk_pairs=0, verifier_style="verdicts")  # the scripted verifier's format


def _entities(messages, output):
    text = messages[-1].content
    return {"entities": [{"text": n, "type": t} for n, t in NAMES.items() if n in text]}


def _relations(messages, output):
    text = messages[-1].content.split("\n\nEntities:")[0]  # the chunk, not the retrieved context
    found = [r for r in RELATIONS if r[3] in text]
    return {
        "reasoning": "",
        "relations": [{"head": h, "type": t, "tail": tl, "evidence": q} for h, t, tl, q in found],
    }


def _verdicts(verdict: str):
    def answer(messages, output):
        facts = re.findall(r"(\d+)\. Fact: (.+?) --\S+--> (.+)", messages[-1].content)
        return {
            "verdicts": [
                {"fact": int(i), "rationale": f"it says {h} and {t}", "verdict": verdict, "confidence": 0.9}
                for i, h, t in facts
            ]
        }

    return answer


def _llm(verdict: str = "supported", **extra: object) -> ScriptedLLM:
    script = {"entity_finder": _entities, "relation_reasoner": _relations, "verifier": _verdicts(verdict)}
    return ScriptedLLM({**script, **extra})  # type: ignore[arg-type]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path / "ws")
    save_document(workspace, *make_document())
    yield workspace
    workspace.close()


def test_graph_shape() -> None:
    graph = build_graph().get_graph(xray=True)
    nodes = set(graph.nodes)
    assert {
        "plan",
        "registry",
        "consolidate",
        "entities:find_entities",
        "relations:reason",
        "relations:verify",
    } <= nodes
    edges = {(e.source, e.target) for e in graph.edges}
    assert ("relations:verify", "relations:reason") in edges  # the reflection loop
    assert ("plan", "entities:find_entities") in edges


async def test_one_branch_per_chunk_and_a_cited_graph(ws: Workspace) -> None:
    llm = _llm()
    graph = await extract_document(ws, "doc_test", NEWS, llm, OPTIONS)
    assert len(llm.calls_of("entity_finder")) == 3
    assert len(llm.calls_of("relation_reasoner")) == 3
    assert {(r.type) for r in graph.relations} == {"work_for", "live_in", "orgbased_in"}
    for rel in graph.relations:
        for ev in rel.evidence:
            assert NEWS_TEXT[ev.start : ev.end] == ev.quote
    assert (
        graph.stats.chunks == 3 and graph.stats.relations == 3 and graph.stats.usage.calls == len(llm.calls)
    )


async def test_reflection_is_bounded_to_one_round(ws: Workspace) -> None:
    llm = _llm("unsupported")
    graph = await extract_document(ws, "doc_test", NEWS, llm, OPTIONS)
    assert graph.relations == []
    assert len(llm.calls_of("relation_reasoner")) == 6  # each chunk: first answer + one reflection
    assert graph.stats.drops["relation_verifier"] == 6


async def test_a_rerun_takes_finished_chunks_from_the_job_table(ws: Workspace) -> None:
    first = await extract_document(ws, "doc_test", NEWS, _llm(), OPTIONS)
    llm = _llm()
    second = await extract_document(ws, "doc_test", NEWS, llm, OPTIONS)
    assert llm.calls == [] and second.stats.chunks_resumed == 3
    assert second.relations == first.relations and second.entities == first.entities
    changed = await extract_document(
        ws, "doc_test", NEWS, llm, ExtractOptions(cot=False, cross_chunk_pairs=0)
    )
    assert len(llm.calls_of("entity_finder")) == 3 and changed.stats.chunks_resumed == 0


async def test_transient_backend_errors_are_not_retried_again_by_the_graph(ws: Workspace) -> None:
    """Regression: the graph's RetryPolicy multiplied the client's retries (12 attempts on a stalled server).

    Retries are declared once, in the backend's client; an error that reaches the graph stops the run.
    """
    flaky = [LLMUnavailableError("server restarting"), {"entities": []}]
    llm = _llm(entity_finder=flaky)
    with pytest.raises(LLMUnavailableError):
        await extract_document(ws, "doc_test", NEWS, llm, ExtractOptions(concurrency=1, cross_chunk_pairs=0))
    assert len(llm.calls_of("entity_finder")) == 1


async def test_concurrency_bounds_the_chunks_in_flight(ws: Workspace) -> None:
    inner, live, peak = _llm(), [0], [0]

    class Slow:
        name = "slow"

        async def complete(self, messages, output, **kw):
            live[0] += 1
            peak[0] = max(peak[0], live[0])
            await asyncio.sleep(0.02)
            live[0] -= 1
            return await inner.complete(messages, output, **kw)

    await extract_document(ws, "doc_test", NEWS, Slow(), ExtractOptions(concurrency=2, cross_chunk_pairs=0))
    assert peak[0] == 2


async def test_collection_saves_graphs_and_export_offsets_reproduce_quotes(
    ws: Workspace, tmp_path: Path
) -> None:
    other_text = "Paul Brown works for Acme Corporation (ACME) in Boston."
    save_document(ws, *make_document(other_text, doc_id="doc_refused"))
    refuse = {"doc_test": _entities, "doc_refused": LLMRequestError("context too long")}

    def entities(messages, output):
        return refuse["doc_refused"] if "Paul Brown" in messages[-1].content else _entities(messages, output)

    report = await extract_collection(
        ws, ["doc_test", "doc_refused"], NEWS, _llm(entity_finder=entities), OPTIONS
    )
    assert [d.doc_id for d in report.documents] == ["doc_test"] and "context too long" in report.failed[
        "doc_refused"
    ]
    assert JobTable(ws).counts("doc_refused").get("failed", 0) >= 1
    buf = io.StringIO()
    write(*load_graph(ws), buf)
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    ents = [x for x in lines if x["kind"] == "entity"]
    rels = [x for x in lines if x["kind"] == "relation"]
    assert len(rels) == 3 and {"id", "head", "type", "tail", "confidence", "reasoning", "evidence"} <= set(
        rels[0]
    )
    ids = {e["id"] for e in ents}
    for rel in rels:
        assert rel["head"] in ids and rel["tail"] in ids
        assert all(NEWS_TEXT[ev["start"] : ev["end"]] == ev["quote"] for ev in rel["evidence"])
    assert all(NEWS_TEXT[m["start"] : m["end"]] == m["text"] for e in ents for m in e["mentions"])


def test_options_are_checked() -> None:
    with pytest.raises(ExtractOptionsError, match="concurrency"):
        ExtractOptions(concurrency=0)
