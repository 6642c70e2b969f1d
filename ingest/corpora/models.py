"""Typed records of annotated corpora (gold standard) shared by every corpus reader.

Offsets are character offsets into ``GoldDoc.text``. For token corpora the text is the tokens
joined by single spaces and ``token_offsets`` keeps the token -> character map, so predictions
can be mapped back to tokens for scoring.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from factloom.ingest.errors import CorpusError


@dataclass(frozen=True)
class GoldSpan:
    """One mention: ``doc.text[start:end] == text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class GoldEntity:
    """A gold entity: its corpus type and all its mentions.

    ``concept_id`` is the normalised database id where the corpus has one (MeSH, NCBI Gene, ...).
    """

    id: str
    type: str
    mentions: tuple[GoldSpan, ...]
    concept_id: str | None = None


@dataclass(frozen=True)
class GoldRelation:
    """A directed gold relation between two entities of the same document (by entity id)."""

    head: str
    tail: str
    type: str


@dataclass(frozen=True)
class GoldDoc:
    """One annotated document (a sentence, an abstract, an article or a contract)."""

    doc_id: str
    text: str
    entities: tuple[GoldEntity, ...] = ()
    relations: tuple[GoldRelation, ...] = ()
    token_offsets: tuple[tuple[int, int], ...] | None = None
    sentences: tuple[tuple[int, int], ...] = field(default=())

    def entity(self, entity_id: str) -> GoldEntity | None:
        """Return the entity with id ``entity_id``."""
        return next((e for e in self.entities if e.id == entity_id), None)

    def with_annotations(
        self, entities: tuple[GoldEntity, ...], relations: tuple[GoldRelation, ...]
    ) -> GoldDoc:
        """Return a copy of this document with other entities and relations."""
        return replace(self, entities=entities, relations=relations)


def join_tokens(tokens: list[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Join tokens with single spaces; return the text and each token's (start, end)."""
    offsets: list[tuple[int, int]] = []
    pos = 0
    for token in tokens:
        offsets.append((pos, pos + len(token)))
        pos += len(token) + 1
    return " ".join(tokens), tuple(offsets)


def token_span(
    text: str, offsets: tuple[tuple[int, int], ...], first: int, last: int, where: tuple[object, object]
) -> GoldSpan:
    """Return the span covering tokens ``first..last`` (both inclusive).

    Raises:
        CorpusError: the token indices are outside the document.
    """
    if not 0 <= first <= last < len(offsets):
        raise CorpusError(where[0], where[1], f"token span [{first}, {last}] outside 0..{len(offsets) - 1}")
    start, end = offsets[first][0], offsets[last][1]
    return GoldSpan(start, end, text[start:end])


def char_span(text: str, start: int, end: int, where: tuple[object, object]) -> GoldSpan:
    """Return the span ``text[start:end]`` after checking its bounds.

    Raises:
        CorpusError: the offsets are outside the text or reversed.
    """
    if not 0 <= start < end <= len(text):
        raise CorpusError(where[0], where[1], f"character span [{start}, {end}) outside the text")
    return GoldSpan(start, end, text[start:end])
