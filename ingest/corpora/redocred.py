"""Read DocRED / Re-DocRED JSON: documents of tokenised sentences, entity clusters and relation facts.

Relation labels are Wikidata property ids (``P131``); when ``rel_info.json`` lies beside the file,
they are replaced by their names ("located in the administrative territorial entity").
"""

from __future__ import annotations

from pathlib import Path

from factloom.ingest.corpora._json import field, load_json
from factloom.ingest.corpora.models import GoldDoc, GoldEntity, GoldRelation, join_tokens, token_span
from factloom.ingest.errors import CorpusError

REL_INFO = "rel_info.json"


def read_redocred(path: Path) -> list[GoldDoc]:
    """Read a (Re-)DocRED file into one ``GoldDoc`` per document.

    Raises:
        CorpusError: the file is not a DocRED array of documents.
    """
    data = load_json(path)
    if not isinstance(data, list):
        raise CorpusError(path, "-", "expected a JSON array of documents (DocRED format)")
    names = _relation_names(path.parent / REL_INFO)
    return [_document(path, i, doc, names) for i, doc in enumerate(data)]


def _relation_names(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    names = load_json(path)
    if not isinstance(names, dict):
        raise CorpusError(path, "-", "expected an object mapping property ids to names")
    return {str(k): str(v) for k, v in names.items()}


def _document(path: Path, index: int, doc: object, names: dict[str, str]) -> GoldDoc:
    where = (path, f"document {index}")
    sents = field(doc, "sents", list, where)
    tokens = [str(t) for sent in sents for t in sent]
    text, offsets = join_tokens(tokens)
    starts = [sum(len(s) for s in sents[:k]) for k in range(len(sents))]
    entities = []
    for k, cluster in enumerate(field(doc, "vertexSet", list, where)):
        if not (isinstance(cluster, list) and cluster):
            raise CorpusError(
                path, f"document {index}", f"vertexSet[{k}] is not a non-empty list of mentions"
            )
        spans = []
        for mention in cluster:
            sent_id = field(mention, "sent_id", int, where)
            pos = field(mention, "pos", list, where)
            if not 0 <= sent_id < len(sents) or len(pos) != 2:
                raise CorpusError(path, f"document {index}", f"vertexSet[{k}] has a bad sent_id/pos")
            spans.append(
                token_span(text, offsets, starts[sent_id] + pos[0], starts[sent_id] + pos[1] - 1, where)
            )
        entities.append(GoldEntity(f"e{k}", str(field(cluster[0], "type", str, where)), tuple(spans)))
    relations = []
    for label in doc.get("labels", []):
        head, tail = field(label, "h", int, where), field(label, "t", int, where)
        if not (0 <= head < len(entities) and 0 <= tail < len(entities)):
            raise CorpusError(path, f"document {index}", f"label h/t {head}/{tail} outside vertexSet")
        rel = str(field(label, "r", str, where))
        relations.append(GoldRelation(f"e{head}", f"e{tail}", names.get(rel, rel)))
    sentence_spans = tuple(
        (offsets[s][0], offsets[s + len(sent) - 1][1]) for s, sent in zip(starts, sents, strict=True) if sent
    )
    return GoldDoc(
        doc_id=str(doc.get("title", f"{path.stem}:{index}")),
        text=text,
        entities=tuple(entities),
        relations=tuple(relations),
        token_offsets=offsets,
        sentences=sentence_spans,
    )
