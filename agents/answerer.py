"""The answer agent: reply to a question from numbered evidence passages, citing them by id.

The model sees a fixed instruction prefix (byte-identical across calls, for prefix caches), the earlier
turns of the conversation, then the evidence and the question. Its output names evidence ids from a
closed list, so it cannot invent a citation; an answer the model left uncited is attributed to the
passage holding most of its words (if one holds enough). The deterministic checks then keep only
citations whose offsets still reproduce their quote in the stored document. An answer left without a
citation, and a question without any evidence, get the fixed reply "The documents do not say ..."
instead of a guess. Finally the answer is judged against the quotes it cites (``check_support``): a
number the quotes do not hold, or a negation the quotes do not carry (or a negated statement the answer
turns positive), makes the answer unsupported, and its text then says so plainly.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, TypedDict

from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field, create_model

from factloom.tools.llm.base import LLM, CallTag, Message, Sampling, Usage
from factloom.tools.query.linking import STOPWORDS
from factloom.tools.query.subgraph import EvidenceItem

log = logging.getLogger(__name__)

AGENT = "answerer"
MAX_ANSWER_CHARS = 400
MAX_CITATIONS = 5
MAX_TOKENS = 480
"""Every token adds at least one character: room for the longest answer plus the ids, never cut off."""
MIN_SUPPORT = 0.6
"""Share of an uncited answer's content words a passage must hold to be cited for it."""

SYSTEM_PROMPT = (
    "You answer questions about a collection of documents. Use only the numbered evidence passages "
    "you are given, never outside knowledge. Answer in one to three plain sentences. List in "
    '"evidence_ids" the ids (such as "E1") of the passages that state what you say. If the passages do '
    'not answer the question, reply with an empty "answer" and an empty "evidence_ids".'
)
"""The instruction prefix: no placeholders, so every call starts with the same bytes."""

HISTORY_QUESTION_TEMPLATE = "Earlier question: {question}"
HISTORY_ANSWER_TEMPLATE = "{answer}"
EVIDENCE_LINE_TEMPLATE = "[{evidence_id}] (page {page}) {quote}{fact}"
FACT_TEMPLATE = " [graph: {fact}]"
USER_TEMPLATE = (
    'Evidence:\n{evidence}\n\nQuestion: {question}\nReply in JSON with "answer" and "evidence_ids".'
)
NO_ANSWER_WH_TEMPLATE = "The documents do not say {clause}."
NO_ANSWER_TEMPLATE = 'The documents do not say anything that answers "{question}".'
UNSUPPORTED_TEMPLATE = (
    'The cited evidence does not support the answer "{answer}": {problems}. Read the cited passages instead.'
)
"""The reply when the deterministic checks find the answer at odds with the quotes it cites."""
NUMBER_PROBLEM_TEMPLATE = "the cited passages do not contain {numbers}"
ANSWER_NEGATES_TEMPLATE = 'the answer negates ("{cue}") what the cited passages state without negation'
QUOTE_NEGATES_TEMPLATE = 'the cited passages negate ("{cue}") what the answer states without negation'

_WH_WORDS = ("what", "which", "who", "whom", "whose", "when", "where", "why", "how")


class Turn(BaseModel):
    """One earlier exchange of a conversation."""

    model_config = ConfigDict(frozen=True)

    question: str
    answer: str
    entity_ids: list[str] = Field(default_factory=list)


class Citation(BaseModel):
    """A cited passage that was checked against the stored document."""

    model_config = ConfigDict(frozen=True)

    evidence_id: str
    doc_id: str
    page: int
    start: int
    end: int
    quote: str


class AnswerResult(BaseModel):
    """The agent's reply: the text, its checked citations, and what was dropped.

    ``supported`` is True only when the answer has citations and passes ``check_support``; ``problems``
    says why an answer with citations is not supported.
    """

    text: str
    citations: list[Citation] = Field(default_factory=list)
    supported: bool = False
    problems: list[str] = Field(default_factory=list)
    dropped_citations: int = 0
    usage: Usage = Field(default_factory=Usage)


class AnswerInput(TypedDict):
    """What the answer node reads from the query state."""

    question: str
    history: list[Turn]
    evidence: list[EvidenceItem]


class AnswerDeps(Protocol):
    """What the answer node needs from the runtime context."""

    llm: LLM

    def doc_text(self, doc_id: str) -> str | None:
        """Return a document's text, or None when it is not in the workspace."""
        ...


@functools.cache
def output_model(n_evidence: int) -> type[BaseModel]:
    """Return the output schema for ``n_evidence`` passages: ids are a closed list ``E1``..``En``."""
    ids = tuple(f"E{i}" for i in range(1, n_evidence + 1))
    return create_model(
        f"AnswerOutput{n_evidence}",
        __config__=ConfigDict(extra="forbid", frozen=True),
        evidence_ids=(list[Literal[ids]], Field(max_length=MAX_CITATIONS)),  # type: ignore[valid-type]
        answer=(str, Field(max_length=MAX_ANSWER_CHARS)),
    )


def no_answer(question: str) -> str:
    """Return the fixed reply for a question the documents do not answer."""
    q = " ".join(question.split()).rstrip("?.! ")
    first = q.split(" ", 1)[0].casefold() if q else ""
    if first in _WH_WORDS:
        return NO_ANSWER_WH_TEMPLATE.format(clause=q[0].lower() + q[1:])
    return NO_ANSWER_TEMPLATE.format(question=question.strip())


def build_messages(
    question: str, evidence: Sequence[EvidenceItem], history: Sequence[Turn] = ()
) -> list[Message]:
    """Return the chat messages: the fixed prefix, earlier turns, then evidence and question."""
    messages = [Message(role="system", content=SYSTEM_PROMPT)]
    for turn in history:
        messages.append(
            Message(role="user", content=HISTORY_QUESTION_TEMPLATE.format(question=turn.question))
        )
        messages.append(Message(role="assistant", content=HISTORY_ANSWER_TEMPLATE.format(answer=turn.answer)))
    lines = [
        EVIDENCE_LINE_TEMPLATE.format(
            evidence_id=ev.evidence_id,
            page=ev.page,
            quote=" ".join(ev.quote.split()),
            fact=FACT_TEMPLATE.format(fact=ev.fact) if ev.fact else "",
        )
        for ev in evidence
    ]
    messages.append(
        Message(role="user", content=USER_TEMPLATE.format(evidence="\n".join(lines), question=question))
    )
    return messages


def check_citations(
    cited: Sequence[str], evidence: Sequence[EvidenceItem], doc_text: Callable[[str], str | None]
) -> tuple[list[Citation], int]:
    """Keep the cited ids that are in the evidence list and whose offsets reproduce their quote.

    Returns:
        The checked citations in citation order (duplicates removed) and how many were dropped.
    """
    by_id = {ev.evidence_id: ev for ev in evidence}
    kept: list[Citation] = []
    dropped = 0
    for evidence_id in dict.fromkeys(cited):
        ev = by_id.get(evidence_id)
        text = doc_text(ev.doc_id) if ev else None
        if ev is None or text is None or text[ev.start : ev.end] != ev.quote:
            log.warning("dropped citation %s: not a passage of the workspace", evidence_id)
            dropped += 1
            continue
        kept.append(
            Citation(**ev.model_dump(include={"evidence_id", "doc_id", "page", "start", "end", "quote"}))
        )
    return kept, dropped


_CITE_MARK = re.compile(r"\s*\[(E\d+)\]")
_WORD = re.compile(r"\w+")


def _content_words(text: str) -> set[str]:
    words = {w.casefold() for w in _WORD.findall(text)}
    return {
        w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if len(w) > 2 and w not in STOPWORDS
    }


def attribute(text: str, evidence: Sequence[EvidenceItem], min_support: float = MIN_SUPPORT) -> list[str]:
    """Return the ids of the passages holding at least ``min_support`` of the answer's content words.

    Small models often answer from a passage but leave ``evidence_ids`` empty; this finds the passage
    the answer was taken from (best first, at most two), or nothing when no passage supports it.
    """
    words = _content_words(text)
    if not words:
        return []
    scored = [(len(words & _content_words(ev.quote)) / len(words), ev.evidence_id) for ev in evidence]
    return [i for score, i in sorted(scored, key=lambda x: -x[0])[:2] if score >= min_support]


_NUMBER = re.compile(r"(?<![^\W\d_])\d+(?:[.,]\d+)*")
"""A number not glued to letters (``4.1``, ``1,200``; not the ``1`` of ``HbA1c``)."""
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
NEGATIONS = frozenset({"not", "no", "never", "without", "none", "neither", "nor", "cannot", "nothing"})
"""Words that negate what follows; any word ending in ``n't`` does too."""
_NEGATION_SCOPE = 6
"""Words after a negation that it applies to (up to the end of the clause)."""
_TOKEN = re.compile(r"\w+(?:'\w+)?|[,;:.!?()]")


def numbers_in(text: str) -> set[str]:
    """Return the numbers written in ``text``, normalised (``1,200`` is ``1200``, ``4.10`` is ``4.1``)."""
    out = set()
    for raw in _NUMBER.findall(text):
        raw = raw.rstrip(".,")
        value = raw.replace(",", "") if _THOUSANDS.fullmatch(raw) else raw.replace(",", ".")
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        out.add(re.sub(r"^0+(?=\d)", "", value))
    return out


def _is_negation(word: str) -> bool:
    w = word.casefold().replace("\u2019", "'")
    return w in NEGATIONS or w.endswith("n't")


def negations(text: str) -> list[tuple[str, set[str]]]:
    """Return each negation of ``text`` with the content words it applies to (to the clause end)."""
    tokens = _TOKEN.findall(text)
    out = []
    for i, tok in enumerate(tokens):
        if not _is_negation(tok):
            continue
        scope: list[str] = []
        for nxt in tokens[i + 1 : i + 1 + _NEGATION_SCOPE]:
            if not nxt[0].isalnum():
                break
            scope.append(nxt)
        out.append((tok, _content_words(" ".join(scope))))
    return out


def check_support(text: str, quotes: Sequence[str]) -> list[str]:
    """Return why the cited ``quotes`` do not support the answer ``text`` (empty when they may).

    Deterministic and strict where it can be: every number of the answer must be in the quotes, and a
    negation in the answer needs one in the quotes. A negation in the quotes counts against an answer
    without one only when it applies to words the answer uses (quotes often negate something else).
    """
    problems = []
    joined = " ".join(quotes)
    missing = sorted(numbers_in(text) - numbers_in(joined))
    if missing:
        problems.append(NUMBER_PROBLEM_TEMPLATE.format(numbers=", ".join(missing)))
    said, quoted = negations(text), negations(joined)
    if said and not quoted:
        problems.append(ANSWER_NEGATES_TEMPLATE.format(cue=said[0][0]))
    words = _content_words(text)
    relevant = [cue for cue, scope in quoted if scope & words]
    if relevant and not said:
        problems.append(QUOTE_NEGATES_TEMPLATE.format(cue=relevant[0]))
    return problems


async def answer(
    question: str,
    evidence: Sequence[EvidenceItem],
    llm: LLM,
    doc_text: Callable[[str], str | None],
    history: Sequence[Turn] = (),
) -> AnswerResult:
    """Answer ``question`` from ``evidence`` with checked citations, or say the documents do not say."""
    if not evidence:
        log.info("no evidence for %r: not calling the model", question)
        return AnswerResult(text=no_answer(question))
    completion = await llm.complete(
        build_messages(question, evidence, history),
        output_model(len(evidence)),
        sampling=Sampling(max_tokens=MAX_TOKENS),
        tag=CallTag(agent=AGENT),
    )
    out: Any = completion.value
    text = _CITE_MARK.sub("", out.answer).strip()
    cited = list(out.evidence_ids) or attribute(text, evidence)
    citations, dropped = check_citations(cited, evidence, doc_text)
    if not text or not citations:
        return AnswerResult(text=no_answer(question), dropped_citations=dropped, usage=completion.usage)
    problems = check_support(text, [c.quote for c in citations])
    if problems:
        log.info("answer %r not supported by its citations: %s", text, "; ".join(problems))
        text = UNSUPPORTED_TEMPLATE.format(answer=text, problems="; ".join(problems))
    return AnswerResult(
        text=text,
        citations=citations,
        supported=not problems,
        problems=problems,
        dropped_citations=dropped,
        usage=completion.usage,
    )


async def answer_node(state: AnswerInput, runtime: Runtime[AnswerDeps]) -> dict[str, AnswerResult]:
    """LangGraph node: answer the state's question from its evidence."""
    deps = runtime.context
    result = await answer(state["question"], state["evidence"], deps.llm, deps.doc_text, state["history"])
    return {"answer": result}
