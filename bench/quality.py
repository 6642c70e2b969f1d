"""Benchmark extraction quality on the shared dev splits with the embedded model.

Every run scores the FIRST ``limit`` documents of a dev file; factloom's demonstrations come only from
the documents after them (``demo_pool``), so no scored text is ever an example. Runs are appended to
``bench/results/quality.json`` as they finish (a re-run skips the runs already there unless --force);
``quality.md`` is rewritten from the JSON each time. The machine is shared: the load average is
recorded with every run.

    python bench/quality.py                         # every run below, in order
    python bench/quality.py --only conll04-factloom conll04-single-prompt
    python bench/quality.py --report                # rewrite quality.md only
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RESULTS = Path(__file__).parent / "results"
NOTE = (
    "Micro F1 (%) on the FIRST `n` documents of each dev file; factloom's demonstrations come only "
    "from the documents after them. Entity = exact span + type; Rel strict = both argument spans + "
    "types + relation type; Rel bound = argument types ignored; Rel doc = entity-level document "
    "relations (a predicted entity stands for the gold entity its mentions overlap most; symmetric "
    "types unordered); CUAD = share of gold categories hit by an overlapping prediction of that "
    "category. Seconds are wall time on a shared 2-core machine (load average in quality.json)."
)


@dataclass(frozen=True)
class Run:
    """One benchmark run: a corpus slice, a system and its switches."""

    name: str
    corpus: str
    fmt: str
    schema: str
    limit: int
    system: str = "factloom"
    switches: dict[str, bool] = field(default_factory=dict)
    demo_pool: int = 200


def _conll(system: str, suffix: str = "", **switches: bool) -> Run:
    name = f"conll04-{system}{suffix}"
    return Run(name, "conll04/dev_triples.json", "spert", "news", 20, system, switches)


RUNS = [  # in priority order: a run that cannot finish in time is the last one
    _conll("factloom"),
    _conll("single-prompt"),
    _conll("langextract"),
    Run("ade-factloom", "ade/ade_split_0_train.json", "spert", "biomed", 10),
    Run("scierc-factloom", "scierc/dev_triples.json", "spert", "science", 10),
    Run("bc5cdr-factloom", "bc5cdr/CDR_DevelopmentSet.PubTator.txt", "pubtator", "biomed", 3),
    Run("biored-factloom", "biored/Dev.BioC.JSON", "bioc", "biomed", 3),
    Run("redocred-factloom", "redocred/dev_revised.json", "redocred", "open", 3),
    _conll("factloom", "-no-demos", demos=False),
    _conll("factloom", "-no-verifier", verifier=False),
    _conll("factloom", "-no-cot", cot=False),
    _conll("factloom", "-no-consolidation", consolidation=False),
    Run("ade-single-prompt", "ade/ade_split_0_train.json", "spert", "biomed", 10, "single-prompt"),
    Run("scierc-single-prompt", "scierc/dev_triples.json", "spert", "science", 10, "single-prompt"),
    Run("cuad-factloom", "cuad", "cuad", "contracts", 1, demo_pool=19),
]


def run_one(run: Run) -> dict:
    """Evaluate one run in a fresh temporary workspace and return its report."""
    from factloom.graphs.eval_run import EvalSpec, evaluate
    from factloom.graphs.extract_options import ExtractOptions
    from factloom.ingest.corpora import read_corpus
    from factloom.ingest.workspace import Workspace
    from factloom.tools.gold import to_schema
    from factloom.tools.llm.factory import BackendConfig, make_llm
    from factloom.tools.schema import load_schema

    schema = load_schema(run.schema)
    docs, _ = to_schema(read_corpus(DATA / run.corpus, run.fmt), schema)
    spec = EvalSpec(
        str(DATA / run.corpus),
        run.fmt,
        run.system,
        run.limit,
        run.demo_pool,  # type: ignore[arg-type]
        ExtractOptions(resume=False, **run.switches),
    )
    config = BackendConfig()
    with tempfile.TemporaryDirectory(prefix="factloom-quality-") as tmp, Workspace(tmp) as ws:
        llm = make_llm(config, ws)
        if run.system != "langextract":
            report = asyncio.run(evaluate(ws, spec, docs, schema, llm))
        else:
            from factloom.graphs.eval_systems import peer_examples
            from factloom.tools.langextract_peer import serve_peer

            with serve_peer(config, schema, peer_examples(schema)) as peer:
                report = asyncio.run(evaluate(ws, spec, docs, schema, llm, peer))
    return {"run": run.name, "limit": run.limit, "switches": run.switches, **report}


def load() -> dict:
    """Return the stored results (an empty set when none)."""
    path = RESULTS / "quality.json"
    return json.loads(path.read_text()) if path.is_file() else {"runs": []}


def save(results: dict) -> None:
    """Write the JSON results and the Markdown table."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "quality.json").write_text(json.dumps(results, indent=1) + "\n")
    (RESULTS / "quality.md").write_text(markdown(results))


def _f1(report: dict, key: str) -> str:
    return f"{100 * report[key]['f1']:.1f}" if key in report else "-"


def markdown(results: dict) -> str:
    """Return the results as a Markdown table."""
    lines = [
        "# Extraction quality on the dev splits (embedded SmolLM2-135M-Instruct, CPU)",
        "",
        NOTE,
        "",
        "| run | n | Entity | Rel strict | Rel bound | Rel doc | CUAD | calls | prompt | compl. | s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["runs"]:
        cuad = f"{100 * r['cuad']['hit_rate']:.1f}" if "cuad" in r else "-"
        lines.append(
            f"| {r['run']} | {r['n_docs']} | {_f1(r, 'entity')} | {_f1(r, 'relation_strict')} | "
            f"{_f1(r, 'relation_boundaries')} | {_f1(r, 'relation_doc')} | {cuad} | {r['llm_calls']} | "
            f"{r['prompt_tokens']} | {r['completion_tokens']} | {r['seconds']} |"
        )
    lines += ["", f"Machine: {results.get('machine', '?')}. Command: `python bench/quality.py`.", ""]
    lines += [f"- {note}" for note in results.get("notes", [])] + ([""] if results.get("notes") else [])
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark runs not yet in the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only these run names")
    parser.add_argument("--force", action="store_true", help="re-run runs already in the results")
    parser.add_argument("--report", action="store_true", help="only rewrite quality.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    results = load()
    results["machine"] = f"{platform.machine()}, {platform.python_version()}, 2 shared cores"
    if not args.report:
        for run in RUNS:
            done = {r["run"] for r in results["runs"]}
            if (args.only and run.name not in args.only) or (run.name in done and not args.force):
                continue
            started = time.perf_counter()
            report = run_one(run)
            results["runs"] = [r for r in results["runs"] if r["run"] != run.name] + [report]
            save(results)
            print(f"{run.name}: {time.perf_counter() - started:.0f}s", flush=True)
    save(results)


if __name__ == "__main__":
    main()
