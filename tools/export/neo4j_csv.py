"""CSV files for ``neo4j-admin database import full`` (nodes and relationships with typed headers).

Writes ``entities.csv`` and ``relations.csv`` into a folder; import them with::

    neo4j-admin database import full --nodes=entities.csv --relationships=relations.csv \
        --multiline-fields=true neo4j
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from factloom.tools.errors import ExportFormatError
from factloom.tools.extraction.kg import Entity, Relation

NODE_HEADER = ["entityId:ID", "name", "type", "aliases", "mentions:int", "docs:string[]", ":LABEL"]
EDGE_HEADER = [
    ":START_ID",
    ":END_ID",
    ":TYPE",
    "relationId",
    "type",
    "status",
    "agent",
    "confidence:float",
    "docs:string[]",
    "methods:string[]",
    "scores:float[]",
    "reasoning",
    "rationale",
    "evidence",
]


def _label(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "Thing"


def write_files(entities: Sequence[Entity], relations: Sequence[Relation], out: Path) -> int:
    """Write the two CSV files into the folder ``out`` (created); return the number of rows written.

    Aliases and evidence are JSON strings; array columns use neo4j-admin's default ``;`` delimiter and
    hold document ids, grounding methods and scores (one per evidence quote, in order). ``status`` is
    ``verified`` or ``unverified``.
    """
    out.mkdir(parents=True, exist_ok=True)
    with (out / "entities.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL)
        writer.writerow(NODE_HEADER)
        for e in entities:
            docs = ";".join(sorted({m.doc_id for m in e.mentions}))
            writer.writerow(
                [
                    e.entity_id,
                    e.name,
                    e.type,
                    json.dumps(e.aliases, ensure_ascii=False),
                    len(e.mentions),
                    docs,
                    f"Entity;{_label(e.type)}",
                ]
            )
    with (out / "relations.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL)
        writer.writerow(EDGE_HEADER)
        for r in relations:
            writer.writerow(
                [
                    r.head,
                    r.tail,
                    _label(r.type),
                    r.relation_id,
                    r.type,
                    r.status,
                    r.agent,
                    r.confidence,
                    ";".join(ev.doc_id for ev in r.evidence),
                    ";".join(ev.method for ev in r.evidence),
                    ";".join(str(ev.score) for ev in r.evidence),
                    r.reasoning,
                    r.rationale,
                    json.dumps([ev.model_dump() for ev in r.evidence], ensure_ascii=False),
                ]
            )
    return len(entities) + len(relations)


def write_stream(entities: Sequence[Entity], relations: Sequence[Relation], out: TextIO) -> int:
    """Refuse to write to one stream: neo4j-admin needs separate node and relationship files."""
    raise ExportFormatError("neo4j-csv writes two files (entities.csv, relations.csv): pass --out FOLDER")
