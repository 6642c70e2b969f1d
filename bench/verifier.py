"""How well does the verifier tell true facts from false ones? Gold-labelled statements from a dev split.

Every statement is what the relation reasoner could propose on one sentence of the dev file (the first
``--limit``), with the sentence as its evidence:
- **true**: each gold relation, between its gold entities' first mentions;
- **reversed**: a gold relation the other way round, where the schema allows it (``kill``, ``located_in``);
- **wrong type**: a gold pair with another relation type the schema allows for their types;
- **unrelated**: two gold entities with no gold relation, under a type the schema allows;
- **mistyped** (with ``--mistyped``): each true statement once more, with one argument (head and tail in
  turn) given another entity type of the schema, as when the entity finder mistypes a name.
There are as many false statements as true ones (where the sentences allow): reversed and wrong-type ones
first (a seeded sample when there are more), then unrelated ones (seeded). ADE has no false statements to
offer (every pair in its sentences is related); use CoNLL04 or SciERC. Each verifier style judges each
sentence's statements as the pipeline would (``agents.verifier_judge.judge``: ``verdicts`` 8 a call,
``choice`` one call per fact; ``choice+types`` first checks the arguments' types, ``check_types``), and a
statement counts as kept only when it comes out ``verified``.
Scores treat the kept set as predictions of the true set: precision, recall and F1 with bootstrap 95%
intervals over sentences (``tools.eval.bootstrap``), paired differences between the styles and against
keeping everything (no verifier), and the share of each kind of false statement rejected. Model calls go
through a workspace call cache (``--workspace``).

    python bench/verifier.py --model qwen-1.5b --corpus conll04 --limit 60
    python bench/verifier.py --model qwen-0.5b --corpus scierc --limit 40 --styles verdicts choice
    python bench/verifier.py --model qwen-1.5b --limit 40 --mistyped --styles choice choice+types
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from quality import CORPORA, DATA, model_path
from verified_sample import wilson

from factloom.agents.context import AgentContext, AgentSettings
from factloom.agents.verifier_judge import Statement, judge
from factloom.ingest.corpora import read_corpus
from factloom.ingest.corpora.models import GoldDoc
from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMOutputError
from factloom.tools.eval.bootstrap import Counts, f1_interval, paired_difference
from factloom.tools.extraction.gold import restrict_to_gold, to_schema
from factloom.tools.extraction.schema import Schema, load_schema
from factloom.tools.llm.base import Usage
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.factory import make_llm

RESULTS = Path(__file__).parent / "results"
SEED = 13
KINDS = ("true", "reversed", "wrong_type", "unrelated", "mistyped")
STYLES = {"verdicts": {}, "choice": {"verifier_style": "choice"}}
STYLES["choice+types"] = {**STYLES["choice"], "check_types": True}
STYLES["verdicts+types"] = {"check_types": True}
Item = tuple[int, Statement, str]
"""(sentence index, statement, kind)."""


def _order(item: Item) -> tuple[int, int, str, str]:
    """Sort statements by sentence, kind, head and relation type."""
    i, s, kind = item
    return i, KINDS.index(kind), s.head, s.type


def statements(docs: list[GoldDoc], schema: Schema, seed: int = SEED) -> list[Item]:
    """Return the labelled statements of ``docs`` (true ones, then as many false ones, see the module).

    Entities are compared by name: two gold entities with one surface form (a corpus may list a name
    twice) are one, so a false statement is never a true one under another id.
    """
    true: list[Item] = []
    hard: list[Item] = []
    unrelated: list[Item] = []
    for i, doc in enumerate(docs):
        types = {e.mentions[0].text: e.type for e in doc.entities if e.mentions}
        names = {e.id: e.mentions[0].text for e in doc.entities if e.mentions}
        gold = {
            (names[r.head], r.type, names[r.tail]) for r in doc.relations if {r.head, r.tail} <= set(names)
        }
        related = {frozenset((h, t)) for h, _, t in gold}
        found: list[tuple[str, str, str, str]] = []
        for h, type_, t in sorted(gold):
            found.append((h, type_, t, "true"))
            if h == t:
                continue
            if (t, type_, h) not in gold and schema.allows(types[t], type_, types[h]):
                found.append((t, type_, h, "reversed"))
            for rel in schema.relation_types:
                legal = schema.allows(types[h], rel.name, types[t])
                if legal and rel.name != type_ and (h, rel.name, t) not in gold:
                    found.append((h, rel.name, t, "wrong_type"))
        for h, t in itertools.permutations(sorted(types), 2):
            if frozenset((h, t)) not in related:
                found += [
                    (h, rel.name, t, "unrelated")
                    for rel in schema.relation_types
                    if schema.allows(types[h], rel.name, types[t])
                ]
        for h, type_, t, kind in found:
            s = Statement(h, type_, t, doc.text, doc.text, head_type=types[h], tail_type=types[t])
            {"true": true, "unrelated": unrelated}.get(kind, hard).append((i, s, kind))
    rng = random.Random(seed)
    hard = rng.sample(hard, min(len(hard), len(true)))
    fill = rng.sample(unrelated, min(len(unrelated), len(true) - len(hard)))
    return sorted(true + hard + fill, key=_order)


def mistyped(items: list[Item], schema: Schema, seed: int = SEED) -> list[Item]:
    """Return ``items`` and, per true statement, a copy whose head or tail (in turn) has another type."""
    rng = random.Random(seed + 1)
    types = [t.name for t in schema.entity_types]
    extra: list[Item] = []
    for n, (i, s, _) in enumerate(x for x in items if x[2] == "true"):
        if n % 2 == 0:
            s = replace(s, head_type=rng.choice([t for t in types if t != s.head_type]))
        else:
            s = replace(s, tail_type=rng.choice([t for t in types if t != s.tail_type]))
        extra.append((i, s, "mistyped"))
    return sorted(items + extra, key=_order)


async def run_style(
    items: list[Item], style: str, llm: Any, schema: Schema
) -> tuple[list[str], Usage, float]:
    """Judge each sentence's statements with one verifier style; return each statement's status."""
    ctx = AgentContext(llm=llm, schema=schema, settings=AgentSettings(**STYLES[style]))
    status: list[str] = []
    usage = Usage()
    start = time.perf_counter()
    for i, group in itertools.groupby(items, key=lambda x: x[0]):
        batch = [s for _, s, _ in group]
        try:
            judgements, cost = await judge(batch, ctx, f"{style}/sentence-{i}")
        except LLMOutputError as e:  # no usable answer: the facts stay unverified, as in the pipeline
            status += ["unusable"] * len(batch)
            usage = usage + e.usage
            continue
        usage = usage + cost
        status += ["rejected" if j.reason else j.status for j in judgements]
        print(f"  {style}: sentence {i}: {Counter(status)}", flush=True)
    return status, usage, time.perf_counter() - start


def per_sentence(items: list[Item], kept: list[bool]) -> list[Counts]:
    """Return per sentence (true statements kept, statements kept, true statements)."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (i, _, kind), k in zip(items, kept, strict=True):
        c = counts[i]
        c[0] += int(k and kind == "true")
        c[1] += int(k)
        c[2] += int(kind == "true")
    return [tuple(counts[i]) for i in sorted(counts)]  # type: ignore[misc]


def paired_ratio(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> dict[str, Any]:
    """Return sum(num)/sum(den) of ``a`` minus that of ``b``, with a paired bootstrap 95% interval.

    ``a`` and ``b`` hold per sentence (numerator, denominator); sentences are resampled with replacement,
    the same ones for both (as ``tools.eval.bootstrap.paired_difference`` does for F1).
    """

    def ratio(xs: list[tuple[int, int]], picks: list[int]) -> float:
        den = sum(xs[i][1] for i in picks)
        return sum(xs[i][0] for i in picks) / den if den else 0.0

    every = list(range(len(a)))
    rng = random.Random(SEED)
    stats = sorted(ratio(a, p) - ratio(b, p) for p in (rng.choices(every, k=len(every)) for _ in range(1000)))
    return {
        "value": round(ratio(a, every) - ratio(b, every), 4),
        "ci": [round(stats[25], 4), round(stats[974], 4)],
    }


def cold_cost(ws: Workspace, style: str) -> dict[str, Any]:
    """Return what the answers of ``style`` cost when they were first computed (cache misses in llm_usage).

    A re-run answered from the call cache costs nothing itself; the workspace's usage table keeps the cost of
    the call that produced each cached answer, under the style's document ids (``<style>/sentence-<i>``).
    """
    row = ws.db.execute(
        "SELECT COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(seconds) FROM llm_usage "
        "WHERE cache_hit = 0 AND doc_id LIKE ?",
        (f"{style}/%",),
    ).fetchone()
    return {
        "calls": row[0],
        "prompt_tokens": row[1] or 0,
        "completion_tokens": row[2] or 0,
        "seconds": round(row[3] or 0.0, 1),
    }


def false_per_sentence(items: list[Item], status: list[str]) -> list[tuple[int, int]]:
    """Return per sentence (false statements not verified, false statements)."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (i, _, kind), s in zip(items, status, strict=True):
        counts[i][0] += int(kind != "true" and s != "verified")
        counts[i][1] += int(kind != "true")
    return [(counts[i][0], counts[i][1]) for i in sorted(counts)]


def score(items: list[Item], status: list[str]) -> dict[str, Any]:
    """Return precision, recall, F1 (with intervals) of the verified set, and rejections per false kind."""
    kept = [s == "verified" for s in status]
    counts = per_sentence(items, kept)
    tp, pred, gold = (sum(c[j] for c in counts) for j in range(3))
    f1 = f1_interval(counts)
    rejected = {}
    for kind in KINDS[1:]:
        of_kind = [s for (_, _, k), s in zip(items, status, strict=True) if k == kind]
        n = len(of_kind)
        r = sum(s != "verified" for s in of_kind)
        rejected[kind] = {"n": n, "not_verified": r, "share": round(r / n, 4) if n else None}
    return {
        "statuses": dict(Counter(status)),
        "kept": pred,
        "true_kept": tp,
        "true": gold,
        "precision": round(tp / pred, 4) if pred else None,
        "precision_ci": wilson(tp, pred),
        "recall": round(tp / gold, 4) if gold else None,
        "recall_ci": wilson(tp, gold),
        "f1": round(f1.value, 4),
        "f1_ci": f1.as_list(),
        "false_rejected": rejected,
        "false_not_verified": sum(n for n, _ in false_per_sentence(items, status)),
        "false": sum(d for _, d in false_per_sentence(items, status)),
        "per_sentence": counts,
        "false_per_sentence": false_per_sentence(items, status),
    }


def _ci(interval: Any) -> str:
    return f"[{interval[0]}, {interval[1]}]" if interval else "-"


def markdown(report: dict[str, Any]) -> str:
    """Return the report as Markdown."""
    kinds = [k for k in KINDS[1:] if k in report["kinds"]]
    head = (
        f"# Verifier discrimination: {report['model']} on {report['corpus']} dev[:{report['limit']}]\n\n"
        f"`{report['command']}` ({report['date']}, commit {report['commit']}, load {report['loadavg']}).  \n"
        f"{report['n']} statements: {report['kinds']}. Calls, tokens and seconds are those of the model "
        "calls that produced the answers (cache misses in the workspace's usage table), also when this run "
        "read them from the call cache; a `+types` row counts its type questions and the relation questions "
        "first asked in it (those it shares with the row without `+types` are counted there). "
        "A statement counts as kept when it comes out "
        "`verified`; scores treat the kept set as predictions of the true statements (95% intervals: "
        "Wilson for precision and recall, bootstrap over sentences for F1 and differences).\n\n"
        "| verifier | kept | precision [95% CI] | recall [95% CI] | F1 [95% CI] | "
        + "".join(f"{k.replace('_', ' ')} rejected | " for k in kinds)
        + "calls | prompt + completion tokens | s |\n|"
        + "---|" * (8 + len(kinds))
        + "\n"
    )
    rows = []
    for name, r in report["styles"].items():
        rej = r["false_rejected"]
        cells = [f"{rej[k]['not_verified']}/{rej[k]['n']}" if rej[k]["n"] else "-" for k in kinds]
        usage = r.get("usage", {})
        rows.append(
            f"| {name} | {r['kept']} | {r['precision']} {_ci(r['precision_ci'])} | {r['recall']} "
            f"{_ci(r['recall_ci'])} "
            f"| {r['f1']} {r['f1_ci']} | {' | '.join(cells)} | {usage.get('calls', '-')} | "
            f"{usage.get('prompt_tokens', '-')} + {usage.get('completion_tokens', '-')} | "
            f"{r.get('seconds', '-')} |"
        )
    diffs = [
        f"| {d['a']} − {d['b']} | {d['value']} {d['ci']} | {d['precision']['value']} "
        f"{d['precision']['ci']} | {d['false_rejected']['value']} {d['false_rejected']['ci']} |"
        for d in report["differences"]
    ]
    return (
        head
        + "\n".join(rows)
        + "\n\n| paired difference (95% CI) | F1 | precision | share of false statements not verified |"
        "\n|---|---|---|---|\n" + "\n".join(diffs) + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="qwen-1.5b", help="smollm2, qwen-0.5b or qwen-1.5b")
    parser.add_argument("--model-path", type=Path, default=None)
    parser.add_argument("--corpus", default="conll04", choices=["conll04", "scierc"])
    parser.add_argument("--limit", type=int, default=60, help="the first N sentences of the dev file")
    parser.add_argument("--styles", nargs="+", default=["verdicts", "choice"], choices=list(STYLES))
    parser.add_argument("--mistyped", action="store_true", help="add mistyped copies of the true statements")
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/verifier-bench-ws"))
    parser.add_argument("--out", default=None, help="result stem (default verifier-<model>-<corpus>)")
    args = parser.parse_args()

    corpus = CORPORA[args.corpus]
    docs, _ = to_schema(read_corpus(DATA / corpus.path, corpus.fmt), load_schema(corpus.schema))
    docs = docs[: args.limit]
    schema = restrict_to_gold(load_schema(corpus.schema), docs)
    items = statements(docs, schema)
    if args.mistyped:
        items = mistyped(items, schema)
    path = model_path(args.model, args.model_path)
    report: dict[str, Any] = {
        "command": "python bench/verifier.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": os.popen("git rev-parse --short HEAD").read().strip(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "model": args.model,
        "corpus": args.corpus,
        "limit": args.limit,
        "n": len(items),
        "kinds": dict(Counter(k for _, _, k in items)),
        "styles": {},
    }
    keep_all = score(items, ["verified"] * len(items))
    report["styles"]["none (keep every statement)"] = keep_all
    with Workspace(args.workspace) as ws:
        llm = make_llm(BackendConfig(model_path=path), ws)
        for style in args.styles:
            status, usage, seconds = asyncio.run(run_style(items, style, llm, schema))
            cold = cold_cost(ws, style)
            report["styles"][style] = {
                **score(items, status),
                "usage": cold,
                "seconds": cold["seconds"],
                "this_run": {
                    "calls": usage.calls,
                    "cache_hits": usage.cache_hits,
                    "seconds": round(seconds, 1),
                },
                "status_by_kind": {
                    kind: dict(Counter(s for (_, _, k), s in zip(items, status, strict=True) if k == kind))
                    for kind in KINDS
                },
            }
    names = list(report["styles"])
    report["differences"] = []
    for a, b in itertools.combinations(names[::-1], 2):
        d = paired_difference(report["styles"][a]["per_sentence"], report["styles"][b]["per_sentence"])
        ra, rb = report["styles"][a], report["styles"][b]
        precision = paired_ratio(
            [(c[0], c[1]) for c in ra["per_sentence"]], [(c[0], c[1]) for c in rb["per_sentence"]]
        )
        rejected = paired_ratio(ra["false_per_sentence"], rb["false_per_sentence"])
        report["differences"].append(
            {
                "a": a,
                "b": b,
                "value": round(d.value, 4),
                "ci": d.as_list(),
                "precision": precision,
                "false_rejected": rejected,
            }
        )
    report["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    stem = args.out or f"verifier-{args.model}-{args.corpus}"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
