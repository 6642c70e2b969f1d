"""Verifier: deterministic checks first, then the LLM judges whether each fact's evidence supports it.

Deterministic checks: the evidence quote is grounded in the chunk, and it names both the head and the tail.
Only facts that pass are shown to the LLM, each with its entities' types and the sentences around its quote,
in calls of at most ``BATCH`` facts (so that a prompt and its verdicts fit a small context window); the model
writes a short rationale before each verdict. A fact it finds supported becomes ``verified`` with
that rationale. The verifier fails closed: when it is off, or its output is unusable, the facts are kept
as ``unverified`` (confidence 0), never silently accepted. Rejected facts go back to the reasoner once
with their reasons (``feedback``); every rejection is counted as a drop (by grounding or by the verifier).
Facts read from a table are checked against their cell (``verify_table``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field

from factloom.agents.context import AgentContext
from factloom.agents.facts import Candidate, Counts, Drop, Fact, Rejection, count
from factloom.agents.schema_prompt import relation_types_text
from factloom.agents.table_facts import TableCandidate, TableRejection, cell_statement, check_table_candidate
from factloom.agents.table_unit import TableUnit
from factloom.ingest.models import Chunk, Page, page_at
from factloom.ingest.sentences import sentence_span
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.grounding import Span, ground
from factloom.tools.extraction.kg import Evidence, Mention
from factloom.tools.extraction.output_models import verifier_output_model
from factloom.tools.llm.base import CallTag, Message, Sampling, Usage

log = logging.getLogger(__name__)

AGENT = "verifier"
MAX_ATTEMPTS = 2
UNVERIFIED_CONFIDENCE = 0.0
"""The confidence of a fact no verifier judged: none was established."""
CONTEXT_CHARS = 300
"""How far around its quote (in characters, whole sentences) the verifier sees the text."""
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

REASON_UNGROUNDED = "the evidence is not copied from the text"
REASON_UNNAMED = "the evidence does not name {name}"
REASON_UNSUPPORTED = "the verifier found that the evidence does not state this relation"
REASON_WRONG_TYPE = "the verifier found that the evidence states a different relation type"


class VerifierInput(BaseModel):
    """The candidates of one chunk, with the chunk's mentions and what was already accepted."""

    model_config = ConfigDict(frozen=True)

    chunk: Chunk
    pages: list[Page] = Field(default_factory=list)
    mentions: list[Mention]
    candidates: list[Candidate] = Field(default_factory=list)
    accepted: list[Fact] = Field(default_factory=list)
    attempts: int = 1


class VerifierUpdate(TypedDict):
    """What the verifier writes to the graph state."""

    accepted: list[Fact]
    feedback: list[Rejection]
    drops: Counts
    usage: Usage


def _nearest(mentions: Sequence[Mention], text: str, span: Span) -> Mention | None:
    """Return the mention of ``text`` inside the evidence span, else the nearest one."""
    same = [m for m in mentions if m.text == text]
    if not same:
        return None
    return min(
        same,
        key=lambda m: (0 if span.start <= m.start and m.end <= span.end else 1, abs(m.start - span.start)),
    )


def check_evidence(
    cand: Candidate, chunk: Chunk, pages: Sequence[Page], mentions: Sequence[Mention], threshold: float
) -> Fact | Rejection:
    """Ground a candidate's evidence and check that it names head and tail; return a fact or a rejection."""
    span = ground(chunk.text, chunk.start, cand.quote, threshold=threshold)
    if span is None:
        return Rejection(candidate=cand, reason=REASON_UNGROUNDED)
    quote = chunk.text[span.start - chunk.start : span.end - chunk.start]
    for name in (cand.head.text, cand.tail.text):
        if name.casefold() not in quote.casefold():
            return Rejection(candidate=cand, reason=REASON_UNNAMED.format(name=name))
    head = _nearest(mentions, cand.head.text, span) or cand.head
    tail = _nearest(mentions, cand.tail.text, span) or cand.tail
    evidence = Evidence(
        doc_id=chunk.doc_id,
        page=page_at(pages, span.start),
        start=span.start,
        end=span.end,
        quote=quote,
        chunk_id=chunk.chunk_id,
        agent="relation_reasoner",
        method=span.method,
        score=round(span.score, 1),
    )
    return Fact(
        head=head,
        type=cand.type,
        tail=tail,
        evidence=evidence,
        reasoning=cand.reasoning,
        confidence=UNVERIFIED_CONFIDENCE,
    )


def evidence_context(chunk: Chunk, evidence: Evidence, max_chars: int = CONTEXT_CHARS) -> str:
    """Return the quote of ``evidence`` with the whole sentences around it (up to ``max_chars`` out)."""
    start, end = evidence.start - chunk.start, evidence.end - chunk.start
    left, _ = sentence_span(chunk.text, max(0, start - max_chars // 2), start, max_chars)
    _, right = sentence_span(chunk.text, end, min(len(chunk.text), end + max_chars // 2), max_chars)
    return " ".join(chunk.text[min(left, start) : max(right, end)].split())


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

    def named(self, name: str, type_: str) -> str:
        """Return an argument as the prompt shows it: its name, with its entity type when known."""
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
            head=s.named(s.head, s.head_type),
            type=s.type,
            tail=s.named(s.tail, s.tail_type),
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

    A statement the model gives no verdict for is rejected as unsupported. The statements of a call whose
    output is unusable are ``UNANSWERED`` when another call answered. Calls are tagged ``verifier``, so a run
    may route them to a model of its own (``tools.llm.routing``).

    Raises:
        LLMOutputError: no call gave usable verdicts (the caller keeps the facts ``unverified``); its
            ``usage`` counts every call.
    """
    batches = [statements[i : i + BATCH] for i in range(0, len(statements), BATCH)]
    results = await asyncio.gather(
        *(_judge_batch(batch, ctx, doc_id) for batch in batches), return_exceptions=True
    )
    judgements: list[Judgement] = []
    usage = Usage()
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


def _deterministic(
    inp: VerifierInput, threshold: float
) -> tuple[list[tuple[Candidate, Fact]], list[Rejection]]:
    """Run the checks that need no LLM on the candidates not accepted yet."""
    done = {(f.head.text, f.type, f.tail.text) for f in inp.accepted}
    passed: list[tuple[Candidate, Fact]] = []
    rejected: list[Rejection] = []
    for cand in inp.candidates:
        if cand.key in done:
            continue
        result = check_evidence(cand, inp.chunk, inp.pages, inp.mentions, threshold)
        if isinstance(result, Rejection):
            rejected.append(result)
        else:
            passed.append((cand, result))
    return passed, rejected


async def verify(inp: VerifierInput, runtime: Runtime[AgentContext]) -> VerifierUpdate:
    """Check one chunk's candidates (a LangGraph node); rejections go back to the reasoner once."""
    ctx = runtime.context
    passed, rejected = _deterministic(inp, ctx.settings.fuzzy_threshold)
    drops = [Drop.RELATION_GROUNDING] * len(rejected)
    accepted = [fact for _, fact in passed]  # unverified until the LLM finds them supported
    usage = Usage()
    if ctx.settings.verify and passed:
        statements = [statement_of(f, evidence_context(inp.chunk, f.evidence)) for _, f in passed]
        try:
            judgements, usage = await judge(statements, ctx, inp.chunk.doc_id)
        except LLMOutputError as e:
            log.warning(
                "%s: chunk %s: unusable verdicts, facts kept unverified: %s", AGENT, inp.chunk.chunk_id, e
            )
            drops.append(Drop.INVALID_OUTPUT)
            usage = e.usage
        else:
            accepted = []
            drops.extend(unanswered_drops(judgements))
            for (cand, fact), j in zip(passed, judgements, strict=True):
                if j.reason is None:
                    verified = {"confidence": j.confidence, "status": j.status, "rationale": j.rationale}
                    accepted.append(fact.model_copy(update=verified))
                else:
                    rejected.append(Rejection(candidate=cand, reason=j.reason))
                    drops.append(Drop.RELATION_VERIFIER)
    feedback = rejected if inp.attempts < MAX_ATTEMPTS else []
    log.debug(
        "%s: chunk %s: %d accepted, %d rejected", AGENT, inp.chunk.chunk_id, len(accepted), len(rejected)
    )
    return {"accepted": accepted, "feedback": feedback, "drops": count(drops), "usage": usage}


class TableVerifierInput(BaseModel):
    """The candidates of one table unit, with its mentions."""

    model_config = ConfigDict(frozen=True)

    unit: TableUnit
    pages: list[Page] = Field(default_factory=list)
    mentions: list[Mention]
    candidates: list[TableCandidate] = Field(default_factory=list)


async def verify_table(inp: TableVerifierInput, runtime: Runtime[AgentContext]) -> dict:
    """Check one table's candidates against their cells (a LangGraph node).

    A candidate whose value is not in the cell it cites (or whose cell does not exist, or whose cell, headers
    and caption do not name head and tail) is rejected before the LLM. The LLM then reads each fact as its
    cell states it: the row header, the column header and the value (with its unit), in the context of the
    caption, the header row and the cell's row. There is no second round for tables.
    """
    ctx = runtime.context
    page = page_at(inp.pages, inp.unit.table.start) if inp.pages else inp.unit.table.page
    passed: list[Fact] = []
    drops = []
    for cand in inp.candidates:
        result = check_table_candidate(cand, inp.unit, page, inp.mentions)
        if isinstance(result, TableRejection):
            log.debug("%s: table %d: %s: %s", AGENT, inp.unit.index, cand.describe(), result.reason)
            drops.append(Drop.RELATION_GROUNDING)
        else:
            passed.append(result)
    accepted = passed
    usage = Usage()
    if ctx.settings.verify and passed:
        statements = []
        for fact in passed:
            evidence, context = cell_statement(fact, inp.unit)
            statements.append(
                Statement(
                    fact.head.text,
                    fact.type,
                    fact.tail.text,
                    evidence,
                    context,
                    head_type=fact.head.type,
                    tail_type=fact.tail.type,
                )
            )
        try:
            judgements, usage = await judge(statements, ctx, inp.unit.chunk.doc_id)
        except LLMOutputError as e:
            log.warning("%s: table %d: unusable verdicts, kept unverified: %s", AGENT, inp.unit.index, e)
            drops.append(Drop.INVALID_OUTPUT)
            usage = e.usage
        else:
            accepted = []
            drops.extend(unanswered_drops(judgements))
            for fact, j in zip(passed, judgements, strict=True):
                if j.reason is None:
                    verified = {"confidence": j.confidence, "status": j.status, "rationale": j.rationale}
                    accepted.append(fact.model_copy(update=verified))
                else:
                    drops.append(Drop.RELATION_VERIFIER)
    return {"accepted": accepted, "drops": count(drops), "usage": usage}
