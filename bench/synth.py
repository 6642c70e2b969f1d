"""Benchmark demonstrations made without annotations, and schema induction, on CoNLL04 dev.

Demonstrations (the same model, profile and scored sentences for every row; ``bench/quality.py``'s
corpus table, model lookup and ``graphs.eval.run.evaluate``):

- ``none``: no demonstrations;
- ``synthetic``: ``demos synth``'s engine writes and checks demonstrations from the schema alone, in the
  style of dev sentences that are NOT scored (the ``--style`` sentences after the scored ones);
- ``gold``: the dev demonstrations ``bench/quality.py`` retrieves (the pool after the scored sentences).

Each row scores the FIRST ``--limit`` dev sentences; entity and relation-strict F1 with bootstrap 95% CIs,
and paired differences on the same sentences (``graphs.eval.report.compare``).

Schema induction (``induce``): open extraction on the first ``--induce-sample`` dev sentences with the
schema hidden, clustered and named (``agents.schema_induce``). A gold type is matched when an induced type's
facts are mostly (>= half of those that are gold facts at all) of that gold type, judged by the texts of
the mentions (entities) or of the argument pairs (relations); an induced type is spurious when fewer than
half of its facts are gold facts.

    nice -n 10 python bench/synth.py --model qwen-0.5b --limit 30
    python bench/synth.py --report      # rewrite the .md from the .json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from quality import MODELS, RESULTS
from synth_demos import CONDITIONS, comparisons, gap_recovered, run_condition
from synth_induce import run_induce
from synth_induce import score_types as score_types  # re-exported: tests/bench/test_synth.py
from synth_report import markdown

NOT_RUN = (
    "Qwen2.5-1.5B and SmolLM2 rows, ADE and SciERC dev, the self-annotated (--from-collection) row, schema "
    "induction on SciERC, and the F1 of extraction with the induced schema mapped back to the gold labels "
    "(the shared 2 cores ran at a load of 7 to 10; one Qwen-0.5B row of 30 sentences took about an hour)"
)


def main() -> None:
    """Run the chosen parts and write bench/results/synth.{json,md}."""
    import platform

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="qwen-0.5b")
    parser.add_argument("--limit", type=int, default=30, help="dev sentences scored")
    parser.add_argument("--n-demos", type=int, default=20, help="synthetic demonstrations wanted")
    parser.add_argument("--max-attempts", type=int, default=None, help="passages written at most [3 n]")
    parser.add_argument("--style", type=int, default=20, help="unscored dev sentences shown as style")
    parser.add_argument("--induce-sample", type=int, default=40, help="dev sentences for schema induction")
    parser.add_argument("--only", nargs="*", default=[*CONDITIONS, "induce"], help="parts to run")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--report", action="store_true", help="only rewrite the Markdown")
    parser.add_argument(
        "--gold-from",
        default=None,
        metavar="FILE:RUN",
        help="take the gold row from a stored bench/quality.py run on the same sentences (e.g. "
        "bench/results/quality-qwen-0.5b.json:conll04-factloom) instead of running it again",
    )
    args = parser.parse_args()
    path = args.results / "synth.json"
    results = json.loads(path.read_text()) if path.is_file() else {"runs": []}
    if not args.report:
        results.update(model=args.model, machine=f"{platform.machine()}, {os.cpu_count()} cores")
        for condition in (c for c in CONDITIONS if c in args.only):
            started = time.perf_counter()
            record = run_condition(condition, args)
            results["runs"] = [r for r in results["runs"] if r["condition"] != condition] + [record]
            _save(path, results)
            print(f"{condition}: {time.perf_counter() - started:.0f}s", flush=True)
        if args.gold_from:
            file, name = args.gold_from.rsplit(":", 1)
            stored = next(r for r in json.loads(Path(file).read_text())["runs"] if r["run"] == name)
            record = {"condition": "gold", **stored, "stored_from": f"{file} run {name}"}
            results["runs"] = [r for r in results["runs"] if r["condition"] != "gold"] + [record]
        if "induce" in args.only:
            results["induce"] = run_induce(args)
    _save(path, results)


def _save(path: Path, results: dict[str, Any]) -> None:
    runs = {r["condition"]: r for r in results["runs"]}
    results["comparisons"] = comparisons(runs)
    results["gap_recovered"] = {k: gap_recovered(runs, k) for k in ("entity", "relation_strict")}
    missing = [c for c in CONDITIONS if c not in runs] + ([] if results.get("induce") else ["induce"])
    results["not_run"] = (
        NOT_RUN + (f"; not (yet) in this file: {', '.join(missing)}" if missing else "") + "."
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")
    path.with_suffix(".md").write_text(markdown(results))


if __name__ == "__main__":
    main()
