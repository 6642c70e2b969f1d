"""Per-pair multiple choice for relations (the QA4RE formulation): small decisions for small models.

For each pair of mentions that share a sentence and that the schema allows to be related, the model
picks one statement among the legal relation types in both directions, or "none". The answer is one
constrained letter, so greedy decoding picks the option the model finds most probable. The shared
sentence is the evidence, so grounding is exact by construction. The questions of a chunk are asked
concurrently (the backend bounds how many are in flight).
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from factloom.agents.context import AgentContext
from factloom.agents.facts import Candidate, Counts, Drop, Rejection, count
from factloom.agents.schema_prompt import relation_types_text
from factloom.ingest.models import Chunk
from factloom.ingest.sentences import sentence_bounds
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.kg import Mention
from factloom.tools.extraction.output_models import NONE_CHOICE, choice_output_model
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import CallTag, Message, Sampling, Usage

log = logging.getLogger(__name__)

AGENT = "relation_reasoner"
SAMPLING = Sampling(max_tokens=8)

SYSTEM_TEMPLATE = """\
You decide which statement a sentence supports.
Relation types:
{relation_types}
Reply with JSON: {{"answer": "<letter>"}}"""

USER_TEMPLATE = "Sentence: {sentence}\n{note}\nWhich statement does the sentence support?\n{options}"
NOTE_TEMPLATE = "Note: an earlier answer was rejected: {reason}\n"


@dataclass(frozen=True)
class _Question:
    head: Mention
    tail: Mention
    sentence: str
    options: tuple[tuple[str, Mention, Mention], ...]  # (relation type, head, tail)
    note: str = ""


def legal_options(a: Mention, b: Mention, schema: Schema) -> tuple[tuple[str, Mention, Mention], ...]:
    """Return the (relation type, head, tail) statements the schema allows between two mentions."""
    opts = []
    for rel in schema.relation_types:
        for head, tail in ((a, b), (b, a)):
            if schema.allows(head.type, rel.name, tail.type):
                opts.append((rel.name, head, tail))
    return tuple(opts[:25])


def _questions(chunk: Chunk, mentions: Sequence[Mention], ctx: AgentContext) -> list[_Question]:
    """Return one question per distinct mention pair in one sentence or two adjacent ones that may be related.

    Pairs in one sentence come first, then pairs across a sentence boundary (their evidence is both
    sentences), each in order of appearance, up to ``max_pairs_per_chunk``.
    """
    bounds = sentence_bounds(chunk.text)
    sentence_of = {m.mention_id: _sentence_index(bounds, m.start - chunk.start) for m in mentions}
    seen: set[tuple[str, ...]] = set()
    found: list[tuple[int, _Question]] = []
    for a, b in itertools.combinations(mentions, 2):
        key = tuple(sorted((a.text, b.text)))
        first, last = sorted((sentence_of[a.mention_id], sentence_of[b.mention_id]))
        if a.text == b.text or key in seen or last - first > 1:
            continue
        options = legal_options(a, b, ctx.schema)
        if options:
            seen.add(key)
            window = chunk.text[bounds[first][0] : bounds[last][1]] if bounds else chunk.text.strip()
            found.append((last - first, _Question(a, b, window, options)))
    found.sort(key=lambda item: item[0])  # stable: same-sentence pairs first, each in order
    return [q for _, q in found][: ctx.settings.max_pairs_per_chunk]


def _sentence_index(bounds: Sequence[tuple[int, int]], offset: int) -> int:
    """Return the index of the sentence holding chunk offset ``offset`` (the one before it, between two)."""
    return max(bisect.bisect_right([start for start, _ in bounds], offset) - 1, 0)


def _retry_questions(chunk: Chunk, feedback: Sequence[Rejection], ctx: AgentContext) -> list[_Question]:
    """Return the questions of rejected candidates again, each with the reason it was rejected."""
    out = []
    for rej in feedback:
        c = rej.candidate
        options = legal_options(c.head, c.tail, ctx.schema)
        if options:
            note = NOTE_TEMPLATE.format(reason=f"{c.describe()}: {rej.reason}")
            out.append(_Question(c.head, c.tail, c.quote, options, note))
    return out


def lettered(options: Sequence[str]) -> str:
    """Return ``options`` as lettered lines (A. B. ...), then "none of these" last."""
    lines = [
        f"{chr(ord('A') + i)}. {option}" for i, option in enumerate([*options, f"{NONE_CHOICE} of these"])
    ]
    return "\n".join(lines)


def option_lines(statements: Sequence[tuple[str, str, str]]) -> str:
    """Return lettered (head name, relation type, tail name) statements, then "none of these" last."""
    return lettered([f"{head} {type_.replace('_', ' ')} {tail}" for head, type_, tail in statements])


def build_messages(q: _Question, relation_types: str) -> list[Message]:
    """Return the prompt of one question; the system prefix is shared by every question."""
    options = option_lines([(h.text, t, tl.text) for t, h, tl in q.options])
    user = USER_TEMPLATE.format(sentence=q.sentence, note=q.note, options=options)
    return [
        Message(role="system", content=SYSTEM_TEMPLATE.format(relation_types=relation_types)),
        Message(role="user", content=user),
    ]


async def ask_pairs(
    chunk: Chunk, mentions: Sequence[Mention], ctx: AgentContext, feedback: Sequence[Rejection] = ()
) -> tuple[list[Candidate], Counts, Usage]:
    """Ask one multiple-choice question per candidate pair; return the chosen relations."""
    questions = _retry_questions(chunk, feedback, ctx) if feedback else _questions(chunk, mentions, ctx)
    relation_types = relation_types_text(ctx.schema)
    tag = CallTag(agent=AGENT, doc_id=chunk.doc_id)
    answers = await asyncio.gather(*(_ask(q, relation_types, ctx, tag) for q in questions))
    candidates: list[Candidate] = []
    drops: list[Drop] = []
    usage = Usage()
    for q, (index, cost) in zip(questions, answers, strict=True):
        usage = usage + cost
        if index is None:
            log.warning("%s: chunk %s: unusable answer", AGENT, chunk.chunk_id)
            drops.append(Drop.INVALID_OUTPUT)
        elif index < len(q.options):
            type_, head, tail = q.options[index]
            candidates.append(Candidate(head=head, type=type_, tail=tail, quote=q.sentence))
    return candidates, count(drops), usage


async def _ask(
    q: _Question, relation_types: str, ctx: AgentContext, tag: CallTag
) -> tuple[int | None, Usage]:
    """Return the index of the option the model chose (None: unusable answer) and what it cost."""
    output = choice_output_model(len(q.options) + 1)
    try:
        completion = await ctx.llm.complete(
            build_messages(q, relation_types), output, sampling=SAMPLING, tag=tag
        )
    except LLMOutputError as e:
        return None, e.usage
    return ord(completion.value.answer) - ord("A"), completion.usage
