"""Read BioC JSON (BioRED ``Dev.BioC.JSON``): documents of passages with annotations and relations.

Passages are placed at their offsets (gaps filled with spaces), so annotation offsets index the
document text directly. Mentions are grouped into entities by concept identifier, as in PubTator.
"""

from __future__ import annotations

import logging
from pathlib import Path

from factloom.ingest.corpora._json import field, load_json
from factloom.ingest.corpora.models import GoldDoc, GoldEntity, GoldRelation, GoldSpan, char_span
from factloom.ingest.errors import CorpusError

log = logging.getLogger(__name__)


def read_bioc(path: Path) -> list[GoldDoc]:
    """Read a BioC JSON collection into one ``GoldDoc`` per document.

    Raises:
        CorpusError: the file is not a BioC JSON collection.
    """
    data = load_json(path)
    documents = field(data, "documents", list, (path, "collection"))
    return [_document(path, i, doc) for i, doc in enumerate(documents)]


def _document(path: Path, index: int, doc: object) -> GoldDoc:
    where = (path, f"document {index}")
    passages = field(doc, "passages", list, where)
    text = _text(passages, where)
    members: dict[str, list[GoldSpan]] = {}
    types: dict[str, str] = {}
    for passage in passages:
        for ann in passage.get("annotations", []):
            infons = field(ann, "infons", dict, where)
            for location in field(ann, "locations", list, where):
                start = field(location, "offset", int, where)
                span = char_span(text, start, start + field(location, "length", int, where), where)
                for concept in _concepts(infons.get("identifier"), span):
                    members.setdefault(concept, []).append(span)
                    types.setdefault(concept, str(infons.get("type", "")))
    entities = tuple(
        GoldEntity(id=c, type=types[c], mentions=tuple(s), concept_id=None if c.startswith("?") else c)
        for c, s in members.items()
    )
    relations = []
    for rel in doc.get("relations", []):
        infons = field(rel, "infons", dict, where)
        head, tail = str(infons.get("entity1", "")), str(infons.get("entity2", ""))
        if head not in members or tail not in members:
            log.debug("%s: relation %s names a concept without mentions; skipped", where, rel.get("id"))
            continue
        relations.append(GoldRelation(head, tail, str(infons.get("type", ""))))
    return GoldDoc(
        doc_id=str(field(doc, "id", str, where)), text=text, entities=entities, relations=tuple(relations)
    )


def _text(passages: list[object], where: tuple[object, object]) -> str:
    text = ""
    for passage in passages:
        offset = field(passage, "offset", int, where)
        if offset < len(text):
            raise CorpusError(where[0], where[1], f"passage offset {offset} overlaps the previous passage")
        text += " " * (offset - len(text)) + field(passage, "text", str, where)
    return text


def _concepts(identifier: object, span: GoldSpan) -> list[str]:
    raw = str(identifier or "").strip()
    ids = [c for c in raw.split(",") if c and c not in ("-", "-1")]
    return ids or [f"?{span.start}_{span.end}"]
