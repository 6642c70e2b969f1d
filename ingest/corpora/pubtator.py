"""Read PubTator text files (BC5CDR, BioRED): title/abstract lines, mention lines, relation lines.

The document text is ``title + " " + abstract`` (what PubTator offsets index). Mentions are grouped
into entities by concept id; composite ids (``D1|D2`` in BC5CDR, ``D1,D2`` in BioRED) add the
mention to each concept (BioRED variant ids such as ``p|SUB|V|1763|M`` are kept whole).
Relations hold between concept ids.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from factloom.ingest.corpora.models import GoldDoc, GoldEntity, GoldRelation, GoldSpan, char_span
from factloom.ingest.errors import CorpusError

log = logging.getLogger(__name__)

MESH_ID = re.compile(r"^(?:[A-Z]\d+|-1)$")


@dataclass
class _Block:
    pmid: str
    line: int
    title: str = ""
    abstract: str = ""
    mentions: list[tuple[int, list[str]]] = field(default_factory=list)
    relations: list[tuple[int, list[str]]] = field(default_factory=list)


def read_pubtator(path: Path) -> list[GoldDoc]:
    """Read a PubTator file into one ``GoldDoc`` per abstract.

    Raises:
        CorpusError: a line is neither a title/abstract, a mention nor a relation line.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise CorpusError(path, "-", f"cannot read the file ({e})") from e
    return [_document(path, block) for block in _blocks(path, lines)]


def _blocks(path: Path, lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            current = None
            continue
        head = line.split("|", 2)
        if len(head) == 3 and head[1] in ("t", "a"):
            if current is None or current.pmid != head[0]:
                current = _Block(head[0], number)
                blocks.append(current)
            setattr(current, "title" if head[1] == "t" else "abstract", head[2])
            continue
        parts = line.split("\t")
        if current is None or parts[0] != current.pmid:
            raise CorpusError(path, f"line {number}", "annotation line outside a document block")
        if len(parts) >= 6 and parts[1].isdigit():
            current.mentions.append((number, parts))
        elif len(parts) >= 4:
            current.relations.append((number, parts))
        else:
            raise CorpusError(path, f"line {number}", "expected a mention (6 columns) or relation (4+) line")
    return blocks


def _document(path: Path, block: _Block) -> GoldDoc:
    text = f"{block.title} {block.abstract}" if block.abstract else block.title
    members: dict[str, list[GoldSpan]] = {}
    types: dict[str, str] = {}
    for number, parts in block.mentions:
        start, end = _int(path, number, parts[1]), _int(path, number, parts[2])
        span = char_span(text, start, end, (path, f"line {number}"))
        for concept in _concepts(parts, start, end):
            members.setdefault(concept, []).append(span)
            types.setdefault(concept, parts[4])
    entities = tuple(
        GoldEntity(id=c, type=types[c], mentions=tuple(spans), concept_id=None if c.startswith("?") else c)
        for c, spans in members.items()
    )
    relations = []
    for number, parts in block.relations:
        head, tail = parts[2], parts[3]
        if head not in members or tail not in members:
            log.debug("%s line %d: relation names a concept without mentions; skipped", path, number)
            continue
        relations.append(GoldRelation(head, tail, parts[1]))
    return GoldDoc(doc_id=block.pmid, text=text, entities=entities, relations=tuple(relations))


def _concepts(parts: list[str], start: int, end: int) -> list[str]:
    raw = parts[5].strip()
    if raw in ("", "-1", "-"):
        return [f"?{start}_{end}"]
    pieces = raw.split("|")
    ids = pieces if all(MESH_ID.match(p) for p in pieces) else [raw]
    return [c for piece in ids for c in piece.split(",") if c and c != "-1"] or [f"?{start}_{end}"]


def _int(path: Path, number: int, value: str) -> int:
    try:
        return int(value)
    except ValueError as e:
        raise CorpusError(path, f"line {number}", f"offset {value!r} is not an integer") from e
