"""``bench/server.py --part scripted``: documents per minute vs concurrency against the scripted server.

The ideal rate: every call takes exactly the delay, at most C run at once, and a document's agents run in
their dependency order (the waves of calls measured on the least throttled run).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from scripted_server import start_server
from server_workload import Call, Recorder, extract, in_flight, ingest, news_corpus

from factloom.graphs.extract_options import ExtractOptions
from factloom.tools.llm.openai_backend import OpenAIBackend


def waves(calls: list[Call], delay: float) -> list[list[int]]:
    """Return, per document, the sizes of its waves of calls: calls that start together (within half a
    delay of the wave's first call) do not depend on each other; a wave that starts a delay later waits
    for one before it. Measured on the least throttled run, this is the graph's dependency structure."""
    out = []
    for doc in sorted({c.doc_id or "" for c in calls}):
        starts = sorted(c.start for c in calls if (c.doc_id or "") == doc)
        sizes, first = [], None
        for start in starts:
            if first is None or start > first + delay / 2:
                sizes.append(0)
                first = start
            sizes[-1] += 1
        out.append(sizes)
    return out


def ideal_seconds(structure: list[list[int]], delay: float, concurrency: int) -> float:
    """Return the least time the calls need: each wave in rounds of ``concurrency``, waves in order."""
    return sum(math.ceil(size / concurrency) for doc in structure for size in doc) * delay


def run_scripted(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    paths, script = news_corpus(folder / "in", args.documents, args.paragraphs)
    proc, url = start_server(script, folder / "server", "--delay", str(args.delay), "--keep-alive")
    runs = []
    try:
        for concurrency in args.concurrency:
            root = folder / f"ws{concurrency}"
            ids = ingest(root, paths, chunk_tokens=40)
            llm = Recorder(OpenAIBackend(url, "scripted", concurrency=concurrency, max_retries=0))
            options = ExtractOptions(demos=False, k_demos=0, concurrency=concurrency, resume=False)
            t0 = time.perf_counter()
            report = asyncio.run(extract(root, ids, "news", llm, options))
            runs.append((concurrency, time.perf_counter() - t0, t0, report, llm.calls))
            print(f"concurrency {concurrency}: {runs[-1][1]:.1f} s", file=sys.stderr)
    finally:
        proc.kill()
        proc.wait()
    structure = waves(max(runs, key=lambda r: r[0])[4], args.delay)
    rows = [scripted_row(*run, args.delay, structure) for run in runs]
    return {
        "delay_s": args.delay,
        "documents": args.documents,
        "paragraphs": args.paragraphs,
        "waves_per_document": [len(d) for d in structure],
        "wave_sizes": structure,
        "rows": rows,
    }


def scripted_row(
    concurrency: int,
    wall: float,
    t0: float,
    report: Any,
    calls: list[Call],
    delay: float,
    structure: list[list[int]],
) -> dict:
    docs = len(report.documents)
    ideal = ideal_seconds(structure, delay, concurrency)
    series = in_flight(calls, t0, 0.25)
    return {
        "concurrency": concurrency,
        "documents": docs,
        "calls": len(calls),
        "calls_per_document": round(len(calls) / docs, 1),
        "calls_by_agent": dict(Counter(c.agent for c in calls)),
        "wall_s": round(wall, 2),
        "documents_per_min": round(60 * docs / wall, 2),
        "ideal_documents_per_min": round(60 * docs / ideal, 2),
        "share_of_ideal": round(ideal / wall, 3),
        "throughput_bound_documents_per_min": round(60 * docs * concurrency / (len(calls) * delay), 2),
        "in_flight_max": max(series),
        "in_flight_mean": round(sum(series) / len(series), 2),
        "in_flight": series,
        "entities": sum(len(d.entities) for d in report.documents),
        "relations": sum(len(d.relations) for d in report.documents),
    }
