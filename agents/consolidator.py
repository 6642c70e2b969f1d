"""Consolidator: a document's mentions and verified facts -> entities and deduplicated, cited relations.

Mentions become entities deterministically (``agents.entity_merge``). Facts between the same two entities
with the same type become one relation that keeps all its evidence. Entity pairs that never share a chunk
but that the schema allows to be related are asked about on one passage from each place (multiple choice,
at most ``cross_chunk_pairs`` pairs per document, concurrently), and what the model proposes is checked by
the verifier on both passages like any other fact.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import defaultdict
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from typing import TypedDict

from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field

from factloom.agents.context import AgentContext
from factloom.agents.entity_merge import alias_pairs, build_entities, entity_index
from factloom.agents.facts import Counts, Drop, Fact, add_counts, count
from factloom.agents.relation_pairs import legal_options, option_lines
from factloom.agents.schema_prompt import relation_types_text
from factloom.agents.verifier_judge import Statement, judge, unanswered_drops
from factloom.ingest.models import Document, Page, page_at
from factloom.ingest.sentences import sentence_span
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.kg import Entity, Evidence, Mention, Relation
from factloom.tools.extraction.output_models import choice_output_model
from factloom.tools.llm.base import CallTag, Message, Sampling, Usage
from factloom.tools.resolution.relation_merge import merge_statements

log = logging.getLogger(__name__)

AGENT = "consolidator"
UNJUDGED_CONFIDENCE = 0.0
"""Confidence of a cross-chunk relation: the model picked it, nothing judged it (it is ``unverified``)."""
MAX_CROSS_CANDIDATES = 40
"""Cross-chunk pairs are sought among the most mentioned entities only (pairs grow quadratically)."""
MAX_PASSAGE_CHARS = 400
SAMPLING = Sampling(max_tokens=8)

SYSTEM_TEMPLATE = """\
You decide which statement two passages of one document support together.
Relation types:
{relation_types}
Reply with JSON: {{"answer": "<letter>"}}"""

USER_TEMPLATE = "Passage 1: {first}\nPassage 2: {second}\nWhich statement do the passages support?\n{options}"


class ConsolidatorInput(BaseModel):
    """Everything the chunks of one document found."""

    model_config = ConfigDict(frozen=True)

    doc: Document
    mentions: list[Mention] = Field(default_factory=list)
    accepted: list[Fact] = Field(default_factory=list)


class ConsolidatorUpdate(TypedDict):
    """What the consolidator writes to the graph state."""

    entities: list[Entity]
    relations: list[Relation]
    drops: Counts
    usage: Usage


def merge_facts(
    facts: Sequence[Fact],
    entity_of: dict[str, str],
    symmetric: frozenset[str] = frozenset(),
    aliased: AbstractSet[frozenset[str]] = frozenset(),
) -> tuple[list[Relation], Counts]:
    """Merge facts into relations between entities, keeping all evidence; drop self-relations.

    A self-relation relates an entity to itself, or to an entity of another type that shares a name, an
    alias or an acronym with it (``aliased``, from ``entity_merge.alias_pairs``).

    A relation is verified when any of its facts was; its confidence, rationale and proposing agent
    come from the best verified fact (``tools.resolution.relation_merge``).
    """
    grouped: dict[tuple[str, str, str], list[Fact]] = defaultdict(list)
    drops: list[Drop] = []
    for fact in facts:
        head, tail = entity_of.get(fact.head.mention_id), entity_of.get(fact.tail.mention_id)
        if head is None or tail is None or head == tail or frozenset((head, tail)) in aliased:
            drops.append(Drop.RELATION_SELF)
            continue
        if fact.type in symmetric:
            head, tail = sorted((head, tail))
        grouped[(head, fact.type, tail)].append(fact)
    relations = [_relation(key, group) for key, group in grouped.items()]
    return sorted(relations, key=lambda r: r.relation_id), count(drops)


def _relation(key: tuple[str, str, str], facts: list[Fact]) -> Relation:
    """Merge the facts of one relation (``tools.resolution.relation_merge``: verified if any fact was)."""
    head, type_, tail = key
    relation_id = Relation.make_id(head, type_, tail)
    parts = [
        Relation(
            relation_id=relation_id,
            head=head,
            type=type_,
            tail=tail,
            confidence=f.confidence,
            reasoning=f.reasoning,
            evidence=[f.evidence],
            status=f.status,
            agent=f.evidence.agent,
            rationale=f.rationale,
        )
        for f in facts
    ]
    return merge_statements(relation_id, head, type_, tail, parts)


def cross_chunk_pairs(
    entities: Sequence[Entity], ctx: AgentContext, related: set[frozenset[str]]
) -> list[tuple[Entity, Entity]]:
    """Return up to ``cross_chunk_pairs`` pairs of frequent entities that never share a chunk.

    ``related`` holds the pairs to skip: those already related, and those that name one thing.
    """
    limit = ctx.settings.cross_chunk_pairs
    if limit <= 0:
        return []
    frequent = sorted(entities, key=lambda e: (-len(e.mentions), e.entity_id))[:MAX_CROSS_CANDIDATES]
    chunks = {e.entity_id: {m.chunk_id for m in e.mentions} for e in frequent}
    pairs = []
    for a, b in itertools.combinations(frequent, 2):
        if chunks[a.entity_id] & chunks[b.entity_id] or frozenset((a.entity_id, b.entity_id)) in related:
            continue
        if legal_options(a.mentions[0], b.mentions[0], ctx.schema):
            pairs.append((a, b))
    pairs.sort(key=lambda p: (-len(p[0].mentions) * len(p[1].mentions), p[0].entity_id, p[1].entity_id))
    return pairs[:limit]


def _passage(text: str, pages: Sequence[Page], m: Mention, doc_id: str) -> Evidence:
    start, end = sentence_span(text, m.start, m.end)
    start, end = max(start, m.start - MAX_PASSAGE_CHARS // 2), min(end, m.end + MAX_PASSAGE_CHARS // 2)
    quote = text[start:end]
    lead = len(quote) - len(quote.lstrip())
    quote = quote.strip()
    start += lead
    return Evidence(
        doc_id=doc_id,
        page=page_at(pages, start),
        start=start,
        end=start + len(quote),
        quote=quote,
        agent=AGENT,
    )


async def judge_cross_chunk(
    inp: ConsolidatorInput, a: Entity, b: Entity, ctx: AgentContext
) -> tuple[Relation | None, Usage]:
    """Ask which relation, if any, one passage about ``a`` and one about ``b`` support together.

    The answer is the model's choice among the schema's options, not a checked fact: the relation is
    ``unverified``, proposed by the consolidator, with no confidence (0) and no reasoning of its own.
    """
    options = legal_options(a.mentions[0], b.mentions[0], ctx.schema)
    first, second = (_passage(inp.doc.text, inp.doc.pages, e.mentions[0], inp.doc.doc_id) for e in (a, b))
    names = {a.mentions[0].mention_id: a, b.mentions[0].mention_id: b}
    lines = option_lines([(h.text, t, tl.text) for t, h, tl in options])
    messages = [
        Message(
            role="system", content=SYSTEM_TEMPLATE.format(relation_types=relation_types_text(ctx.schema))
        ),
        Message(
            role="user",
            content=USER_TEMPLATE.format(first=first.quote, second=second.quote, options=lines),
        ),
    ]
    tag = CallTag(agent=AGENT, doc_id=inp.doc.doc_id)
    completion = await ctx.llm.complete(
        messages, choice_output_model(len(options) + 1), sampling=SAMPLING, tag=tag
    )
    index = ord(completion.value.answer) - ord("A")
    if index >= len(options):
        return None, completion.usage
    type_, head, tail = options[index]
    h, t = names[head.mention_id].entity_id, names[tail.mention_id].entity_id
    relation = Relation(
        relation_id=Relation.make_id(h, type_, t),
        head=h,
        type=type_,
        tail=t,
        confidence=UNJUDGED_CONFIDENCE,
        evidence=sorted([first, second], key=lambda ev: ev.start),
        status="unverified",
        agent=AGENT,
    )
    return relation, completion.usage


async def cross_chunk_relations(
    inp: ConsolidatorInput, entities: Sequence[Entity], related: set[frozenset[str]], ctx: AgentContext
) -> tuple[list[Relation], Counts, Usage]:
    """Ask about entity pairs that never share a chunk (concurrently), then verify what was proposed.

    The verifier judges each proposal on its two passages like any other fact: supported ones become
    ``verified`` with its rationale, rejected ones are dropped, and unusable verdicts leave them
    ``unverified``.
    """
    pairs = cross_chunk_pairs(entities, ctx, related)
    answers = await asyncio.gather(*(_ask_cross_chunk(inp, a, b, ctx) for a, b in pairs))
    usage = sum((cost for _, cost in answers), Usage())
    proposed = [relation for relation, _ in answers if relation is not None]
    if not proposed or not ctx.settings.verify:
        return proposed, {}, usage
    by_id = {e.entity_id: e for e in entities}
    statements = [_statement(r, by_id) for r in proposed]
    try:
        judgements, cost = await judge(statements, ctx, inp.doc.doc_id)
    except LLMOutputError as e:
        log.warning(
            "%s: %s: unusable verdicts, cross-chunk relations unverified: %s", AGENT, inp.doc.doc_id, e
        )
        return proposed, count([Drop.INVALID_OUTPUT]), usage + e.usage
    kept, drops = [], unanswered_drops(judgements)
    for relation, j in zip(proposed, judgements, strict=True):
        if j.reason is None:
            verified = {"status": j.status, "confidence": j.confidence, "rationale": j.rationale}
            kept.append(relation.model_copy(update=verified))
        else:
            drops.append(Drop.RELATION_VERIFIER)
    return kept, count(drops), usage + cost


def _statement(relation: Relation, by_id: dict[str, Entity]) -> Statement:
    passages = " [...] ".join(ev.quote for ev in relation.evidence)
    head, tail = by_id[relation.head], by_id[relation.tail]
    return Statement(
        head.name, relation.type, tail.name, passages, passages, head_type=head.type, tail_type=tail.type
    )


async def _ask_cross_chunk(
    inp: ConsolidatorInput, a: Entity, b: Entity, ctx: AgentContext
) -> tuple[Relation | None, Usage]:
    try:
        return await judge_cross_chunk(inp, a, b, ctx)
    except LLMOutputError as e:
        log.warning("%s: %s: unusable cross-chunk answer: %s", AGENT, inp.doc.doc_id, e)
        return None, e.usage


async def consolidate(inp: ConsolidatorInput, runtime: Runtime[AgentContext]) -> ConsolidatorUpdate:
    """Build the document's entities and relations (a LangGraph node)."""
    ctx = runtime.context
    entities = build_entities(inp.doc.doc_id, inp.mentions, inp.doc.text, merge=ctx.settings.consolidate)
    symmetric = frozenset(r.name for r in ctx.schema.relation_types if r.symmetric)
    aliased = alias_pairs(entities)
    relations, drops = merge_facts(inp.accepted, entity_index(entities), symmetric, aliased)
    usage = Usage()
    if ctx.settings.consolidate:
        related = {frozenset((r.head, r.tail)) for r in relations} | aliased
        found, cross_drops, usage = await cross_chunk_relations(inp, entities, related, ctx)
        relations += found
        drops = add_counts(drops, cross_drops)
    log.info("%s: %s: %d entities, %d relations", AGENT, inp.doc.doc_id, len(entities), len(relations))
    return {
        "entities": entities,
        "relations": sorted(relations, key=lambda r: r.relation_id),
        "drops": drops,
        "usage": usage,
    }
