"""Write ``bench/results/gpu.md`` from what ``bench/gpu.sh`` measured (nothing here is estimated).

python bench/gpu_report.py bench/results/gpu --model MODEL --gpu "NVIDIA H100 80GB" > bench/results/gpu.md
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any


def gpu_busy(samples: Path) -> dict[str, Any]:
    """Return the mean GPU utilisation (nvidia-smi: share of time a kernel ran) and memory over a run."""
    util, memory = [], []
    with samples.open() as f:
        for row in csv.reader(f):
            if len(row) >= 3 and row[1].strip().isdigit():
                util.append(int(row[1]))
                memory.append(int(row[2]))
    if not util:
        return {"samples": 0}
    return {
        "samples": len(util),
        "busy_share": round(sum(util) / (100 * len(util)), 3),
        "samples_with_a_kernel": round(sum(u > 0 for u in util) / len(util), 3),
        "memory_max_mib": max(memory),
    }


def extraction(folder: Path) -> dict[str, Any]:
    """Return tokens/s and documents/min of ``bench/extract.py``'s run through the server."""
    result = json.loads((folder / "extract.json").read_text())
    rows = [r for r in result["documents"] if "error" not in r]
    wall = sum(r["wall_s"] for r in rows)
    prompt = sum(r["prompt_tokens"] for r in rows)
    completion = sum(r["completion_tokens"] for r in rows)
    return {
        "command": result["command"],
        "documents": len(rows),
        "pages": sum(r["pages"] for r in rows),
        "wall_s": round(wall, 1),
        "documents_per_min": round(60 * len(rows) / wall, 2) if wall else None,
        "tokens_per_s": round((prompt + completion) / wall, 1) if wall else None,
        "completion_tokens_per_s": round(completion / wall, 1) if wall else None,
        "prefix_cache_share": result["totals"].get("prefix_cache_share"),
        "entities": result["totals"]["entities"],
        "relations": result["totals"]["relations"],
    }


def quality(folder: Path) -> list[dict[str, Any]]:
    """Return F1 per run of ``bench/quality.py``'s results in ``folder``."""
    rows = []
    for path in sorted(folder.glob("quality-*.json")):
        for run in json.loads(path.read_text())["runs"]:
            relation = run.get("relation_doc") or run.get("relation_strict") or {}
            rows.append(
                {
                    "run": run["run"],
                    "n": run.get("n_docs", run.get("limit")),
                    "entity_f1": run.get("entity", {}).get("f1"),
                    "relation_f1": relation.get("f1"),
                    "relation_f1_ci": relation.get("f1_ci"),
                }
            )
    return rows


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.1f}"


def markdown(folder: Path, model: str, gpu: str) -> str:
    ex, busy_ex = extraction(folder), gpu_busy(folder / "gpu_extract.csv")
    busy_q = gpu_busy(folder / "gpu_quality.csv")
    lines = [
        "# factloom on a GPU through vLLM (`bench/gpu.sh`)",
        "",
        f"GPU: {gpu}; model served by vLLM: `{model}`. Measured by `bench/gpu.sh`; raw files in "
        f"`{folder}`. GPU busy share = mean of nvidia-smi's utilization.gpu (share of time a kernel ran), "
        "sampled every 250 ms during the run.",
        "",
        "## Extraction (`bench/extract.py` through the server)",
        "",
        f"Command: `{ex['command']}`",
        "",
        "| documents | pages | wall s | documents/min | tokens/s (prompt+completion) | completion tokens/s "
        "| prefix cache share | GPU busy share | entities | relations |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {ex['documents']} | {ex['pages']} | {ex['wall_s']} | {ex['documents_per_min']} "
        f"| {ex['tokens_per_s']} | {ex['completion_tokens_per_s']} | {ex['prefix_cache_share']} "
        f"| {busy_ex.get('busy_share')} "
        f"| {ex['entities']} | {ex['relations']} |",
        "",
        f"## Quality (`bench/quality.py` through the server; GPU busy share {busy_q.get('busy_share')})",
        "",
        "| run | n | entity F1 | relation F1 [95% CI] |",
        "|---|---|---|---|",
    ]
    for r in quality(folder):
        ci = r["relation_f1_ci"]
        interval = f" [{_pct(ci[0])}, {_pct(ci[1])}]" if ci else ""
        lines.append(
            f"| {r['run']} | {r['n']} | {_pct(r['entity_f1'])} | {_pct(r['relation_f1'])}{interval} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", required=True)
    parser.add_argument("--gpu", required=True)
    args = parser.parse_args()
    print(markdown(args.folder, args.model, args.gpu), end="")


if __name__ == "__main__":
    main()
