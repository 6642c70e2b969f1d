"""Read and write factloom's own gold format: JSON Lines, one annotated document per line.

Each line is an object::

    {"doc_id": "d1",
     "text": "John Smith works for Acme Corp.",
     "entities": [
       {"id": "e1", "type": "person", "mentions": [{"start": 0, "end": 10}]},
       {"id": "e2", "type": "organization", "start": 21, "end": 30, "concept_id": null}],
     "relations": [{"head": "e1", "type": "work_for", "tail": "e2"}]}

- ``start``/``end`` are character offsets into ``text`` (end exclusive). A mention may carry
  ``"text"``; it must then equal ``text[start:end]``.
- An entity gives either ``mentions`` (a list of spans) or one span directly (``start``/``end``).
- ``doc_id`` defaults to ``<file stem>:<line>``; ``relations`` and ``concept_id`` are optional.
- Types are the labels of your schema (or corpus labels that the schema's ``aliases`` map).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from factloom.ingest.corpora._json import field, iter_json_lines
from factloom.ingest.corpora.models import GoldDoc, GoldEntity, GoldRelation, GoldSpan, char_span
from factloom.ingest.errors import CorpusError


def read_jsonl(path: Path) -> list[GoldDoc]:
    """Read a factloom gold JSONL file.

    Raises:
        CorpusError: a line breaks the format (the message names the line and field).
    """
    return [_document(path, line, record) for line, record in iter_json_lines(path)]


def _document(path: Path, line: int, record: Any) -> GoldDoc:
    where = (path, f"line {line}")
    text = field(record, "text", str, where)
    entities = tuple(_entity(text, k, ent, where) for k, ent in enumerate(record.get("entities", [])))
    known = {e.id for e in entities}
    relations = []
    for rel in record.get("relations", []):
        head, tail = str(field(rel, "head", (str, int), where)), str(field(rel, "tail", (str, int), where))
        if head not in known or tail not in known:
            raise CorpusError(path, f"line {line}", f"relation {head}->{tail} names an unknown entity id")
        relations.append(GoldRelation(head, tail, field(rel, "type", str, where)))
    return GoldDoc(
        doc_id=str(record.get("doc_id", f"{path.stem}:{line}")),
        text=text,
        entities=entities,
        relations=tuple(relations),
    )


def _entity(text: str, k: int, ent: Any, where: tuple[object, object]) -> GoldEntity:
    raw = field(ent, "mentions", list, where) if "mentions" in ent else [ent]
    spans = tuple(_span(text, m, where) for m in raw)
    if not spans:
        raise CorpusError(where[0], where[1], f"entity {ent.get('id', k)} has no mentions")
    concept = ent.get("concept_id")
    return GoldEntity(
        id=str(ent.get("id", f"e{k}")),
        type=field(ent, "type", str, where),
        mentions=spans,
        concept_id=None if concept is None else str(concept),
    )


def _span(text: str, mention: Any, where: tuple[object, object]) -> GoldSpan:
    span = char_span(text, field(mention, "start", int, where), field(mention, "end", int, where), where)
    if "text" in mention and mention["text"] != span.text:
        raise CorpusError(
            where[0], where[1], f"mention text {mention['text']!r} != text[start:end] {span.text!r}"
        )
    return span


def to_json(doc: GoldDoc) -> dict[str, Any]:
    """Return ``doc`` as one object of the gold JSONL format."""
    return {
        "doc_id": doc.doc_id,
        "text": doc.text,
        "entities": [
            {
                "id": e.id,
                "type": e.type,
                "mentions": [{"start": m.start, "end": m.end, "text": m.text} for m in e.mentions],
                "concept_id": e.concept_id,
            }
            for e in doc.entities
        ],
        "relations": [{"head": r.head, "type": r.type, "tail": r.tail} for r in doc.relations],
    }


def write_jsonl(docs: list[GoldDoc], path: Path) -> None:
    """Write documents in the gold JSONL format (one line each)."""
    with path.open("w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps(to_json(doc), ensure_ascii=False) + "\n")
