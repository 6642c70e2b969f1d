"""Benchmark entity resolution: mentions/s and peak memory from 10k to 1M synthetic mentions.

Names are drawn with realistic variation: case, legal suffixes (Inc., Ltd., Corp.), typos, word order
(``Smith, John``), acronyms and punctuation. Mentions are grouped by exact (surface, type) and the
distinct surfaces are resolved (``tools.resolution.resolve.resolve``, no LLM, no embeddings). Each size runs
in its own process so its peak RSS is its own.

    python bench/resolve.py                      # 10k, 30k, 100k, 300k, 1M
    python bench/resolve.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

SIZES = (10_000, 30_000, 100_000, 300_000, 1_000_000)
RESULTS = Path(__file__).parent / "results"
SUFFIXES = ("Inc.", "Ltd.", "Corp.", "GmbH", "LLC", "")
ONSETS = [
    "b",
    "c",
    "d",
    "f",
    "g",
    "h",
    "j",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "w",
    "z",
    "br",
    "cr",
    "dr",
    "fl",
    "gr",
    "kl",
    "pr",
    "st",
    "tr",
]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ei", "ou", "ea", "io"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(rng.randint(2, 3))).capitalize()


def entities(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """Return ``n`` distinct (name, type) entities: organisations, people and chemicals."""
    firsts = [_word(rng) for _ in range(800)]
    words = [_word(rng) for _ in range(6000)]
    seen: set[str] = set()
    out = []
    while len(out) < n:
        kind = rng.random()
        if kind < 0.45:
            name, type_ = (
                " ".join(rng.sample(words, rng.randint(1, 3))) + " " + rng.choice(SUFFIXES[:-1]),
                "org",
            )
        elif kind < 0.8:
            name, type_ = f"{rng.choice(firsts)} {rng.choice(words)}", "person"
        else:
            name, type_ = (
                rng.choice(words).lower() + rng.choice(("ine", "ol", "ate", "ide", "mycin")),
                "chemical",
            )
        if name not in seen:
            seen.add(name)
            out.append((name.strip(), type_))
    return out


def _typo(name: str, rng: random.Random) -> str:
    i = rng.randrange(1, max(2, len(name) - 1))
    op = rng.randrange(3)
    if op == 0:
        return name[:i] + name[i + 1 :]
    if op == 1 and i + 1 < len(name):
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + rng.choice("aeiourstn") + name[i + 1 :]


def variant(name: str, type_: str, rng: random.Random) -> str:
    """Return one surface form of an entity name."""
    r = rng.random()
    words = name.split()
    if r < 0.5:
        return name
    if r < 0.6:
        return name.upper() if rng.random() < 0.5 else name.lower()
    if r < 0.7 and type_ == "org":
        return " ".join([*words[:-1], rng.choice(SUFFIXES)]).strip()
    if r < 0.78:
        return _typo(name, rng)
    if r < 0.84 and type_ == "person":
        return f"{words[-1]}, {' '.join(words[:-1])}"
    if r < 0.9 and type_ == "org" and len(words) >= 3:
        return "".join(w[0] for w in words[:-1]).upper()
    if r < 0.95:
        return name.replace(" ", "-") if rng.random() < 0.5 else name.replace(".", "")
    return name


def mentions(n: int, seed: int = 1) -> list[tuple[str, str, int]]:
    """Return ``n`` mentions ``(surface, type, gold entity index)``; entity frequency is Zipf-like."""
    rng = random.Random(seed)
    ents = entities(max(100, n // 10), rng)
    weights = [1.0 / (i + 1) ** 0.8 for i in range(len(ents))]
    picks = rng.choices(range(len(ents)), weights=weights, k=n)
    return [(variant(*ents[i], rng), ents[i][1], i) for i in picks]


def run_one(n: int) -> dict[str, object]:
    """Resolve ``n`` synthetic mentions in this process and return the measurements."""
    from factloom.tools.eval.resolution import score_clusters
    from factloom.tools.resolution.resolve import Record, resolve

    data = mentions(n)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu_start = time.perf_counter(), time.process_time()
    surface_ids: dict[tuple[str, str], str] = {}
    for surface, type_, _ in data:
        surface_ids.setdefault((surface, type_), f"s{len(surface_ids)}")
    records = [Record(rid, surface, type_) for (surface, type_), rid in surface_ids.items()]
    clusters = resolve(records)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    cluster_of = {m: c.members[0] for c in clusters for m in c.members}
    assign = {k: cluster_of[surface_ids[(s, t)]] for k, (s, t, _) in enumerate(data)}
    pairwise, bcubed = score_clusters(assign, {k: str(g) for k, (_, _, g) in enumerate(data)})
    return {
        "mentions": n,
        "distinct_surfaces": len(records),
        "gold_entities": len(set(g for *_, g in data)),
        "clusters": len(clusters),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "mentions_per_s": round(n / seconds),
        "mentions_per_cpu_s": round(n / cpu),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_mb": round(rss_before / 1024, 1),
        "pairwise": pairwise.__dict__,
        "bcubed": bcubed.__dict__,
    }


def main() -> None:
    """Run every size in a child process, print the curve, write results JSON and Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    rows = []
    for n in args.sizes:
        load = os.getloadavg()
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], check=True, capture_output=True, text=True
        )
        row = json.loads(out.stdout.strip().splitlines()[-1]) | {
            "loadavg_before": [round(x, 2) for x in load]
        }
        rows.append(row)
        print(
            f"{n:>9,} mentions  {row['distinct_surfaces']:>8,} surfaces  {row['seconds']:>7.2f} s  "
            f"(cpu {row['cpu_seconds']:>6.2f} s)  "
            f"{row['mentions_per_s']:>9,} mentions/s  peak {row['peak_rss_mb']:>7.1f} MB  "
            f"B3 F1 {row['bcubed']['f1']:.3f}  load {row['loadavg_before'][0]}",
            flush=True,
        )
    write_results(rows)


def write_results(rows: list[dict[str, object]]) -> None:
    """Write ``bench/results/resolve.json`` and ``resolve.md``."""
    RESULTS.mkdir(exist_ok=True)
    meta = {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "note": "load averages show other processes sharing the machine; timings are disturbed by them",
    }
    (RESULTS / "resolve.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    lines = [
        "# Entity resolution benchmark (`python bench/resolve.py`)",
        "",
        f"{meta['machine']}, {meta['cpus']} CPUs, Python {meta['python']}. {meta['note']}.",
        "",
        "| mentions | distinct surfaces | wall s | CPU s | mentions/s (wall) | peak RSS MB "
        "| pairwise F1 | B3 F1 | load 1m |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mentions']:,} | {r['distinct_surfaces']:,} | {r['seconds']} | {r['cpu_seconds']} "
            f"| {r['mentions_per_s']:,} "
            f"| {r['peak_rss_mb']} | {r['pairwise']['f1']} | {r['bcubed']['f1']} | {r['loadavg_before'][0]} |"
        )
    growth = Counter()
    for a, b in itertools.pairwise(rows):
        growth[f"{a['mentions']}->{b['mentions']}"] = round(b["cpu_seconds"] / max(a["cpu_seconds"], 1e-9), 2)
    lines += [
        "",
        "CPU-time ratio between consecutive sizes (linear = size ratio): "
        + ", ".join(f"{k}: x{v}" for k, v in growth.items()),
    ]
    (RESULTS / "resolve.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
