"""Argument type check: before a relation is judged, the verifier asks what each of its arguments is.

The relation question takes the arguments' entity types as given, and most of the relations Qwen2.5-1.5B
verified on the shared PDFs were wrong through a type (a product typed agreement, a pronoun typed person, a
district typed location; bench/results/verified_sample_qwen-1.5b-v4.md). Here each distinct argument of a
verifier call (its name and stated type) is one multiple choice among the schema's entity types and "none of
these", with a short rationale first, in the context of the first fact that names it. A fact whose head or
tail is not picked as its stated type is rejected before its relation is judged. An argument whose type the
schema does not list (open schemas), or whose question got no usable answer, stays unchecked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from factloom.agents.context import AgentContext
from factloom.agents.relation_pairs import lettered
from factloom.agents.schema_prompt import entity_types_text
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.output_models import reasoned_choice_output_model
from factloom.tools.llm.base import CallTag, Message, Sampling, Usage

log = logging.getLogger(__name__)

AGENT = "verifier"
SAMPLING = Sampling(max_tokens=120)
MAX_TYPES = 25
"""Most entity types offered (the letters leave one for "none of these"); a larger schema is not checked."""

SYSTEM_TEMPLATE = """\
You decide what a name refers to in a text. First write in one short sentence what the text says it is, \
then pick its entity type, or the last option when it is none of them (a pronoun, a generic word, a part \
of a longer name, or a kind of thing the list lacks); give a confidence between 0 and 1.
Entity types:
{entity_types}
Reply with JSON: {{"rationale": "...", "answer": "<letter>", "confidence": 0.9}}"""
USER_TEMPLATE = 'Text: "{context}"\nWhat is "{name}" in this text?\n{options}'
REASON = "the verifier found that {name} is not a {type}"


@dataclass(frozen=True)
class Argument:
    """One argument to check: its name, its stated type and the text it is read in."""

    name: str
    type: str
    context: str


def build_messages(arg: Argument, type_names: Sequence[str], entity_types: str) -> list[Message]:
    """Return the prompt of one type question; the system prefix is shared by every question of a schema."""
    user = USER_TEMPLATE.format(context=arg.context, name=arg.name, options=lettered(type_names))
    return [
        Message(role="system", content=SYSTEM_TEMPLATE.format(entity_types=entity_types)),
        Message(role="user", content=user),
    ]


async def _ask(
    arg: Argument, names: Sequence[str], entity_types: str, ctx: AgentContext, doc_id: str
) -> tuple[str | None, Usage]:
    """Return the type the model picks for ``arg`` ("" for none of these; None: no usable answer)."""
    messages = build_messages(arg, names, entity_types)
    output = reasoned_choice_output_model(len(names) + 1)
    try:
        completion = await ctx.llm.complete(
            messages, output, sampling=SAMPLING, tag=CallTag(agent=AGENT, doc_id=doc_id)
        )
    except LLMOutputError as e:
        log.warning("%s: %s: no usable type answer for %r, left unchecked: %s", AGENT, doc_id, arg.name, e)
        return None, e.usage
    index = ord(completion.value.answer) - ord("A")
    return (names[index] if index < len(names) else ""), completion.usage


async def check_types(
    arguments: Sequence[tuple[Argument, Argument]], ctx: AgentContext, doc_id: str
) -> tuple[list[str | None], Usage]:
    """Check the (head, tail) arguments of each fact; return a rejection reason per fact (None: passed).

    Each distinct (name, type) is asked once, in the context of its first fact.
    """
    names = [t.name for t in ctx.schema.entity_types]
    known = set(names)
    if not known or len(known) > MAX_TYPES:
        return [None] * len(arguments), Usage()
    distinct: dict[tuple[str, str], Argument] = {}
    for pair in arguments:
        for arg in pair:
            if arg.type in known:
                distinct.setdefault((arg.name, arg.type), arg)
    entity_types = entity_types_text(ctx.schema)
    answers = await asyncio.gather(*(_ask(a, names, entity_types, ctx, doc_id) for a in distinct.values()))
    usage = Usage()
    picked: dict[tuple[str, str], str | None] = {}
    for key, (answer, used) in zip(distinct, answers, strict=True):
        picked[key] = answer
        usage = usage + used
    reasons: list[str | None] = []
    for pair in arguments:
        wrong = [a for a in pair if picked.get((a.name, a.type)) not in (None, a.type)]
        reasons.append(REASON.format(name=wrong[0].name, type=wrong[0].type) if wrong else None)
    return reasons, usage
