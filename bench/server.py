"""Benchmark the server path: throughput vs concurrency (scripted server), valid outputs (llama_cpp.server).

``--part scripted``: documents per minute through ``OpenAIBackend`` at ``--concurrency`` 1/4/16/64 against
``bench/scripted_server.py`` (a scripted server, ``--delay`` seconds per call, default 0.5), with
the calls in flight over time, compared with the ideal rate: every call takes exactly the delay, at most C
run at once, and a document's agents run in their dependency order (entity finder, then relation reasoner,
verifier, consolidator: ``depth`` rounds at least). Documents are extracted one after another
(``extract_collection``).

``--part llama``: a real ``python -m llama_cpp.server`` serving ``--model`` (Qwen2.5-Coder-0.5B by default,
from ~/.cache/factloom-models; nothing is downloaded) on ``--pdfs`` cut to ``--max-pages``: the share of
calls per agent whose output validated (after the backend's one repair), entities and relations found.

``--part llama-concurrency``: documents per minute through one ``python -m llama_cpp.server`` (``--model``,
Qwen2.5-Coder-0.5B by default) at ``--concurrency`` 1/2/4, on a small news corpus (``--documents`` texts of
``--paragraphs`` one-chunk paragraphs, profile ``--profile``). llama-cpp-python's server runs one
completion at a time (``llama_cpp/server/app.py`` holds a lock around the model for each request), so
calls sent together queue there: the table shows what concurrency still buys (the client's work and
the HTTP round trips overlap the model's) and what it costs (each call waits longer).

Writes ``bench/results/server.json`` and ``server.md`` (each part updates its own section).

    python bench/server.py --part scripted
    python bench/server.py --part llama --pdfs '*Malawi*' --max-pages 2
    python bench/server.py --part llama-concurrency --concurrency 1 2 4 --documents 2 --paragraphs 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripted_server import start_server

from factloom.graphs.extract import extract_collection
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.chunking import chunk_document
from factloom.ingest.sources import read_document
from factloom.ingest.store import save_document
from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMError, LLMOutputError
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.openai_backend import OpenAIBackend

ROOT = Path(__file__).resolve().parents[1]
PDFS = ROOT.parent / "shared" / "data" / "pdfs"
RESULTS = Path(__file__).parent / "results"
QWEN = Path.home() / ".cache" / "factloom-models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
SURNAMES = ("Smith", "Jones", "Brown", "White", "Green", "King", "Hill", "Lee", "Clark", "Scott")


@dataclass
class Call:
    """One model call as the backend saw it."""

    agent: str
    doc_id: str | None
    start: float
    end: float
    outcome: str  # ok | invalid | error


@dataclass
class Recorder:
    """Wraps an LLM; records every call's agent, document, start and end time and outcome."""

    inner: Any
    calls: list[Call] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    async def complete(self, messages, output, **kwargs):
        tag = kwargs.get("tag")
        start, outcome = time.perf_counter(), "error"
        try:
            done = await self.inner.complete(messages, output, **kwargs)
            outcome = "ok"
            return done
        except LLMOutputError:
            outcome = "invalid"
            raise
        finally:
            agent = tag.agent if tag is not None else "?"
            doc = tag.doc_id if tag is not None else None
            self.calls.append(Call(agent, doc, start, time.perf_counter(), outcome))


def news_corpus(folder: Path, documents: int, paragraphs: int) -> tuple[list[Path], dict[str, Any]]:
    """Write ``documents`` news texts of ``paragraphs`` one-chunk paragraphs; return them and the script."""
    names, relations, paths = {}, [], []
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(documents):
        paras = []
        for i in range(paragraphs):
            person, org, city = (
                f"Anna {SURNAMES[i % len(SURNAMES)]}{d}x{i}",
                f"Acme{d}x{i} Corporation",
                f"Town{d}x{i}",
            )
            works, lives = f"{person} works for {org} in {city}.", f"{person} lives in {city}."
            paras.append(f"{works} The company hired more staff this year. {lives} The press wrote about it.")
            names |= {person: "person", org: "organization", city: "location"}
            relations += [[person, "work_for", org, works], [person, "live_in", city, lives]]
        path = folder / f"doc{d}.txt"
        path.write_text("\n\n".join(paras) + "\n", encoding="utf-8")
        paths.append(path)
    return paths, {"names": names, "relations": relations}


def ingest(root: Path, paths: list[Path], chunk_tokens: int | None) -> list[str]:
    """Ingest ``paths`` without embeddings (extraction does not need them); return the document ids."""
    ids = []
    with Workspace(root) as ws:
        for path in paths:
            document = read_document(path)
            kw = {"chunk_tokens": chunk_tokens, "overlap_tokens": 0} if chunk_tokens else {}
            save_document(ws, document, chunk_document(document, **kw))
            ids.append(document.doc_id)
    return ids


async def extract(root: Path, ids: list[str], schema: str, llm: Recorder, options: ExtractOptions) -> Any:
    with Workspace(root) as ws:
        try:
            return await extract_collection(ws, ids, load_schema(schema), llm, options)
        finally:
            await llm.inner.aclose()


def in_flight(calls: list[Call], t0: float, step: float) -> list[int]:
    """Return the number of calls in flight at every ``step`` seconds from ``t0``."""
    end = max(c.end for c in calls)
    return [
        sum(1 for c in calls if c.start <= t < c.end)
        for t in (t0 + i * step for i in range(int((end - t0) / step) + 1))
    ]


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


def commit() -> str:
    out = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "agents", "graphs", "tools"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() + (
        " + uncommitted changes in agents/graphs/tools" if dirty.stdout.strip() else ""
    )


def main() -> None:
    """Run one part of the benchmark and update bench/results/server.json and server.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["scripted", "llama", "llama-concurrency"], required=True)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--delay", type=float, default=0.5, help="seconds per call of the scripted server")
    parser.add_argument("--documents", type=int, default=4)
    parser.add_argument("--paragraphs", type=int, default=16, help="one-chunk paragraphs per document")
    parser.add_argument("--model", type=Path, default=QWEN, help="a GGUF file for llama_cpp.server")
    parser.add_argument("--pdfs", default="*Malawi*", help="glob of PDFs in ../shared/data/pdfs")
    parser.add_argument("--max-pages", type=int, default=2)
    parser.add_argument("--schema", default="biomed")
    parser.add_argument("--profile", default="small", help="the model's profile (Qwen-0.5B: small)")
    parser.add_argument("--server-concurrency", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="llama_cpp.server's threads")
    parser.add_argument("--label", default=None, help="key of this run in server.json (default: --part)")
    parser.add_argument("--note", default=None, help="a note for the report's heading")
    args = parser.parse_args()
    if args.part != "scripted" and not args.model.exists():
        sys.exit(f"error: {args.model}: no such GGUF file; pass --model")
    load_start, started_at = os.getloadavg(), commit()  # the code that runs is the code at the start
    with tempfile.TemporaryDirectory() as tmp:
        run = {"scripted": run_scripted, "llama": run_llama, "llama-concurrency": run_llama_concurrency}
        part = run[args.part](args, Path(tmp))
    part |= {
        "command": "python " + " ".join(sys.argv),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": started_at,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "server.json"
    result = json.loads(path.read_text()) if path.exists() else {}
    result[args.label or args.part] = part | ({"note": f" ({args.note})"} if args.note else {})
    path.write_text(json.dumps(result, indent=2) + "\n")
    import server_report

    (RESULTS / "server.md").write_text(server_report.markdown(result))
    print((RESULTS / "server.md").read_text())


if __name__ == "__main__":
    main()
