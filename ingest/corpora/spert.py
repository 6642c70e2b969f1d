"""Read SpERT JSON (CoNLL04, ADE, SciERC ``dev_triples.json``): one sentence per array element.

Token spans have ``end`` exclusive; relations index into the sentence's entity list.
"""

from __future__ import annotations

from pathlib import Path

from factloom.ingest.corpora._json import field, load_json
from factloom.ingest.corpora.models import GoldDoc, GoldEntity, GoldRelation, join_tokens, token_span
from factloom.ingest.errors import CorpusError


def read_spert(path: Path) -> list[GoldDoc]:
    """Read a SpERT JSON file into one ``GoldDoc`` per sentence.

    Raises:
        CorpusError: the file is not a JSON array of SpERT sentences.
    """
    data = load_json(path)
    if not isinstance(data, list):
        raise CorpusError(path, "-", "expected a JSON array of sentences (SpERT format)")
    return [_sentence(path, i, record) for i, record in enumerate(data)]


def _sentence(path: Path, index: int, record: object) -> GoldDoc:
    where = (path, index)
    tokens = field(record, "tokens", list, where)
    text, offsets = join_tokens([str(t) for t in tokens])
    entities = []
    for k, ent in enumerate(field(record, "entities", list, where)):
        start, end = field(ent, "start", int, where), field(ent, "end", int, where)
        span = token_span(text, offsets, start, end - 1, where)
        entities.append(GoldEntity(id=f"e{k}", type=str(field(ent, "type", str, where)), mentions=(span,)))
    relations = []
    for rel in field(record, "relations", list, where) if "relations" in record else []:
        head, tail = field(rel, "head", int, where), field(rel, "tail", int, where)
        if not (0 <= head < len(entities) and 0 <= tail < len(entities)):
            raise CorpusError(path, index, f"relation head/tail {head}/{tail} outside the entity list")
        relations.append(GoldRelation(f"e{head}", f"e{tail}", str(field(rel, "type", str, where))))
    return GoldDoc(
        doc_id=f"{path.stem}:{index}",
        text=text,
        entities=tuple(entities),
        relations=tuple(relations),
        token_offsets=offsets,
        sentences=((0, len(text)),),
    )
