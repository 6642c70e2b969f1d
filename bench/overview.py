"""Measure the web page's opening requests on a large synthetic graph: /overview, /entities, /review.

A workspace of ``--docs`` stored documents (one page of text each, no embeddings) whose document graphs
hold ``--entities`` entities in all and about twice as many relations, each cited by one sentence; the
graph index is built once, then each request is timed through the FastAPI app in-process (TestClient).

Usage: python bench/overview.py [--docs 200] [--entities 10000] [--repeats 20]
Writes bench/results/overview.json and bench/results/overview.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from factloom.graphs.query import open_context
from factloom.graphs.server import create_app
from factloom.ingest.models import Document, Page
from factloom.ingest.store import save_document
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.kg import Entity, Evidence, Mention, Relation, stable_id
from factloom.tools.store.documents import save_document_graph

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results"
TYPES = ["Chemical", "Disease", "Gene", "Species", "Variant"]


def build(ws: Workspace, n_docs: int, n_entities: int, rng: random.Random) -> int:
    """Store the synthetic documents and their graphs; return the number of relations."""
    per_doc = n_entities // n_docs
    n_rel = 0
    for d in range(n_docs):
        names = [f"entity {d}-{i}" for i in range(per_doc)]
        text = " ".join(f"{n} is linked to {names[(i + 1) % per_doc]}." for i, n in enumerate(names))
        doc_id = f"doc_{d:05d}"
        doc = Document(
            doc_id=doc_id,
            path=f"/synthetic/{d}.pdf",
            title=f"Synthetic document {d}",
            content_hash=f"{d:064d}",
            text=text,
            pages=[Page(number=1, width=595, height=842, start=0, end=len(text))],
        )
        save_document(ws, doc, [])
        entities, relations, pos = [], [], 0
        for i, name in enumerate(names):
            start = text.index(name, pos)
            pos = start + len(name)
            mention = Mention(
                mention_id=Mention.make_id(doc_id, start, pos, "x"),
                doc_id=doc_id,
                chunk_id="c",
                start=start,
                end=pos,
                text=name,
                type=TYPES[i % 5],
                page=1,
            )
            entities.append(
                Entity(
                    entity_id=stable_id("e", doc_id, name), name=name, type=TYPES[i % 5], mentions=[mention]
                )
            )
        for i in range(per_doc):
            for j in {(i + 1) % per_doc, rng.randrange(per_doc)} - {i}:
                head, tail = entities[i].entity_id, entities[j].entity_id
                s = text.index(names[i])
                ev = Evidence(
                    doc_id=doc_id, page=1, start=s, end=s + len(names[i]), quote=names[i], agent="bench"
                )
                relations.append(
                    Relation(
                        relation_id=Relation.make_id(head, "linked", tail),
                        head=head,
                        type="linked",
                        tail=tail,
                        evidence=[ev],
                    )
                )
        save_document_graph(ws, doc_id, entities, relations)
        n_rel += len(relations)
    return n_rel


def timed(client: TestClient, url: str, repeats: int) -> dict[str, float]:
    """Return p50 / p95 / max milliseconds of ``repeats`` GETs."""
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = client.get(url)
        ms.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text[:200]
    ms.sort()
    return {
        "n": repeats,
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1),
        "max_ms": round(ms[-1], 1),
    }


def main() -> None:
    """Build, measure, write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "ws") as ws:
        t0 = time.perf_counter()
        n_rel = build(ws, args.docs, args.entities, random.Random(3))
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        client = TestClient(create_app(open_context(ws, None, vectors=False)))
        index_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        client.get("/openapi.json")  # the test client starts its event loop thread on the first request
        first_request_s = time.perf_counter() - t0
        requests = {
            "/overview": timed(client, "/overview", args.repeats),
            "/entities?q=entity 1": timed(client, "/entities?q=entity%201", args.repeats),
            "/entities?type=Gene": timed(client, "/entities?type=Gene", args.repeats),
            "/review": timed(client, "/review", args.repeats),
        }
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "loadavg_before": load,
        "loadavg_after": os.getloadavg(),
        "docs": args.docs,
        "entities": args.entities,
        "relations": n_rel,
        "build_s": round(built, 1),
        "index_s": round(index_s, 1),
        "first_request_s": round(first_request_s, 2),
        "requests": requests,
    }
    rows = "\n".join(
        f"| `{k}` | {v['n']} | {v['p50_ms']} | {v['p95_ms']} | {v['max_ms']} |" for k, v in requests.items()
    )
    md = f"""# The web page's opening requests on a large graph

`python bench/overview.py` on {result["date"]}: {args.docs} synthetic documents, {args.entities} entities,
{n_rel} relations (document graphs, no collection merge); {result["cpus"]} CPUs, load average
{load[0]:.1f} before, {result["loadavg_after"][0]:.1f} after. Graph index built once in {result["index_s"]} s;
requests through the FastAPI app in-process, after one warm-up request ({result["first_request_s"]} s).

| request | n | p50 ms | p95 ms | max ms |
|---|---|---|---|---|
{rows}
"""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "overview.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "overview.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
