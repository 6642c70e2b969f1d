"""Measure ingest speed on the shared PDFs: pages/s and chunks/s per stage, against bare get_text().

Stages are those of ``factloom.ingest.pipeline`` (parse, chunk, embed, write), timed inside one
real ``ingest_paths`` run into a fresh workspace, after the embedding model is loaded (its load
time is reported apart). The parse + chunk versus ``page.get_text()`` ratio is taken as the best
of several repeats of each, in CPU time and wall time, because other processes may share the CPUs
(the load average is recorded).

Usage: python bench/ingest.py [--pdfs DIR] [--repeats N]
Writes bench/results/ingest.json and bench/results/ingest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pymupdf

from factloom.ingest.chunking import chunk_document
from factloom.ingest.embed import get_embedder
from factloom.ingest.pdf import parse_pdf
from factloom.ingest.pipeline import ingest_paths
from factloom.ingest.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
PDFS = ROOT.parent / "shared" / "data" / "pdfs"
RESULTS = ROOT / "bench" / "results"


def best_of(fn: Callable[[], object], repeats: int) -> dict[str, float]:
    """Return the smallest wall and CPU times of ``repeats`` calls of ``fn``."""
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return {"wall_s": min(wall), "cpu_s": min(cpu)}


def bare_get_text(pdfs: list[Path]) -> None:
    """Extract the plain text of every page, nothing else: the baseline."""
    for path in pdfs:
        with pymupdf.open(path) as doc:
            for page in doc:
                page.get_text()


def parse_and_chunk(pdfs: list[Path]) -> None:
    """Parse and chunk every PDF as the pipeline does."""
    for path in pdfs:
        chunk_document(parse_pdf(path, doc_id="bench", content_hash=path.name))


def measure(pdfs: list[Path], repeats: int) -> dict:
    """Run the baseline, the parse + chunk repeats and one full ingest; return the figures."""
    load_before = os.getloadavg()
    bare = best_of(lambda: bare_get_text(pdfs), repeats)
    parse_chunk = best_of(lambda: parse_and_chunk(pdfs), repeats)
    t0 = time.perf_counter()
    get_embedder().embed(["warm up"])
    model_load = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp, Workspace(tmp) as ws:
        t0 = time.perf_counter()
        report = ingest_paths(ws, [str(p) for p in pdfs])
        total = time.perf_counter() - t0
    if report.failed:
        raise SystemExit(f"ingest failed: {[r.message for r in report.failed]}")
    stages, cpu = dict(report.timings), dict(report.cpu_timings)
    pages, chunks = report.pages, report.chunks
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(), "python": platform.python_version(), "pymupdf": pymupdf.__version__,
        },
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "note": "CPUs shared with other processes: see the load averages; CPU-time ratios are steadier",
        "pdfs": len(pdfs),
        "pages": pages,
        "chunks": chunks,
        "repeats": repeats,
        "bare_get_text": bare,
        "parse_plus_chunk": parse_chunk,
        "parse_plus_chunk_over_bare": {
            "cpu": parse_chunk["cpu_s"] / bare["cpu_s"],
            "wall": parse_chunk["wall_s"] / bare["wall_s"],
        },
        "model_load_s": model_load,
        "ingest_stages_s": stages,
        "ingest_stages_cpu_s": cpu,
        "ingest_total_s": total,
        "ingest_total_cpu_s": sum(cpu.values()),
        "pages_per_s": _rates(pages, stages, total),
        "chunks_per_s": _rates(chunks, stages, total),
        "pages_per_cpu_s": _rates(pages, cpu, sum(cpu.values())),
        "targets": {"parse_plus_chunk_over_bare_max": 1.5, "ingest_pages_per_s_min": 25},
    }


def _rates(n: int, seconds: dict[str, float], total: float) -> dict[str, float]:
    return {k: n / v for k, v in seconds.items() if v > 0} | {"ingest_total": n / total}


def markdown(r: dict) -> str:
    """Render the figures as a short Markdown report."""
    rows = "\n".join(
        f"| {s} | {r['ingest_stages_s'][s]:.2f} | {r['ingest_stages_cpu_s'][s]:.2f} | "
        f"{r['pages_per_s'][s]:.1f} | {r['chunks_per_s'][s]:.1f} | {r['pages_per_cpu_s'][s]:.1f} |"
        for s in ("parse", "chunk", "embed", "write")
    )
    total = (
        f"| whole ingest (model loaded) | {r['ingest_total_s']:.2f} | {r['ingest_total_cpu_s']:.2f} | "
        f"{r['pages_per_s']['ingest_total']:.1f} | {r['chunks_per_s']['ingest_total']:.1f} | "
        f"{r['pages_per_cpu_s']['ingest_total']:.1f} |"
    )
    ratio = r["parse_plus_chunk_over_bare"]
    return f"""# Ingest benchmark

`python bench/ingest.py` on {r['date']}: {r['pdfs']} PDFs of ../shared/data/pdfs, {r['pages']} pages,
{r['chunks']} chunks; {r['machine']['cpus']} CPUs, load average {r['loadavg_before'][0]:.1f} before and
{r['loadavg_after'][0]:.1f} after (other processes shared the CPUs, so wall times are pessimistic).

| stage | wall s | CPU s (all threads) | pages/s (wall) | chunks/s (wall) | pages per CPU-second |
|---|---|---|---|---|---|
{rows}
{total}

Embedding model load: {r['model_load_s']:.1f} s (once per process).

Parse + chunk against bare `page.get_text()` over the same pages (best of {r['repeats']}):
bare {r['bare_get_text']['cpu_s']:.3f} s CPU / {r['bare_get_text']['wall_s']:.3f} s wall,
parse + chunk {r['parse_plus_chunk']['cpu_s']:.3f} s CPU / {r['parse_plus_chunk']['wall_s']:.3f} s wall:
**{ratio['cpu']:.2f}x** in CPU time, {ratio['wall']:.2f}x in wall time (target <= 1.5x).
Whole ingest: **{r['pages_per_s']['ingest_total']:.1f} pages/s** wall on this loaded machine, and
{r['pages_per_cpu_s']['ingest_total']:.1f} pages per CPU-second (target >= 25 pages/s on 2 cores).
"""


def main() -> None:
    """Run the benchmark and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=Path, default=PDFS)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    pdfs = sorted(args.pdfs.glob("*.pdf"))
    if not pdfs:
        raise SystemExit(f"no PDFs in {args.pdfs}")
    result = measure(pdfs, args.repeats)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "ingest.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
