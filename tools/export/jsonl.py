"""JSONL export: one line per entity, then one per relation, each with document offsets.

Entity line: ``{"kind": "entity", "id", "name", "type", "aliases", "mentions": [{"doc_id", "page",
"start", "end", "text"}]}``. Relation line: ``{"kind": "relation", "id", "head", "type", "tail",
"status", "agent", "confidence", "reasoning", "rationale", "evidence": [{"doc_id", "page", "start", "end",
"quote", "method", "score"}]}``, head and tail being entity ids. ``status`` is ``verified`` (the verifier
found the evidence supports it) or ``unverified`` (no check ran or it failed to answer); ``agent``
proposed the relation; ``rationale`` is the verifier's; ``method`` and ``score`` say how each quote was
found in the text (``exact`` / ``normalised`` / ``fuzzy``). Offsets index the document text, so
``text[start:end]`` is the mention or the quote. Evidence read from a table also has ``cell``: ``{"table",
"row", "col", "row_header", "column_header", "value", "unit", "boxes"}``
(``tools.extraction.kg.CellCitation``). A relation whose open phrase ``factloom schema canonicalise``
mapped to a schema type also has ``phrase``: the phrase as extracted (``type`` is the schema type).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from factloom.tools.extraction.kg import Entity, Evidence, Relation


def entity_record(e: Entity) -> dict[str, Any]:
    """Return the JSON object of one entity."""
    mentions = sorted(e.mentions, key=lambda m: (m.doc_id, m.start, m.end))
    return {
        "kind": "entity",
        "id": e.entity_id,
        "name": e.name,
        "type": e.type,
        "aliases": list(e.aliases),
        "mentions": [
            {"doc_id": m.doc_id, "page": m.page, "start": m.start, "end": m.end, "text": m.text}
            for m in mentions
        ],
    }


def relation_record(r: Relation) -> dict[str, Any]:
    """Return the JSON object of one relation (with ``phrase`` when its type was canonicalised)."""
    record: dict[str, Any] = {
        "kind": "relation",
        "id": r.relation_id,
        "head": r.head,
        "type": r.type,
        "tail": r.tail,
        "status": r.status,
        "agent": r.agent,
        "confidence": r.confidence,
        "reasoning": r.reasoning,
        "rationale": r.rationale,
        "evidence": [evidence_record(ev) for ev in r.evidence],
    }
    if r.phrase:
        record["phrase"] = r.phrase
    return record


def evidence_record(ev: Evidence) -> dict[str, Any]:
    """Return the JSON object of one evidence quote, with how it was grounded (and its table cell, if any)."""
    record: dict[str, Any] = {
        "doc_id": ev.doc_id,
        "page": ev.page,
        "start": ev.start,
        "end": ev.end,
        "quote": ev.quote,
        "method": ev.method,
        "score": ev.score,
    }
    if ev.cell is not None:
        record["cell"] = ev.cell.model_dump()
    return record


def write(entities: Sequence[Entity], relations: Sequence[Relation], out: TextIO) -> int:
    """Write entities (by id) then relations (by id) as JSON lines; return the number of lines."""
    n = 0
    for e in sorted(entities, key=lambda e: e.entity_id):
        out.write(json.dumps(entity_record(e), ensure_ascii=False) + "\n")
        n += 1
    for r in sorted(relations, key=lambda r: r.relation_id):
        out.write(json.dumps(relation_record(r), ensure_ascii=False) + "\n")
        n += 1
    return n
