"""List a quality run's wrong and missed facts, document by document, from its kept workspace.

Reads the model-call cache of ``bench/quality.py --workspaces DIR``, so it re-runs nothing a kept run
already asked: it rebuilds the run's predictions and prints, per scored document, the text, the
entities and relations it got right (=), wrongly (+) and missed (-), with the error counts at the end.
For reading errors, not for figures (those come from bench/quality.py).

    python bench/quality_errors.py --model qwen-1.5b --limit 50 --workspaces /tmp/q15 --run conll04-factloom
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections import Counter
from pathlib import Path

from quality import CORPORA, DATA, RUNS, backend_config, model_path  # bench/quality.py, beside this script


def _spans(gold: object) -> dict[str, tuple[int, int, str]]:
    return {e.id: (e.mentions[0].start, e.mentions[0].end, e.type) for e in gold.entities if e.mentions}


def _text(doc_text: str, span: tuple[int, int, str]) -> str:
    return f"{doc_text[span[0] : span[1]]}/{span[2]}"


def compare(gold: object, pred: object) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Return the entity and relation facts of one document split into right, wrong and missed."""
    from factloom.tools.eval.scoring import snap_to_tokens

    def snap(span: tuple[int, int]) -> tuple[int, int] | None:
        return snap_to_tokens(span, gold.token_offsets) if gold.token_offsets else span

    first = _spans(gold)
    g_ents = {_text(gold.text, (m.start, m.end, e.type)) for e in gold.entities for m in e.mentions}
    g_rels = {
        f"{_text(gold.text, first[r.head])} {r.type} {_text(gold.text, first[r.tail])}"
        for r in gold.relations
        if r.head in first and r.tail in first
    }
    p_first, p_ents = {}, set()
    for ent in pred.entities:
        spans = [s for m in ent.mentions if (s := snap(m)) is not None]
        p_ents |= {_text(gold.text, (*s, ent.type)) for s in spans}
        p_first[ent.id] = (*spans[0], ent.type) if spans else None
    p_rels = set()
    for rel in pred.relations:
        head, tail = p_first.get(rel.head), p_first.get(rel.tail)
        if rel.head_span and head and (s := snap(rel.head_span)):
            head = (*s, head[2])
        if rel.tail_span and tail and (s := snap(rel.tail_span)):
            tail = (*s, tail[2])
        if head and tail:
            p_rels.add(f"{_text(gold.text, head)} {rel.type} {_text(gold.text, tail)}")

    def split(g: set[str], p: set[str]) -> dict[str, set[str]]:
        return {"=": g & p, "+": p - g, "-": g - p}

    return split(g_ents, p_ents), split(g_rels, p_rels)


def main() -> None:
    """Print the errors of one kept run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen-1.5b")
    parser.add_argument("--model-path", type=Path, default=None)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--limit", type=int, required=True)
    parser.add_argument("--workspaces", type=Path, required=True, help="the folder bench/quality.py kept")
    parser.add_argument("--run", required=True, help="a run name of bench/quality.py --list")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from factloom.graphs.eval.run import (
        EvalSpec,
        add_demonstrations,
        eval_options,
        eval_schema,
        predict,
        scored_slice,
    )
    from factloom.ingest.corpora import read_corpus
    from factloom.ingest.workspace import Workspace
    from factloom.tools.extraction.gold import to_schema
    from factloom.tools.extraction.schema import load_schema
    from factloom.tools.llm.factory import make_llm

    run = next((r for r in RUNS if r.name == args.run), None)
    if run is None:
        raise SystemExit(f"error: unknown run {args.run}; see bench/quality.py --list")
    corpus = CORPORA[run.corpus]
    folder = args.workspaces / args.model / f"{run.corpus}-n{args.limit}"
    if not folder.is_dir():
        raise SystemExit(f"error: {folder}: no kept workspace; run bench/quality.py with --workspaces first")
    config = backend_config(model_path(args.model, args.model_path), args.profile)
    docs, _ = to_schema(read_corpus(DATA / corpus.path, corpus.fmt), load_schema(corpus.schema))
    options = eval_options(config, **run.switches)
    spec = EvalSpec(str(DATA / corpus.path), corpus.fmt, run.system, args.limit, corpus.demo_pool, options)
    with Workspace(folder) as ws:
        schema = eval_schema(spec, docs, load_schema(corpus.schema))
        scored, pool = scored_slice(spec, docs)
        if options.demos and pool:
            add_demonstrations(ws, pool, schema, f"{Path(spec.corpus).name}[{len(scored)}:]")
        got = asyncio.run(predict(ws, spec, scored, schema, make_llm(config, ws), None))
    totals: Counter[str] = Counter()
    for gold, pred in zip(scored, got.preds, strict=True):
        ents, rels = compare(gold, pred)
        totals.update({f"entity {k}": len(v) for k, v in ents.items()})
        totals.update({f"relation {k}": len(v) for k, v in rels.items()})
        print(f"\n## {gold.doc_id}: {gold.text}")
        for mark in "=+-":
            for fact in sorted(rels[mark]):
                print(f"  {mark} {fact}")
        print("  entities " + " ".join(f"{m}{e}" for m in "+-" for e in sorted(ents[m])))
    usage = got.usage
    print(f"\n{args.run} n={len(scored)} calls={usage.calls} cached={usage.cache_hits}: {dict(totals)}")


if __name__ == "__main__":
    main()
