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
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extract_figures import OUTCOMES, row
from extract_figures import agent_totals as agent_totals  # re-exported: tests/bench/test_extract_bench.py
from extract_figures import proposals as proposals  # re-exported: tests/bench/test_extract_bench.py
from extract_report import RESULTS, combine, commit, write_result

from factloom.graphs.extract import extract_collection
from factloom.graphs.extract_options import ExtractOptions
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
    """Return ``src``, or a copy holding only its first ``max_pages`` pages.

    A copy already in ``folder`` is used as it is: saved again, its bytes (and so its document id) would
    differ, and a re-run in the same workspace would add a second document instead of replacing the graph.
    """
    if max_pages is None:
        return src
    import pymupdf

    out = folder / src.name
    if out.is_file():
        return out
    with pymupdf.open(src) as doc:
        if doc.page_count <= max_pages:
            return src
        doc.select(list(range(max_pages)))
        doc.save(out)
    return out


def source_tokens(text: str) -> int:
    """Count the tokens of ``text`` with the embedded model's tokenizer (vocabulary only, no weights)."""
    import llama_cpp

    from factloom.tools.llm.embedded import default_model_path

    vocab = llama_cpp.Llama(model_path=str(default_model_path()), vocab_only=True, verbose=False)
    return len(vocab.tokenize(text.encode("utf-8"), add_bos=False))


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
        done_before = [r for r in report.skipped if r.doc_id]  # a re-run in the same workspace
        if not report.ingested and not done_before:
            return {"pdf": pdf.name, "error": "; ".join(r.message for r in report.failed)}
        doc_id = (report.ingested or done_before)[0].doc_id
        doc = get_document(ws, doc_id)
        tokens = source_tokens(doc.text)
        # the cache is read only with --reuse-cache (else a cold run); every answer is stored for re-scoring
        backend = make_llm(backend_config(args))
        llm = Recorder(CachedLLM(backend, ws, no_cache=not args.reuse_cache))
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
    parser.add_argument(
        "--verifier-style", choices=["verdicts", "choice"], default=None, help="default: the profile's"
    )
    parser.add_argument(
        "--check-types",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the verifier checks argument types first (default: the profile's)",
    )
    parser.add_argument(
        "--reuse-cache",
        action="store_true",
        help="answer calls from the call cache of existing --workspaces (to re-run a changed later stage on "
        "the same proposals; the timings are then not those of a cold run)",
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
        verifier_style=args.verifier_style,
        check_types=args.check_types,
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
