"""Schema inducer: open extraction on a sample of chunks, clustered into types the model names and defines.

1. Open extraction (no fixed types): the entity finder proposes typed mentions, the relation reasoner
   (joint mode) relations with free type phrases; a relation counts only when its evidence is grounded.
2. The proposed entity type labels are clustered by their embeddings (``tools.extraction.type_clusters``);
   so are the relation phrases. Labels seen fewer than ``min_count`` times are left out.
3. The model names each cluster (snake_case) and writes a one-line definition; a relation cluster's domain
   and range are the entity types of its heads and tails (each at least ``ROLE_SHARE`` of its facts), given
   to the model so its definition states them. Clusters named alike are merged (near-duplicates).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field

from factloom.agents.context import AgentContext
from factloom.agents.entity_finder import EntityFinderInput, find_entities
from factloom.agents.facts import Rejection
from factloom.agents.relation_reasoner import ReasonerInput, reason_relations
from factloom.agents.verifier import check_evidence
from factloom.ingest.models import Chunk
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.schema import Schema, normalise_type
from factloom.tools.extraction.schema_yaml import InducedSchema, InducedType
from factloom.tools.extraction.type_clusters import (
    RELATION_THRESHOLD,
    THRESHOLD,
    Cluster,
    Embed,
    cluster_labels,
    label_text,
    merge_same_names,
)
from factloom.tools.llm.base import CallTag, Message, Sampling, Usage

log = logging.getLogger(__name__)

AGENT = "schema_namer"
OPEN = Schema(name="induce", open=True)
ROLE_SHARE = 0.2
MAX_EXAMPLES = 3
SAMPLING = Sampling(max_tokens=160)

SYSTEM_TEMPLATE = """\
You name the {kind} types of a knowledge-graph schema. You get the labels an open extraction proposed \
for one type, with how often, and examples. Give the type a short snake_case name and a one-line \
definition{extra}.
Reply with JSON: {{"name": "...", "description": "..."}}"""
RELATION_EXTRA = " that says what the head and the tail are"
USER_TEMPLATE = "Labels: {labels}\nExamples:\n{examples}{roles}"
ROLES_TEMPLATE = "\nHead types: {domain}\nTail types: {range}"


class NamerOutput(BaseModel):
    """The namer's answer for one cluster."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=40)
    description: str = Field(min_length=1, max_length=200)


@dataclass(frozen=True)
class Seen:
    """One mention (``text``) or relation (``text`` = "head -> tail") the open extraction found."""

    label: str
    text: str
    quote: str
    head_label: str = ""
    tail_label: str = ""


def sample_chunks(chunks: Sequence[Chunk], n: int) -> list[Chunk]:
    """Return ``n`` chunks spread evenly over ``chunks`` (all when there are fewer)."""
    if len(chunks) <= n:
        return list(chunks)
    step = len(chunks) / n
    return [chunks[int(i * step)] for i in range(n)]


def open_settings(ctx: AgentContext) -> AgentContext:
    """Return ``ctx`` for open extraction: no schema, no demonstrations, joint relations, no verifier call."""
    settings = replace(ctx.settings, relation_mode="joint", verify=False, k_demos=0, cot=False)
    return replace(ctx, schema=OPEN, settings=settings, demos=None)


async def open_extract(
    chunks: Sequence[Chunk], ctx: AgentContext, progress: Callable[[int, int], None] | None = None
) -> tuple[list[Seen], list[Seen], Usage]:
    """Run open extraction on ``chunks``; return the mentions and grounded relations seen, and the cost."""
    runtime = Runtime(context=open_settings(ctx))
    entities: list[Seen] = []
    relations: list[Seen] = []
    usage = Usage()
    for k, chunk in enumerate(chunks, 1):
        found = await find_entities(EntityFinderInput(chunk=chunk), runtime)
        mentions = found["mentions"]
        entities += [Seen(m.type, m.text, m.text) for m in mentions]
        proposed = await reason_relations(ReasonerInput(chunk=chunk, mentions=mentions), runtime)
        usage = usage + found["usage"] + proposed["usage"]
        for cand in proposed["candidates"]:
            fact = check_evidence(cand, chunk, [], mentions, ctx.settings.fuzzy_threshold)
            if isinstance(fact, Rejection):
                continue
            text = f"{cand.head.text} -> {cand.tail.text}"
            relations.append(Seen(cand.type, text, fact.evidence.quote, cand.head.type, cand.tail.type))
        if progress is not None:
            progress(k, len(chunks))
    return entities, relations, usage


def _examples(seen: Sequence[Seen], labels: Sequence[str], relation: bool) -> tuple[str, ...]:
    chosen = [s for s in seen if s.label in labels]
    common = Counter(s.text for s in chosen).most_common(MAX_EXAMPLES)
    if not relation:
        return tuple(text for text, _ in common)
    quote = {s.text: s.quote for s in chosen}
    return tuple(f"{quote[text]} ({text})" for text, _ in common)


def _roles(seen: Sequence[Seen], labels: Sequence[str], entity_of: dict[str, str]) -> tuple[tuple, tuple]:
    """Return the entity types (names) of a relation cluster's heads and tails, by share of its facts."""
    facts = [s for s in seen if s.label in labels]
    out = []
    for side in ("head_label", "tail_label"):
        counts = Counter(entity_of[getattr(s, side)] for s in facts if getattr(s, side) in entity_of)
        out.append(tuple(t for t, c in counts.most_common() if c >= ROLE_SHARE * len(facts)))
    return out[0], out[1]


async def name_cluster(
    ctx: AgentContext, cluster: Cluster, examples: Sequence[str], roles: tuple[tuple, tuple] | None
) -> tuple[str, str, Usage]:
    """Ask the model for a cluster's name and definition (its top label when the answer is unusable)."""
    kind = "relation" if roles is not None else "entity"
    system = SYSTEM_TEMPLATE.format(kind=kind, extra=RELATION_EXTRA if roles is not None else "")
    role_text = ""
    if roles is not None:
        role_text = ROLES_TEMPLATE.format(
            domain=", ".join(roles[0]) or "any", range=", ".join(roles[1]) or "any"
        )
    user = USER_TEMPLATE.format(
        labels=", ".join(cluster.labels), examples="\n".join(f"- {x}" for x in examples), roles=role_text
    )
    messages = [Message(role="system", content=system), Message(role="user", content=user)]
    try:
        done = await ctx.llm.complete(messages, NamerOutput, sampling=SAMPLING, tag=CallTag(AGENT))
    except LLMOutputError as e:
        log.warning("%s: unusable name for %s, keeping the label: %s", AGENT, cluster.head, e)
        return cluster.head, "", e.usage
    name = normalise_type(done.value.name) or cluster.head
    return name, " ".join(done.value.description.split()), done.usage


async def induce(
    chunks: Sequence[Chunk],
    ctx: AgentContext,
    embed: Embed,
    *,
    min_count: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[InducedSchema, Usage]:
    """Induce entity and relation types from ``chunks`` (see the module); return them and the cost."""
    entities, relations, usage = await open_extract(chunks, ctx, progress)
    found, cost = await types_from(entities, relations, ctx, embed, min_count=min_count)
    return replace(found, chunks=len(chunks)), usage + cost


async def types_from(
    entities: Sequence[Seen],
    relations: Sequence[Seen],
    ctx: AgentContext,
    embed: Embed,
    *,
    min_count: int = 2,
) -> tuple[InducedSchema, Usage]:
    """Cluster and name what an open extraction saw (steps 2 and 3 of the module)."""
    entity_types, cost = await _name_all(ctx, entities, _clusters(entities, embed, min_count), None)
    entity_of = {label: t.name for t in entity_types for label in t.labels}
    clusters = _clusters(relations, embed, min_count, _role_texts(relations, entity_of))
    relation_types, more = await _name_all(ctx, relations, clusters, entity_of)
    return InducedSchema(entity_types, relation_types), cost + more


async def _name_all(
    ctx: AgentContext, seen: Sequence[Seen], clusters: Sequence[Cluster], entity_of: dict[str, str] | None
) -> tuple[list[InducedType], Usage]:
    """Name every cluster, merge those named alike; relation clusters (``entity_of`` given) get roles."""
    relation = entity_of is not None
    usage = Usage()
    named, descriptions = [], {}
    for cluster in clusters:
        roles = _roles(seen, cluster.labels, entity_of or {}) if relation else None
        examples = _examples(seen, cluster.labels, relation)
        name, description, cost = await name_cluster(ctx, cluster, examples, roles)
        named.append((name, cluster))
        descriptions.setdefault(name, description)
        usage = usage + cost
    out = []
    for name, cluster in merge_same_names(named):
        domain, range_ = _roles(seen, cluster.labels, entity_of or {}) if relation else ((), ())
        examples = _examples(seen, cluster.labels, relation)
        out.append(
            InducedType(name, descriptions[name], cluster.labels, cluster.count, examples, domain, range_)
        )
    return out, usage


def _clusters(
    seen: Sequence[Seen], embed: Embed, min_count: int, texts: dict[str, str] | None = None
) -> list[Cluster]:
    counts = Counter(s.label for s in seen)
    kept = {label: c for label, c in counts.items() if c >= min_count}
    return cluster_labels(kept, embed, RELATION_THRESHOLD if texts is not None else THRESHOLD, texts)


def _role_texts(relations: Sequence[Seen], entity_of: dict[str, str]) -> dict[str, str]:
    """Return, per relation label, the text embedded: "<head type> <phrase> <tail type>" (most common)."""
    out = {}
    for label in {s.label for s in relations}:
        facts = [s for s in relations if s.label == label]
        head = Counter(entity_of.get(s.head_label, "entity") for s in facts).most_common(1)[0][0]
        tail = Counter(entity_of.get(s.tail_label, "entity") for s in facts).most_common(1)[0][0]
        out[label] = f"{label_text(head)} {label_text(label)} {label_text(tail)}"
    return out
