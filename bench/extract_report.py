"""The result files of ``bench/extract.py``: ``bench/results/<out>.json`` and its Markdown report, and the
``--combine`` table of earlier result files.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from extract_figures import totals

from factloom.graphs.extract_options import ExtractOptions
from factloom.tools.llm.embedded import cpu_threads

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
DEFAULT_MODEL = "SmolLM2-135M-Instruct Q4_1"


def _settings(options: ExtractOptions) -> dict[str, object]:
    s = options.settings()
    keys = ("profile", "unit", "relation_mode", "cot", "verify", "verifier_style", "check_types", "k_demos")
    return {k: getattr(s, k) for k in keys}


def markdown(result: dict) -> str:
    """Return the results as a Markdown report."""
    cols = [
        ("pdf", "pdf"),
        ("schema", "schema"),
        ("pages", "pages"),
        ("source_tokens", "src tok"),
        ("chunks", "chunks"),
        ("wall_s_per_page", "s/page"),
        ("llm_tokens_per_page", "LLM tok/page"),
        ("llm_calls_per_1k_source_tokens", "calls/1k"),
        ("prompt_tokens_per_source_token", "prompt/src"),
        ("completion_tokens_per_1k_source_tokens", "compl/1k"),
        ("prefix_cache_share", "prefix cache"),
        ("non_llm_time_share", "non-LLM time"),
        ("entities", "entities"),
        ("relations", "relations"),
        ("proposed", "proposed"),
        ("grounded", "grounded"),
        ("rejected", "rejected"),
        ("verified", "verified"),
        ("unverified", "unverified"),
        ("one_sentence", "1 sentence"),
        ("cross_sentence", "cross-sentence"),
        ("cross_chunk", "cross-chunk"),
    ]
    lines = [
        "# Extraction benchmark",
        "",
        f"Command: `{result['command']}`; {result.get('date', '')}; commit {result.get('commit', '?')}  ",
        f"Backend: {result['backend']}; schema `{result['schema']}`; options {result['options']}  ",
        f"Pages: {'first ' + str(result['max_pages']) + ' of each PDF' if result.get('max_pages') else 'all'}"
        "; demonstrations: none stored (fresh workspaces), so the agents ran zero-shot  ",
        f"Machine: {result['machine']}; load average at start {result['loadavg_start']}, at end "
        f"{result['loadavg_end']} (shared by other engineers: timings are disturbed)  ",
        f"Workspaces: {result.get('workspaces', 'not kept')}",
        *(["", result["note"]] if result.get("note") else []),
        *(
            ["", f"**Partial: {len(result['documents'])} of {len(result['pdfs_planned'])} PDFs done.**"]
            if result.get("complete") is False
            else []
        ),
        "",
        "| " + " | ".join(h for _, h in cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for r in [*result["documents"], {"pdf": "**all**", **result["totals"]}]:
        if "error" in r:
            lines.append(f"| {r['pdf']} | error: {r['error']} |")
            continue
        lines.append("| " + " | ".join(str(r.get(k, "")) for k, _ in cols) + " |")
    lines += ["", *agent_table(result["totals"].get("calls_by_agent", {}))]
    return "\n".join(lines) + "\n"


def agent_table(per_agent: dict[str, dict[str, Any]]) -> list[str]:
    """Return the per-agent call outcomes as Markdown lines."""
    if not per_agent:
        return []
    lines = [
        "Model calls per agent (valid: at once; repaired: valid after the one repair; invalid: still invalid "
        "after it; error: the backend failed):",
        "",
        "| agent | calls | valid | repaired | invalid | error | valid share (after at most one repair) |",
        "|---|---|---|---|---|---|---|",
    ]
    for agent, a in per_agent.items():
        name = f"**{agent}**" if agent == "all" else agent
        lines.append(
            f"| {name} | {a['calls']} | {a['ok']} | {a['repaired']} | {a['invalid']} | {a['error']} "
            f"| {a['valid_share']} |"
        )
    return lines


COMBINED = [
    ("documents", "docs"),
    ("pages", "pages"),
    ("wall_s", "wall s"),
    ("wall_s_per_page", "s/page"),
    ("llm_tokens_per_page", "LLM tok/page"),
    ("entities", "entities"),
    ("relations", "relations"),
    ("proposed", "proposed"),
    ("grounded", "grounded"),
    ("rejected", "rejected"),
    ("verified", "verified"),
    ("unverified", "unverified"),
    ("cross_sentence_share", "cross-sentence share"),
    ("cross_chunk_share", "cross-chunk share"),
]


def combine(stems: list[str], out: str, title: str, note: str | None = None) -> dict[str, Any]:
    """Write one table of the result files ``bench/results/<stem>.json`` (runs on the same PDFs)."""
    runs = []
    for stem in stems:
        path = RESULTS / f"{stem}.json"
        if not path.exists():
            sys.exit(f"error: {path}: no such result file; run bench/extract.py --out {stem} first")
        runs.append({"stem": stem, **json.loads(path.read_text())})
    result = {"title": title, "command": "python " + " ".join(sys.argv), "note": note, "runs": runs}
    lines = [f"# {title}", "", f"Command: `{result['command']}`", "", *([note, ""] if note else [])]
    for run in runs:
        lines.append(
            f"- **{run['stem']}**: `{run['command']}` ({run.get('date', '')}, "
            f"commit {run.get('commit', '?')}); "
            f"{run['backend']}; schema `{run['schema']}`; options {run['options']}; pages: first "
            f"{run.get('max_pages') or 'all'} of each PDF; load average {run['loadavg_start']} at start, "
            f"{run['loadavg_end']} at end; workspaces {run.get('workspaces', 'not kept')}"
            + (f"; {run['note']}" if run.get("note") else "")
        )
    lines += ["", "| run | " + " | ".join(h for _, h in COMBINED) + " |", "|---|" + "---|" * len(COMBINED)]
    for run in runs:
        t = run["totals"]
        lines.append(f"| {run['stem']} | " + " | ".join(str(t.get(k, "")) for k, _ in COMBINED) + " |")
    lines += [
        "",
        "Valid-output share per agent (after at most one repair; valid / repaired / invalid / error):",
        "",
    ]
    agents = sorted({a for run in runs for a in run["totals"].get("calls_by_agent", {}) if a != "all"})
    lines += ["| agent | " + " | ".join(run["stem"] for run in runs) + " |", "|---|" + "---|" * len(runs)]
    for agent in [*agents, "all"]:
        cells = []
        for run in runs:
            a = run["totals"].get("calls_by_agent", {}).get(agent)
            cells.append(
                "–"
                if a is None
                else f"{a['valid_share']} ({a['calls']} calls: {a['ok']} / {a['repaired']} / "
                f"{a['invalid']} / {a['error']})"
            )
        lines.append(f"| {'**all**' if agent == 'all' else agent} | " + " | ".join(cells) + " |")
    lines += ["", "Per PDF (entities / relations / verified):", ""]
    pdfs = [d["pdf"] for d in runs[0]["documents"]]
    lines += ["| pdf | " + " | ".join(run["stem"] for run in runs) + " |", "|---|" + "---|" * len(runs)]
    for pdf in pdfs:
        cells = []
        for run in runs:
            d = next((d for d in run["documents"] if d["pdf"] == pdf), None)
            if d is None or "error" in d:
                cells.append("error" if d else "–")
            else:
                cells.append(f"{d['entities']} / {d['relations']} / {d['verified']}")
        lines.append(f"| {pdf} | " + " | ".join(cells) + " |")
    (RESULTS / f"{out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{out}.md").write_text("\n".join(lines) + "\n")
    return result


def commit() -> str:
    """Return the commit the run started from, flagged when agents/graphs/tools had uncommitted changes."""
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "agents", "graphs", "tools", "ingest"],
        capture_output=True,
        text=True,
    )
    changed = [line[3:] for line in dirty.stdout.splitlines() if line.strip()]
    return head.stdout.strip() + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")


def write_result(
    args: argparse.Namespace,
    options: ExtractOptions,
    rows: list[dict],
    load_start: tuple[float, float, float],
    started_at: str,
    threads: int,
    pdfs: list[Path],
) -> dict[str, Any]:
    """Write bench/results/<out>.json and .md for the PDFs done so far (``complete`` once all are)."""
    model = args.model_path.name if args.model_path else DEFAULT_MODEL
    result = {
        "command": "python " + " ".join(sys.argv),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": started_at,
        "backend": (
            f"openai: python -m llama_cpp.server ({threads} decoding threads, {cpu_threads()} for "
            f"prompts, n_ctx 4096) serving {model}"
            if args.serve
            else f"openai ({args.base_url}, model {args.served_model})"
            if args.base_url
            else f"embedded (llama.cpp, {model}, {args.threads or 'default'} decoding threads, n_ctx 4096)"
        ),
        "model": model,
        "schema": args.schema,
        "schemas": {r["pdf"]: r.get("schema") for r in rows},
        "max_pages": args.max_pages,
        "options": {"concurrency": options.concurrency, **_settings(options)},
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "workspaces": str(args.workspaces) if args.workspaces else None,
        "note": args.note,
        "complete": len(rows) == len(pdfs),
        "pdfs_planned": [p.name for p in pdfs],
        "documents": rows,
        "totals": totals(rows),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{args.out}.md").write_text(markdown(result))
    return result
