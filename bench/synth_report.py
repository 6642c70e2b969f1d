"""The Markdown report of ``bench/synth.py`` (``bench/results/synth.md``)."""

from __future__ import annotations

from typing import Any

from synth_demos import CONDITIONS


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
