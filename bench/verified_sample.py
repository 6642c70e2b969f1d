"""A hand-checked sample of verified relations: draw it from a run's export, then score the judgements.

``--sample``: exports each workspace of a ``bench/extract.py --workspaces DIR`` run with ``factloom export
--format jsonl`` (DIR/<pdf>/graph.jsonl), keeps the relations whose status is ``verified``, draws up to
``--n`` of them with a fixed seed, and writes them to ``bench/results/<out>.jsonl``: each with its head,
type and tail names, its quotes, how they were grounded, the verifier's rationale, the text around each
quote, and empty ``judgement`` / ``why`` fields for a person to fill in (``correct``: the quote states the
relation between these two entities; ``wrong``: it does not; ``unclear``: the quote alone cannot tell).
An existing file with judgements is not overwritten (``--force`` does).

``--score``: reads the judged file and writes ``<out>.json`` and ``<out>.md``: precision (correct among
correct and wrong; unclear counted apart, and once more as wrong for a strict figure) with a 95% Wilson
interval, per PDF and relation type, and every item with its judgement, so anyone can re-judge it.

    python bench/verified_sample.py --sample --workspaces /tmp/bench-ws/qwen-1.5b
    python bench/verified_sample.py --score
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
JUDGEMENTS = ("correct", "wrong", "unclear")
CONTEXT_CHARS = 300


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float] | None:
    """Return the 95% Wilson score interval of the proportion ``k / n`` (None when ``n`` is 0)."""
    if n == 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def export(ws: Path) -> Path:
    """Export ``ws`` as JSONL with the CLI (as a user would) and return the file."""
    out = ws.parent / "graph.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "factloom.graphs",
            "export",
            "-w",
            str(ws),
            "--format",
            "jsonl",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"error: export of {ws} failed: {done.stderr.strip()}")
    return out


def document_texts(ws: Path) -> dict[str, str]:
    """Return the text of every document of ``ws`` by id."""
    from factloom.ingest.store import get_document, list_documents
    from factloom.ingest.workspace import Workspace

    with Workspace(ws, create=False) as w:
        return {d.doc_id: get_document(w, d.doc_id).text for d in list_documents(w)}


def verified_items(run: Path) -> list[dict[str, Any]]:
    """Return every verified relation of the run's workspaces (run/<pdf>/ws), with names and context."""
    items = []
    for ws in sorted(run.glob("*/ws")):
        records = [json.loads(line) for line in export(ws).read_text(encoding="utf-8").splitlines() if line]
        names = {r["id"]: (r["name"], r["type"]) for r in records if r["kind"] == "entity"}
        texts = document_texts(ws)
        for r in records:
            if r["kind"] != "relation" or r["status"] != "verified":
                continue
            evidence = []
            for ev in r["evidence"]:
                text = texts.get(ev["doc_id"], "")
                start, end = max(0, ev["start"] - CONTEXT_CHARS), ev["end"] + CONTEXT_CHARS
                evidence.append(
                    {
                        "page": ev["page"],
                        "quote": ev["quote"],
                        "method": ev["method"],
                        "score": ev["score"],
                        "context": " ".join(text[start:end].split()),
                    }
                )
            items.append(
                {
                    "id": r["id"],
                    "pdf": ws.parent.name,
                    "head": names.get(r["head"], (r["head"], "?"))[0],
                    "head_type": names.get(r["head"], ("", "?"))[1],
                    "type": r["type"],
                    "tail": names.get(r["tail"], (r["tail"], "?"))[0],
                    "tail_type": names.get(r["tail"], ("", "?"))[1],
                    "agent": r["agent"],
                    "confidence": r["confidence"],
                    "rationale": r["rationale"],
                    "evidence": evidence,
                    "judgement": None,
                    "why": None,
                }
            )
    return items


def sample(args: argparse.Namespace) -> None:
    path = RESULTS / f"{args.out}.jsonl"
    judged = path.exists() and any(json.loads(x).get("judgement") for x in path.read_text().splitlines() if x)
    if judged and not args.force:
        sys.exit(f"error: {path} holds judgements; pass --force to draw a new sample over it")
    if not args.workspaces.is_dir():
        sys.exit(f"error: {args.workspaces}: no such folder (a bench/extract.py --workspaces run)")
    items = verified_items(args.workspaces)
    if not items:
        sys.exit(f"error: no verified relation in the workspaces under {args.workspaces}")
    drawn = random.Random(args.seed).sample(items, min(args.n, len(items)))
    header = {
        "kind": "sample",
        "workspaces": str(args.workspaces),
        "verified_relations": len(items),
        "drawn": len(drawn),
        "seed": args.seed,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": "python " + " ".join(sys.argv),
    }
    lines = [json.dumps(header, ensure_ascii=False)] + [json.dumps(i, ensure_ascii=False) for i in drawn]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{path}: {len(drawn)} of {len(items)} verified relations drawn (seed {args.seed})")


def figures(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the counts, precision and its Wilson interval of judged ``items``."""
    counts = Counter(i["judgement"] for i in items)
    judged = counts["correct"] + counts["wrong"]
    strict = judged + counts["unclear"]
    return {
        "n": len(items),
        **{k: counts[k] for k in JUDGEMENTS},
        "precision": round(counts["correct"] / judged, 4) if judged else None,
        "precision_ci95": wilson(counts["correct"], judged),
        "precision_unclear_as_wrong": round(counts["correct"] / strict, 4) if strict else None,
        "precision_unclear_as_wrong_ci95": wilson(counts["correct"], strict),
    }


def score(args: argparse.Namespace) -> None:
    path = RESULTS / f"{args.out}.jsonl"
    if not path.exists():
        sys.exit(f"error: {path}: no sample; run --sample first")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    header, items = rows[0], rows[1:]
    missing = [i["id"] for i in items if i.get("judgement") not in JUDGEMENTS]
    if missing:
        sys.exit(f"error: {len(missing)} items without a judgement ({', '.join(JUDGEMENTS)}): {missing[:5]}")
    result = {
        "sample": header,
        "all": figures(items),
        "by_pdf": {
            pdf: figures([i for i in items if i["pdf"] == pdf]) for pdf in sorted({i["pdf"] for i in items})
        },
        "by_type": {
            t: figures([i for i in items if i["type"] == t]) for t in sorted({i["type"] for i in items})
        },
        "command": "python " + " ".join(sys.argv),
    }
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{args.out}.md").write_text(markdown(result, items, args.out))
    print(json.dumps(result["all"], indent=2))


def _fig(f: dict[str, Any]) -> str:
    ci = f["precision_ci95"]
    return (
        f"{f['n']} | {f['correct']} | {f['wrong']} | {f['unclear']} | {f['precision']} "
        f"| {list(ci) if ci else '–'} | {f['precision_unclear_as_wrong']}"
    )


def markdown(result: dict[str, Any], items: list[dict[str, Any]], stem: str) -> str:
    s, a = result["sample"], result["all"]
    lines = [
        "# Hand-checked sample of verified relations",
        "",
        f"Sample: `{s['command']}` ({s['date']}): {s['drawn']} of the {s['verified_relations']} verified "
        f"relations of the run in `{s['workspaces']}` (seed {s['seed']}). Scores: `{result['command']}`.  ",
        "Each item was judged against its quote and the PDF text around it: **correct** (the quote states "
        "this relation between these two entities, in this direction), **wrong** (it does not), **unclear** "
        "(the quote alone cannot tell). Precision = correct / (correct + wrong), with a 95% Wilson "
        "interval; the last column counts unclear as wrong. The items and judgements are in "
        f"`{stem}.jsonl` (re-judge by editing `judgement` and `why`, then "
        f"`python bench/verified_sample.py --score --out {stem}`).",
        "",
        f"**Precision {a['precision']} (95% CI {list(a['precision_ci95']) if a['precision_ci95'] else '–'}), "
        f"n = {a['correct'] + a['wrong']} judged ({a['unclear']} unclear).**",
        "",
        "| group | n | correct | wrong | unclear | precision | 95% CI | unclear as wrong |",
        "|---|---|---|---|---|---|---|---|",
        f"| **all** | {_fig(a)} |",
    ]
    lines += [f"| {pdf} | {_fig(f)} |" for pdf, f in result["by_pdf"].items()]
    lines += [f"| type `{t}` | {_fig(f)} |" for t, f in result["by_type"].items()]
    lines += ["", "| # | pdf | relation | quote | judgement | why |", "|---|---|---|---|---|---|"]
    for n, i in enumerate(items, 1):
        quote = " [...] ".join(" ".join(ev["quote"].split()) for ev in i["evidence"]).replace("|", "\\|")
        rel = f"{i['head']} ({i['head_type']}) —{i['type']}→ {i['tail']} ({i['tail_type']})".replace(
            "|", "\\|"
        )
        why = (i.get("why") or "").replace("|", "/")
        lines.append(f"| {n} | {i['pdf']} | {rel} | “{quote}” | {i['judgement']} | {why} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--sample", action="store_true", help="draw the sample from the run's workspaces")
    mode.add_argument("--score", action="store_true", help="score the judged sample")
    parser.add_argument("--workspaces", type=Path, help="the run's --workspaces folder (with --sample)")
    parser.add_argument("--n", type=int, default=40, help="relations to draw (all if fewer)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", default="verified_sample", help="file stem in bench/results")
    parser.add_argument("--force", action="store_true", help="draw over a judged sample")
    args = parser.parse_args()
    if args.sample:
        if args.workspaces is None:
            sys.exit("error: --sample needs --workspaces DIR")
        sample(args)
    else:
        score(args)


if __name__ == "__main__":
    main()
