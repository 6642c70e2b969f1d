"""The Markdown and the paired comparisons of ``bench/quality.py``'s results (one backbone per file)."""

from __future__ import annotations

from typing import Any, Protocol

from factloom.graphs.eval.report import compare

NOTE = (
    "Micro F1 (%) on the FIRST `n` documents of each dev file, with a bootstrap 95% CI (documents "
    "resampled, 1000 times, fixed seed). Every system gets the same demonstrations: the k most similar "
    "passages from the documents AFTER the scored ones (never a scored text), retrieved from one store; "
    "`no-demos` rows get none. Every system is offered only the corpus's own labels (the preset cut to "
    "the types the gold uses). Entity = exact span + type; Rel = relation strict (both argument spans + "
    "types + relation type) for sentence corpora, entity-level document relations for BC5CDR / BioRED / "
    "Re-DocRED. Δ = paired bootstrap difference of Rel F1 on the same documents: factloom rows against "
    "the single-prompt row with the same demonstrations setting, ablations against their full row. "
    "A CI that excludes 0 is marked *. Where calls were answered from the call cache (`--workspaces`), "
    "tokens and seconds count only the new calls."
)


class RunLike(Protocol):
    """What the report needs of a benchmark run."""

    name: str
    base: str | None
    baseline: str | None


def relation_key(record: dict[str, Any]) -> str:
    """Return the relation score a record is judged by (strict mentions, or document relations)."""
    return "relation_doc" if "relation_doc" in record else "relation_strict"


def label(record: dict[str, Any], results: dict[str, Any]) -> str:
    """Return a record's row label: its run name, with its n when the run was also scored at another n."""
    same = sum(r["run"] == record["run"] for r in results["runs"])
    return record["run"] if same == 1 else f"{record['run']} (n={record['limit']})"


def comparisons(results: dict[str, Any], runs: list[RunLike]) -> dict[str, dict[str, Any]]:
    """Return, per record, its paired differences (entity and relation F1) to its baseline and its base.

    A record is compared only with records of the same n (the same documents); the keys are row labels.
    """
    by_key = {(r["run"], r["limit"]): r for r in results["runs"] if "same_as" not in r}
    specs = {run.name: run for run in runs}
    out: dict[str, dict[str, Any]] = {}
    for record in results["runs"]:
        run = specs.get(record["run"])
        if run is None or "same_as" in record:
            continue
        found = {}
        for name, other in (("vs_single_prompt", run.baseline), ("vs_base", run.base)):
            match = by_key.get((other, record["limit"]))
            if match is not None:
                key = relation_key(record)
                pair = {k: compare(record, match, k) for k in ("entity", key)}
                found[name] = {"against": other, **{k: v for k, v in pair.items() if v is not None}}
        if found:
            out[label(record, results)] = found
    return out


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _score(record: dict[str, Any], key: str) -> str:
    if key not in record:
        return "-"
    s = record[key]
    ci = s.get("f1_ci")
    return f"{_pct(s['f1'])} [{_pct(ci[0])}, {_pct(ci[1])}]" if ci else _pct(s["f1"])


def _diff(found: dict[str, Any] | None, key: str) -> str:
    d = (found or {}).get(key)
    if not d:
        return "-"
    star = "*" if d["ci"][0] > 0 or d["ci"][1] < 0 else ""
    return f"{100 * d['diff']:+.1f} [{_pct(d['ci'][0])}, {_pct(d['ci'][1])}]{star}"


def _per_doc(record: dict[str, Any], key: str, digits: int = 0) -> str:
    n = record.get("n_docs") or 1
    return f"{record.get(key, 0) / n:.{digits}f}"


def _calls(record: dict[str, Any]) -> str:
    calls = _per_doc(record, "llm_calls", 1)
    hits = record.get("cache_hits", 0)
    return f"{calls} ({_per_doc(record, 'cache_hits', 1)} cached)" if hits else calls


def _main_table(results: dict[str, Any], found: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| run | n | Entity F1 [95% CI] | Rel F1 [95% CI] | Δ Rel vs single-prompt | Δ Rel vs full row | "
        "calls/doc | prompt tok/doc | compl. tok/doc | s/doc |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["runs"]:
        if "same_as" in r:
            same = f"= {r['same_as']} (the profile's own setting)"
            lines.append(f"| {label(r, results)} | {r['limit']} | {same} |" + " |" * 7)
            continue
        key, cmp = relation_key(r), found.get(label(r, results), {})
        vs_sp = cmp.get("vs_single_prompt", {})
        vs_base = cmp.get("vs_base", {})
        lines.append(
            f"| {label(r, results)} | {r['n_docs']} | {_score(r, 'entity')} | {_score(r, key)} | "
            f"{_diff(vs_sp, key)} | {_diff(vs_base, key)} | {_calls(r)} | "
            f"{_per_doc(r, 'prompt_tokens')} | {_per_doc(r, 'completion_tokens')} | "
            f"{_per_doc(r, 'seconds', 1)} |"
        )
    return lines


def _drops_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| run | dropped: grounding | schema | verifier | invalid output | wrong rel.: other type | "
        "reversed | reversed + other type | wrong arguments | most confused (pred -> gold) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["runs"]:
        if "same_as" in r:
            continue
        d, c = r.get("drop_stages", {}), r.get("relation_confusion", {})
        pairs = ", ".join(f"{k} ({v})" for k, v in list(c.get("pairs", {}).items())[:2]) or "-"
        lines.append(
            f"| {label(r, results)} | {d.get('grounding', 0)} | {d.get('schema', 0)} | "
            f"{d.get('verifier', 0)} | "
            f"{d.get('invalid_output', 0)} | {c.get('other_type', '-')} | {c.get('reversed', '-')} | "
            f"{c.get('reversed_other_type', '-')} | {c.get('wrong_arguments', '-')} | {pairs} |"
        )
    return lines


def _agents_table(results: dict[str, Any]) -> list[str]:
    lines = ["| run | calls (prompt + completion tokens) per agent |", "|---|---|"]
    for r in results["runs"]:
        agents = r.get("usage_by_agent")
        if not agents:
            continue
        cells = "; ".join(
            f"{a} {u['calls']} ({u['prompt_tokens']} + {u['completion_tokens']})" for a, u in agents.items()
        )
        lines.append(f"| {label(r, results)} | {cells} |")
    return lines


def _setup(results: dict[str, Any]) -> list[str]:
    records = [r for r in results["runs"] if "same_as" not in r]
    if not records:
        return []
    first = records[0]
    s = first.get("settings", {})
    knobs = ", ".join(f"{k} {s[k]}" for k in ("unit", "relation_mode", "cot", "verify", "k_demos") if k in s)
    loads = [r["loadavg"][0] for r in records if r.get("loadavg")]
    line = f"Model `{first.get('model', '?')}`, profile `{first.get('profile', '-')}`"
    line += f" ({knobs})." if knobs else "."
    line += f" Machine: {results.get('machine', '?')}."
    if loads:
        line += f" 1-minute load average at the end of the runs: {min(loads):.1f} to {max(loads):.1f}."
    return [line, ""]


def markdown(results: dict[str, Any], runs: list[RunLike]) -> str:
    """Return the results of one backbone as Markdown tables."""
    found = comparisons(results, runs)
    model = results.get("model", "?")
    lines = [f"# Extraction quality on the dev splits: {model}", "", NOTE, "", *_setup(results)]
    lines += _main_table(results, found)
    lines += ["", "## Drops by stage and wrong relations with the right arguments", ""]
    lines += _drops_table(results)
    lines += ["", "## Calls and tokens per agent", ""]
    lines += _agents_table(results)
    lines += ["", f"Command: `python bench/quality.py --model {model}`.", ""]
    return "\n".join(lines)
