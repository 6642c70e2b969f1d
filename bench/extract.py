"""Benchmark the extraction graph on the shared PDFs with a real backend (the embedded model by default).

Per PDF: wall time per page, LLM calls and prompt/completion tokens per 1,000 source tokens, entities and
relations found, the share of relation proposals dropped by grounding and by the verifier, the relations
by status (verified / unverified) and by origin (within one sentence, across sentences of a chunk, across
chunks), the share of prompt tokens served from the backend's prefix cache, and the share of wall time
spent outside LLM calls. The model's profile sets the agents' defaults (``--profile`` to force one).
Source tokens are counted with the model's own tokenizer (SmolLM2's, from its GGUF) on the document text.

Each PDF is ingested into a fresh workspace (kept under ``--workspaces DIR`` for re-scoring and export);
the call cache is never read and the job table is off, so every number is a cold run; every model answer
is stored in the workspace's call cache (``llm_cache``), so a run can be re-read without the model.
``--max-pages N`` extracts only the first N pages of each PDF (a copy cut with pymupdf). ``--schema auto``
picks a preset per PDF from its file name (biomedical/medical: biomed, legal_contract: contracts,
legal_judgement: news, as there is no legal preset, scientific: science).

Every model call is recorded per agent: valid at once, valid after the backend's one repair, invalid after
it, or failed. ``--serve`` runs the same GGUF (``--model-path``) behind a real ``python -m llama_cpp.server``
and extracts through ``OpenAIBackend`` instead of the embedded backend, with the same profile and options.
``--combine A B ...`` writes one table from earlier result files (server vs embedded, model vs model).

    python bench/extract.py                               # all PDFs of ../shared/data/pdfs
    python bench/extract.py --max-pages 2 --pdfs '*contract*'
    python bench/extract.py --model-path qwen.gguf --schema auto --out extract-qwen-0.5b
    python bench/extract.py --model-path qwen.gguf --schema auto --serve --out extract-qwen-0.5b-server
    python bench/extract.py --combine extract-qwen-0.5b extract-qwen-0.5b-server --out server_vs_embedded
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
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

from factloom.graphs.extract import extract_collection
from factloom.graphs.extract_options import DocumentGraph, ExtractOptions
from factloom.ingest.pipeline import ingest_paths
from factloom.ingest.store import get_document
from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.cache import CachedLLM
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.embedded import cpu_threads, decode_threads
from factloom.tools.llm.factory import make_llm

ROOT = Path(__file__).resolve().parents[1]
PDFS = ROOT.parent / "shared" / "data" / "pdfs"
RESULTS = Path(__file__).parent / "results"
DEFAULT_MODEL = "SmolLM2-135M-Instruct Q4_1"
ORIGINS = ("verified", "unverified", "one_sentence", "cross_sentence", "cross_chunk")
PROPOSAL_KEYS = ("proposed", "grounded", "rejected")
OUTCOMES = ("ok", "repaired", "invalid", "error")
# file name prefix -> preset (there is no legal preset: judgements name people, courts and places)
AUTO_SCHEMA = (
    ("biomedical_", "biomed"),
    ("medical_", "biomed"),
    ("legal_contract_", "contracts"),
    ("legal_judgement_", "news"),
    ("scientific_", "science"),
)


def schema_for(pdf: Path, schema: str) -> str:
    """Return ``schema``, or with ``auto`` the preset that fits ``pdf``'s file name (else ``news``)."""
    if schema != "auto":
        return schema
    return next((preset for prefix, preset in AUTO_SCHEMA if pdf.name.startswith(prefix)), "news")


@dataclass
class Recorder:
    """Wraps an LLM; counts every call's outcome per agent: ok, repaired (valid after the one repair),
    invalid (still invalid after it) or error (the backend failed)."""

    inner: Any
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.inner.name

    async def complete(self, messages, output, **kwargs):
        tag = kwargs.get("tag")
        agent = (tag.agent if tag is not None else "") or "?"
        outcome = "error"
        try:
            done = await self.inner.complete(messages, output, **kwargs)
            outcome = "repaired" if done.usage.calls > 1 else "ok"
            return done
        except LLMOutputError:
            outcome = "invalid"
            raise
        finally:
            self.outcomes.setdefault(agent, Counter())[outcome] += 1


def cut_pdf(src: Path, max_pages: int | None, folder: Path) -> Path:
    """Return ``src``, or a copy holding only its first ``max_pages`` pages."""
    if max_pages is None:
        return src
    import pymupdf

    with pymupdf.open(src) as doc:
        if doc.page_count <= max_pages:
            return src
        doc.select(list(range(max_pages)))
        out = folder / src.name
        doc.save(out)
    return out


def source_tokens(text: str) -> int:
    """Count the tokens of ``text`` with the embedded model's tokenizer (vocabulary only, no weights)."""
    import llama_cpp

    from factloom.tools.llm.embedded import default_model_path

    vocab = llama_cpp.Llama(model_path=str(default_model_path()), vocab_only=True, verbose=False)
    return len(vocab.tokenize(text.encode("utf-8"), add_bos=False))


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def row(name: str, schema: str, pages: int, tokens: int, graph: DocumentGraph) -> dict:
    """Return the benchmark row of one document."""
    s, u = graph.stats, graph.stats.usage
    per_k = 1000 / tokens if tokens else 0.0
    checked = s.drops.get("relation_grounding", 0) + s.drops.get("relation_verifier", 0) + s.facts
    origins = relation_origins(graph)
    return {
        "pdf": name,
        "schema": schema,
        "pages": pages,
        "source_tokens": tokens,
        "chunks": s.chunks,
        "wall_s": round(s.seconds, 2),
        "wall_s_per_page": round(s.seconds / pages, 2) if pages else None,
        "llm_tokens_per_page": round((u.prompt_tokens + u.completion_tokens) / pages) if pages else None,
        "llm_calls": u.calls,
        "llm_calls_per_1k_source_tokens": round(u.calls * per_k, 2),
        "prompt_tokens_per_1k_source_tokens": round(u.prompt_tokens * per_k, 1),
        "completion_tokens_per_1k_source_tokens": round(u.completion_tokens * per_k, 1),
        "prompt_tokens_per_source_token": round(u.prompt_tokens / tokens, 2) if tokens else None,
        "prefix_cache_share": _share(u.cached_prompt_tokens, u.prompt_tokens),
        "non_llm_time_share": _share(max(s.seconds - u.seconds, 0.0), s.seconds),
        "mentions": s.mentions,
        "entities": s.entities,
        "relations": s.relations,
        "relation_proposals_checked": checked,
        **proposals(s.drops, s.facts, origins["cross_chunk"]),
        **origins,
        "dropped_by_grounding_share": _share(s.drops.get("relation_grounding", 0), checked),
        "dropped_by_verifier_share": _share(s.drops.get("relation_verifier", 0), checked),
        "drops": s.drops,
        "prompt_tokens": u.prompt_tokens,
        "cached_prompt_tokens": u.cached_prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "llm_seconds": round(u.seconds, 2),
    }


def proposals(drops: dict[str, int], facts: int, cross_chunk_kept: int) -> dict[str, int]:
    """Return the relation proposals of a run and what became of them.

    ``proposed``: every relation the reasoner or the consolidator put forward (those dropped as off-schema,
    self-relations, ungrounded or rejected by the verifier, the chunk facts kept, and the cross-chunk
    relations kept); ``grounded``: those whose arguments and quote were found in the text and fit the
    schema; ``rejected``: those the verifier judged unsupported. Cross-chunk proposals the verifier rejected
    are counted in ``rejected`` (the drop counts do not tell them apart).
    """
    off = drops.get("relation_schema", 0) + drops.get("relation_self", 0) + drops.get("relation_grounding", 0)
    rejected = drops.get("relation_verifier", 0)
    proposed = off + rejected + facts + cross_chunk_kept
    return {"proposed": proposed, "grounded": proposed - off, "rejected": rejected}


def relation_origins(graph: DocumentGraph) -> dict[str, int]:
    """Count the relations by status and by where their evidence lies (one sentence, sentences, chunks)."""
    from factloom.ingest.sentences import sentence_bounds

    out = {"verified": 0, "unverified": 0, "one_sentence": 0, "cross_sentence": 0, "cross_chunk": 0}
    for rel in graph.relations:
        out[rel.status] += 1
        if rel.agent == "consolidator":
            out["cross_chunk"] += 1
        elif all(len(sentence_bounds(ev.quote)) <= 1 for ev in rel.evidence):
            out["one_sentence"] += 1
        else:
            out["cross_sentence"] += 1
    return out


def start_server(model: Path, threads: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``python -m llama_cpp.server`` serving ``model`` on a free port; return it and its URL."""
    import socket

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1"]
    # the embedded backend's settings: its context, decoding threads, and every core for prompts
    command += ["--port", str(port), "--n_ctx", "4096", "--n_threads", str(threads)]
    command += ["--n_threads_batch", str(cpu_threads())]
    server = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"error: llama_cpp.server exited with {server.returncode}; see {log}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return server, url
        except httpx.TransportError:
            time.sleep(0.5)
    server.kill()
    sys.exit(f"error: llama_cpp.server did not start in 180 s; see {log}")


async def bench_pdf(pdf: Path, args: argparse.Namespace, options: ExtractOptions, folder: Path) -> dict:
    """Ingest one PDF into a fresh workspace under ``folder``, extract and save its graph; return its row."""
    work = folder / pdf.stem
    work.mkdir(parents=True, exist_ok=True)
    path = cut_pdf(pdf, args.max_pages, work)
    schema = schema_for(pdf, args.schema)
    with Workspace(work / "ws") as ws:
        report = ingest_paths(ws, [str(path)])
        if not report.ingested:
            return {"pdf": pdf.name, "error": "; ".join(r.message for r in report.failed)}
        doc_id = report.ingested[0].doc_id
        doc = get_document(ws, doc_id)
        tokens = source_tokens(doc.text)
        # the cache is never read (a cold run), but every answer is stored in the workspace for re-scoring
        backend = make_llm(backend_config(args))
        llm = Recorder(CachedLLM(backend, ws, no_cache=True))
        try:
            done = await extract_collection(ws, [doc_id], load_schema(schema), llm, options)
        finally:
            if hasattr(backend, "aclose"):
                await backend.aclose()
        if done.failed:
            return {"pdf": pdf.name, "error": done.failed[doc_id], "calls_by_agent": outcomes(llm)}
        return row(pdf.name, schema, len(doc.pages), tokens, done.documents[0]) | {
            "calls_by_agent": outcomes(llm)
        }


def outcomes(llm: Recorder) -> dict[str, dict[str, int]]:
    return {agent: {k: c[k] for k in OUTCOMES} for agent, c in sorted(llm.outcomes.items())}


def backend_config(args: argparse.Namespace) -> BackendConfig:
    """Return the embedded model (SmolLM2 or ``--model-path``), or an OpenAI-compatible server."""
    if args.base_url is None:
        return BackendConfig(model_path=args.model_path, profile=args.profile, threads=args.threads)
    return BackendConfig(
        backend="openai",
        base_url=args.base_url,
        model=args.served_model,
        concurrency=args.concurrency,
        timeout=600.0,
        profile=args.profile,
    )


def agent_totals(rows: list[dict]) -> dict[str, dict[str, Any]]:
    """Return the call outcomes per agent over ``rows``, with the share valid after at most one repair."""
    out: dict[str, Counter[str]] = {}
    for r in rows:
        for agent, counts in r.get("calls_by_agent", {}).items():
            out.setdefault(agent, Counter()).update(counts)
    result: dict[str, dict[str, Any]] = {}
    for agent, c in sorted(out.items()):
        calls = sum(c[k] for k in OUTCOMES)
        result[agent] = {"calls": calls, **{k: c[k] for k in OUTCOMES}}
        result[agent]["valid_share"] = round((c["ok"] + c["repaired"]) / calls, 4) if calls else None
    calls = sum(a["calls"] for a in result.values())
    valid = sum(a["ok"] + a["repaired"] for a in result.values())
    result["all"] = {
        "calls": calls,
        **{k: sum(a[k] for a in result.values()) for k in OUTCOMES},
        "valid_share": round(valid / calls, 4) if calls else None,
    }
    return result


def totals(rows: list[dict]) -> dict:
    """Return the corpus-level figures (token-weighted, not means of ratios)."""
    ok = [r for r in rows if "error" not in r]
    tokens = sum(r["source_tokens"] for r in ok)
    pages = sum(r["pages"] for r in ok)
    wall = sum(r["wall_s"] for r in ok)
    prompt = sum(r["prompt_tokens"] for r in ok)
    checked = sum(r["relation_proposals_checked"] for r in ok)
    return {
        "documents": len(ok),
        "pages": pages,
        "source_tokens": tokens,
        "wall_s": round(wall, 1),
        "wall_s_per_page": round(wall / pages, 2) if pages else None,
        "llm_calls_per_1k_source_tokens": round(1000 * sum(r["llm_calls"] for r in ok) / tokens, 2)
        if tokens
        else None,
        "prompt_tokens_per_source_token": round(prompt / tokens, 2) if tokens else None,
        "completion_tokens_per_1k_source_tokens": round(
            1000 * sum(r["completion_tokens"] for r in ok) / tokens, 1
        )
        if tokens
        else None,
        "prefix_cache_share": _share(sum(r["cached_prompt_tokens"] for r in ok), prompt),
        "non_llm_time_share": _share(wall - sum(r["llm_seconds"] for r in ok), wall),
        "entities": sum(r["entities"] for r in ok),
        "relations": sum(r["relations"] for r in ok),
        "dropped_by_grounding_share": _share(
            sum(r["drops"].get("relation_grounding", 0) for r in ok), checked
        ),
        "dropped_by_verifier_share": _share(sum(r["drops"].get("relation_verifier", 0) for r in ok), checked),
        **{k: sum(r.get(k, 0) for r in ok) for k in (*ORIGINS, *PROPOSAL_KEYS)},
        "llm_tokens_per_page": round((prompt + sum(r["completion_tokens"] for r in ok)) / pages)
        if pages
        else None,
        "cross_sentence_share": _share(sum(r["cross_sentence"] for r in ok), sum(r["relations"] for r in ok)),
        "cross_chunk_share": _share(sum(r["cross_chunk"] for r in ok), sum(r["relations"] for r in ok)),
        "calls_by_agent": agent_totals(rows),
    }


def _settings(options: ExtractOptions) -> dict[str, object]:
    s = options.settings()
    return {k: getattr(s, k) for k in ("profile", "unit", "relation_mode", "cot", "verify", "k_demos")}


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


def main() -> None:
    """Run the benchmark and write bench/results/<out>.json and <out>.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pdfs", nargs="+", default=["*.pdf"], help="globs of PDFs in ../shared/data/pdfs (default: all)"
    )
    parser.add_argument(
        "--max-pages", type=int, default=None, help="extract only the first N pages of each PDF"
    )
    parser.add_argument(
        "--schema",
        default="news",
        help="a preset or schema file, or 'auto' for a preset per PDF (its file name)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=1, help="1 keeps LLM time and wall time comparable"
    )
    parser.add_argument(
        "--relation-mode", choices=["joint", "pairs"], default=None, help="default: the profile's"
    )
    parser.add_argument("--model-path", type=Path, default=None, help="a GGUF file (default: SmolLM2)")
    parser.add_argument("--profile", choices=["tiny", "small", "large"], default=None)
    parser.add_argument("--threads", type=int, default=None, help="decoding threads (embedded, --serve)")
    parser.add_argument("--out", default="extract", help="result file stem in bench/results")
    parser.add_argument("--base-url", default=None, help="an OpenAI-compatible server instead (e.g. vLLM)")
    parser.add_argument("--served-model", default="model", help="the model name it serves (with --base-url)")
    parser.add_argument(
        "--serve", action="store_true", help="serve --model-path with python -m llama_cpp.server and use it"
    )
    parser.add_argument(
        "--workspaces",
        type=Path,
        default=None,
        help="keep each PDF's workspace in DIR/<pdf name> (default: none)",
    )
    parser.add_argument(
        "--combine", nargs="+", metavar="STEM", default=None, help="write one table of these result files"
    )
    parser.add_argument("--title", default="Extraction runs compared", help="heading of the --combine table")
    parser.add_argument("--note", default=None, help="a note for the report (how the run was set up)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.combine:
        combine(args.combine, args.out, args.title, args.note)
        print((RESULTS / f"{args.out}.md").read_text())
        return
    if args.model_path is not None and not args.model_path.exists():
        sys.exit(f"error: {args.model_path}: no such GGUF file")
    if args.serve and (args.model_path is None or args.base_url is not None):
        sys.exit("error: --serve needs --model-path (the GGUF to serve) and no --base-url")
    pdfs = sorted({pdf for pattern in args.pdfs for pdf in PDFS.glob(pattern)})
    if not pdfs:
        sys.exit(f"error: no PDF in {PDFS} matches {' '.join(args.pdfs)}")
    from factloom.tools.llm.factory import resolve_profile

    # the profile of the GGUF itself, also when it is served (a server does not say how large its model is)
    embedded = BackendConfig(model_path=args.model_path, profile=args.profile)
    options = ExtractOptions(
        profile=resolve_profile(embedded),
        concurrency=args.concurrency,
        relation_mode=args.relation_mode,
        resume=False,
    )
    load_start, started_at = os.getloadavg(), commit()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.workspaces or Path(tmp)
        server, threads = None, 0
        if args.serve:
            folder.mkdir(parents=True, exist_ok=True)
            threads = args.threads or decode_threads(args.model_path)
            server, args.base_url = start_server(args.model_path, threads, folder / "llama_server.log")
            args.served_model = args.model_path.stem
        try:
            rows = []
            for pdf in pdfs:
                t0 = time.perf_counter()
                rows.append(asyncio.run(bench_pdf(pdf, args, options, folder)))
                print(f"{pdf.name}: {time.perf_counter() - t0:.0f} s {rows[-1]}", file=sys.stderr, flush=True)
                if len(rows) < len(pdfs):  # a run stopped early keeps the PDFs it finished
                    write_result(args, options, rows, load_start, started_at, threads, pdfs)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
    result = write_result(args, options, rows, load_start, started_at, threads, pdfs)
    print(json.dumps(result["totals"], indent=2))


if __name__ == "__main__":
    main()
