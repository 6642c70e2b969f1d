"""Verifier: deterministic checks first, then the LLM judges whether each fact's evidence supports it.

Deterministic checks: the evidence quote is grounded in the chunk, and it names both the head and the tail.
Only facts that pass are shown to the LLM (``agents.verifier_judge``), each with its entities' types and the
sentences around its quote; the model writes a short rationale before each verdict. A fact it finds
supported becomes ``verified`` with that rationale. The verifier fails closed: when it is off, or its output
is unusable, the facts are kept as ``unverified`` (confidence 0), never silently accepted. Rejected facts go
back to the reasoner once with their reasons (``feedback``); every rejection is counted as a drop (by
grounding or by the verifier).
Facts read from a table are checked against their cell (``verify_table``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TypedDict

from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field

from factloom.agents.context import AgentContext
from factloom.agents.facts import Candidate, Counts, Drop, Fact, Rejection, count
from factloom.agents.table_facts import TableCandidate, TableRejection, cell_statement, check_table_candidate
from factloom.agents.table_unit import TableUnit
from factloom.agents.verifier_judge import (
    UNVERIFIED_CONFIDENCE,
    judge,
    statement_of,
    unanswered_drops,
)
from factloom.ingest.models import Chunk, Page, page_at
from factloom.ingest.sentences import sentence_span
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.grounding import Span, ground
from factloom.tools.extraction.kg import Evidence, Mention
from factloom.tools.llm.base import Usage

log = logging.getLogger(__name__)

AGENT = "verifier"
MAX_ATTEMPTS = 2
CONTEXT_CHARS = 300
"""How far around its quote (in characters, whole sentences) the verifier sees the text."""
REASON_UNGROUNDED = "the evidence is not copied from the text"
REASON_UNNAMED = "the evidence does not name {name}"


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


def _widened(span: Span, names: Sequence[str], chunk: Chunk, mentions: Sequence[Mention], reach: int) -> Span:
    """Return ``span`` widened to whole sentences that take in a mention of each name it lacks.

    A quote that grounds but says "he" or "the drug" for one argument is stated across sentences: the
    evidence becomes the sentences from the nearest mention of that name (at most ``reach`` characters
    away) to the quote, and the verifier judges that passage. Names with no mention that near stay lacking.
    """
    start, end = span.start, span.end
    in_chunk = [m for m in mentions if chunk.start <= m.start and m.end <= chunk.end]
    for name in names:
        gaps = {
            m: max(m.start - end, start - m.end) for m in in_chunk if m.text.casefold() == name.casefold()
        }
        near = [m for m, gap in gaps.items() if gap <= reach]
        if near:
            m = min(near, key=gaps.__getitem__)
            start, end = min(start, m.start), max(end, m.end)
    if (start, end) == (span.start, span.end):
        return span
    left, right = sentence_span(chunk.text, start - chunk.start, end - chunk.start, reach)
    return replace(
        span,
        start=chunk.start + min(left, start - chunk.start),
        end=chunk.start + max(right, end - chunk.start),
    )


def check_evidence(
    cand: Candidate,
    chunk: Chunk,
    pages: Sequence[Page],
    mentions: Sequence[Mention],
    threshold: float,
    reach: int = 0,
) -> Fact | Rejection:
    """Ground a candidate's evidence and check that it names head and tail; return a fact or a rejection.

    With ``reach`` > 0 a grounded quote that lacks a name is widened to the sentences that name it
    (``_widened``).
    """
    span = ground(chunk.text, chunk.start, cand.quote, threshold=threshold)
    if span is None:
        return Rejection(candidate=cand, reason=REASON_UNGROUNDED)
    quote = chunk.text[span.start - chunk.start : span.end - chunk.start]
    lacking = [n for n in (cand.head.text, cand.tail.text) if n.casefold() not in quote.casefold()]
    if lacking and reach:
        span = _widened(span, lacking, chunk, mentions, reach)
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


def _deterministic(
    inp: VerifierInput, threshold: float, reach: int
) -> tuple[list[tuple[Candidate, Fact]], list[Rejection]]:
    """Run the checks that need no LLM on the candidates not accepted yet."""
    done = {(f.head.text, f.type, f.tail.text) for f in inp.accepted}
    passed: list[tuple[Candidate, Fact]] = []
    rejected: list[Rejection] = []
    for cand in inp.candidates:
        if cand.key in done:
            continue
        result = check_evidence(cand, inp.chunk, inp.pages, inp.mentions, threshold, reach)
        if isinstance(result, Rejection):
            rejected.append(result)
        else:
            passed.append((cand, result))
    return passed, rejected


async def verify(inp: VerifierInput, runtime: Runtime[AgentContext]) -> VerifierUpdate:
    """Check one chunk's candidates (a LangGraph node); rejections go back to the reasoner once."""
    ctx = runtime.context
    passed, rejected = _deterministic(inp, ctx.settings.fuzzy_threshold, ctx.settings.evidence_reach)
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
            statements.append(replace(statement_of(fact), evidence=evidence, context=context))
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
