"""The verifier's LLM judgement: facts shown with their evidence in context, a rationale before each verdict.

``agents.verifier`` runs the deterministic checks and calls ``judge`` on the facts that pass; the consolidator
(cross-chunk proposals) and the demonstration writer (``agents.demo_synth``) call it too. Facts are judged in
calls of at most ``BATCH``, each argument shown with its entity type.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from factloom.agents.context import AgentContext
from factloom.agents.facts import Drop, Fact
from factloom.agents.relation_pairs import option_lines
from factloom.agents.schema_prompt import relation_types_text
from factloom.agents.type_check import Argument, check_types
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.output_models import reasoned_choice_output_model, verifier_output_model
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import CallTag, Message, Sampling, Usage

log = logging.getLogger(__name__)

AGENT = "verifier"
UNVERIFIED_CONFIDENCE = 0.0
"""The confidence of a fact no verifier judged: none was established."""
SAMPLING = Sampling(max_tokens=384)
BATCH = 8
"""Most facts judged in one call: 8 verdicts with their rationales fit ``SAMPLING``'s 384 tokens, and 8 facts
with their context keep the prompt within a 4,096-token window (a chunk with 30+ pair proposals overflowed it
through llama_cpp.server, bench/results/extract-qwen-0.5b-server-7pdfs.json)."""

SYSTEM_TEMPLATE = """\
You check facts against their evidence. For each numbered fact, first write in one short sentence what \
the evidence says about the two entities, then answer "supported" if the evidence states the fact, \
"wrong_type" if it relates the two entities in another way, else "unsupported" (also when an entity is not \
of the type given in brackets, or when the two names are one entity); give a confidence between 0 and 1. \
The context around the evidence is there to resolve pronouns and negations.
Relation types:
{relation_types}
Reply with JSON: {{"verdicts": [{{"fact": 1, "rationale": "...", "verdict": "supported", \
"confidence": 0.9}}]}}"""

USER_TEMPLATE = "{facts}"
FACT_TEMPLATE = (
    '{number}. Fact: {head} --{type}--> {tail}\n   Evidence: "{evidence}"\n   Context: "{context}"'
)
TYPED_TEMPLATE = "{name} [{type}]"

REASON_UNSUPPORTED = "the verifier found that the evidence does not state this relation"
REASON_WRONG_TYPE = "the verifier found that the evidence states a different relation type"
REASON_REVERSED = "the verifier found that the evidence states this relation the other way round"

CHOICE_SAMPLING = Sampling(max_tokens=160)
CHOICE_SYSTEM_TEMPLATE = """\
You check a fact against its evidence. First write in one short sentence what the evidence says about the \
two entities, then pick the one statement the evidence makes, or the last option when it makes none of \
them; give a confidence between 0 and 1. The context around the evidence is there to resolve pronouns and \
negations.
Relation types:
{relation_types}
Reply with JSON: {{"rationale": "...", "answer": "<letter>", "confidence": 0.9}}"""
CHOICE_USER_TEMPLATE = (
    'Evidence: "{evidence}"\nContext: "{context}"\nWhich statement does the evidence make?\n{options}'
)


@dataclass(frozen=True)
class Statement:
    """A fact as the verifier reads it: head, type, tail, the evidence quote(s), and the text around them."""

    head: str
    type: str
    tail: str
    evidence: str
    context: str
    head_type: str = ""
    tail_type: str = ""


def _typed(name: str, type_: str) -> str:
    """Return an argument as the verdicts prompt shows it: its name, with its entity type when known."""
    return TYPED_TEMPLATE.format(name=name, type=type_) if type_ else name


def statement_of(fact: Fact, context: str | None = None) -> Statement:
    """Return how the verifier reads ``fact`` (its quote, in ``context`` when given)."""
    quote = fact.evidence.quote
    return Statement(
        fact.head.text,
        fact.type,
        fact.tail.text,
        quote,
        context or quote,
        head_type=fact.head.type,
        tail_type=fact.tail.type,
    )


def build_messages(statements: Sequence[Statement], relation_types: str) -> list[Message]:
    """Return the prompt: a fixed system prefix, then the numbered facts with their evidence in context."""
    lines = [
        FACT_TEMPLATE.format(
            number=i,
            head=_typed(s.head, s.head_type),
            type=s.type,
            tail=_typed(s.tail, s.tail_type),
            evidence=s.evidence,
            context=s.context,
        )
        for i, s in enumerate(statements, start=1)
    ]
    return [
        Message(role="system", content=SYSTEM_TEMPLATE.format(relation_types=relation_types)),
        Message(role="user", content=USER_TEMPLATE.format(facts="\n".join(lines))),
    ]


@dataclass(frozen=True)
class Judgement:
    """The LLM's verdict on one fact: confidence, rationale, and why it was rejected (None: supported).

    ``explained`` says whether the rationale names both of the fact's entities. A "supported" verdict whose
    rationale does not ("...", "supported", the relation type's description copied back) is no check: the
    fact is kept but stays ``unverified``. Of the 10 verified Qwen2.5-0.5B relations hand-checked in
    bench/results/verified_sample_qwen-0.5b.md (1 correct), 9 had such a rationale (8 wrong, the 1 correct).
    ``answered`` is False when the call that should have judged the fact gave unusable output: the fact is
    kept ``unverified`` with confidence 0 (the verifier fails closed).
    """

    confidence: float
    reason: str | None = None
    rationale: str = ""
    explained: bool = True
    answered: bool = True

    @property
    def status(self) -> str:
        """Return the status a kept fact gets from this judgement."""
        return "verified" if self.reason is None and self.explained and self.answered else "unverified"


UNANSWERED = Judgement(UNVERIFIED_CONFIDENCE, explained=False, answered=False)


def unanswered_drops(judgements: Sequence[Judgement]) -> list[Drop]:
    """Return one ``invalid_output`` drop when some call of a ``judge`` gave unusable verdicts."""
    return [] if all(j.answered for j in judgements) else [Drop.INVALID_OUTPUT]


def names_entity(text: str, name: str) -> bool:
    """Return whether ``text`` names ``name``: the whole name, or one of its words of 4+ letters."""
    folded = text.casefold()
    words = [w for w in re.findall(r"\w+", name.casefold()) if len(w) >= 4 and not w.isdigit()]
    return name.casefold() in folded or any(re.search(rf"\b{re.escape(w)}\b", folded) for w in words)


async def judge(
    statements: Sequence[Statement], ctx: AgentContext, doc_id: str
) -> tuple[list[Judgement], Usage]:
    """Ask the LLM to judge the support of ``statements``, ``BATCH`` per call; return one judgement each.

    With ``check_types`` the arguments' types are checked first (``agents.type_check``) and a fact with a
    wrongly typed argument is rejected without a relation question. With ``verifier_style`` ``choice`` each
    statement is one call (``_judge_choice``). A statement the model gives no verdict for is rejected as
    unsupported. The statements of a call whose output is unusable are ``UNANSWERED`` when another call
    answered. Calls are tagged ``verifier``, so a run may route them to a model of its own
    (``tools.llm.routing``).

    Raises:
        LLMOutputError: no call gave usable verdicts (the caller keeps the facts ``unverified``); its
            ``usage`` counts every call.
    """
    typed: list[str | None] = [None] * len(statements)
    usage = Usage()
    if ctx.settings.check_types:
        arguments = [
            (Argument(s.head, s.head_type, s.context), Argument(s.tail, s.tail_type, s.context))
            for s in statements
        ]
        typed, usage = await check_types(arguments, ctx, doc_id)
    to_judge = [s for s, reason in zip(statements, typed, strict=True) if reason is None]
    judged, judge_usage = await _judge_relations(to_judge, ctx, doc_id, usage) if to_judge else ([], usage)
    answers = iter(judged)
    judgements = [Judgement(0.0, reason) if reason else next(answers) for reason in typed]
    return judgements, judge_usage


async def _judge_relations(
    statements: Sequence[Statement], ctx: AgentContext, doc_id: str, usage: Usage
) -> tuple[list[Judgement], Usage]:
    """Judge the relations of ``statements`` in batches; ``usage`` is what was spent before (type checks)."""
    size = BATCH if ctx.settings.verifier_style == "verdicts" else 1
    batches = [statements[i : i + size] for i in range(0, len(statements), size)]
    results = await asyncio.gather(
        *(_judge_batch(batch, ctx, doc_id) for batch in batches), return_exceptions=True
    )
    judgements: list[Judgement] = []
    failures: list[tuple[int, LLMOutputError]] = []
    for batch, result in zip(batches, results, strict=True):
        if isinstance(result, LLMOutputError):
            failures.append((len(batch), result))
            usage = usage + result.usage
            judgements.extend([UNANSWERED] * len(batch))
        elif isinstance(result, BaseException):
            raise result
        else:
            judgements.extend(result[0])
            usage = usage + result[1]
    if len(failures) == len(batches):
        error = failures[0][1]
        error.usage = usage
        raise error
    for n, e in failures:
        log.warning("%s: %s: unusable verdicts for %d facts, kept unverified: %s", AGENT, doc_id, n, e)
    return judgements, usage


async def _judge_batch(
    statements: Sequence[Statement], ctx: AgentContext, doc_id: str
) -> tuple[list[Judgement], Usage]:
    """Judge up to ``BATCH`` statements in one call."""
    if ctx.settings.verifier_style == "choice":
        return await _judge_choice(statements[0], ctx, doc_id)
    output = verifier_output_model(len(statements))
    messages = build_messages(statements, relation_types_text(ctx.schema))
    tag = CallTag(agent=AGENT, doc_id=doc_id)
    completion = await ctx.llm.complete(messages, output, sampling=SAMPLING, tag=tag)
    verdicts = {v.fact: v for v in completion.value.verdicts}
    judgements = []
    for i in range(1, len(statements) + 1):
        v = verdicts.get(i)
        if v is None:
            judgements.append(Judgement(0.0, REASON_UNSUPPORTED))
        elif v.verdict == "supported":
            s = statements[i - 1]
            explained = names_entity(v.rationale, s.head) and names_entity(v.rationale, s.tail)
            judgements.append(Judgement(round(v.confidence, 3), rationale=v.rationale, explained=explained))
        else:
            reason = REASON_WRONG_TYPE if v.verdict == "wrong_type" else REASON_UNSUPPORTED
            judgements.append(Judgement(round(v.confidence, 3), reason, v.rationale))
    return judgements, completion.usage


Option = tuple[str, str, str]
"""A statement the choice verifier may pick: (head, relation type, tail)."""


def choice_options(s: Statement, schema: Schema) -> list[Option]:
    """Return the statements offered for ``s``: itself, its reverse, the other legal types, in schema order.

    The fact stands where the schema's order puts it (not always first, so a model's bias to one letter does
    not favour it). An entity of unknown type allows every type; a symmetric type is offered one way. At most
    25 options, the fact always among them (the letters leave one for "none of these").
    """
    fact = (s.head, s.type, s.tail)
    ways = (((s.head, s.head_type), (s.tail, s.tail_type)), ((s.tail, s.tail_type), (s.head, s.head_type)))
    options: list[Option] = []
    for rel in schema.relation_types:
        for reverse, ((h, ht), (t, tt)) in enumerate(ways):
            legal = (not ht or not tt or schema.allows(ht, rel.name, tt)) and not (rel.symmetric and reverse)
            if legal or (h, rel.name, t) == fact:
                options.append((h, rel.name, t))
    if fact not in options:
        options.insert(0, fact)
    if len(options) <= 25:
        return options
    kept = {fact, *[o for o in options if o != fact][:24]}
    return [o for o in options if o in kept]


def choice_messages(s: Statement, options: Sequence[Option], relation_types: str) -> list[Message]:
    """Return the prompt of one contrastive check: the evidence in context, then the lettered statements."""
    lines = option_lines(options)
    user = CHOICE_USER_TEMPLATE.format(evidence=s.evidence, context=s.context, options=lines)
    return [
        Message(role="system", content=CHOICE_SYSTEM_TEMPLATE.format(relation_types=relation_types)),
        Message(role="user", content=user),
    ]


async def _judge_choice(s: Statement, ctx: AgentContext, doc_id: str) -> tuple[list[Judgement], Usage]:
    """Ask which statement the evidence makes; ``s`` is supported only when the model picks it.

    A 1.5B model asked whether a fact is supported says yes to nearly anything
    (bench/results/verified_sample_qwen-1.5b.md: 15 verified, 1 correct); picking among rivals, it must
    tell the fact from its reverse and from the other relation types.
    """
    options = choice_options(s, ctx.schema)
    messages = choice_messages(s, options, relation_types_text(ctx.schema))
    output = reasoned_choice_output_model(len(options) + 1)
    tag = CallTag(agent=AGENT, doc_id=doc_id)
    completion = await ctx.llm.complete(messages, output, sampling=CHOICE_SAMPLING, tag=tag)
    value = completion.value
    index = ord(value.answer) - ord("A")
    confidence = round(value.confidence, 3)
    if index >= len(options):
        return [Judgement(confidence, REASON_UNSUPPORTED, value.rationale)], completion.usage
    head, type_, tail = options[index]
    if (head, type_, tail) == (s.head, s.type, s.tail):
        explained = names_entity(value.rationale, s.head) and names_entity(value.rationale, s.tail)
        return [Judgement(confidence, rationale=value.rationale, explained=explained)], completion.usage
    reason = REASON_REVERSED if type_ == s.type else REASON_WRONG_TYPE
    return [Judgement(confidence, reason, value.rationale)], completion.usage
