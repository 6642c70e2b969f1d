"""Relation reasoner: chunk + its mentions + document entities + retrieved context -> reasoning, relations.

``joint`` mode asks once per chunk for a short reasoning, then all relations (head and tail constrained to
the chunk's mention texts). ``pairs`` mode asks one multiple-choice question per candidate mention pair
(see ``agents.relation_pairs``). Either way, proposals naming unknown mentions, relating a mention to
itself or breaking the schema's domain/range are dropped and counted here; grounding and support are the
verifier's job. A second call (reflection) receives the verifier's rejections with their reasons.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TypedDict

from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field

from factloom.agents.context import AgentContext
from factloom.agents.demos_prompt import relation_demo_messages
from factloom.agents.facts import Candidate, Counts, Drop, Rejection, count
from factloom.agents.relation_pairs import ask_pairs
from factloom.agents.schema_prompt import relation_types_text
from factloom.ingest.models import Chunk
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.demos import Demonstration
from factloom.tools.extraction.kg import Entity, Mention
from factloom.tools.extraction.output_models import RelationChoice, reasoner_output_model, relation_types_of
from factloom.tools.extraction.schema import Schema, normalise_type
from factloom.tools.llm.base import CallTag, Message, Sampling, Usage

log = logging.getLogger(__name__)

AGENT = "relation_reasoner"
MAX_MENTION_CHOICES = 40
SAMPLING = Sampling(max_tokens=640)

SYSTEM_TEMPLATE = """\
You find relations between the listed entities of a text.
Relation types (head -> tail):
{relation_types}
Rules: head and tail must be listed entities; report only relations the text states; \
give as evidence the sentence of the text that states the relation, copied exactly.
{answer_format}"""

ANSWER_FORMAT_COT = (
    "First write one or two short sentences of reasoning, then the relations. Reply with JSON: "
    '{"reasoning": "...", "relations": [{"head": "...", "type": "...", "tail": "...", "evidence": "..."}]}'
)
ANSWER_FORMAT_PLAIN = (
    'Reply with JSON: {"relations": [{"head": "...", "type": "...", "tail": "...", "evidence": "..."}]}'
)

USER_TEMPLATE = "Text:\n{text}\n\nEntities:\n{mentions}\n{registry}{context}{feedback}"
REGISTRY_TEMPLATE = "\nSame entities elsewhere in the document:\n{lines}\n"
CONTEXT_TEMPLATE = "\nOther passages of the document about these entities:\n{lines}\n"
FEEDBACK_TEMPLATE = (
    "\nYour previous answer had these problems:\n{lines}\nAnswer again: fix or leave out these relations.\n"
)


class ReasonerInput(BaseModel):
    """One chunk, its mentions, and what the rest of the document says about the same entities."""

    model_config = ConfigDict(frozen=True)

    chunk: Chunk
    mentions: list[Mention]
    registry: list[Entity] = Field(default_factory=list, description="document entities of these mentions")
    context: list[str] = Field(default_factory=list, description="passages of other chunks")
    feedback: list[Rejection] = Field(default_factory=list, description="rejections to correct (reflection)")
    focus: str | None = Field(
        None, description="the chunk's sentences naming two entities (shown instead of the chunk; '' = none)"
    )


class ReasonerUpdate(TypedDict):
    """What the reasoner writes to the graph state."""

    candidates: list[Candidate]
    attempts: int
    drops: Counts
    usage: Usage


def mention_choices(mentions: Sequence[Mention]) -> tuple[str, ...]:
    """Return the distinct mention texts in order of appearance (the head/tail enum)."""
    return tuple(dict.fromkeys(m.text for m in mentions))[:MAX_MENTION_CHOICES]


def legal_choices(mentions: Sequence[Mention], schema: Schema) -> tuple[RelationChoice, ...] | None:
    """Return, per relation type, the mention texts its domain and range allow (None: open schema).

    Relation types with no legal head/tail pair among the mentions are left out, so the output model
    (and the grammar decoding it) only offers relations the schema allows.
    """
    if relation_types_of(schema) is None:
        return None
    texts = mention_choices(mentions)
    types = {m.text: m.type for m in mentions}
    choices = []
    for rel in schema.relation_types:
        heads = tuple(t for t in texts if not rel.domain or types[t] in rel.domain)
        tails = tuple(t for t in texts if not rel.range or types[t] in rel.range)
        if heads and tails and (len(heads) > 1 or len(tails) > 1 or heads != tails):
            choices.append((rel.name, heads, tails))
    return tuple(choices)


def build_messages(
    inp: ReasonerInput, schema: Schema, *, cot: bool, demos: Sequence[Demonstration] = ()
) -> list[Message]:
    """Return the prompt: a schema-only system prefix, demonstrations, then the chunk and its entities."""
    system = SYSTEM_TEMPLATE.format(
        relation_types=relation_types_text(schema),
        answer_format=ANSWER_FORMAT_COT if cot else ANSWER_FORMAT_PLAIN,
    )
    types = {m.text: m.type for m in inp.mentions}
    user = USER_TEMPLATE.format(
        text=inp.chunk.text if inp.focus is None else inp.focus,
        mentions="\n".join(f"- {text} ({types[text]})" for text in mention_choices(inp.mentions)),
        registry=_registry_text(inp.registry),
        context=_lines(CONTEXT_TEMPLATE, inp.context),
        feedback=_lines(FEEDBACK_TEMPLATE, [f"{r.candidate.describe()}: {r.reason}" for r in inp.feedback]),
    )
    return [
        Message(role="system", content=system),
        *relation_demo_messages(demos, USER_TEMPLATE, cot=cot),
        Message(role="user", content=user),
    ]


def _lines(template: str, items: Sequence[str]) -> str:
    return template.format(lines="\n".join(f"- {item}" for item in items)) if items else ""


def _registry_text(entities: Sequence[Entity]) -> str:
    lines = [f"{e.name} ({e.type}), also: {', '.join(e.aliases)}" for e in entities if e.aliases]
    return _lines(REGISTRY_TEMPLATE, lines)


def check_candidates(
    items: Sequence[tuple[str, str, str, str]],
    mentions: Sequence[Mention],
    schema: Schema,
    reasoning: str = "",
) -> tuple[list[Candidate], Counts]:
    """Turn ``(head text, type, tail text, evidence)`` proposals into candidates; drop and count bad ones."""
    by_text = mentions_by_text(mentions)
    out: dict[tuple[str, str, str], Candidate] = {}
    drops: list[Drop] = []
    for head_text, raw_type, tail_text, quote in items:
        resolved = resolve_proposal(head_text, raw_type, tail_text, by_text, schema)
        if isinstance(resolved, Drop):
            drops.append(resolved)
            continue
        head, type_, tail = resolved
        cand = Candidate(head=head, type=type_, tail=tail, quote=quote, reasoning=reasoning)
        out.setdefault(cand.key, cand)
    return list(out.values()), count(drops)


def mentions_by_text(mentions: Sequence[Mention]) -> dict[str, Mention]:
    """Return the first mention of each distinct text (what a proposal's head or tail names)."""
    by_text: dict[str, Mention] = {}
    for m in mentions:
        by_text.setdefault(m.text, m)
    return by_text


def resolve_proposal(
    head_text: str, raw_type: str, tail_text: str, by_text: dict[str, Mention], schema: Schema
) -> tuple[Mention, str, Mention] | Drop:
    """Return a proposal's head, relation type and tail, or why it is dropped (schema or self relation)."""
    head, tail = by_text.get(head_text), by_text.get(tail_text)
    type_ = raw_type if raw_type in schema.relation_names else normalise_type(raw_type) if schema.open else ""
    if head is None or tail is None or not type_ or not schema.allows(head.type, type_, tail.type):
        return Drop.RELATION_SCHEMA
    if head.text == tail.text:
        return Drop.RELATION_SELF
    return head, type_, tail


async def _ask_joint(inp: ReasonerInput, ctx: AgentContext) -> tuple[list[Candidate], Counts, Usage]:
    choices = legal_choices(inp.mentions, ctx.schema)
    if choices == ():
        return [], {}, Usage()  # no pair of these mentions can be related under the schema
    output = reasoner_output_model(
        choices, mention_choices(inp.mentions), cot=ctx.settings.cot, max_items=ctx.settings.max_relations
    )
    demos: list[Demonstration] = []
    if ctx.demos is not None and ctx.settings.k_demos > 0:
        demos = ctx.demos.retrieve(inp.chunk.text, ctx.settings.k_demos, ctx.settings.demo_token_budget)
    messages = build_messages(inp, ctx.schema, cot=ctx.settings.cot, demos=demos)
    tag = CallTag(agent=AGENT, doc_id=inp.chunk.doc_id)
    try:
        completion = await ctx.llm.complete(messages, output, sampling=SAMPLING, tag=tag)
    except LLMOutputError as e:
        log.warning("%s: chunk %s: unusable model output: %s", AGENT, inp.chunk.chunk_id, e)
        return [], count([Drop.INVALID_OUTPUT]), e.usage
    value = completion.value
    items = [(r.head, r.type, r.tail, r.evidence) for r in value.relations]
    candidates, drops = check_candidates(items, inp.mentions, ctx.schema, getattr(value, "reasoning", ""))
    return candidates, drops, completion.usage


async def reason_relations(inp: ReasonerInput, runtime: Runtime[AgentContext]) -> ReasonerUpdate:
    """Propose the relations of one chunk (a LangGraph node; re-entered once with feedback)."""
    ctx = runtime.context
    if len(mention_choices(inp.mentions)) < 2 or inp.focus == "":
        return {"candidates": [], "attempts": 1, "drops": {}, "usage": Usage()}
    if ctx.settings.relation_mode == "pairs":
        candidates, drops, usage = await ask_pairs(inp.chunk, inp.mentions, ctx, feedback=inp.feedback)
    else:
        candidates, drops, usage = await _ask_joint(inp, ctx)
    log.debug("%s: chunk %s: %d candidates", AGENT, inp.chunk.chunk_id, len(candidates))
    return {"candidates": candidates, "attempts": 1, "drops": drops, "usage": usage}
