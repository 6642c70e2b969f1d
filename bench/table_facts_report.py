"""The report of bench/table_facts.py: the hand judgements of kept facts, the totals, the markdown.

``JUDGED`` holds a judgement per kept fact, written by hand after reading the table on the rendered page;
``READING`` what the stored run shows. ``python bench/table_facts.py --report`` renders them again.
"""

from __future__ import annotations

from typing import Any

PARTY_NOTE = (
    "the payment cell of that party's row (sample table, known content); a role used as relation type "
    "with the amount as tail: the cell states no such relation"
)
SCORE_NOTE = (
    "the score of that system in the CS column (cell read from the extracted table, not the rendered "
    "page); 'CS used_for system' is not stated"
)
JUDGED: dict[str, tuple[bool, bool, str]] = {
    "parties t0 | Acme Corporation --supplier--> 120,000 | r1c2 120,000": (
        True,
        False,
        PARTY_NOTE,
    ),
    "parties t0 | Blackbox Stocks Inc. --distributor--> 45,500 | r2c2 45,500": (
        True,
        False,
        PARTY_NOTE,
    ),
    "parties t0 | Northwind Traders --guarantor--> 0 | r3c2 0": (
        True,
        False,
        PARTY_NOTE,
    ),
    "scientific_ACL-N18-3011_literature_graph t3 | CS --used_for--> Baseline | r1c1 84.2": (
        True,
        False,
        SCORE_NOTE,
    ),
    "scientific_ACL-N18-3011_literature_graph t3 | CS --used_for--> Neural | r2c1 84.6": (
        True,
        False,
        SCORE_NOTE,
    ),
    "scientific_PeerJCS-2017_VESPA_bioinforma t0 | BLAST --feature_of--> HMMER | r3c2 BLAST/HMMER output": (
        True,
        False,
        "the cell lists outputs of two tools (extracted table); neither is a feature of the other",
    ),
    "scientific_PeerJCS-2017_VESPA_bioinforma t0 | BLAST --feature_of--> HMMER | r3c3 HMMER": (
        True,
        False,
        "the cell lists outputs of two tools (extracted table); neither is a feature of the other",
    ),
    (
        "scientific_PeerJCS-2017_VESPA_bioinforma t0 | BLAST tabular --feature_of--> BLAST | "
        "r3c3 BLAST tabular"
    ): (
        True,
        False,
        "a file format of BLAST output listed in the cell (extracted table); 'feature_of' not stated",
    ),
}
"""Per kept fact (``fact_key``): (the cited cell is the one printed with that value under those headers,
the cell states the fact), and a note. Filled by hand after reading the table on the rendered page."""


READING = [
    "Three runs, the same 10 tables and model. Run 1 (entity prompt without pointers to headers): 1 table "
    "read in the budget at load ~9, 0 facts; the drugs in the column headers were not found. Run 2 (the "
    "instruction names the header line and caption): still only row headers on the adverse-events table; "
    "10 tables, 41 proposals, 30 rejected by the cell check, 3 facts kept (the parties table, same pattern "
    "as below). Run 3 (this file; the column and row headers also listed below the table): Metformin and "
    "Placebo found, 61 proposals, 53 rejected by the cell check, 8 facts kept (7 verified).",
    "Every kept fact cites a cell that holds its value (the cell check guarantees it), and none of the 8 "
    "states the relation it is filed under: Qwen2.5-1.5B files a row's values under relation types that "
    "the cell does not support (a party's role as the relation, a score as 'used_for'), and the 1.5B "
    "verifier accepted 7 of them. Precision of kept table facts on this sample: 0/8. The table path "
    "grounds evidence in cells correctly; reading relations from tables is beyond this model.",
    "On the adverse-events table the reasoner's one proposal related Metformin to Placebo "
    "(drug_interaction), rejected by the cell check; the chemical-disease reading the table states "
    "(an adverse event per arm) was not proposed.",
    "Speed: run 3 shared the 2 cores with a Qwen-1.5B extraction run; seconds are about doubled.",
]
"""What the stored run shows, written by hand after reading it (rendered into the report)."""


def fact_key(table: str, fact: dict[str, Any]) -> str:
    """Return the key of a kept fact in ``JUDGED``."""
    c = fact["cell"]
    return (
        f"{table} | {fact['head']} --{fact['type']}--> {fact['tail']} | r{c['row']}c{c['col']} {c['value']}"
    )


TIMES = ("entities_s", "reasoner_s", "verifier_s")


def judged(result: dict[str, Any]) -> dict[str, Any]:
    """Add the hand judgements to every kept fact and the totals."""
    n = cell_right = stated = unjudged = 0
    for row in result["tables"]:
        for fact in row["facts"]:
            n += 1
            verdict = JUDGED.get(fact_key(row["table"], fact))
            if verdict is None:
                fact["judged"] = None
                unjudged += 1
                continue
            fact["judged"] = {"cell_right": verdict[0], "fact_stated": verdict[1], "note": verdict[2]}
            cell_right += verdict[0]
            stated += verdict[0] and verdict[1]
    tokens = sum(
        u["prompt_tokens"] + u["completion_tokens"] for r in result["tables"] for u in r["usage"].values()
    )
    result["totals"] = {
        "tables": len(result["tables"]),
        "proposals": sum(len(r["proposals"]) for r in result["tables"]),
        "rejected_by_cell_check": sum(
            1 for r in result["tables"] for p in r["proposals"] if p["cell_check"] != "passed"
        ),
        "facts_kept": n,
        "facts_verified": sum(1 for r in result["tables"] for f in r["facts"] if f["status"] == "verified"),
        "facts_citing_the_right_cell": cell_right,
        "facts_right_cell_and_stated": stated,
        "facts_not_judged": unjudged,
        "tokens": tokens,
        "llm_seconds": round(sum(r[k] for r in result["tables"] for k in TIMES), 1),
    }
    return result


def markdown(result: dict[str, Any]) -> str:
    """Return the report."""
    t = result["totals"]
    lines = [
        "# Facts read from tables",
        "",
        f"`python bench/table_facts.py` on {result['date']}: model {result['model']} (profile "
        f"{result['profile']}, {result['threads'] or 'default'} threads), embedded llama.cpp, no call cache; "
        f"{result['cpus']} CPUs shared with other work, load average {result['load_before'][0]} before, "
        f"{result['load_after'][0]} after. Limits: {result['limits']}. Wall time {result['wall_s']:.0f} s."
        + (f" {result['note']}" if result.get("note") else ""),
        "",
        *[
            f"- run {i}: {run['date']}, tables {', '.join(run['tables'])}; load average "
            f"{run['load_before'][0]} before, {run['load_after'][0]} after; wall {run['wall_s']:.0f} s; "
            f"{run['limits']}"
            for i, run in enumerate(runs_of(result), start=1)
        ],
        "",
        "Each table goes through the table branch of the extraction graph: the table entity finder, the",
        "table reasoner (rows and columns as enums over their headers, the value copied), the verifier's",
        "table path (the value must stand in the cited cell, then the LLM reads the cell: row header ×",
        "column header: value). Kept facts were judged by hand against the table as printed on the rendered",
        "page: is the cited cell the one printed with that value under those headers (cell right), and does",
        "the cell state the fact (stated).",
        "",
        f"**{t['facts_kept']} facts kept** ({t['facts_verified']} verified) from {t['proposals']} "
        f"proposals on {t['tables']} tables; {t['rejected_by_cell_check']} proposals rejected by the cell "
        f"check before the verifier. Cited cell right: **{t['facts_citing_the_right_cell']}/"
        f"{t['facts_kept']}**; right cell and the fact stated by it: "
        f"**{t['facts_right_cell_and_stated']}/{t['facts_kept']}**"
        + (f" ({t['facts_not_judged']} not judged)" if t["facts_not_judged"] else "")
        + f". {t['tokens']} tokens, {t['llm_seconds']:.0f} s in the three agents.",
        "",
        "| table | page | size (unit rows) | schema | mentions | dropped before the cell check | proposals | "
        "cell check rejects | kept | tokens (prompt+completion) | s (entities / reasoner / verifier) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["tables"]:
        toks = sum(u["prompt_tokens"] + u["completion_tokens"] for u in r["usage"].values())
        rejects = sum(1 for p in r["proposals"] if p["cell_check"] != "passed")
        lines.append(
            f"| {r['table']} | {r['page']} | {r['size']} ({r['unit_rows']}) | {r['schema']} | "
            f"{len(r['mentions'])} | {_drops(r)} | {len(r['proposals'])} | {rejects} | {len(r['facts'])} | "
            f"{toks} | "
            f"{r['entities_s']} / {r['reasoner_s']} / {r['verifier_s']} |"
        )
    lines += ["", "## What this run shows", "", *[f"- {x}" for x in READING]]
    lines += ["", "Mentions found per table:", ""]
    lines += [
        f"- {r['table']}: " + (", ".join(f"{t} ({ty})" for t, ty in r["mentions"]) or "none")
        for r in result["tables"]
    ]
    lines += ["", "## Kept facts, judged by hand", "",
              "| table | fact | cited cell (row × column: value) | status | cell right | stated | note |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in result["tables"]:
        for f in r["facts"]:
            c = f["cell"]
            j = f.get("judged") or {}
            value = f"{c['value']} {c['unit']}" if c.get("unit") else c["value"]
            lines.append(
                f"| {r['table']} | {f['head']} —{f['type']}→ {f['tail']} | r{c['row']}c{c['col']} "
                f"{c['row_header']} × {c['column_header']}: {value} | {f['status']} | "
                f"{_yes(j.get('cell_right'))} | {_yes(j.get('fact_stated'))} | "
                f"{j.get('note', 'not judged')} |"
            )
    lines += ["", "## Proposals the cell check rejected", ""]
    for r in result["tables"]:
        for p in r["proposals"]:
            if p["cell_check"] != "passed":
                lines.append(f"- {r['table']}: {p['head']} —{p['type']}→ {p['tail']}: {p['cell_check']}")
    return "\n".join(lines) + "\n"


def runs_of(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the runs a result is made of (one unless ``--append`` added tables to it)."""
    keys = ("date", "threads", "load_before", "load_after", "wall_s", "limits", "note")
    return result.get("runs") or [
        {k: result.get(k) for k in keys} | {"tables": [t["table"] for t in result["tables"]]}
    ]


def _drops(row: dict[str, Any]) -> str:
    keys = ("relation_schema", "relation_self", "invalid_output")
    return ", ".join(f"{k} {row['drops'][k]}" for k in keys if row["drops"].get(k)) or "none"


def _yes(value: bool | None) -> str:
    return "?" if value is None else "yes" if value else "no"
