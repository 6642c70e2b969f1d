"""Read the SciERC document format (``dev.json``, DyGIE style): one abstract per JSON line.

Token indices are document-level and ``end`` is inclusive; PTB bracket escapes are undone in the text.
"""

from __future__ import annotations

from pathlib import Path

from factloom.ingest.corpora._json import field, iter_json_lines
from factloom.ingest.corpora.models import GoldDoc, GoldEntity, GoldRelation, join_tokens, token_span
from factloom.ingest.errors import CorpusError

PTB_ESCAPES = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}"}


def read_scierc(path: Path) -> list[GoldDoc]:
    """Read a SciERC ``dev.json`` file into one ``GoldDoc`` per abstract (each mention is an entity).

    Raises:
        CorpusError: a line is not a SciERC document.
    """
    return [_document(path, line, record) for line, record in iter_json_lines(path)]


def _document(path: Path, line: int, record: object) -> GoldDoc:
    where = (path, f"line {line}")
    sentences = field(record, "sentences", list, where)
    tokens = [PTB_ESCAPES.get(str(t), str(t)) for sentence in sentences for t in sentence]
    text, offsets = join_tokens(tokens)
    entities: dict[tuple[int, int], GoldEntity] = {}
    for sentence in field(record, "ner", list, where):
        for item in sentence:
            first, last, label = _triple(item, where)
            span = token_span(text, offsets, first, last, where)
            entities.setdefault((first, last), GoldEntity(f"e{first}_{last}", label, (span,)))
    relations = []
    for sentence in field(record, "relations", list, where):
        for item in sentence:
            if not (isinstance(item, list) and len(item) == 5):
                raise CorpusError(path, f"line {line}", f"relation {item!r} is not [hs, he, ts, te, TYPE]")
            head, tail = entities.get((item[0], item[1])), entities.get((item[2], item[3]))
            if head is None or tail is None:
                raise CorpusError(path, f"line {line}", f"relation {item!r} names a span that is not in ner")
            relations.append(GoldRelation(head.id, tail.id, str(item[4])))
    return GoldDoc(
        doc_id=str(record.get("doc_key", f"{path.stem}:{line}")),
        text=text,
        entities=tuple(entities.values()),
        relations=tuple(relations),
        token_offsets=offsets,
        sentences=_sentence_spans(sentences, offsets),
    )


def _triple(item: object, where: tuple[object, object]) -> tuple[int, int, str]:
    if not (isinstance(item, list) and len(item) == 3 and all(isinstance(i, int) for i in item[:2])):
        raise CorpusError(where[0], where[1], f"ner item {item!r} is not [start, end, TYPE]")
    return item[0], item[1], str(item[2])


def _sentence_spans(
    sentences: list[list[object]], offsets: tuple[tuple[int, int], ...]
) -> tuple[tuple[int, int], ...]:
    spans, first = [], 0
    for sentence in sentences:
        if sentence:
            spans.append((offsets[first][0], offsets[first + len(sentence) - 1][1]))
        first += len(sentence)
    return tuple(spans)
