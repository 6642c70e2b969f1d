"""Benchmark extraction single-process vs on a local Ray cluster: documents per minute and Ray's overhead.

The model is the scripted fake of the tests behind a fixed per-call latency (an ``asyncio.sleep``, as a
remote server's answer would be awaited), so the numbers measure the orchestration, not a model:
what a document costs when it goes through a Ray worker instead of this process. ``--model embedded``
runs the real embedded model (SmolLM2) instead, e.g. on the first ``--max-pages`` pages of each PDF.

The PDFs are parsed and chunked once (real pymupdf); every run starts from a copy of that workspace.
GPU / vLLM throughput is not measured here (no GPU on this machine).

    python bench/scale.py                        # the three smallest shared PDFs, 50 ms per call
    python bench/scale.py --latency 0.2 --workers 1 2
    python bench/scale.py --model embedded --max-pages 1 --out scale_embedded
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]

from factloom.graphs.distributed import (  # noqa: E402
    DocumentPool,
    RayOptions,
    RayPool,
    extract_on_pool,
    worker_spec,
)
from factloom.graphs.distributed.worker import DocumentOutcome, DocumentTask  # noqa: E402
from factloom.graphs.extract import extract_collection  # noqa: E402
from factloom.graphs.extract_options import CollectionReport, ExtractOptions  # noqa: E402
from factloom.ingest.chunking import chunk_document  # noqa: E402
from factloom.ingest.sources import file_hash, read_document  # noqa: E402
from factloom.ingest.store import save_document  # noqa: E402
from factloom.ingest.workspace import Workspace  # noqa: E402
from factloom.tools.extraction.schema import load_schema  # noqa: E402  # noqa: E402
from factloom.tools.llm.base import Completion, Message  # noqa: E402
from factloom.tools.llm.cache import CachedLLM  # noqa: E402
from factloom.tools.llm.config import BackendConfig  # noqa: E402
from factloom.tools.llm.factory import make_llm  # noqa: E402
from factloom.tools.llm.scripted import RULES, ScriptedLLM  # noqa: E402

PDFS = ROOT.parent / "shared" / "data" / "pdfs"
RESULTS = Path(__file__).parent / "results"
SMALL = (
    "legal_judgement_MoCtApp_Jagels_v_State.pdf",
    "legal_contract_CUAD_BLACKBOXSTOCKS_Distributor_Agreement.pdf",
    "medical_JTraumaManagOutcomes-2010_DVT_prophylaxis_review.pdf",
)


@dataclass
class LatencyLLM:
    """The scripted model answering after a fixed delay, like a server that takes ``latency`` per call."""

    latency: float
    name: str = "scripted"

    def __post_init__(self) -> None:
        self.inner = ScriptedLLM(RULES)

    async def complete(self, messages: list[Message], output: type[BaseModel], **kwargs: Any) -> Completion:
        """Wait ``latency`` seconds, then answer as the scripted model."""
        await asyncio.sleep(self.latency)
        return await self.inner.complete(messages, output, **kwargs)


@dataclass(frozen=True)
class SlowModel:
    """A picklable factory of ``LatencyLLM`` (each Ray worker builds its own)."""

    latency: float

    def __call__(self) -> LatencyLLM:
        return LatencyLLM(self.latency)


class TimedPool:
    """A pool that measures how long the driver takes with each outcome (storing it) before asking again."""

    def __init__(self, pool: DocumentPool) -> None:
        self.pool = pool
        self.driver_seconds = 0.0

    def map(
        self, doc_ids: Sequence[str], make_task: Callable[[str], DocumentTask]
    ) -> Iterator[DocumentOutcome]:
        """Yield the pool's outcomes, adding up the time between handing one out and the next request."""
        for outcome in self.pool.map(doc_ids, make_task):
            start = time.perf_counter()
            yield outcome
            self.driver_seconds += time.perf_counter() - start


def prepare(pdfs: list[Path], folder: Path, max_pages: int | None) -> tuple[Path, list[str], int]:
    """Parse and chunk the PDFs into a template workspace; return it, the doc ids and the chunk count."""
    root, doc_ids, n_chunks = folder / "template", [], 0
    with Workspace(root) as ws:
        for path in pdfs:
            if max_pages is not None:
                path = cut(path, max_pages, folder)
            doc = read_document(path, content_hash=file_hash(path))
            chunks = chunk_document(doc)
            save_document(ws, doc, chunks)
            doc_ids.append(doc.doc_id)
            n_chunks += len(chunks)
    return root, doc_ids, n_chunks


def cut(src: Path, max_pages: int, folder: Path) -> Path:
    """Return a copy of ``src`` holding only its first ``max_pages`` pages."""
    import pymupdf

    with pymupdf.open(src) as doc:
        doc.select(list(range(min(max_pages, doc.page_count))))
        out = folder / src.name
        doc.save(out)
    return out


def copy(template: Path, name: str) -> Path:
    """Return a fresh copy of the template workspace."""
    dst = template.parent / name
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(template, dst)
    return dst


def run_single(
    template: Path, doc_ids: list[str], backend: BackendConfig | SlowModel, options: ExtractOptions
) -> dict:
    """Extract in this process, as `factloom extract` does; return the timings."""
    schema = load_schema("open")
    with Workspace(copy(template, "single")) as ws:
        t0 = time.perf_counter()
        llm = make_llm(backend, ws) if isinstance(backend, BackendConfig) else CachedLLM(backend(), ws)
        t1 = time.perf_counter()
        report = asyncio.run(extract_collection(ws, doc_ids, schema, llm, options))
        t2 = time.perf_counter()
    return timings("single-process", 1, report, setup=t1 - t0, run=t2 - t1)


def run_ray(
    template: Path,
    doc_ids: list[str],
    backend: BackendConfig | SlowModel,
    options: ExtractOptions,
    workers: int,
) -> dict:
    """Extract on a pool of ``workers`` Ray actors (the cluster is already up); return the timings."""
    schema = load_schema("open")
    with Workspace(copy(template, f"ray{workers}")) as ws:
        t0 = time.perf_counter()
        with RayPool(worker_spec(ws, schema, backend, options), RayOptions(workers=workers)) as pool:
            pool.pids()  # every worker has built its model
            t1 = time.perf_counter()
            timed = TimedPool(pool)
            report = extract_on_pool(ws, timed, doc_ids)
            t2 = time.perf_counter()
    row = timings("ray", workers, report, setup=t1 - t0, run=t2 - t1)
    row["driver_store_seconds_per_document"] = round(timed.driver_seconds / max(len(doc_ids), 1), 4)
    return row


def timings(mode: str, workers: int, report: CollectionReport, *, setup: float, run: float) -> dict:
    """Return one result row."""
    n = len(report.documents)
    worker_seconds = sum(g.stats.seconds for g in report.documents)
    # sequential runs only: wall time outside the per-document graph (hand-over, seeding, storing)
    outside = round((run - worker_seconds) / n, 4) if n and workers == 1 else None
    return {
        "mode": mode,
        "workers": workers,
        "documents": n,
        "failed": len(report.failed),
        "relations": sum(len(g.relations) for g in report.documents),
        "llm_calls": report.totals().usage.calls,
        "setup_seconds": round(setup, 2),
        "run_seconds": round(run, 2),
        "documents_per_minute": round(60 * n / run, 2) if run else None,
        "graph_seconds_per_document": round(worker_seconds / n, 3) if n else None,
        "outside_graph_seconds_per_document": outside,
    }


def main() -> None:
    """Run the benchmark and write bench/results/<out>.json and <out>.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", nargs="*", default=list(SMALL), help="PDF names in ../shared/data/pdfs.")
    parser.add_argument("--model", choices=["scripted", "embedded"], default="scripted")
    parser.add_argument("--latency", type=float, default=0.05, help="Seconds per scripted LLM call.")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Ray pool sizes to run.")
    parser.add_argument("--max-pages", type=int, default=None, help="Only the first N pages of each PDF.")
    parser.add_argument("--out", default="scale", help="Result file stem in bench/results.")
    parser.add_argument("--repeat", type=int, default=1, help="Trials of every mode (medians reported).")
    args = parser.parse_args()

    import ray

    options = ExtractOptions(cross_chunk_pairs=0)
    if args.model == "scripted":
        label = f"scripted, {args.latency}s per call"
        single_backend: BackendConfig | SlowModel = SlowModel(args.latency)
        ray_backend: BackendConfig | SlowModel = single_backend
    else:  # one process uses every core; each Ray worker one thread (one CPU reserved per worker)
        label = "embedded SmolLM2-135M (1 process: all cores; Ray: 1 thread per worker)"
        single_backend, ray_backend = BackendConfig(), BackendConfig(threads=1)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        template, doc_ids, n_chunks = prepare([PDFS / p for p in args.pdfs], Path(tmp), args.max_pages)
        t0 = time.perf_counter()
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="WARNING")
        ray_start = time.perf_counter() - t0
        rows = []
        for trial in range(1, args.repeat + 1):  # interleaved, so that load drifts hit every mode alike
            for run in [lambda: run_single(template, doc_ids, single_backend, options)] + [
                functools.partial(run_ray, template, doc_ids, ray_backend, options, w) for w in args.workers
            ]:
                rows.append({"model": label, "trial": trial, **run()})
                print(json.dumps(rows[-1]), flush=True)
        ray.shutdown()
    write_results(args, rows, doc_ids, n_chunks, ray_start, load_before)


def medians(rows: list[dict]) -> list[dict]:
    """Return, per mode and pool size, the median run time and documents/min over the trials."""
    out = []
    for mode, workers in dict.fromkeys((r["mode"], r["workers"]) for r in rows):
        runs = [r for r in rows if r["mode"] == mode and r["workers"] == workers]
        seconds = statistics.median(r["run_seconds"] for r in runs)
        out.append({
            "mode": mode,
            "workers": workers,
            "trials": len(runs),
            "median_run_seconds": round(seconds, 2),
            "min_run_seconds": min(r["run_seconds"] for r in runs),
            "max_run_seconds": max(r["run_seconds"] for r in runs),
            "median_documents_per_minute": round(60 * runs[0]["documents"] / seconds, 2),
        })
    return out


def overhead(rows: list[dict]) -> float | None:
    """Return Ray's extra time per document: one worker's time outside the graph minus one process's.

    Both runs are sequential, so the time outside the per-document graph is what the path around it
    costs (one process: saving the graph; Ray: building the task, shipping it, seeding the worker's
    scratch workspace, returning and storing the rows). Medians over the trials.
    """
    single = [r["outside_graph_seconds_per_document"] for r in rows if r["mode"] == "single-process"]
    one = [r["outside_graph_seconds_per_document"] for r in rows if r["mode"] == "ray" and r["workers"] == 1]
    if not single or not one:
        return None
    return round(statistics.median(one) - statistics.median(single), 4)


def write_results(
    args: argparse.Namespace,
    rows: list[dict],
    doc_ids: list[str],
    n_chunks: int,
    ray_start: float,
    load_before: tuple[float, float, float],
) -> None:
    """Write scale.json and scale.md."""
    summary = medians(rows)
    result = {
        "command": "python bench/scale.py " + " ".join(sys.argv[1:]),
        "pdfs": args.pdfs,
        "max_pages": args.max_pages,
        "documents": len(doc_ids),
        "chunks": n_chunks,
        "model": args.model,
        "latency_per_call_s": args.latency if args.model == "scripted" else None,
        "ray_version": __import__("ray").__version__,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "note": "timings disturbed by other engineers' load on this shared 2-core machine (see loadavg)",
        "ray_cluster_start_seconds": round(ray_start, 2),
        "summary": summary,
        "ray_overhead_seconds_per_document_1_worker": overhead(rows)
        if args.model == "scripted"
        else "not computed: one process and the Ray worker use different thread counts",
        "gpu": "not measured: no GPU was lent to this task (vLLM tokens/s not measured)",
        "runs": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Scale benchmark: single-process vs Ray (this machine)",
        "",
        f"`{result['command']}` — {len(doc_ids)} documents, {n_chunks} chunks, {result['cpus']} CPUs, "
        f"Ray {result['ray_version']}; load average {result['loadavg_before']} before, "
        f"{result['loadavg_after']} after ({result['note']}).",
        f"Ray cluster start: {result['ray_cluster_start_seconds']} s. GPU: {result['gpu']}.",
        "",
        "| mode | workers | trials | median run s | min | max | median docs/min |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {m['mode']} | {m['workers']} | {m['trials']} | {m['median_run_seconds']} | "
            f"{m['min_run_seconds']} | {m['max_run_seconds']} | {m['median_documents_per_minute']} |"
            for m in summary
        ],
        "",
        f"Model: {rows[0]['model']}. Every trial:",
        "",
        "| trial | mode | workers | docs | relations | calls | setup s | run s | docs/min | graph s/doc "
        "| outside graph s/doc | driver store s/doc |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['trial']} | {r['mode']} | {r['workers']} | {r['documents']} | {r['relations']} | "
            f"{r['llm_calls']} | {r['setup_seconds']} | {r['run_seconds']} | {r['documents_per_minute']} | "
            f"{r['graph_seconds_per_document']} | {r['outside_graph_seconds_per_document'] or ''} | "
            f"{r.get('driver_store_seconds_per_document', '')} |"
        )
    lines += ["", "Ray overhead per document (one worker's time outside the graph minus one process's, s): "
              + json.dumps(result["ray_overhead_seconds_per_document_1_worker"]), ""]
    (RESULTS / f"{args.out}.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
