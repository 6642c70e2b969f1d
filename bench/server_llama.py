"""``bench/server.py --part llama`` and ``--part llama-concurrency``: a real ``python -m llama_cpp.server``.

``llama``: the share of calls per agent whose output validated, entities and relations, on PDFs cut to
their first pages. ``llama-concurrency``: documents per minute at several concurrencies on a news corpus.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from server_workload import Call, Recorder, extract, in_flight, ingest, news_corpus

from factloom.graphs.extract_options import ExtractOptions
from factloom.tools.errors import LLMError
from factloom.tools.llm.openai_backend import OpenAIBackend

ROOT = Path(__file__).resolve().parents[1]
PDFS = ROOT.parent / "shared" / "data" / "pdfs"


def run_llama(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    pdfs = sorted(PDFS.glob(args.pdfs))
    cut = [cut_pdf(p, args.max_pages, folder) for p in pdfs]
    log = (folder / "llama_server.log").open("wb")
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(args.model), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--n_ctx", "8192", "--n_threads", str(args.threads)]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_for(url, server)
        ids = ingest(folder / "ws", cut, chunk_tokens=None)
        llm = Recorder(OpenAIBackend(url, args.model.stem, concurrency=args.server_concurrency, timeout=600))
        options = ExtractOptions(
            profile=args.profile, demos=False, k_demos=0, concurrency=args.server_concurrency, resume=False
        )
        t0 = time.perf_counter()
        try:
            report = asyncio.run(extract(folder / "ws", ids, args.schema, llm, options))
            error = None
        except LLMError as e:
            report, error = None, str(e)
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=30)
    return llama_result(args, pdfs, llm.calls, report, wall, error)


def run_llama_concurrency(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    paths, _ = news_corpus(folder / "in", args.documents, args.paragraphs)
    log = (folder / "llama_server.log").open("wb")
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(args.model), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--n_ctx", "4096", "--n_threads", str(args.threads)]
    command += ["--n_threads_batch", str(args.threads)]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    rows = []
    try:
        wait_for(url, server)
        for concurrency in args.concurrency:
            root = folder / f"ws{concurrency}"
            ids = ingest(root, paths, chunk_tokens=40)  # one chunk per paragraph: calls that can overlap
            llm = Recorder(OpenAIBackend(url, args.model.stem, concurrency=concurrency, timeout=600))
            options = ExtractOptions(
                profile=args.profile, demos=False, k_demos=0, concurrency=concurrency, resume=False
            )
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            report = asyncio.run(extract(root, ids, "news", llm, options))
            wall = time.perf_counter() - t0
            rows.append(concurrency_row(concurrency, wall, t0, report, llm.calls, load, os.getloadavg()[0]))
            print(f"concurrency {concurrency}: {wall:.1f} s {rows[-1]}", file=sys.stderr, flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "model": args.model.name,
        "documents": args.documents,
        "paragraphs": args.paragraphs,
        "profile": args.profile,
        "threads": args.threads,
        "rows": rows,
    }


def concurrency_row(
    concurrency: int, wall: float, t0: float, report: Any, calls: list[Call], load0: float, load1: float
) -> dict:
    docs = len(report.documents)
    series = in_flight(calls, t0, 0.5)
    latency = sorted(c.end - c.start for c in calls)
    return {
        "concurrency": concurrency,
        "documents": docs,
        "calls": len(calls),
        "calls_by_agent": dict(Counter(c.agent for c in calls)),
        "outcomes": dict(Counter(c.outcome for c in calls)),
        "wall_s": round(wall, 1),
        "documents_per_min": round(60 * docs / wall, 3),
        "calls_per_min": round(60 * len(calls) / wall, 2),
        "call_latency_mean_s": round(sum(latency) / len(latency), 2),
        "call_latency_p90_s": round(latency[math.ceil(0.9 * len(latency)) - 1], 2),  # nearest rank
        "in_flight_max": max(series),
        "in_flight_mean": round(sum(series) / len(series), 2),
        "in_flight": series,
        "entities": sum(len(d.entities) for d in report.documents),
        "relations": sum(len(d.relations) for d in report.documents),
        "loadavg_1min_start_end": [round(load0, 2), round(load1, 2)],
    }


def llama_result(args, pdfs, calls: list[Call], report, wall: float, error: str | None) -> dict[str, Any]:
    agents = sorted({c.agent for c in calls})
    per_agent = {}
    for agent in agents:
        mine = [c for c in calls if c.agent == agent]
        outcomes = Counter(c.outcome for c in mine)
        per_agent[agent] = {
            "calls": len(mine),
            **outcomes,
            "valid_share": round(outcomes["ok"] / len(mine), 3),
        }
    docs = report.documents if report is not None else []
    return {
        "model": args.model.name,
        "pdfs": [p.name for p in pdfs],
        "max_pages": args.max_pages,
        "schema": args.schema,
        "profile": args.profile,
        "concurrency": args.server_concurrency,
        "threads": args.threads,
        "wall_s": round(wall, 1),
        "calls": len(calls),
        "valid_share": round(sum(c.outcome == "ok" for c in calls) / max(len(calls), 1), 3),
        "per_agent": per_agent,
        "documents_per_min": round(60 * len(docs) / wall, 3) if docs else 0.0,
        "chunks": sum(d.stats.chunks for d in docs),
        "entities": sum(len(d.entities) for d in docs),
        "relations": sum(len(d.relations) for d in docs),
        "drops": dict(sum((Counter(d.stats.drops) for d in docs), Counter())),
        "error": error,
    }


def cut_pdf(src: Path, max_pages: int | None, folder: Path) -> Path:
    """Return ``src``, or a copy holding only its first ``max_pages`` pages."""
    import pymupdf

    with pymupdf.open(src) as doc:
        if max_pages is None or doc.page_count <= max_pages:
            return src
        doc.select(list(range(max_pages)))
        out = folder / src.name
        doc.save(out)
    return out


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.5)
    raise RuntimeError("llama_cpp.server did not start in 180 s")
