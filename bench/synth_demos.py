"""The demonstrations part of ``bench/synth.py``: one condition (none, synthetic, gold) evaluated in a fresh
workspace, and the paired comparisons between the conditions that ran.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from quality import CORPORA, DATA, backend_config, model_path

CONDITIONS = ("none", "synthetic", "gold")
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
