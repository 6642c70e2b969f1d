"""Demonstration writer: passages the model writes for each schema type, kept only when they pass the checks.

For a schema without annotated examples, each attempt takes a target in turn (a relation type with its
domain and range, or an entity type): the model invents new names for it (without seeing the collection,
whose names small models copy), then writes one sentence stating the chosen fact in the style of a few real
chunks of the collection, listing the entities it names. The chosen fact is the annotation; the passage is
checked by ``agents.demo_checks`` and its relation judged by the verifier (``agents.verifier_judge.judge``, at
least ``min_confidence``); only passages that pass everything are kept.

Passages are sampled (``temperature``, one seed per attempt) so that the set is varied; each attempt has a
target of its own and a list of names not to reuse, so it is not a retry of an earlier one.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from factloom.agents.context import AgentContext
from factloom.agents.demo_checks import DOC_ID, Reason, Target, check_names, check_passage, targets
from factloom.agents.schema_prompt import entity_types_text, relation_types_text
from factloom.agents.verifier_judge import judge
from factloom.ingest.sentences import sentence_bounds
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.demos import Demonstration
from factloom.tools.extraction.output_models import MAX_MENTION_CHARS
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import CallTag, Message, Sampling, Usage

log = logging.getLogger(__name__)

AGENT = "demo_writer"
MIN_CONFIDENCE = 0.7
STYLE_CHARS = 300
"""The most characters of one style example shown to the writer (whole sentences)."""
MAX_AVOID = 8

NAMES_AGENT = "demo_names"
NAMES_SYSTEM_TEMPLATE = """\
You invent realistic names for example texts of an information extraction system.
Entity types:
{entity_types}
Reply with JSON: {{"names": ["..."]}}"""
NAMES_USER_TEMPLATE = """\
Invent {count} new, realistic names, in this order: {wanted}.{avoid}"""
AVOID_TEMPLATE = " Do not use these names: {names}."

SYSTEM_TEMPLATE = """\
You write short example passages for an information extraction system, and annotate them.
Entity types:
{entity_types}
Relation types (head -> tail):
{relation_types}
Write like the texts of the collection (their kind of text, words and sentence length), but never copy \
them. List every entity of the types above that your passage names, copied exactly from it.
Reply with JSON: {{"text": "...", "entities": [{{"text": "...", "type": "..."}}]}}"""

USER_TEMPLATE = """\
Texts of the collection (for the style only; do not copy them):
{style}

Write one new sentence in this style that says {fact}."""
RELATION_FACT_TEMPLATE = "that {head} {relation} {tail}"
ENTITY_FACT_TEMPLATE = "something about {name}"
MAX_PASSAGE_WRITTEN = 320
"""The longest passage the writer may produce (the grammar closes the string): one or two sentences."""


def fact_text(target: Target, names: Sequence[str]) -> str:
    """Return the fact a passage must state, in words, with the invented names."""
    if target.kind == "relation":
        relation = target.name.replace("_", " ")
        return RELATION_FACT_TEMPLATE.format(head=names[0], relation=relation, tail=names[1])
    return ENTITY_FACT_TEMPLATE.format(name=names[0])


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@functools.lru_cache(maxsize=16)
def output_model(
    entity_types: tuple[str, ...], relation_types: tuple[str, ...], relations: bool = False
) -> type[BaseModel]:
    """Return the writer's output model: a passage and its entities (types as enums).

    The writer states a chosen fact, so the relation is known; ``relations`` adds a list of them (the
    model annotates its own relations), which small models fill with facts their passage does not state.
    """
    entity = create_model(
        "SynthEntity",
        __base__=_Out,
        text=(str, Field(min_length=1, max_length=MAX_MENTION_CHARS)),
        type=(Literal[entity_types], ...),  # type: ignore[valid-type]
    )
    rel_type: Any = Literal[relation_types] if relation_types else str  # type: ignore[valid-type]
    relation = create_model(
        "SynthRelation",
        __base__=_Out,
        head=(str, Field(min_length=1, max_length=MAX_MENTION_CHARS)),
        type=(rel_type, ...),
        tail=(str, Field(min_length=1, max_length=MAX_MENTION_CHARS)),
    )
    fields: dict[str, Any] = {
        "text": (str, Field(min_length=1, max_length=MAX_PASSAGE_WRITTEN)),
        "entities": (list[entity], Field(default_factory=list, max_length=8)),  # type: ignore[valid-type]
    }
    if relations:
        fields["relations"] = (list[relation], Field(default_factory=list, max_length=4))  # type: ignore[valid-type]
    return create_model("SynthPassage", __base__=_Out, **fields)


@functools.lru_cache(maxsize=8)
def names_model(count: int) -> type[BaseModel]:
    """Return the name inventor's output model: exactly ``count`` short names."""
    name = (str, Field(min_length=1, max_length=MAX_MENTION_CHARS))
    return create_model(
        "InventedNames",
        __base__=_Out,
        names=(list[name[0]], Field(min_length=count, max_length=count)),  # type: ignore[valid-type]
    )


def names_messages(schema: Schema, target: Target, avoid: Sequence[str]) -> list[Message]:
    """Return the prompt that asks for the names a target's fact will be stated about.

    The collection's texts are not shown here: small models then copy their names.
    """
    system = NAMES_SYSTEM_TEMPLATE.format(entity_types=entity_types_text(schema))
    user = NAMES_USER_TEMPLATE.format(
        count=len(target.types),
        wanted=", ".join(f"a {t}" for t in target.types),
        avoid=AVOID_TEMPLATE.format(names=", ".join(avoid)) if avoid else "",
    )
    return [Message(role="system", content=system), Message(role="user", content=user)]


def style_examples(texts: Sequence[str], k: int = 4, max_chars: int = STYLE_CHARS) -> list[str]:
    """Return ``k`` texts spread over ``texts``, each cut to its first whole sentences (``max_chars``)."""
    chosen = [t for t in texts if t.strip()]
    if len(chosen) > k:
        step = len(chosen) / k
        chosen = [chosen[int(i * step)] for i in range(k)]
    out = []
    for text in chosen:
        spans = sentence_bounds(text)
        end = next((e for _, e in reversed(spans) if e <= max_chars), None)
        out.append(" ".join(text[: end or max_chars].split()))
    return out


def build_messages(
    schema: Schema, target: Target, style: Sequence[str], names: Sequence[str]
) -> list[Message]:
    """Return the prompt: a schema-only system prefix, then the style texts and the fact to state."""
    system = SYSTEM_TEMPLATE.format(
        entity_types=entity_types_text(schema), relation_types=relation_types_text(schema)
    )
    user = USER_TEMPLATE.format(style="\n".join(f"- {s}" for s in style), fact=fact_text(target, names))
    return [Message(role="system", content=system), Message(role="user", content=user)]


@dataclass
class SynthReport:
    """What a synthesis run kept, rejected (by reason) and cost."""

    demos: list[Demonstration] = field(default_factory=list)
    attempts: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    usage: Usage = field(default_factory=Usage)


Progress = Callable[[int, int], None]
"""Called with (demonstrations kept, attempts made) after each attempt."""


async def synthesize(
    ctx: AgentContext,
    style: Sequence[str],
    n: int,
    *,
    max_attempts: int | None = None,
    known: Sequence[str] = (),
    min_confidence: float = MIN_CONFIDENCE,
    temperature: float = 0.7,
    progress: Progress | None = None,
) -> SynthReport:
    """Write and check demonstrations for every type of ``ctx.schema`` until ``n`` are kept.

    Targets take turns; one that already has its share (``n`` / targets, rounded up) is skipped. At most
    ``max_attempts`` passages are written (3 ``n`` by default). ``known`` holds texts already stored.
    """
    schema = ctx.schema
    goals = targets(schema)
    if not goals or n <= 0:
        return SynthReport()
    share = -(-n // len(goals))
    report = SynthReport()
    seen = {" ".join(t.casefold().split()) for t in known}
    kept: Counter[str] = Counter()
    used: dict[str, list[str]] = {}
    limit = max_attempts if max_attempts is not None else 3 * n
    output = output_model(tuple(schema.entity_names), tuple(schema.relation_names))
    for attempt in range(limit):
        if len(report.demos) >= n:
            break
        open_goals = [g for g in goals if kept[g.name] < share] or goals
        target = open_goals[attempt % len(open_goals)]
        shown = [style[(attempt + i) % len(style)] for i in range(min(2, len(style)))]
        sampling = Sampling(max_tokens=320, temperature=temperature, seed=attempt)
        report.attempts += 1
        names = await _invent(ctx, target, style, used.get(target.name, [])[-MAX_AVOID:], sampling, report)
        if isinstance(names, str):
            verdict: Demonstration | Reason = names
        else:
            used.setdefault(target.name, []).extend(names)
            messages = build_messages(schema, target, shown, names)
            verdict = await _attempt(
                ctx, messages, output, sampling, target, style, seen, min_confidence, report, names
            )
        if isinstance(verdict, Demonstration):
            report.demos.append(verdict)
            kept[target.name] += 1
            seen.add(" ".join(verdict.text.casefold().split()))
        else:
            report.rejected[verdict] += 1
        if progress is not None:
            progress(len(report.demos), report.attempts)
    log.info(
        "%s: kept %d of %d passages; rejected %s",
        AGENT,
        len(report.demos),
        report.attempts,
        dict(report.rejected),
    )
    return report


async def _invent(
    ctx: AgentContext,
    target: Target,
    style: Sequence[str],
    avoid: Sequence[str],
    sampling: Sampling,
    report: SynthReport,
) -> list[str] | Reason:
    """Ask for the new names a target's fact will be about; check them."""
    messages = names_messages(ctx.schema, target, avoid)
    try:
        done = await ctx.llm.complete(
            messages, names_model(len(target.types)), sampling=sampling, tag=CallTag(NAMES_AGENT, DOC_ID)
        )
    except LLMOutputError as e:
        report.usage = report.usage + e.usage
        return "invalid_output"
    report.usage = report.usage + done.usage
    return check_names(done.value.names, style, avoid)


async def _attempt(
    ctx: AgentContext,
    messages: list[Message],
    output: type[BaseModel],
    sampling: Sampling,
    target: Target,
    style: Sequence[str],
    seen: set[str],
    min_confidence: float,
    report: SynthReport,
    names: Sequence[str],
) -> Demonstration | Reason:
    """Write one passage, check it, and let the verifier judge its relations."""
    try:
        completion = await ctx.llm.complete(messages, output, sampling=sampling, tag=CallTag(AGENT, DOC_ID))
    except LLMOutputError as e:
        report.usage = report.usage + e.usage
        return "invalid_output"
    report.usage = report.usage + completion.usage
    checked = check_passage(
        completion.value,
        target,
        ctx.schema,
        style=style,
        known=seen,
        names=names,
        threshold=ctx.settings.fuzzy_threshold,
    )
    if isinstance(checked, str):
        return checked
    if checked.statements:
        try:
            judgements, usage = await judge(checked.statements, ctx, DOC_ID)
        except LLMOutputError as e:
            report.usage = report.usage + e.usage
            return "verifier"  # fails closed: an unjudged fact is never kept
        report.usage = report.usage + usage
        if any(j.reason is not None or j.confidence < min_confidence for j in judgements):
            return "verifier"
    return checked.demo
