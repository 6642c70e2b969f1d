"""End to end with the REAL embedded model (SmolLM2 via ``make_llm``) on a one-page PDF made with pymupdf.

Whatever the small model finds, every exported mention and every relation's evidence must reproduce its
text from the document offsets: the promise the export makes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from factloom.graphs.extract import extract_collection
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.pipeline import ingest_paths
from factloom.ingest.store import get_document
from factloom.ingest.workspace import Workspace
from factloom.tools.export.jsonl import write
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.factory import make_llm
from factloom.tools.store.view import load_graph

TEXT = (
    "John Smith works for Acme Corporation in Boston. "
    "Acme Corporation is based in Boston, Massachusetts. Mary Jones lives in Paris."
)


def _pdf(path: Path) -> Path:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_textbox(pymupdf.Rect(72, 72, 520, 400), TEXT, fontsize=11)
    doc.save(path)
    doc.close()
    return path


@pytest.mark.slow
async def test_real_model_output_is_grounded_in_the_pdf(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "one_page.pdf")
    with Workspace(tmp_path / "ws") as ws:
        [doc_id] = [r.doc_id for r in ingest_paths(ws, [str(pdf)]).ingested]
        llm = make_llm(BackendConfig(), ws)
        report = await extract_collection(
            ws, [doc_id], load_schema("news"), llm, ExtractOptions(concurrency=1)
        )
        assert report.failed == {} and report.documents[0].stats.usage.calls >= 1
        text = get_document(ws, doc_id).text
        buf = io.StringIO()
        write(*load_graph(ws), buf)
    records = [json.loads(line) for line in buf.getvalue().splitlines()]
    for rec in records:
        if rec["kind"] == "entity":
            assert all(text[m["start"] : m["end"]] == m["text"] for m in rec["mentions"])
        else:
            assert rec["evidence"] and all(text[e["start"] : e["end"]] == e["quote"] for e in rec["evidence"])


class _Recording:
    """The real model, with every call's agent and prompt kept (to see what reached the verifier)."""

    def __init__(self, llm: object) -> None:
        self.llm, self.name, self.calls = llm, llm.name, []  # type: ignore[attr-defined]

    async def complete(self, messages, output, **kw):  # type: ignore[no-untyped-def]
        self.calls.append((kw["tag"].agent, messages[-1].content))
        return await self.llm.complete(messages, output, **kw)  # type: ignore[attr-defined]


QWEN_05B = Path.home() / ".cache" / "factloom-models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


@pytest.mark.slow
@pytest.mark.skipif(
    not QWEN_05B.is_file(),
    reason="needs Qwen2.5-Coder-0.5B (../shared/models/fetch qwen-0.5b); SmolLM2 rarely finds the entities",
)
async def test_real_model_cross_sentence_candidates_reach_the_verifier(tmp_path: Path) -> None:
    """Pairs across a sentence boundary are asked about, and what is proposed is judged, never just kept."""
    text = "John Smith moved to Boston in 1990. He works for Acme Corporation there."
    pdf = tmp_path / "two_sentences.pdf"
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_textbox(pymupdf.Rect(72, 72, 520, 400), text, fontsize=11)
    doc.save(pdf)
    with Workspace(tmp_path / "ws") as ws:
        [doc_id] = [r.doc_id for r in ingest_paths(ws, [str(pdf)]).ingested]
        llm = _Recording(make_llm(BackendConfig(model_path=QWEN_05B), ws))
        options = ExtractOptions(profile="small", concurrency=1)  # sentence windows, pair questions, verifier
        [graph] = (await extract_collection(ws, [doc_id], load_schema("news"), llm, options)).documents
    questions = [prompt for agent, prompt in llm.calls if agent == "relation_reasoner"]
    assert any("1990. He works" in q for q in questions), "no question spans the two sentences"
    judged = "\n".join(prompt for agent, prompt in llm.calls if agent == "verifier")
    assert judged, "nothing reached the verifier"
    for rel in graph.relations:
        assert rel.status in ("verified", "unverified")
        assert all(ev.quote in judged for ev in rel.evidence), "a relation was kept without being judged"
