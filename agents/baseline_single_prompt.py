"""The single-prompt baseline: one call per chunk asks for entities and relations together.

This is the GraphRAG / LightRAG style of extraction, kept as the comparison point of ``factloom eval``:
one call, no reasoning, no verifier, no consolidation. It is given the SAME demonstrations factloom's
agents get (the k most similar annotated passages, retrieved by the caller from the same store with
the same k and token budget), or none (zero-shot), so that a comparison measures the pipeline and not
the examples. Quotes are grounded in the chunk like every agent's, so it is scored on the same footing.
``FEW_SHOT`` (one invented example per preset) is kept only for peers that cannot run without an example.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from factloom.agents.facts import Counts, Drop, count
from factloom.agents.schema_prompt import entity_types_text, relation_types_text
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.demos import Demonstration
from factloom.tools.extraction.grounding import ground
from factloom.tools.extraction.schema import Schema, normalise_type
from factloom.tools.llm.base import LLM, CallTag, Message, Sampling, Usage

log = logging.getLogger(__name__)

AGENT = "single_prompt"
SAMPLING = Sampling(max_tokens=600)
MAX_ITEMS = 24

SYSTEM_TEMPLATE = """\
You extract a knowledge graph from a text.
Entity types:
{entity_types}
Relation types:
{relation_types}
Copy each entity exactly as written in the text. Relations connect entities you listed.
Reply with JSON: {{"entities": [{{"text": "...", "type": "..."}}], \
"relations": [{{"head": "...", "type": "...", "tail": "..."}}]}}"""

USER_TEMPLATE = "Text:\n{text}"

FEW_SHOT: dict[str, tuple[str, dict[str, Any]]] = {
    "news": (
        "Maria Lopez, a chemist at Dow Chemical in Midland, said her brother lives in Madrid.",
        {
            "entities": [
                {"text": "Maria Lopez", "type": "person"},
                {"text": "Dow Chemical", "type": "organization"},
                {"text": "Midland", "type": "location"},
                {"text": "Madrid", "type": "location"},
            ],
            "relations": [
                {"head": "Maria Lopez", "type": "work_for", "tail": "Dow Chemical"},
                {"head": "Dow Chemical", "type": "orgbased_in", "tail": "Midland"},
            ],
        },
    ),
    "science": (
        "We apply a graph neural network to protein folding and report accuracy on a new benchmark.",
        {
            "entities": [
                {"text": "graph neural network", "type": "method"},
                {"text": "protein folding", "type": "task"},
                {"text": "accuracy", "type": "metric"},
                {"text": "benchmark", "type": "material"},
            ],
            "relations": [
                {"head": "graph neural network", "type": "used_for", "tail": "protein folding"},
                {"head": "accuracy", "type": "evaluate_for", "tail": "graph neural network"},
            ],
        },
    ),
    "biomed": (
        "Two patients developed hepatitis after taking drug X, which inhibits the enzyme CYP3A4.",
        {
            "entities": [
                {"text": "patients", "type": "species"},
                {"text": "hepatitis", "type": "disease"},
                {"text": "drug X", "type": "chemical"},
                {"text": "CYP3A4", "type": "gene"},
            ],
            "relations": [
                {"head": "drug X", "type": "cid", "tail": "hepatitis"},
                {"head": "drug X", "type": "negative_correlation", "tail": "CYP3A4"},
            ],
        },
    ),
    "contracts": (
        "This Supply Agreement is made on March 3, 2015 between Alpha Inc. and Beta LLC and is "
        "governed by the laws of the State of Ohio.",
        {
            "entities": [
                {"text": "Supply Agreement", "type": "agreement"},
                {"text": "March 3, 2015", "type": "agreement_date"},
                {"text": "Alpha Inc.", "type": "party"},
                {"text": "Beta LLC", "type": "party"},
                {"text": "the laws of the State of Ohio", "type": "jurisdiction"},
            ],
            "relations": [
                {"head": "Alpha Inc.", "type": "party_to", "tail": "Supply Agreement"},
                {
                    "head": "Supply Agreement",
                    "type": "governing_law",
                    "tail": "the laws of the State of Ohio",
                },
            ],
        },
    ),
}


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _type_field(names: list[str], is_open: bool) -> Any:
    if is_open or not names:
        return str, Field(min_length=1, max_length=40)
    return Literal[tuple(names)], ...  # type: ignore[valid-type]


@functools.lru_cache(maxsize=16)
def output_model(
    entity_types: tuple[str, ...], relation_types: tuple[str, ...], is_open: bool
) -> type[BaseModel]:
    """Return the baseline's output model: entities and relations with the schema's types as enums."""
    entity = create_model(
        "SPEntity",
        __base__=_Out,
        text=(str, Field(min_length=1, max_length=80)),
        type=_type_field(list(entity_types), is_open),
    )
    relation = create_model(
        "SPRelation",
        __base__=_Out,
        head=(str, Field(min_length=1, max_length=80)),
        type=_type_field(list(relation_types), is_open),
        tail=(str, Field(min_length=1, max_length=80)),
    )
    return create_model(
        "SinglePromptOutput",
        __base__=_Out,
        entities=(list[entity], Field(default_factory=list, max_length=MAX_ITEMS)),  # type: ignore[valid-type]
        relations=(list[relation], Field(default_factory=list, max_length=MAX_ITEMS)),  # type: ignore[valid-type]
    )


@dataclass(frozen=True)
class FoundMention:
    """A grounded entity mention in document coordinates."""

    start: int
    end: int
    text: str
    type: str


@dataclass(frozen=True)
class FoundRelation:
    """A relation between two grounded mentions."""

    head: FoundMention
    type: str
    tail: FoundMention


@dataclass
class SinglePromptResult:
    """What one chunk gave: grounded mentions and relations, drops by reason, and the call's usage."""

    mentions: list[FoundMention]
    relations: list[FoundRelation]
    drops: Counts = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)

    @property
    def dropped(self) -> int:
        """Return how many proposals were dropped in all."""
        return sum(self.drops.values())


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def demo_answer(demo: Demonstration) -> dict[str, Any]:
    """Return a demonstration's annotations as this baseline's answer."""
    return {
        "entities": [{"text": e.text, "type": e.type} for e in demo.entities],
        "relations": [{"head": r.head, "type": r.type, "tail": r.tail} for r in demo.relations],
    }


def build_messages(text: str, schema: Schema, demos: Sequence[Demonstration] = ()) -> list[Message]:
    """Return the prompt: instructions and schema, one turn pair per demonstration, then the text."""
    system = SYSTEM_TEMPLATE.format(
        entity_types=entity_types_text(schema), relation_types=relation_types_text(schema)
    )
    messages = [Message(role="system", content=system)]
    for demo in demos:
        messages.append(Message(role="user", content=USER_TEMPLATE.format(text=demo.text)))
        messages.append(Message(role="assistant", content=_dumps(demo_answer(demo))))
    messages.append(Message(role="user", content=USER_TEMPLATE.format(text=text)))
    return messages


async def extract_chunk(
    text: str,
    start: int,
    schema: Schema,
    llm: LLM,
    doc_id: str,
    demos: Sequence[Demonstration] = (),
) -> SinglePromptResult:
    """Run the one call for a chunk (``text`` begins at document offset ``start``) and ground its answer."""
    output = output_model(tuple(schema.entity_names), tuple(schema.relation_names), schema.open)
    try:
        done = await llm.complete(
            build_messages(text, schema, demos), output, sampling=SAMPLING, tag=CallTag(AGENT, doc_id)
        )
    except LLMOutputError as e:
        log.info("%s: unusable answer, chunk skipped: %s", doc_id, e)
        return SinglePromptResult([], [], count([Drop.INVALID_OUTPUT]), e.usage)
    answer = done.value
    mentions: dict[str, FoundMention] = {}
    reasons: list[Drop] = []
    for item in answer.entities:
        type_ = normalise_type(item.type) if schema.open else item.type
        span = ground(text, start, item.text)
        if span is None or not type_:
            reasons.append(Drop.MENTION_GROUNDING if span is None else Drop.MENTION_SCHEMA)
            continue
        mention = FoundMention(span.start, span.end, text[span.start - start : span.end - start], type_)
        mentions.setdefault(item.text, mention)
    relations = []
    for rel in answer.relations:
        head, tail = mentions.get(rel.head), mentions.get(rel.tail)
        if head is None or tail is None or head == tail:
            reasons.append(
                Drop.RELATION_SELF if head is not None and head == tail else Drop.RELATION_GROUNDING
            )
            continue
        type_ = normalise_type(rel.type) if schema.open else rel.type
        if not schema.open and not schema.allows(head.type, type_, tail.type):
            reasons.append(Drop.RELATION_SCHEMA)
            continue
        relations.append(FoundRelation(head, type_, tail))
    return SinglePromptResult(list(mentions.values()), relations, count(reasons), done.usage)
