"""Measure table finding in ingest: tables found, cells right, and what it costs the parse.

On the shared PDFs: per PDF the table captions in the text ("Table 3", one per table number), the pages
searched for tables and why (a caption, or lines in three or more columns), the tables found and their
sizes; two tables checked cell by cell against the page as printed (read by hand from the rendered page
images, ``HAND_CHECKED``); and on the PDFs that bench/tablegen.py writes with pymupdf (two
captioned tables, one without a caption), every cell against the text it was written with. Parse time of
the eight PDFs with and without tables (best of ``--repeats``, wall and CPU), beside the whole ingest
time in bench/results/ingest.json.

Usage: python bench/tables.py [--pdfs DIR] [--repeats N]
Writes bench/results/tables.json and bench/results/tables.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from tablegen import ADVERSE_EVENTS, DOSING, PARTIES, table_pdf, uncaptioned_pdf  # noqa: E402

from factloom.ingest.models import Document  # noqa: E402
from factloom.ingest.pdf import parse_pdf, table_search_pages  # noqa: E402

PDFS = ROOT.parent / "shared" / "data" / "pdfs"
RESULTS = ROOT / "bench" / "results"
CAPTION_NUMBER = re.compile(r"(?m)^(?:Table|TABLE)\s*(\d+)\b")
HAND_CHECKED = {
    ("medical_BMCHealthServRes-2014_quality_improvement_Malawi.pdf", 4): [
        ["Item", "Yes (%)", "No (%)", "Respondents"],
        ["Privacy given", "99", "1", "97"],
        ["Health conditions told", "88.7", "11.3", "97"],
        ["Treatment implications told", "79.4", "20.6", "97"],
        ["Opportunity to ask questions", "62.8", "37.2", "78"],
        ["Your preferences considered", "91.1", "18.9", "56"],
        ["Told how to take your medication", "95.7", "4.3", "92"],
        ["Treated with respect", "97.9", "2.1", "97"],
        ["Informed on staying healthier", "70.1", "29.9", "97"],
        ["Physical exam performed", "90.6", "9.4", "96"],
        ["Informed to come for check-up", "60.5", "39.4", "76"],
    ],
    ("biomedical_ClinSci-2014_ACE_inhibitor_design.pdf", 6): [
        ["Residue", "Atom", "33RE", "Distance (Å)"],
        ["P2′", "", "", ""],
        ["Tyr498", "OH", "O", "2.5"],
        ["Lys489", "NZ", "O", "2.8"],
        ["Water 1", "O", "NAC", "2.7"],
        ["P1′", "", "", ""],
        ["His331", "NE2", "OAF", "2.9"],
        ["His491", "NE2", "OAF", "3.0"],
        ["Phosphate", "", "", ""],
        ["Tyr501", "OH", "OAH", "2.7"],
        ["", "Zn2+", "OAH", "2.0"],
        ["", "Zn2+", "OAI", "2.5"],
        ["His365", "NE2", "OAI", "3.1"],
        ["P1", "", "", ""],
        ["Water 2", "O", "NAV", "3.0"],
        ["P2", "", "", ""],
        ["Ala334", "N", "OAG", "2.8"],
        ["Tyr369", "OH", "NAS", "2.7"],
        ["Water 3", "O", "NAT", "3.1"],
        ["Water 4", "O", "NAR", "3.1"],
    ],
    ("scientific_ACL-N18-3011_literature_graph_semantic_scholar.pdf", 3): [
        ["Field", "Precision", "Recall", "F1"],
        ["title", "85.5", "85.5", "85.5"],
        ["authors", "92.1", "92.1", "92.1"],
        ["bibliography titles", "89.3", "89.4", "89.3"],
        ["bibliography authors", "97.1", "97.0", "97.0"],
        ["bibliography venues", "91.7", "89.7", "90.7"],
        ["bibliography years", "98.0", "98.0", "98.0"],
    ],
    ("scientific_ACL-N18-3011_literature_graph_semantic_scholar.pdf", 4): [
        ["Approach", "CS", "", "Bio", ""],
        ["", "prec.", "yield", "prec.", "yield"],
        ["Statistical", "98.4", "712", "94.4", "928"],
        ["Hybrid", "91.5", "1990", "92.1", "3126"],
        ["Off-the-shelf", "97.4", "873", "77.5", "1206"],
    ],
    ("scientific_ACL-N18-3011_literature_graph_semantic_scholar.pdf", 5): [
        ["Description", "F1"],
        ["Without LM", "49.9"],
        ["With LM", "54.1"],
        ["Avg. of 15 models with LM", "55.2"],
    ],
    ("scientific_ACL-N18-3011_literature_graph_semantic_scholar.pdf", 6): [
        ["", "CS", "Bio"],
        ["Baseline", "84.2", "54.2"],
        ["Neural", "84.6", "85.8"],
    ],
}
"""Tables read off the rendered pages by a person (superscripts written inline: Tyr⁴⁹⁸ as Tyr498)."""


def compare(found: list[list[str]], expected: list[list[str]]) -> dict:
    """Return how many expected cells the found table holds at the same row and column, and the misses."""
    right, wrong = 0, []
    for r, row in enumerate(expected):
        for c, want in enumerate(row):
            got = found[r][c] if r < len(found) and c < len(found[r]) else None
            if got == want:
                right += 1
            else:
                wrong.append({"row": r, "col": c, "expected": want, "found": got})
    return {
        "cells": sum(len(row) for row in expected),
        "right": right,
        "wrong": wrong,
        "shape_found": [len(found), len(found[0]) if found else 0],
        "shape_expected": [len(expected), len(expected[0])],
    }


def per_pdf(doc: Document, name: str, searched: dict[int, str]) -> dict:
    """Return the captions, the pages searched for tables (and why) and the tables of one document."""
    captions = sorted({int(n) for n in CAPTION_NUMBER.findall(doc.text)})
    tables = []
    for t in doc.tables:
        empty = sum(1 for c in t.cells if not c.text)
        tables.append(
            {
                "page": t.page,
                "rows": t.n_rows,
                "cols": t.n_cols,
                "empty_cell_share": round(empty / max(len(t.cells), 1), 3),
                "header": t.rows()[0],
            }
        )
    checked = [
        {"page": page, **compare(next((t.rows() for t in doc.tables if t.page == page), []), rows)}
        for (pdf, page), rows in HAND_CHECKED.items()
        if pdf == name
    ]
    exact = all(doc.text[c.start : c.end] == c.text for t in doc.tables for c in t.cells)
    return {
        "pdf": name,
        "pages": len(doc.pages),
        "table_numbers_in_captions": captions,
        "pages_searched": searched,
        "tables_found": len(doc.tables),
        "tables": tables,
        "hand_checked": checked,
        "cell_spans_exact": exact,
    }


def timed_parse(pdfs: list[Path], tables: bool, repeats: int) -> dict[str, float]:
    """Return the best wall and CPU seconds of parsing every PDF."""
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        for p in pdfs:
            parse_pdf(p, doc_id="bench", content_hash=p.name, tables=tables)
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return {"wall_s": round(min(wall), 3), "cpu_s": round(min(cpu), 3)}


def measure(pdfs: list[Path], repeats: int) -> dict:
    """Run every measurement; return the figures."""
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        sample = parse_pdf(table_pdf(Path(tmp) / "sample.pdf"), doc_id="sample", content_hash="sample")
        bare = parse_pdf(uncaptioned_pdf(Path(tmp) / "parties.pdf"), doc_id="parties", content_hash="parties")
    found = [t.rows() for t in sample.tables] + [t.rows() for t in bare.tables][:1]
    sample_check = [
        compare(found[i] if i < len(found) else [], rows)
        for i, rows in enumerate([ADVERSE_EVENTS, DOSING, PARTIES])
    ]
    docs = [(p.name, parse_pdf(p, doc_id="bench", content_hash=p.name), table_search_pages(p)) for p in pdfs]
    without = timed_parse(pdfs, False, repeats)
    with_tables = timed_parse(pdfs, True, repeats)
    ingest = json.loads((RESULTS / "ingest.json").read_text()) if (RESULTS / "ingest.json").exists() else {}
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "sample": {
            "tables_found": len(sample.tables) + len(bare.tables),
            "tables_written": 3,
            "checks": sample_check,
        },
        "pdfs": [per_pdf(doc, name, searched) for name, doc, searched in docs],
        "pages": sum(len(d.pages) for _, d, _ in docs),
        "repeats": repeats,
        "parse_without_tables": without,
        "parse_with_tables": with_tables,
        "ingest_json": {k: ingest.get(k) for k in ("date", "ingest_total_cpu_s", "ingest_stages_cpu_s")},
    }


def _searched(p: dict) -> str:
    reasons = list(p["pages_searched"].values())
    return f"{reasons.count('caption')} + {reasons.count('columns')}"


def markdown(r: dict) -> str:
    """Render the figures as a short Markdown report."""
    reasons = [x for p in r["pdfs"] for x in p["pages_searched"].values()]
    searched = (
        f"{len(reasons)} of the {r['pages']} pages, {reasons.count('caption')} for a caption and "
        f"{reasons.count('columns')} for columns alone"
    )
    rows = "\n".join(
        f"| {p['pdf'][:48]} | {p['pages']} | {len(p['table_numbers_in_captions'])} | {_searched(p)} | "
        f"{p['tables_found']} | "
        + ", ".join(
            f"p{t['page']} {t['rows']}x{t['cols']} ({t['empty_cell_share']:.0%} empty)" for t in p["tables"]
        )
        + " |"
        for p in r["pdfs"]
    )
    checks = [(p["pdf"], c) for p in r["pdfs"] for c in p["hand_checked"]]
    names = ["sample table 1", "sample table 2", "sample without caption"]
    checks += [(names[i], c) for i, c in enumerate(r["sample"]["checks"])]
    check_rows = "\n".join(
        f"| {name[:48]} | {'x'.join(map(str, c['shape_expected']))} | {'x'.join(map(str, c['shape_found']))} "
        f"| {c['right']}/{c['cells']} | "
        + "; ".join(f"r{w['row']}c{w['col']} {w['found']!r} for {w['expected']!r}" for w in c["wrong"][:4])
        + " |"
        for name, c in checks
    )
    a, b = r["parse_without_tables"], r["parse_with_tables"]
    ing = r["ingest_json"]
    share = ""
    if ing.get("ingest_total_cpu_s"):
        share = (
            f" For scale, bench/results/ingest.json ({ing['date']}) measured the whole ingest of the same"
            f" PDFs at {ing['ingest_total_cpu_s']:.1f} CPU s, of which parse"
            f" {ing['ingest_stages_cpu_s']['parse']:.2f} s (with tables if that run had them) and embedding"
            " most of the rest."
        )
    return f"""# Tables in ingest

`python bench/tables.py` on {r["date"]}: {len(r["pdfs"])} shared PDFs ({r["pages"]} pages) and the sample PDF
of bench/tablegen.py; {r["cpus"]} CPUs, load average {r["loadavg_before"][0]:.1f} before,
{r["loadavg_after"][0]:.1f} after (the CPUs were shared with other work: wall times are pessimistic).

Tables are searched for on pages that hold a table caption ("Table 2 ...") or three lines set in three
or more columns (no caption needed) with pymupdf's table finder (pymupdf's layout model gates it):
{searched}. Cell texts come from the page's words inside each cell. A table
whose body cells hold several lines of numbers (rows without rules, merged by the finder) is found
again from the alignment of its words; a table that would drop a word of its text is left as text.

| PDF | pages | captions | pages searched (caption + columns) | tables | found (page, rows x cols, empty) |
|---|---|---|---|---|---|
{rows}

Cells compared with the table as printed (shared PDFs: read by hand off the rendered page; sample: the
text it was written with):

| table | rows x cols expected | found | cells right | first misses |
|---|---|---|---|---|
{check_rows}

Parse time of the {len(r["pdfs"])} PDFs (best of {r["repeats"]}): without tables {a["cpu_s"]:.2f} s CPU /
{a["wall_s"]:.2f} s wall, with tables **{b["cpu_s"]:.2f} s CPU** / {b["wall_s"]:.2f} s wall
(+{b["cpu_s"] - a["cpu_s"]:.2f} s CPU, all of it on the pages searched).{share}
`factloom ingest --no-tables` skips the search.
"""


def main() -> None:
    """Run the benchmark and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=Path, default=PDFS)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    pdfs = sorted(args.pdfs.glob("*.pdf"))
    if not pdfs:
        raise SystemExit(f"no PDFs in {args.pdfs}")
    result = measure(pdfs, args.repeats)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tables.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "tables.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
