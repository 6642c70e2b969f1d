"""Format retrieved demonstrations as few-shot chat turns (user: text, assistant: the JSON answer).

The answers are written in exactly the JSON shape the agents' output models ask for, so a demonstration
teaches the format as well as the task.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from factloom.tools.demos import Demonstration, DemoRelation
from factloom.tools.grounding import sentence_bounds
from factloom.tools.llm.base import Message
from factloom.tools.output_models import MAX_EVIDENCE_CHARS, MAX_REASONING_CHARS


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
    head, tail = text.find(relation.head), text.find(relation.tail)
    if head < 0 or tail < 0:
        return f"{relation.head} ... {relation.tail}"
    start, end = min(head, tail), max(head + len(relation.head), tail + len(relation.tail))
    span = " ".join(text[start:end].split())
    if len(span) <= limit:
        return span
    return f"{span[: limit // 2].rstrip()} ... {span[-limit // 2 :].lstrip()}"


def _sentence_of(text: str, relation: DemoRelation) -> str:
    """Return the sentence(s) of a demonstration that name both entities of ``relation``, as evidence."""
    head, tail = text.find(relation.head), text.find(relation.tail)
    if head < 0 or tail < 0:
        return text.strip()[:MAX_EVIDENCE_CHARS]
    start, end = sentence_bounds(
        text, min(head, tail), max(head + len(relation.head), tail + len(relation.tail))
    )
    return text[start:end].strip()[:MAX_EVIDENCE_CHARS]
