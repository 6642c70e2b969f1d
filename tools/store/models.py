"""Typed records of the collection graph's bookkeeping: merges, conflicts and statistics."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from factloom.tools.extraction.kg import Evidence, Status


class MergedEntity(BaseModel):
    """One document entity that took part in a merge."""

    model_config = ConfigDict(frozen=True)

    entity_id: str
    doc_id: str
    name: str
    type: str


class MergeLink(BaseModel):
    """One scored link that justified a merge."""

    model_config = ConfigDict(frozen=True)

    a: str
    b: str
    score: float
    reason: str


class Merge(BaseModel):
    """A logged merge: the document entities that became one collection entity, and why."""

    model_config = ConfigDict(frozen=True)

    merge_id: str
    entity_id: str
    name: str
    entities: list[MergedEntity]
    score: float
    reason: str
    evidence: list[MergeLink]
    undone: bool = False


class ConflictValue(BaseModel):
    """One of the values a functional relation takes, with the evidence that states it."""

    model_config = ConfigDict(frozen=True)

    tail: str
    tail_name: str
    relation_id: str
    evidence: list[Evidence]
    status: Status = "unverified"


class Conflict(BaseModel):
    """A functional relation with different values in different documents."""

    model_config = ConfigDict(frozen=True)

    conflict_id: str
    head: str
    head_name: str
    type: str
    values: list[ConflictValue]


class Stats(BaseModel):
    """What the workspace's graph holds."""

    documents: int
    entities: int
    relations: int
    entities_by_type: dict[str, int] = Field(default_factory=dict)
    relations_by_type: dict[str, int] = Field(default_factory=dict)
    relations_by_status: dict[str, int] = Field(default_factory=dict)
    """Relations by how they were checked (``verified`` / ``unverified``)."""
    merges: int = 0
    merged_entities: int = 0
    undone_merges: int = 0
    conflicts: int = 0
    collection_built: bool = False
    collection_fresh: bool = False
