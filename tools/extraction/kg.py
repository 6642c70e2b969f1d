"""The knowledge-graph model: evidence, mentions, entities, relations.

Every fact carries its evidence; offsets index the document text (``Document.text``).
IDs are deterministic so that a re-run updates instead of duplicating.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["verified", "unverified"]
"""How a relation was checked: ``verified`` (the verifier judged its evidence and found it supported) or
``unverified`` (no check ran, or the check failed to answer). Never silently accepted."""

GroundingMethod = Literal["exact", "normalised", "fuzzy"]
"""How an evidence quote was found in the source text (``tools.extraction.grounding``)."""


def stable_id(prefix: str, *parts: object) -> str:
    """Return a short deterministic id built from ``parts``."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return f"{prefix}_{digest[:16]}"


BBox = tuple[float, float, float, float]


class CellCitation(BaseModel):
    """The table cell a fact was read from: its place in the table, its headers and its value as written.

    ``table`` is the table's index among its document's tables (``Document.tables``); ``row`` and ``col``
    index the table's cells (row 0 is the header). ``value`` is the part of the cell's text the fact states,
    exactly as printed (numbers are not parsed); ``unit`` is the unit its column header gives
    (``Dose (mg)`` -> ``mg``). ``boxes`` are the cells' boxes on the page in PDF points: the value's cell
    first, then its row header's and its column header's (those that have a box).
    """

    model_config = ConfigDict(frozen=True)

    table: int
    row: int
    col: int
    row_header: str
    column_header: str
    value: str
    unit: str | None = None
    boxes: list[BBox] = Field(default_factory=list)

    def describe(self) -> str:
        """Return the cell as one line: ``row header × column header: value unit``."""
        value = f"{self.value} {self.unit}" if self.unit else self.value
        head = " × ".join(h for h in (self.row_header, self.column_header) if h)
        return f"{head}: {value}" if head else value


class Evidence(BaseModel):
    """Where a fact is stated: ``doc.text[start:end] == quote``.

    A fact read from a table quotes the cell that holds its value and cites that cell (``cell``).
    """

    model_config = ConfigDict(frozen=True)

    doc_id: str
    page: int
    start: int
    end: int
    quote: str
    chunk_id: str | None = None
    agent: str = ""
    method: GroundingMethod = "exact"
    score: float = 100.0
    cell: CellCitation | None = None


class Mention(BaseModel):
    """A typed span of a document that names an entity."""

    model_config = ConfigDict(frozen=True)

    mention_id: str
    doc_id: str
    chunk_id: str
    start: int
    end: int
    text: str
    type: str
    page: int
    confidence: float = 1.0

    @staticmethod
    def make_id(doc_id: str, start: int, end: int, type_: str) -> str:
        """Return the deterministic id of a mention."""
        return stable_id("m", doc_id, start, end, type_)


class Entity(BaseModel):
    """A canonical entity with its aliases and all its mentions."""

    entity_id: str
    name: str
    type: str
    aliases: list[str] = Field(default_factory=list)
    mentions: list[Mention] = Field(default_factory=list)


class Relation(BaseModel):
    """A typed, directed relation between two entities with all its evidence."""

    relation_id: str
    head: str
    type: str
    tail: str
    confidence: float = 1.0
    reasoning: str = ""
    evidence: list[Evidence] = Field(default_factory=list)
    status: Status = "unverified"
    agent: str = ""
    rationale: str = ""
    phrase: str = ""
    """The relation phrase an open extraction stated, when ``type`` is the schema type it was canonicalised
    to (``factloom schema canonicalise``, applied on read); empty when ``type`` is as extracted."""

    @staticmethod
    def make_id(head: str, type_: str, tail: str) -> str:
        """Return the deterministic id of a relation between two entities."""
        return stable_id("r", head, type_, tail)
