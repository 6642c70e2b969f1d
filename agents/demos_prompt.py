"""Format retrieved demonstrations as few-shot chat turns (user: text, assistant: the JSON answer).

The answers are written in exactly the JSON shape the agents' output models ask for, so a demonstration
teaches the format as well as the task.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from factloom.ingest.sentences import sentence_span
from factloom.tools.extraction.demos import Demonstration, DemoRelation
from factloom.tools.extraction.output_models import MAX_EVIDENCE_CHARS, MAX_REASONING_CHARS
from factloom.tools.llm.base import Message


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def entity_demo_messages(demos: Sequence[Demonstration], user_template: str) -> list[Message]:
    """Return one user/assistant turn pair per demonstration for the entity finder."""
    turns: list[Message] = []
    for demo in demos:
        answer = {"entities": [{"text": e.text, "type": e.type} for e in demo.entities]}
        turns.append(Message(role="user", content=user_template.format(text=demo.text)))
        turns.append(Message(role="assistant", content=_dumps(answer)))
    return turns


def relation_demo_messages(demos: Sequence[Demonstration], user_template: str, *, cot: bool) -> list[Message]:
    """Return one user/assistant turn pair per demonstration that has relations, for the reasoner."""
    turns: list[Message] = []
    for demo in demos:
        if not demo.relations:
            continue
        mentions = "\n".join(f"- {e.text} ({e.type})" for e in demo.entities)
        relations = [
            {"head": r.head, "type": r.type, "tail": r.tail, "evidence": _sentence_of(demo.text, r)}
            for r in demo.relations
        ]
        answer: dict[str, object] = {"reasoning": demo_reasoning(demo)} if cot else {}
        answer["relations"] = relations
        user = user_template.format(text=demo.text, mentions=mentions, registry="", context="", feedback="")
        turns.append(Message(role="user", content=user))
        turns.append(Message(role="assistant", content=_dumps(answer)))
    return turns


def demo_reasoning(demo: Demonstration) -> str:
    """Return a demonstration's reasoning: for each gold relation, the entities it joins and what states it.

    Written from the gold labels alone (no model call), so it always names both arguments and the words
    of the text that hold them; it shows the model the reasoning to write, not a fixed formula.
    """
    parts = [
        f'"{_linking_words(demo.text, r)}": {r.head} {r.type.replace("_", " ")} {r.tail}.'
        for r in demo.relations
    ]
    return " ".join(parts)[:MAX_REASONING_CHARS]


def _linking_words(text: str, relation: DemoRelation, limit: int = 90) -> str:
    """Return the shortest stretch of ``text`` from one argument to the other (its middle cut when long)."""
    found = _arguments_span(text, relation)
    if found is None:
        return f"{relation.head} ... {relation.tail}"
    span = " ".join(text[found[0] : found[1]].split())
    if len(span) <= limit:
        return span
    return f"{span[: limit // 2].rstrip()} ... {span[-limit // 2 :].lstrip()}"


def _arguments_span(text: str, relation: DemoRelation) -> tuple[int, int] | None:
    """Return the span from one argument of ``relation`` to the end of the other (None: one is absent)."""
    head, tail = text.find(relation.head), text.find(relation.tail)
    if head < 0 or tail < 0:
        return None
    return min(head, tail), max(head + len(relation.head), tail + len(relation.tail))


def _sentence_of(text: str, relation: DemoRelation) -> str:
    """Return the sentence(s) of a demonstration that name both entities of ``relation``, as evidence."""
    found = _arguments_span(text, relation)
    if found is None:
        return text.strip()[:MAX_EVIDENCE_CHARS]
    start, end = sentence_span(text, *found)
    return text[start:end].strip()[:MAX_EVIDENCE_CHARS]
