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
import asyncio
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from quality import CORPORA, DATA, MODELS, RESULTS, backend_config, model_path

CONDITIONS = ("none", "synthetic", "gold")
NOT_RUN = (
    "Qwen2.5-1.5B and SmolLM2 rows, ADE and SciERC dev, the self-annotated (--from-collection) row, schema "
    "induction on SciERC, and the F1 of extraction with the induced schema mapped back to the gold labels "
    "(the shared 2 cores ran at a load of 7 to 10; one Qwen-0.5B row of 30 sentences took about an hour)"
)
PAIRS = (("synthetic", "none"), ("gold", "none"), ("synthetic", "gold"))


def _setup(model: str, limit: int) -> tuple[Any, Any, list[Any], Any]:
    from factloom.graphs.eval.run import EvalSpec, eval_options
    from factloom.ingest.corpora import read_corpus
    from factloom.tools.extraction.gold import to_schema
    from factloom.tools.extraction.schema import load_schema

    corpus = CORPORA["conll04"]
    config = backend_config(model_path(model, None), "small" if model == "qwen-0.5b" else None)
    schema = load_schema(corpus.schema)
    docs, _ = to_schema(read_corpus(DATA / corpus.path, corpus.fmt), schema)
    spec = EvalSpec(
        str(DATA / corpus.path), corpus.fmt, "factloom", limit, corpus.demo_pool, eval_options(config)
    )
    return config, schema, docs, spec


def run_condition(condition: str, args: argparse.Namespace) -> dict[str, Any]:
    """Evaluate one condition in a fresh workspace; return the evaluation report (+ synthesis figures)."""
    from dataclasses import replace

    from factloom.graphs.eval.progress import ProgressBar
    from factloom.graphs.eval.run import eval_options, eval_schema, evaluate
    from factloom.ingest.workspace import Workspace
    from factloom.tools.llm.factory import make_llm

    config, schema, docs, spec = _setup(args.model, args.limit)
    extra: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix=f"factloom-synth-{condition}-") as folder:
        ws = Workspace(folder)
        llm = make_llm(config, ws)
        if condition == "none":
            spec = replace(spec, options=eval_options(config, demos=False))
        elif condition == "synthetic":
            style = docs[args.limit : args.limit + args.style]
            restricted = eval_schema(spec, docs, schema)
            extra = synthesize(ws, restricted, llm, spec, style, args.n_demos, args.max_attempts)
            spec = replace(spec, demo_pool=0)  # no gold demonstrations: only the synthetic ones
        with ProgressBar(condition, always=True, interval=30) as bar:
            report = asyncio.run(evaluate(ws, spec, docs, schema, llm, None, bar))
        ws.close()
    return {"condition": condition, **report, **extra}


def synthesize(
    ws: Any, schema: Any, llm: Any, spec: Any, style: Sequence[Any], n: int, max_attempts: int | None
) -> dict[str, Any]:
    """Ingest the style sentences, write and store synthetic demonstrations; return what it took."""
    from factloom.graphs.demo_synth import synth_from_schema
    from factloom.ingest.pipeline import ingest_paths
    from factloom.tools.extraction.demos import DemoStore

    folder = ws.root / "style_texts"
    folder.mkdir()
    paths = []
    for k, doc in enumerate(style):
        path = folder / f"{k:03d}.txt"
        path.write_text(doc.text, encoding="utf-8")
        paths.append(str(path))
    ingest_paths(ws, paths)
    started = time.perf_counter()
    report, _ = asyncio.run(
        synth_from_schema(
            ws,
            schema,
            llm,
            spec.options,
            n,
            lambda kept, done: print(f"synth: {kept} kept of {done}", flush=True),
            max_attempts,
        )
    )
    kept = [
        {
            "text": d.text,
            "entities": [[e.text, e.type] for e in d.entities],
            "relations": [[r.head, r.type, r.tail] for r in d.relations],
        }
        for _, _, _, d in DemoStore(ws).items("synthetic")
    ]
    return {
        "synth": {
            "wanted": n,
            "max_attempts": max_attempts,
            "attempts": report.attempts,
            "kept": len(report.demos),
            "rejected": dict(report.rejected),
            "calls": report.usage.calls,
            "prompt_tokens": report.usage.prompt_tokens,
            "completion_tokens": report.usage.completion_tokens,
            "seconds": round(time.perf_counter() - started, 1),
            "style_sentences": len(style),
            "demos": kept,
        }
    }


def run_induce(args: argparse.Namespace) -> dict[str, Any]:
    """Induce a schema from the first ``--induce-sample`` dev sentences (schema hidden); score it."""
    from factloom.agents.context import AgentContext
    from factloom.agents.schema_induce import OPEN, open_extract, types_from
    from factloom.graphs.eval.run import ingest_texts
    from factloom.graphs.extract_options import ExtractOptions
    from factloom.ingest.corpora import read_corpus
    from factloom.ingest.embed import get_embedder
    from factloom.ingest.store import get_chunks
    from factloom.ingest.workspace import Workspace
    from factloom.tools.llm.factory import make_llm, resolve_profile

    corpus = CORPORA["conll04"]
    gold = read_corpus(DATA / corpus.path, corpus.fmt)[: args.induce_sample]  # raw corpus labels
    config = backend_config(model_path(args.model, None), "small" if args.model == "qwen-0.5b" else None)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="factloom-induce-") as folder:
        ws = Workspace(folder)
        ingest_texts(ws, gold, corpus.path)
        chunks = get_chunks(ws)
        settings = ExtractOptions(profile=resolve_profile(config)).settings()
        ctx = AgentContext(llm=make_llm(config, ws), schema=OPEN, settings=settings)
        entities, relations, usage = asyncio.run(
            open_extract(
                chunks,
                ctx,
                lambda k, n: print(f"induce: {k}/{n} chunks", flush=True) if k % 10 == 0 else None,
            )
        )
        found, cost = asyncio.run(types_from(entities, relations, ctx, get_embedder().embed))
        ws.close()
    usage = usage + cost
    return {
        "sentences": len(gold),
        "chunks": len(chunks),
        "seen": {"mentions": len(entities), "relations": len(relations)},
        "entities": score_types(found.entities, entities, _gold_entities(gold)),
        "relations": score_types(found.relations, relations, _gold_relations(gold)),
        "induced": [
            {
                "kind": kind,
                "name": t.name,
                "description": t.description,
                "labels": list(t.labels),
                "count": t.count,
                "domain": list(t.domain),
                "range": list(t.range),
            }
            for kind, types in (("entity", found.entities), ("relation", found.relations))
            for t in types
        ],
        "calls": usage.calls,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "seconds": round(time.perf_counter() - started, 1),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def _gold_entities(gold: Sequence[Any]) -> dict[str, str]:
    """Return mention text -> its gold type (the most frequent one)."""
    votes: dict[str, Counter[str]] = {}
    for doc in gold:
        for e in doc.entities:
            for m in e.mentions:
                votes.setdefault(m.text, Counter())[e.type] += 1
    return {text: c.most_common(1)[0][0] for text, c in votes.items()}


def _gold_relations(gold: Sequence[Any]) -> dict[str, str]:
    """Return "head text -> tail text" -> gold relation type."""
    out = {}
    for doc in gold:
        ents = {e.id: e for e in doc.entities}
        for r in doc.relations:
            for h in ents[r.head].mentions:
                for t in ents[r.tail].mentions:
                    out[f"{h.text} -> {t.text}"] = r.type
    return out


def score_types(induced: Sequence[Any], seen: Sequence[Any], gold_of: dict[str, str]) -> dict[str, Any]:
    """Map each induced type to the gold type most of its gold facts have; count matched and spurious."""
    gold_types = sorted(set(gold_of.values()))
    mapping = {}
    for t in induced:
        facts = [s.text for s in seen if s.label in t.labels]
        votes = Counter(gold_of[f] for f in facts if f in gold_of)
        on_gold = sum(votes.values())
        top = votes.most_common(1)[0] if votes else ("", 0)
        good = on_gold >= max(1, len(facts) / 2) and top[1] >= on_gold / 2
        mapping[t.name] = {
            "gold": top[0] if good else None,
            "facts": len(facts),
            "gold_facts": on_gold,
            "votes": dict(votes),
        }
    matched = sorted({m["gold"] for m in mapping.values() if m["gold"]})
    return {
        "gold_types": gold_types,
        "matched": matched,
        "induced": len(induced),
        "spurious": sorted(name for name, m in mapping.items() if m["gold"] is None),
        "mapping": mapping,
    }


def comparisons(runs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the paired differences (entity, relation strict) between the conditions that ran."""
    from factloom.graphs.eval.report import compare

    out = []
    for a, b in PAIRS:
        if a in runs and b in runs:
            for key in ("entity", "relation_strict"):
                found = compare(runs[a], runs[b], key)
                if found is not None:
                    out.append({"a": a, "b": b, "score": key, **found})
    return out


def gap_recovered(runs: dict[str, dict[str, Any]], key: str) -> float | None:
    """Return (F1 synthetic - F1 none) / (F1 gold - F1 none), the issue's goal being >= 0.5."""
    if not all(c in runs for c in CONDITIONS):
        return None
    none, syn, gold = (runs[c][key]["f1"] for c in CONDITIONS)
    return round((syn - none) / (gold - none), 3) if gold != none else None


def _f1(score: dict[str, Any]) -> str:
    low, high = score["f1_ci"]
    return f"{100 * score['f1']:.1f} [{100 * low:.1f}, {100 * high:.1f}]"


def markdown(results: dict[str, Any]) -> str:
    """Return the Markdown report of the results."""
    runs = {r["condition"]: r for r in results.get("runs", [])}
    lines = [
        "# Demonstrations without annotations, and schema induction (CoNLL04 dev)",
        "",
        f"Model `{results.get('model')}`; machine: {results.get('machine')}. Written by `bench/synth.py`.",
        "",
    ]
    if runs:
        first = next(iter(runs.values()))
        lines += [
            "## Demonstrations: none vs synthetic (schema only) vs gold dev "
            f"(n = {first['n_docs']} sentences)",
            "",
            "Micro F1 (%) on the first n CoNLL04 dev sentences with a bootstrap 95% CI; Entity = exact "
            "span + type; Rel = relation strict. Profile "
            f"`{first['profile']}` (k_demos {first['k_demos']}). Synthetic demonstrations were written from "
            "the news schema alone, in the style of dev sentences that are not scored; gold ones are the "
            "dev sentences after the scored ones (what bench/quality.py retrieves).",
            "",
            "| demonstrations | stored | Entity F1 [95% CI] | Rel F1 [95% CI] | calls | prompt + completion "
            "tokens | s | load at end |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in CONDITIONS:
            if c in runs:
                r = runs[c]
                lines.append(
                    f"| {c} | {r['demonstrations'] if c == 'gold' else r.get('synth', {}).get('kept', 0)} | "
                    f"{_f1(r['entity'])} | {_f1(r['relation_strict'])} | {r['llm_calls']} | "
                    f"{r['prompt_tokens']} + {r['completion_tokens']} | {r['seconds']} | {r['loadavg'][0]} |"
                )
        for c in CONDITIONS:
            if c in runs and runs[c].get("stored_from"):
                lines += [
                    "",
                    f"The {c} row is the stored run {runs[c]['stored_from']} (same sentences, model, "
                    "profile and demonstration pool), not re-run here.",
                ]
        lines += ["", "Paired differences (same sentences, bootstrap 95% CI; * = excludes 0):", ""]
        for d in results.get("comparisons", []):
            star = "*" if d["ci"][0] > 0 or d["ci"][1] < 0 else ""
            lines.append(
                f"- {d['a']} - {d['b']}, {d['score']}: {100 * d['diff']:+.1f} "
                f"[{100 * d['ci'][0]:+.1f}, {100 * d['ci'][1]:+.1f}]{star} (n = {d['n']})"
            )
        for key in ("entity", "relation_strict"):
            gap = results.get("gap_recovered", {}).get(key)
            if gap is not None:
                lines.append(
                    f"- share of the none-to-gold gap recovered by synthetic demonstrations, {key}: {gap:.2f}"
                )
        if "synthetic" in runs and "synth" in runs["synthetic"]:
            s = runs["synthetic"]["synth"]
            rejected = ", ".join(f"{k} {v}" for k, v in sorted(s["rejected"].items())) or "none"
            lines += [
                "",
                f"Synthesis: {s['attempts']} passages written for {s['wanted']} wanted, {s['kept']} kept; "
                f"rejected: {rejected}; {s['calls']} calls, {s['prompt_tokens']} + {s['completion_tokens']} "
                f"tokens, {s['seconds']} s; style from {s['style_sentences']} unscored dev sentences. "
                "The kept demonstrations are in synth.json.",
            ]
    induce = results.get("induce")
    if induce:
        lines += [
            "",
            f"## Schema induction on the first {induce['sentences']} CoNLL04 dev sentences (schema hidden)",
            "",
            f"Open extraction saw {induce['seen']['mentions']} mentions and {induce['seen']['relations']} "
            f"grounded relations; {induce['calls']} calls, {induce['prompt_tokens']} + "
            f"{induce['completion_tokens']} tokens, {induce['seconds']} s (load {induce['loadavg'][0]}).",
            "",
            "| kind | gold types | matched by an induced type | induced types | spurious |",
            "|---|---|---|---|---|",
        ]
        for kind in ("entities", "relations"):
            s = induce[kind]
            lines.append(
                f"| {kind} | {', '.join(s['gold_types'])} | {', '.join(s['matched']) or '-'} "
                f"({len(s['matched'])}/{len(s['gold_types'])}) | {s['induced']} | "
                f"{', '.join(s['spurious']) or '-'} ({len(s['spurious'])}) |"
            )
        lines += ["", "Induced types (name: labels -> gold type by fact overlap):", ""]
        for t in induce["induced"]:
            m = induce["entities" if t["kind"] == "entity" else "relations"]["mapping"].get(t["name"], {})
            roles = (
                f" ({'/'.join(t['domain']) or 'any'} -> {'/'.join(t['range']) or 'any'})"
                if t["kind"] == "relation"
                else ""
            )
            lines.append(
                f"- {t['kind']} `{t['name']}`{roles}: {', '.join(t['labels'])}; {t['count']} facts -> "
                f"{m.get('gold') or 'spurious'} {m.get('votes', {})}. {t['description']}"
            )
    lines += ["", "Not run: " + results.get("not_run", ""), ""]
    return "\n".join(lines)


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
