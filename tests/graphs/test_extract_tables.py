"""Facts from tables, through the extraction graph with a scripted LLM (wiring, never quality).

The table PDF of bench/tablegen.py is read by real pymupdf, chunked, stored in a real SQLite
workspace and extracted by the real graph: each table is one unit for the table agents; a fact cites its
cell (row and column headers, value as printed, the header's unit, the cells' boxes); a value that is not
in the cited cell is rejected before the verifier; the verifier reads the cell; exports carry the cell.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from tablegen import table_pdf

from factloom.agents.table_facts import TableCandidate, check_table_candidate, value_in
from factloom.agents.table_unit import table_unit
from factloom.graphs.extract import extract_document
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.chunking import chunk_document
from factloom.ingest.sources import read_document
from factloom.ingest.store import save_document
from factloom.ingest.workspace import Workspace
from factloom.tools.export import EXPORTERS
from factloom.tools.export.cypher import relation_row
from factloom.tools.extraction.kg import Evidence, Mention, Relation
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.scripted import ScriptedLLM
from factloom.tools.store.documents import save_document_graph
from factloom.tools.store.view import load_graph

BIOMED = load_schema("biomed")
OPTIONS = ExtractOptions(
    cross_chunk_pairs=0, demos=False, verifier_style="verdicts", check_types=False
)  # scripted
NAMES = {"Metformin": "chemical", "Placebo": "chemical", "Nausea": "disease", "Diarrhoea": "disease"}
RIGHT = {"head": "Metformin", "type": "cid", "tail": "Diarrhoea", "row": "Diarrhoea",
         "column": "Metformin (n = 120)", "value": "22 (18.3%)"}  # fmt: skip
WRONG_CELL = {"head": "Metformin", "type": "cid", "tail": "Nausea", "row": "Nausea",
              "column": "Metformin (n = 120)", "value": "5 (4.2%)"}  # fmt: skip
"""The placebo arm's value given for the metformin arm: not in the cited cell."""


@pytest.fixture(scope="module")
def ws_doc(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("table-facts")
    pdf = table_pdf(root / "trial.pdf")
    doc = read_document(pdf)
    with Workspace(root / "ws", create=True) as ws:
        save_document(ws, doc, chunk_document(doc))
    return root / "ws", doc


def _entities(messages, output):
    text = messages[-1].content
    return {"entities": [{"text": n, "type": t} for n, t in NAMES.items() if n in text]}


def _table_facts(messages, output):
    return {"reasoning": "", "facts": [RIGHT, WRONG_CELL] if "Adverse event" in messages[-1].content else []}


def _supported(messages, output):
    n = messages[-1].content.count("Fact:")
    why = "Metformin: Diarrhoea in 22"
    return {"verdicts": [{"fact": i, "rationale": why, "verdict": "supported", "confidence": 0.9}
                         for i in range(1, n + 1)]}  # fmt: skip


def _llm() -> ScriptedLLM:
    script = {"entity_finder": _entities, "table_reasoner": _table_facts, "verifier": _supported}
    return ScriptedLLM(script=script)


async def _extract(ws_root: Path, doc, llm: ScriptedLLM, **options):
    with Workspace(ws_root, create=False) as ws:
        opts = ExtractOptions(
            cross_chunk_pairs=0, demos=False, resume=False, verifier_style="verdicts", **options
        )
        return await extract_document(ws, doc.doc_id, BIOMED, llm, opts)


async def test_each_table_is_read_whole_by_the_table_agents_with_a_table_prompt(ws_doc) -> None:
    root, doc = ws_doc
    llm = _llm()
    await _extract(root, doc, llm, unit="sentences")
    table_calls = [c for c in llm.calls if c.messages[-1].content.startswith("Table:\n")]
    shown = [c.messages[-1].content for c in table_calls if c.tag.agent == "entity_finder"]
    first = "\n".join(" | ".join(r) for r in doc.tables[0].rows())
    assert any(f"Table 1 Adverse events by arm\n\n{first}" in s for s in shown)  # caption, header, all rows
    assert len(shown) == 2  # one call per table, not one per row or sentence window
    prose = [
        c.messages[-1].content for c in llm.calls if c.tag.agent == "entity_finder" and c not in table_calls
    ]
    assert prose and not any(" | " in s for s in prose)  # no prose call sees a table row
    reasoner = next(c for c in llm.calls if c.tag.agent == "table_reasoner")
    fact_item = reasoner.output.model_json_schema()["$defs"]
    enums = {k: v.get("enum") for d in fact_item.values() for k, v in d.get("properties", {}).items()}
    assert enums["row"] == ["Nausea", "Diarrhoea", "Headache", "Lactic acidosis"]
    assert enums["column"] == ["Metformin (n = 120)", "Placebo (n = 118)", "p value"]


async def test_a_table_fact_cites_its_cell_and_a_wrong_cell_is_rejected_before_the_verifier(ws_doc) -> None:
    root, doc = ws_doc
    llm = _llm()
    graph = await _extract(root, doc, llm)
    (fact,) = [r for r in graph.relations if r.evidence[0].cell is not None]
    ev = fact.evidence[0]
    table = doc.tables[0]
    cell = table.cell(2, 1)
    assert (ev.start, ev.end, ev.quote, ev.page) == (cell.start, cell.end, "22 (18.3%)", 1)
    assert doc.text[ev.start : ev.end] == ev.quote
    assert (ev.cell.table, ev.cell.row, ev.cell.col) == (0, 2, 1)
    assert (ev.cell.row_header, ev.cell.column_header, ev.cell.value) == ("Diarrhoea", "Metformin (n = 120)",
                                                                          "22 (18.3%)")  # fmt: skip
    assert ev.cell.boxes == [cell.bbox, table.cell(2, 0).bbox, table.cell(0, 1).bbox]
    assert fact.status == "verified" and graph.stats.drops.get("relation_grounding") == 1
    (verifier,) = [
        c for c in llm.calls if c.tag.agent == "verifier" and "Diarrhoea ×" in c.messages[-1].content
    ]
    asked = verifier.messages[-1].content
    assert asked.count("Fact:") == 1  # the wrong cell never reached the verifier
    assert 'Evidence: "Diarrhoea × Metformin (n = 120): 22 (18.3%)"' in asked
    assert (
        "Adverse event | Metformin (n = 120)" in asked and "Diarrhoea | 22 (18.3%) | 9 (7.6%) | 0.01" in asked
    )


async def test_the_verifier_can_still_reject_a_table_fact(ws_doc) -> None:
    root, doc = ws_doc
    unsupported = {"verdicts": [{"fact": 1, "rationale": "no", "verdict": "unsupported", "confidence": 0.8}]}
    llm = ScriptedLLM(
        script={"entity_finder": _entities, "table_reasoner": _table_facts, "verifier": unsupported}
    )
    graph = await _extract(root, doc, llm)
    assert not [r for r in graph.relations if r.evidence[0].cell is not None]
    assert graph.stats.drops.get("relation_verifier", 0) >= 1


def test_a_value_counts_only_as_whole_words_of_its_cell() -> None:
    assert value_in("11.7%", "14 (11.7%)") is not None
    assert value_in("14  (11.7%)", "14 (11.7%)") == (0, 10)
    assert value_in("1", "14 (11.7%)") is None
    assert value_in("4.2", "14.2") is None
    assert value_in("0.0", "0.03") is None
    assert value_in("twice daily", "twice daily") is not None


def test_the_unit_of_a_cell_comes_from_its_column_header(ws_doc) -> None:
    _, doc = ws_doc
    chunk = next(c for c in chunk_document(doc) if "Dosing schedule" in c.text)
    unit = table_unit(doc, chunk)
    assert unit is not None and unit.index == 1 and unit.caption == "Table 2 Dosing schedule"
    assert list(unit.row_labels()) == ["1-2", "3-4", "5-12"]
    m = doc.text.index("Dose (mg)")
    mention = Mention(mention_id="m", doc_id=doc.doc_id, chunk_id=chunk.chunk_id, start=m, end=m + 4,
                      text="Dose", type="chemical", page=2)  # fmt: skip
    week = doc.text.index("3-4")
    other = mention.model_copy(update={"start": week, "end": week + 3, "text": "3-4"})
    cand = TableCandidate(head=other, type="cid", tail=mention, row="3-4", column="Dose (mg)", value="1000")
    fact = check_table_candidate(cand, unit, 2, [mention, other])
    assert fact.evidence.cell.value == "1000" and fact.evidence.cell.unit == "mg"
    assert fact.evidence.cell.describe() == "3-4 × Dose (mg): 1000 mg"


def test_a_prose_chunk_is_no_table_unit(ws_doc) -> None:
    _, doc = ws_doc
    chunks = chunk_document(doc)
    assert [table_unit(doc, c) is not None for c in chunks] == [False, True, False, True]


async def test_exports_carry_the_cell_reference(ws_doc, tmp_path: Path) -> None:
    root, doc = ws_doc
    graph = await _extract(root, doc, _llm())
    with Workspace(root, create=False) as ws:
        save_document_graph(ws, doc.doc_id, graph.entities, graph.relations)
        entities, relations = load_graph(ws)
    (fact,) = [r for r in relations if r.evidence[0].cell is not None]  # the row codec keeps the cell
    cell = fact.evidence[0].cell
    assert (cell.row_header, cell.column_header, cell.value) == (
        "Diarrhoea",
        "Metformin (n = 120)",
        "22 (18.3%)",
    )
    outputs = {}
    for name in ("jsonl", "graphml", "ttl", "jsonld"):
        out = io.StringIO()
        EXPORTERS[name].write(entities, relations, out)
        outputs[name] = out.getvalue()
    EXPORTERS["neo4j-csv"].files(entities, relations, tmp_path / "csv")
    outputs["neo4j-csv"] = (tmp_path / "csv" / "relations.csv").read_text()
    outputs["cypher"] = json.dumps(relation_row(fact), ensure_ascii=False)  # what Neo4j / FalkorDB receive
    record = next(json.loads(line) for line in outputs["jsonl"].splitlines() if '"cell"' in line)
    assert record["evidence"][0]["cell"]["column_header"] == "Metformin (n = 120)"
    for name, text in outputs.items():
        assert "Metformin (n = 120)" in text and "Diarrhoea" in text, name
    assert "columnHeader" in outputs["ttl"] and "22 (18.3%)" in outputs["ttl"]


def test_evidence_without_a_cell_reads_as_before() -> None:
    old = {"doc_id": "d", "page": 1, "start": 0, "end": 3, "quote": "abc"}
    assert Evidence.model_validate(old).cell is None
    rel = Relation(relation_id="r", head="a", type="t", tail="b", evidence=[Evidence.model_validate(old)])
    assert Relation.model_validate_json(rel.model_dump_json()) == rel


def test_a_dry_run_prices_table_chunks_with_the_table_agents(tmp_path: Path) -> None:
    """A table chunk was priced as prose (entity windows, reflection rounds); ``extract`` sends it to the
    table agents: one entity, one reasoner and one verifier call."""
    from factloom.graphs.dry_run import plan_extraction

    pdf = table_pdf(tmp_path / "trial.pdf")
    run = plan_extraction(tmp_path / "ws", [str(pdf)], BIOMED, OPTIONS, "scripted")
    (plan,) = run.documents
    assert len(plan.tables) == 2  # the adverse-events table and the dosing table
    prose = len(plan.chunks) - len(plan.tables)
    settings = OPTIONS.settings()
    assert settings.verify and settings.unit == "chunk"
    table_calls = 3 * len(plan.tables)  # entities, reasoner, verifier; no reflection round for a table
    assert run.calls[0] == table_calls + 3 * prose
    assert run.calls[1] == table_calls + prose * (1 + 2 * 2) + settings.cross_chunk_pairs
    assert not (tmp_path / "ws").exists()


def test_a_dry_run_prices_the_choice_verifier_at_one_call_per_fact(tmp_path: Path) -> None:
    from dataclasses import replace

    from factloom.graphs.dry_run import plan_extraction

    pdf = table_pdf(tmp_path / "trial.pdf")
    verdicts = plan_extraction(tmp_path / "ws", [str(pdf)], BIOMED, OPTIONS, "scripted")
    choice_options = replace(OPTIONS, verifier_style="choice")
    choice = plan_extraction(tmp_path / "ws", [str(pdf)], BIOMED, choice_options, "scripted")
    chunks = len(verdicts.documents[0].chunks)
    extra = choice_options.settings().max_relations - 1  # calls beyond the one a verdicts round makes
    assert choice.calls[0] == verdicts.calls[0]  # at least one fact, one call
    assert choice.calls[1] > verdicts.calls[1] + chunks * extra - 1
    assert choice.tokens[1] > verdicts.tokens[1]


def test_a_dry_run_prices_the_type_check_at_two_questions_per_fact(tmp_path: Path) -> None:
    from dataclasses import replace

    from factloom.graphs.dry_run import plan_extraction

    pdf = table_pdf(tmp_path / "trial.pdf")
    plain = plan_extraction(tmp_path / "ws", [str(pdf)], BIOMED, OPTIONS, "scripted")
    typed_options = replace(OPTIONS, check_types=True)
    typed = plan_extraction(tmp_path / "ws", [str(pdf)], BIOMED, typed_options, "scripted")
    chunks = len(plain.documents[0].chunks)
    most = 2 * typed_options.settings().max_relations  # two arguments per fact
    assert typed.calls[1] >= plain.calls[1] + chunks * most
    assert typed.tokens[0] > plain.tokens[0] and typed.tokens[1] > plain.tokens[1]
