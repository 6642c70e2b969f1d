"""Entity judge: decides, in batches, whether ambiguous pairs of entities are the same real-world entity.

Resolution (``tools.resolution.resolve``) merges clear pairs itself and sends only the ambiguous band here:
similar names below the merge threshold, acronyms without shared context, and same-name pairs whose documents
share nothing (possible homonyms). One LLM call judges up to ``batch_size`` numbered pairs; a pair the
model leaves out, or a call whose output does not validate, keeps the resolver's default decision.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from factloom.tools.errors import LLMOutputError
from factloom.tools.llm.base import LLM, CallTag, Message, Sampling
from factloom.tools.resolution.resolve import Edge, Record

log = logging.getLogger(__name__)

AGENT = "entity_judge"
MAX_CONTEXT_TERMS = 8
SAMPLING = Sampling(max_tokens=300)

SYSTEM_TEMPLATE = """\
You decide whether two entity records from different documents name the same real-world entity.
Each record has a name, a type and other entities named in its document (context).
Same name with unrelated context can be two different entities (homonyms); different spellings, \
abbreviations and word order can be one entity.
Reply with JSON: {{"verdicts": [{{"pair": 1, "same": true}}]}} with one verdict per numbered pair."""

PAIR_TEMPLATE = (
    "{number}. A: {name_a} ({type_a}; context: {context_a}) | B: {name_b} ({type_b}; context: {context_b})"
)

USER_TEMPLATE = "Pairs:\n{pairs}"


class Verdict(BaseModel):
    """The model's decision on one numbered pair."""

    model_config = ConfigDict(extra="ignore")

    pair: int
    same: bool


class JudgeOutput(BaseModel):
    """The model's decisions on one batch."""

    model_config = ConfigDict(extra="ignore")

    verdicts: list[Verdict] = Field(default_factory=list)


def _context(record: Record) -> str:
    terms = sorted(record.context)[:MAX_CONTEXT_TERMS]
    return ", ".join(terms) if terms else "none"


def build_messages(pairs: Sequence[tuple[Record, Record, Edge]]) -> list[Message]:
    """Return the prompt: fixed instructions, then the numbered pairs of one batch."""
    lines = [
        PAIR_TEMPLATE.format(
            number=n,
            name_a=a.name,
            type_a=a.type,
            context_a=_context(a),
            name_b=b.name,
            type_b=b.type,
            context_b=_context(b),
        )
        for n, (a, b, _) in enumerate(pairs, start=1)
    ]
    return [
        Message(role="system", content=SYSTEM_TEMPLATE.format()),
        Message(role="user", content=USER_TEMPLATE.format(pairs="\n".join(lines))),
    ]


class EntityJudge:
    """A ``tools.resolution.resolve.Judge`` backed by an LLM.

    Args:
        llm: the model.
        batch_size: pairs per call.
        concurrency: calls in flight at once.
    """

    def __init__(self, llm: LLM, *, batch_size: int = 12, concurrency: int = 4) -> None:
        self.llm, self.batch_size, self.concurrency = llm, batch_size, concurrency
        self.calls = 0
        self.unanswered = 0

    async def ajudge(self, pairs: Sequence[tuple[Record, Record, Edge]]) -> list[bool]:
        """Return one decision per pair (True = same entity), judging batches concurrently."""
        batches = [pairs[i : i + self.batch_size] for i in range(0, len(pairs), self.batch_size)]
        limit = asyncio.Semaphore(self.concurrency)

        async def run(batch: Sequence[tuple[Record, Record, Edge]]) -> list[bool]:
            async with limit:
                return await self._judge_batch(batch)

        results = await asyncio.gather(*(run(b) for b in batches))
        return [same for batch in results for same in batch]

    def __call__(self, pairs: Sequence[tuple[Record, Record, Edge]]) -> list[bool]:
        """Judge synchronously (the ``Judge`` protocol); call ``ajudge`` from async code."""
        return asyncio.run(self.ajudge(pairs))

    async def _judge_batch(self, batch: Sequence[tuple[Record, Record, Edge]]) -> list[bool]:
        defaults = [e.score >= 1.0 for _, _, e in batch]  # exact names merge unless the model says no
        self.calls += 1
        try:
            done = await self.llm.complete(
                build_messages(batch), JudgeOutput, sampling=SAMPLING, tag=CallTag(agent=AGENT)
            )
        except LLMOutputError as e:
            log.warning("entity judge output unusable (%s); %d pairs keep their default", e, len(batch))
            self.unanswered += len(batch)
            return defaults
        answers = {v.pair: v.same for v in done.value.verdicts if 1 <= v.pair <= len(batch)}
        self.unanswered += len(batch) - len(answers)
        return [answers.get(n, default) for n, default in enumerate(defaults, start=1)]
