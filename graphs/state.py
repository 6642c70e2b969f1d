"""Typed state of the extraction graph and its two per-chunk subgraphs.

Every field that parallel branches write has a reducer; the others are written by one node only.
The agents' input types read subsets of these fields by name.
"""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from factloom.agents.facts import Candidate, Counts, Fact, Rejection, add_counts
from factloom.ingest.models import Chunk, Document, Page
from factloom.tools.extraction.kg import Entity, Mention, Relation
from factloom.tools.llm.base import Usage


class ExtractInput(TypedDict):
    """What a run starts from: one document and its chunks."""

    doc: Document
    chunks: list[Chunk]


class ExtractState(ExtractInput, total=False):
    """The state of one document's extraction."""

    entity_todo: list[str]
    relation_todo: list[str]
    resumed: Annotated[int, operator.add]
    mentions: Annotated[list[Mention], operator.add]
    registry: list[Entity]
    accepted: Annotated[list[Fact], operator.add]
    entities: list[Entity]
    relations: list[Relation]
    drops: Annotated[Counts, add_counts]
    usage: Annotated[Usage, operator.add]


class ExtractOutput(TypedDict):
    """What a run returns."""

    entities: list[Entity]
    relations: list[Relation]
    mentions: list[Mention]
    accepted: list[Fact]
    resumed: int
    drops: Counts
    usage: Usage


class ChunkInput(TypedDict):
    """What the entity subgraph of one chunk starts from."""

    chunk: Chunk
    pages: list[Page]


class ChunkEntitiesState(ChunkInput, total=False):
    """The state of one chunk's entity finding."""

    mentions: list[Mention]
    drops: Annotated[Counts, add_counts]
    usage: Annotated[Usage, operator.add]


class ChunkEntitiesOutput(TypedDict):
    """What one chunk's entity finding adds to the document."""

    mentions: list[Mention]
    drops: Counts
    usage: Usage


class ChunkRelationsInput(ChunkInput):
    """What the relation subgraph of one chunk starts from."""

    mentions: list[Mention]
    registry: list[Entity]
    context: list[str]
    focus: str | None


class ChunkRelationsState(ChunkRelationsInput, total=False):
    """The state of one chunk's relation reasoning, verification and one reflection round."""

    candidates: list[Candidate]
    feedback: list[Rejection]
    attempts: Annotated[int, operator.add]
    accepted: Annotated[list[Fact], operator.add]
    drops: Annotated[Counts, add_counts]
    usage: Annotated[Usage, operator.add]


class ChunkRelationsOutput(TypedDict):
    """What one chunk's relation reasoning adds to the document."""

    accepted: list[Fact]
    drops: Counts
    usage: Usage
