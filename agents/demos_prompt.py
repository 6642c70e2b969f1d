"""Format retrieved demonstrations as few-shot chat turns (user: text, assistant: the JSON answer).

The answers are written in exactly the JSON shape the agents' output models ask for, so a demonstration
teaches the format as well as the task.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol

from factloom.tools.llm.base import Message


class _Span(Protocol):
    text: str
    type: str


class _Link(Protocol):
    head: str
    type: str
    tail: str


class DemonstrationLike(Protocol):
    """The parts of a ``tools.demos.Demonstration`` the prompts use."""

    text: str

    @property
    def entities(self) -> Sequence[_Span]: ...

    @property
    def relations(self) -> Sequence[_Link]: ...


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def entity_demo_messages(demos: Sequence[DemonstrationLike], user_template: str) -> list[Message]:
    """Return one user/assistant turn pair per demonstration for the entity finder."""
    turns: list[Message] = []
    for demo in demos:
        answer = {"entities": [{"text": e.text, "type": e.type} for e in demo.entities]}
        turns.append(Message(role="user", content=user_template.format(text=demo.text)))
        turns.append(Message(role="assistant", content=_dumps(answer)))
    return turns


def relation_demo_messages(
    demos: Sequence[DemonstrationLike], user_template: str, *, cot: bool
) -> list[Message]:
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
        answer: dict[str, object] = {"reasoning": "The text states these relations."} if cot else {}
        answer["relations"] = relations
        user = user_template.format(text=demo.text, mentions=mentions, registry="", context="", feedback="")
        turns.append(Message(role="user", content=user))
        turns.append(Message(role="assistant", content=_dumps(answer)))
    return turns


def _sentence_of(text: str, relation: _Link) -> str:
    """Return the demonstration's text as evidence (demonstrations are one or two sentences)."""
    return text.strip()[:240]
