"""Facts in flight between the agents, and the counts of what their checks dropped.

A ``Candidate`` is a relation the reasoner proposed (evidence not yet grounded); a ``Fact`` is one whose
evidence was grounded and that passed the verifier. Only the consolidator turns facts into the
knowledge-graph ``Relation`` (between document entities).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from factloom.tools.extraction.kg import Evidence, Mention, Status


class Drop(StrEnum):
    """Why a proposed mention or relation was dropped (keys of the ``drops`` counts)."""

    MENTION_GROUNDING = "mention_grounding"
    MENTION_SCHEMA = "mention_schema"
    MENTION_SHAPE = "mention_shape"
    RELATION_SCHEMA = "relation_schema"
    RELATION_SELF = "relation_self"
    RELATION_GROUNDING = "relation_grounding"
    RELATION_VERIFIER = "relation_verifier"
    INVALID_OUTPUT = "invalid_output"


Counts = dict[str, int]


def add_counts(left: Mapping[str, int], right: Mapping[str, int]) -> Counts:
    """Return the key-wise sum of two counts (a LangGraph reducer: order-independent, pure)."""
    out = dict(left)
    for key, value in right.items():
        out[key] = out.get(key, 0) + value
    return out


def count(reasons: Iterable[Drop]) -> Counts:
    """Count drop reasons."""
    out: Counts = {}
    for reason in reasons:
        out[reason.value] = out.get(reason.value, 0) + 1
    return out


class Candidate(BaseModel):
    """A relation proposed by the reasoner, between two mentions of one chunk."""

    model_config = ConfigDict(frozen=True)

    head: Mention
    type: str
    tail: Mention
    quote: str
    reasoning: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """Return the identity of the proposal (head text, type, tail text)."""
        return (self.head.text, self.type, self.tail.text)

    def describe(self) -> str:
        """Return the fact as one line for prompts and logs."""
        return f"{self.head.text} --{self.type}--> {self.tail.text}"


class Rejection(BaseModel):
    """A candidate that failed a check, and why (fed back to the reasoner once)."""

    model_config = ConfigDict(frozen=True)

    candidate: Candidate
    reason: str


class Fact(BaseModel):
    """A verified relation between two mentions, with grounded evidence."""

    model_config = ConfigDict(frozen=True)

    head: Mention
    type: str
    tail: Mention
    evidence: Evidence
    confidence: float = 1.0
    reasoning: str = ""
    status: Status = "unverified"
    rationale: str = ""
