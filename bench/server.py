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
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from server_llama import run_llama, run_llama_concurrency
from server_scripted import run_scripted

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
QWEN = Path.home() / ".cache" / "factloom-models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


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
