"""Benchmark questions over a ~10k-entity graph: linking + neighbourhood + evidence (no LLM), then answers.

The workspace is built from the gold annotations of shared dev corpora (default Re-DocRED + BioRED,
10.7k entities; BC5CDR can be added):
each abstract/article becomes a stored document (one page) with its chunks in the chunk index, and its
gold entities and relations become its document graph (evidence = the sentence holding the head's mention).
Questions are made from gold relations: exact names ("How is X related to Y?", "What is known about X?")
and misspelled names (one letter dropped) that only the entity vector index can link.

    python bench/ask.py                          # build bench/out/ask-ws once, then measure
    python bench/ask.py --questions 300 --answers 5 --rebuild
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import torch

from factloom.graphs.query import ask, open_context
from factloom.ingest.chunking import chunk_document
from factloom.ingest.corpora import read_corpus
from factloom.ingest.corpora.models import GoldDoc
from factloom.ingest.index import IndexItem, VectorIndex
from factloom.ingest.models import Document, Page
from factloom.ingest.pipeline import chunk_metadata
from factloom.ingest.store import list_documents, save_document
from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMError
from factloom.tools.extraction.kg import Entity, Evidence, Mention, Relation, stable_id
from factloom.tools.query.linking import link
from factloom.tools.query.subgraph import gather_evidence, neighbourhood, sentence_around
from factloom.tools.store.documents import save_document_graph

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CORPORA = {
    "bc5cdr": DATA / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt",
    "biored": DATA / "biored" / "Dev.BioC.JSON",
    "redocred": DATA / "redocred" / "dev_revised.json",
}
RESULTS = Path(__file__).parent / "results"


def _graph(doc: Document, gold: GoldDoc, chunks: list) -> tuple[list[Entity], list[Relation]]:
    ids = {e.id: stable_id("e", doc.doc_id, e.id) for e in gold.entities}
    entities = []
    for e in gold.entities:
        names = [m.text for m in e.mentions]
        mentions = [
            Mention(
                mention_id=Mention.make_id(doc.doc_id, m.start, m.end, e.type),
                doc_id=doc.doc_id,
                chunk_id=next((c.chunk_id for c in chunks if c.start <= m.start < c.end), chunks[0].chunk_id),
                start=m.start,
                end=m.end,
                text=m.text,
                type=e.type,
                page=1,
            )
            for m in e.mentions
        ]
        name = max(set(names), key=lambda n: (names.count(n), len(n)))
        entities.append(
            Entity(entity_id=ids[e.id], name=name, type=e.type, aliases=sorted(set(names)), mentions=mentions)
        )
    first = {e.id: e.mentions[0] for e in gold.entities if e.mentions}
    relations = []
    for r in gold.relations:
        if r.head not in first or r.tail not in first:
            continue
        s, t = sentence_around(doc.text, first[r.head].start, first[r.head].end)
        ev = Evidence(doc_id=doc.doc_id, page=1, start=s, end=t, quote=doc.text[s:t], agent="gold")
        rid = Relation.make_id(ids[r.head], r.type, ids[r.tail])
        relations.append(
            Relation(relation_id=rid, head=ids[r.head], type=r.type, tail=ids[r.tail], evidence=[ev])
        )
    unique = {r.relation_id: r for r in relations}
    return entities, list(unique.values())


def build(ws: Workspace, corpora: list[str], batch: int = 128) -> dict[str, float]:
    """Store the corpora's documents, chunk vectors and gold document graphs; return timings."""
    chunk_index = VectorIndex(ws, "chunks")
    t0 = time.perf_counter()
    n_docs, pending = 0, []
    for name in corpora:
        for gold in read_corpus(CORPORA[name]):
            doc_id = stable_id("doc", name, gold.doc_id)
            doc = Document(
                doc_id=doc_id,
                path=f"{name}/{gold.doc_id}",
                title=f"{name} {gold.doc_id}",
                content_hash=hashlib.sha256(gold.text.encode()).hexdigest(),
                text=gold.text,
                pages=[Page(number=1, width=612, height=792, start=0, end=len(gold.text))],
            )
            chunks = chunk_document(doc)
            save_document(ws, doc, chunks)
            save_document_graph(ws, doc_id, *_graph(doc, gold, chunks))
            pending += [IndexItem(c.chunk_id, c.text, chunk_metadata(c)) for c in chunks]
            if len(pending) >= batch:
                chunk_index.upsert(pending)
                pending = []
            n_docs += 1
    chunk_index.upsert(pending)
    return {"documents": n_docs, "store_and_embed_chunks_s": round(time.perf_counter() - t0, 1)}


def _misspell(name: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(name) - 1)
    return name[:i] + name[i + 1 :]


def questions(ctx, n: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """Return ``n`` (kind, question, gold entity id) from the graph's relations."""
    rels = ctx.graph.relations(limit=1_000_000)
    names = {e[0]: e[1] for e in ctx.graph.all_entities()}
    out = []
    for r in rng.sample(rels, n):
        head, tail = names[r.head], names[r.tail]
        kind = rng.choice(("related", "about", "misspelled"))
        if kind == "related":
            out.append((kind, f"How is {head} related to {tail}?", r.head))
        elif kind == "about" or len(head) < 6:
            out.append(("about", f"What is known about {head}?", r.head))
        else:
            out.append((kind, f"What is known about {_misspell(head, rng)}?", r.head))
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def measure_retrieval(ctx, qs: list[tuple[str, str, str]]) -> dict:
    """Time link, neighbourhood and evidence for each question; return percentiles in ms."""
    stages: dict[str, list[float]] = {"link": [], "subgraph": [], "evidence": [], "total": []}
    found = {"related": [0, 0], "about": [0, 0], "misspelled": [0, 0]}
    for kind, q, gold in [*qs[:5], *qs]:  # the first five again as warm-up, not counted
        t0 = time.perf_counter()
        linked = link(q, ctx.graph, ctx.entity_vectors, ctx.link_config)
        t1 = time.perf_counter()
        sub = neighbourhood(ctx.graph, [e.entity_id for e in linked], ctx.limits)
        t2 = time.perf_counter()
        evidence = gather_evidence(q, sub, ctx.doc_text, ctx.chunks, ctx.limits)
        t3 = time.perf_counter()
        assert all(ctx.doc_text(e.doc_id)[e.start : e.end] == e.quote for e in evidence)
        for key, dt in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            stages[key].append(dt)
        found[kind][0] += gold in {e.entity_id for e in linked}
        found[kind][1] += 1
    for key in stages:
        stages[key] = stages[key][5:]
    return {
        "ms": {
            k: {"p50": _pct(v, 0.5), "p95": _pct(v, 0.95), "mean": round(statistics.mean(v) * 1000, 1)}
            for k, v in stages.items()
        },
        "gold_entity_linked": {k: f"{a}/{b}" for k, (a, b) in found.items()},
    }


async def measure_answers(ctx, qs: list[tuple[str, str, str]]) -> list[dict]:
    """Answer a few questions with the embedded model; return time, answer and citations of each."""
    out = []
    for _kind, q, _gold in qs:
        t0 = time.perf_counter()
        try:
            result = await ask(q, ctx)
        except LLMError as e:
            out.append({"question": q, "seconds": round(time.perf_counter() - t0, 2), "error": str(e)})
            continue
        out.append(
            {
                "question": q,
                "seconds": round(time.perf_counter() - t0, 2),
                "answer": result.answer.text,
                "citations": len(result.answer.citations),
                "evidence": len(result.evidence),
                "prompt_tokens": result.answer.usage.prompt_tokens,
                "completion_tokens": result.answer.usage.completion_tokens,
            }
        )
    return out


def main() -> None:
    """Build the workspace if needed, measure, and write bench/results/ask.json and ask.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path(__file__).parent / "out" / "ask-ws")
    parser.add_argument("--corpora", nargs="+", default=["redocred", "biored"], choices=list(CORPORA))
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--answers", type=int, default=5, help="questions answered by the embedded model")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--torch-threads", type=int, default=1, help="as `factloom ask/chat/serve` use")
    args = parser.parse_args()
    torch.set_num_threads(args.torch_threads)
    report: dict = {"command": "python " + " ".join(sys.argv), "loadavg_start": os.getloadavg()}
    report["corpora"] = args.corpora
    report["torch_threads"] = args.torch_threads
    if args.rebuild and args.workspace.exists():
        import shutil

        shutil.rmtree(args.workspace)
    with Workspace(args.workspace) as ws:
        if not list_documents(ws):
            report["build"] = build(ws, args.corpora)
        t0 = time.perf_counter()
        ctx = open_context(ws)
        report["open_context_s"] = round(time.perf_counter() - t0, 1)
        report["graph"] = {
            "entities": ctx.graph.count(),
            "documents": len(list_documents(ws)),
            "relations": len(ctx.graph.relations(limit=10_000_000)),
            "chunks": ctx.chunks.count() if ctx.chunks else 0,
        }
        qs = questions(ctx, args.questions, random.Random(0))
        report["retrieval"] = {"questions": len(qs), **measure_retrieval(ctx, qs)}
        if args.answers:
            from factloom.tools.llm.config import BackendConfig
            from factloom.tools.llm.factory import make_llm

            ctx.llm = make_llm(BackendConfig())
            report["answers"] = asyncio.run(measure_answers(ctx, qs[: args.answers]))
    report["loadavg_end"] = os.getloadavg()
    report["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ask.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "ask.md").write_text(markdown(report))
    print(markdown(report))


def markdown(report: dict) -> str:
    """Return the report as a short Markdown page."""
    g, r = report["graph"], report["retrieval"]
    lines = [
        "# ask: linking + neighbourhood + evidence retrieval (no LLM)",
        "",
        f"`{report['command']}` (torch threads: {report['torch_threads']}) — "
        f"load average {report['loadavg_start']} -> {report['loadavg_end']} "
        f"on {report['machine']['cpus']} CPUs shared with other jobs, so timings are upper bounds.",
        "",
        f"Workspace: {g['entities']} entities, {g['relations']} relations, {g['documents']} documents, "
        f"{g['chunks']} chunks (gold annotations of the dev sets of {', '.join(report['corpora'])}). "
        f"Opening it (graph index + entity vectors, built if stale): {report['open_context_s']} s.",
        "",
        f"{r['questions']} questions | p50 ms | p95 ms | mean ms",
        "---|---|---|---",
        *(f"{k} | {v['p50']} | {v['p95']} | {v['mean']}" for k, v in r["ms"].items()),
        "",
        "Gold entity among the linked ones: "
        + ", ".join(f"{k} {v}" for k, v in r["gold_entity_linked"].items()),
    ]
    if report.get("answers"):
        lines += [
            "",
            "## Answers with the embedded model (SmolLM2-135M, CPU)",
            "",
            "question | s | citations | answer",
            "---|---|---|---",
        ]
        lines += [
            f"{a['question']} | {a['seconds']} | {a['citations']} | {a['answer'][:120]}"
            for a in report["answers"]
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
