"""Measure facts read from tables: a real model through the table agents, each fact judged by hand.

Each selected table (``TABLES``: the three sample tables of bench/tablegen.py and tables of the
shared PDFs that bench/results/tables.md lists) is read by real pymupdf and chunked as ingest does; its
first table unit goes through the table branch of the extraction graph, node by node: the table entity
finder, the table reasoner, then the verifier's table path (cell check, then the LLM). Per table: the
mentions, every proposal with the cell check's outcome, the facts kept, tokens and seconds per agent. Each
kept fact is then judged by hand against the table as printed (``JUDGED``: is the cited cell the one
that holds the value, and does the cell state the fact); ``--report`` writes the report again from the
stored run with the judgements, without running the model.

Limits (to stay under ~25 minutes on 2 shared CPU cores): the first unit of each table (a table longer
than one chunk is cut between rows), ``--max-tables`` tables in the order of ``TABLES``.

Usage:
    nice -n 10 python bench/table_facts.py [--model-path GGUF] [--max-tables N]   (default: Qwen2.5-1.5B)
    python bench/table_facts.py --report
Writes bench/results/table_facts.json and bench/results/table_facts.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

from langgraph.runtime import Runtime  # noqa: E402
from table_facts_report import TIMES, judged, markdown, runs_of  # noqa: E402
from tablegen import table_pdf, uncaptioned_pdf  # noqa: E402

from factloom.agents.context import AgentContext  # noqa: E402
from factloom.agents.profiles import profile_settings  # noqa: E402
from factloom.agents.table_entities import TableEntitiesInput, find_table_entities  # noqa: E402
from factloom.agents.table_facts import TableRejection, check_table_candidate  # noqa: E402
from factloom.agents.table_relations import TableReasonerInput, reason_table  # noqa: E402
from factloom.agents.table_unit import TableUnit, table_unit  # noqa: E402
from factloom.agents.verifier import TableVerifierInput, verify_table  # noqa: E402
from factloom.ingest.chunking import chunk_document  # noqa: E402
from factloom.ingest.sources import read_document  # noqa: E402
from factloom.tools.extraction.schema import load_schema  # noqa: E402
from factloom.tools.llm.base import Usage  # noqa: E402
from factloom.tools.llm.config import BackendConfig  # noqa: E402
from factloom.tools.llm.factory import make_llm, resolve_profile  # noqa: E402

PDFS = ROOT.parent / "shared" / "data" / "pdfs"
RESULTS = ROOT / "bench" / "results"
DEFAULT_MODEL = Path.home() / ".cache" / "factloom-models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


@dataclass(frozen=True)
class Selected:
    """A table to read: its PDF (``sample:...`` for the tablegen PDFs), its index in it, the schema."""

    pdf: str
    table: int
    schema: str


TABLES = [
    Selected("sample:trial", 0, "biomed"),  # adverse events by arm
    Selected("sample:trial", 1, "biomed"),  # dosing schedule
    Selected("sample:parties", 0, "open"),  # parties and payments, no caption
    Selected("scientific_ACL-N18-3011_literature_graph_semantic_scholar.pdf", 0, "science"),
    Selected("scientific_ACL-N18-3011_literature_graph_semantic_scholar.pdf", 1, "science"),
    Selected("biomedical_ClinSci-2014_ACE_inhibitor_design.pdf", 0, "biomed"),
    Selected("medical_BMCHealthServRes-2014_quality_improvement_Malawi.pdf", 0, "open"),
    Selected("scientific_ACL-N18-3011_literature_graph_semantic_scholar.pdf", 3, "science"),
    Selected("scientific_PeerJCS-2017_VESPA_bioinformatics.pdf", 0, "science"),
    Selected("biomedical_ClinSci-2014_ACE_inhibitor_design.pdf", 4, "biomed"),
]
"""In order of reading; the shared tables are those hand-checked in bench/results/tables.md first."""


def _pdf(selected: Selected, folder: Path) -> Path:
    if selected.pdf == "sample:trial":
        return table_pdf(folder / "trial.pdf")
    if selected.pdf == "sample:parties":
        return uncaptioned_pdf(folder / "parties.pdf")
    path = PDFS / selected.pdf
    if not path.is_file():
        sys.exit(f"error: {path} not found; pass --pdfs DIR holding the shared PDFs")
    return path


def _unit(selected: Selected, folder: Path) -> tuple[TableUnit, Any]:
    doc = read_document(_pdf(selected, folder))
    for chunk in chunk_document(doc):
        unit = table_unit(doc, chunk)
        if unit is not None and unit.index == selected.table:
            return unit, doc
    sys.exit(f"error: {selected.pdf} has no table {selected.table}")


def _usage(u: Usage) -> dict[str, int]:
    return {"calls": u.calls, "prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens}


async def read_table(selected: Selected, llm: Any, profile: str, folder: Path) -> dict[str, Any]:
    """Run the table branch on one table; return its row."""
    unit, doc = _unit(selected, folder)
    ctx = AgentContext(llm=llm, schema=load_schema(selected.schema), settings=profile_settings(profile))
    runtime = Runtime(context=ctx)
    timings, usage = {}, {}
    t = time.perf_counter()
    found = await find_table_entities(TableEntitiesInput(unit=unit, pages=doc.pages), runtime)
    timings["entities_s"], usage["entities"] = round(time.perf_counter() - t, 1), _usage(found["usage"])
    mentions = found["mentions"]
    t = time.perf_counter()
    proposed = await reason_table(TableReasonerInput(unit=unit, mentions=mentions), runtime)
    timings["reasoner_s"], usage["reasoner"] = round(time.perf_counter() - t, 1), _usage(proposed["usage"])
    t = time.perf_counter()
    inp = TableVerifierInput(unit=unit, pages=doc.pages, mentions=mentions, candidates=proposed["candidates"])
    checked = await verify_table(inp, runtime)
    timings["verifier_s"], usage["verifier"] = round(time.perf_counter() - t, 1), _usage(checked["usage"])
    kept = {
        (f.head.text, f.type, f.tail.text, f.evidence.cell.row, f.evidence.cell.col)
        for f in checked["accepted"]
    }
    proposals = []
    for cand in proposed["candidates"]:
        result = check_table_candidate(cand, unit, unit.table.page, mentions)
        row = {"head": cand.head.text, "type": cand.type, "tail": cand.tail.text, "row": cand.row,
               "column": cand.column, "value": cand.value}  # fmt: skip
        if isinstance(result, TableRejection):
            row["cell_check"] = result.reason
        else:
            row["cell_check"] = "passed"
            c = result.evidence.cell
            row["kept"] = (cand.head.text, cand.type, cand.tail.text, c.row, c.col) in kept
        proposals.append(row)
    facts = [
        {
            "head": f.head.text,
            "type": f.type,
            "tail": f.tail.text,
            "status": f.status,
            "confidence": f.confidence,
            "rationale": f.rationale,
            "page": f.evidence.page,
            "cell": f.evidence.cell.model_dump(exclude={"boxes"}),
        }
        for f in checked["accepted"]
    ]
    name = selected.pdf.removeprefix("sample:")
    return {
        "table": f"{name[:40]} t{selected.table}",
        "pdf": selected.pdf,
        "table_index": selected.table,
        "page": unit.table.page,
        "size": f"{unit.table.n_rows}x{unit.table.n_cols}",
        "unit_rows": len(unit.body_rows()),
        "schema": selected.schema,
        "mentions": [(m.text, m.type) for m in mentions],
        "proposals": proposals,
        "facts": facts,
        "drops": {
            k: found["drops"].get(k, 0) + proposed["drops"].get(k, 0) + checked["drops"].get(k, 0)
            for k in {*found["drops"], *proposed["drops"], *checked["drops"]}
        },
        "usage": usage,
        **timings,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    config = BackendConfig(model_path=args.model_path, threads=args.threads)
    profile = resolve_profile(config)
    llm = make_llm(config)  # no workspace: no call cache, a cold run
    load_before = os.getloadavg()
    started = time.perf_counter()
    rows = []
    planned = [TABLES[i] for i in args.only] if args.only else TABLES[: args.max_tables]
    with tempfile.TemporaryDirectory() as tmp:
        for i, selected in enumerate(planned, start=1):
            spent = time.perf_counter() - started
            if rows and spent + spent / len(rows) > args.budget_min * 60:
                print(f"stopping: {len(rows)} tables in {spent:.0f} s (--budget-min)", flush=True)
                break
            print(f"[{i}/{len(planned)}] {selected.pdf} table {selected.table}", flush=True)
            rows.append(await read_table(selected, llm, profile, Path(tmp)))
            print(f"    {len(rows[-1]['facts'])} facts, {sum(rows[-1][k] for k in TIMES):.0f} s", flush=True)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": Path(args.model_path).name,
        "profile": profile,
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "wall_s": round(time.perf_counter() - started, 1),
        "limits": f"first unit of each table; {len(rows)} of the {len(planned)} tables planned "
        f"(--max-tables {args.max_tables}, no table started past --budget-min {args.budget_min})",
        "note": args.note,
        "tables": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model-path", type=Path, default=DEFAULT_MODEL, help="a GGUF (default: Qwen2.5-1.5B)"
    )
    parser.add_argument("--threads", type=int, default=None, help="decoding threads (default: the backend's)")
    parser.add_argument("--max-tables", type=int, default=len(TABLES), help="read only the first N of TABLES")
    parser.add_argument("--budget-min", type=float, default=25.0, help="start no table that would end later")
    parser.add_argument(
        "--only",
        type=lambda v: [int(x) for x in v.split(",")],
        default=None,
        help="read only these tables (0-based indexes into TABLES, comma-separated)",
    )
    parser.add_argument("--append", action="store_true", help="add the tables read to the stored run")
    parser.add_argument("--report", action="store_true", help="write the report from the stored run only")
    parser.add_argument("--note", default="", help="a line about the run's environment, kept in the report")
    args = parser.parse_args()
    out = RESULTS / "table_facts.json"
    if args.report:
        if not out.is_file():
            sys.exit(f"error: {out} not found; run the benchmark first")
        result = json.loads(out.read_text())
    else:
        if not args.model_path.is_file():
            sys.exit(f"error: {args.model_path} not found; pass --model-path a GGUF file")
        if args.max_tables < 1:
            sys.exit("error: --max-tables must be at least 1")
        if args.only and not all(0 <= i < len(TABLES) for i in args.only):
            sys.exit(f"error: --only takes indexes from 0 to {len(TABLES) - 1}")
        result = asyncio.run(run(args))
        if args.append and out.is_file():
            stored = json.loads(out.read_text())
            result = stored | {
                "tables": stored["tables"] + result["tables"],
                "runs": runs_of(stored) + runs_of(result),
            }
    result = judged(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "table_facts.md").write_text(markdown(result))
    print(f"wrote {out} and {RESULTS / 'table_facts.md'}")


if __name__ == "__main__":
    main()
