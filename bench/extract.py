"""Benchmark the extraction graph on the shared PDFs with a real backend (the embedded model by default).

Per PDF: wall time per page, LLM calls and prompt/completion tokens per 1,000 source tokens, entities and
relations found, the share of relation proposals dropped by grounding and by the verifier, the relations
by status (verified / unverified) and by origin (within one sentence, across sentences of a chunk, across
chunks), the share of prompt tokens served from the backend's prefix cache, and the share of wall time
spent outside LLM calls. The model's profile sets the agents' defaults (``--profile`` to force one).
Source tokens are counted with the model's own tokenizer (SmolLM2's, from its GGUF) on the document text.

Each PDF is ingested into a fresh workspace; the call cache and the job table are off, so every number is
a cold run. ``--max-pages N`` extracts only the first N pages of each PDF (a copy cut with pymupdf).

    python bench/extract.py                               # all PDFs of ../shared/data/pdfs
    python bench/extract.py --max-pages 2 --pdfs '*contract*'
    python bench/extract.py --model-path qwen.gguf --out extract-qwen-0.5b
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from factloom.graphs.extract import extract_document
from factloom.graphs.extract_options import DocumentGraph, ExtractOptions
from factloom.ingest.pipeline import ingest_paths
from factloom.ingest.store import get_document
from factloom.ingest.workspace import Workspace
from factloom.tools.llm.factory import BackendConfig, make_llm
from factloom.tools.schema import load_schema

ROOT = Path(__file__).resolve().parents[1]
PDFS = ROOT.parent / "shared" / "data" / "pdfs"
RESULTS = Path(__file__).parent / "results"
DEFAULT_MODEL = "SmolLM2-135M-Instruct Q4_1"
ORIGINS = ("verified", "unverified", "one_sentence", "cross_sentence", "cross_chunk")


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


def row(name: str, pages: int, tokens: int, graph: DocumentGraph) -> dict:
    """Return the benchmark row of one document."""
    s, u = graph.stats, graph.stats.usage
    per_k = 1000 / tokens if tokens else 0.0
    checked = s.drops.get("relation_grounding", 0) + s.drops.get("relation_verifier", 0) + s.facts
    return {
        "pdf": name,
        "pages": pages,
        "source_tokens": tokens,
        "chunks": s.chunks,
        "wall_s": round(s.seconds, 2),
        "wall_s_per_page": round(s.seconds / pages, 2) if pages else None,
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
        **relation_origins(graph),
        "dropped_by_grounding_share": _share(s.drops.get("relation_grounding", 0), checked),
        "dropped_by_verifier_share": _share(s.drops.get("relation_verifier", 0), checked),
        "drops": s.drops,
        "prompt_tokens": u.prompt_tokens,
        "cached_prompt_tokens": u.cached_prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "llm_seconds": round(u.seconds, 2),
    }


def relation_origins(graph: DocumentGraph) -> dict[str, int]:
    """Count the relations by status and by where their evidence lies (one sentence, sentences, chunks)."""
    from factloom.ingest.chunking import sentence_bounds

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


async def bench_pdf(pdf: Path, args: argparse.Namespace, options: ExtractOptions) -> dict:
    """Ingest one PDF into a fresh workspace and extract it; return its row."""
    with tempfile.TemporaryDirectory() as tmp:
        path = cut_pdf(pdf, args.max_pages, Path(tmp))
        with Workspace(Path(tmp) / "ws") as ws:
            report = ingest_paths(ws, [str(path)])
            if not report.ingested:
                return {"pdf": pdf.name, "error": "; ".join(r.message for r in report.failed)}
            doc_id = report.ingested[0].doc_id
            doc = get_document(ws, doc_id)
            tokens = source_tokens(doc.text)
            llm = make_llm(backend_config(args))  # no workspace: no call cache, a cold run
            graph = await extract_document(ws, doc_id, load_schema(args.schema), llm, options)
            return row(pdf.name, len(doc.pages), tokens, graph)


def backend_config(args: argparse.Namespace) -> BackendConfig:
    """Return the embedded model (SmolLM2 or ``--model-path``), or an OpenAI-compatible server."""
    if args.base_url is None:
        return BackendConfig(model_path=args.model_path, profile=args.profile)
    return BackendConfig(
        backend="openai",
        base_url=args.base_url,
        model=args.served_model,
        concurrency=args.concurrency,
        profile=args.profile,
    )


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
        **{k: sum(r.get(k, 0) for r in ok) for k in ORIGINS},
    }


def _settings(options: ExtractOptions) -> dict[str, object]:
    s = options.settings()
    return {k: getattr(s, k) for k in ("profile", "unit", "relation_mode", "cot", "verify", "k_demos")}


def markdown(result: dict) -> str:
    """Return the results as a Markdown report."""
    cols = [
        ("pdf", "pdf"),
        ("pages", "pages"),
        ("source_tokens", "src tok"),
        ("wall_s_per_page", "s/page"),
        ("llm_calls_per_1k_source_tokens", "calls/1k"),
        ("prompt_tokens_per_source_token", "prompt/src"),
        ("completion_tokens_per_1k_source_tokens", "compl/1k"),
        ("prefix_cache_share", "prefix cache"),
        ("non_llm_time_share", "non-LLM time"),
        ("entities", "entities"),
        ("relations", "relations"),
        ("dropped_by_grounding_share", "drop: grounding"),
        ("dropped_by_verifier_share", "drop: verifier"),
        ("verified", "verified"),
        ("unverified", "unverified"),
        ("one_sentence", "1 sentence"),
        ("cross_sentence", "cross-sentence"),
        ("cross_chunk", "cross-chunk"),
    ]
    lines = [
        "# Extraction benchmark",
        "",
        f"Command: `{result['command']}`  ",
        f"Backend: {result['backend']}; schema `{result['schema']}`; options {result['options']}  ",
        "Demonstrations: none stored (fresh workspaces), so the agents ran zero-shot  ",
        f"Machine: {result['machine']}; load average at start {result['loadavg_start']}, at end "
        f"{result['loadavg_end']} (shared by other engineers: timings are disturbed)",
        "",
        "| " + " | ".join(h for _, h in cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for r in [*result["documents"], {"pdf": "**all**", **result["totals"]}]:
        if "error" in r:
            lines.append(f"| {r['pdf']} | error: {r['error']} |")
            continue
        lines.append("| " + " | ".join(str(r.get(k, "")) for k, _ in cols) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the benchmark and write bench/results/extract.json and extract.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", default="*.pdf", help="glob of PDFs in ../shared/data/pdfs")
    parser.add_argument(
        "--max-pages", type=int, default=None, help="extract only the first N pages of each PDF"
    )
    parser.add_argument("--schema", default="news")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="1 keeps LLM time and wall time comparable"
    )
    parser.add_argument(
        "--relation-mode", choices=["joint", "pairs"], default=None, help="default: the profile's"
    )
    parser.add_argument("--model-path", type=Path, default=None, help="a GGUF file (default: SmolLM2)")
    parser.add_argument("--profile", choices=["tiny", "small", "large"], default=None)
    parser.add_argument("--out", default="extract", help="result file stem in bench/results")
    parser.add_argument("--base-url", default=None, help="an OpenAI-compatible server instead (e.g. vLLM)")
    parser.add_argument("--served-model", default="model", help="the model name it serves (with --base-url)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from factloom.tools.llm.factory import resolve_profile

    options = ExtractOptions(
        profile=resolve_profile(backend_config(args)),
        concurrency=args.concurrency,
        relation_mode=args.relation_mode,
        resume=False,
    )
    load_start = os.getloadavg()
    rows = []
    for pdf in sorted(PDFS.glob(args.pdfs)):
        t0 = time.perf_counter()
        rows.append(asyncio.run(bench_pdf(pdf, args, options)))
        print(f"{pdf.name}: {time.perf_counter() - t0:.0f} s {rows[-1]}", file=sys.stderr, flush=True)
    result = {
        "command": "python " + " ".join(sys.argv),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "backend": f"openai ({args.base_url}, model {args.served_model})"
        if args.base_url
        else f"embedded (llama.cpp, {args.model_path.name if args.model_path else DEFAULT_MODEL})",
        "schema": args.schema,
        "options": {"concurrency": options.concurrency, **_settings(options)},
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "documents": rows,
        "totals": totals(rows),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{args.out}.md").write_text(markdown(result))
    print(json.dumps(result["totals"], indent=2))


if __name__ == "__main__":
    main()
