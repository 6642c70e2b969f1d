"""The scripted model of the Ray tests and of bench/scale.py: answers depend on the prompt only.

It lives outside the test module so that Ray workers and the benchmark import it by reference without
importing a test module (and pytest's fixtures with it).
"""

from __future__ import annotations

import functools
import os
import re
import time
import typing
from pathlib import Path

from pydantic import BaseModel

from factloom.tools.llm.base import Message
from tests.fakes import ScriptedLLM

NAME = re.compile(r"\b[A-Z][a-z]{2,}(?: [A-Z][a-z]{2,})*\b")


def entities_by_name(messages: list[Message], output: type[BaseModel]) -> dict:
    """Answer the entity finder with the capitalised names of the chunk (at most six)."""
    names = list(dict.fromkeys(NAME.findall(messages[-1].content)))[:6]
    return {"entities": [{"text": n, "type": "name" if " " in n else "term"} for n in names]}


def _relations(messages: list[Message], output: type[BaseModel]) -> dict:
    text = messages[-1].content.split("\n\nEntities:")[0].removeprefix("Text:\n")
    item = typing.get_args(output.model_fields["relations"].annotation)[0]
    mentions = typing.get_args(item.model_fields["head"].annotation)
    limit = min(getattr(m, "max_length", 10**6) for m in item.model_fields["evidence"].metadata)
    found = []
    for sentence in re.split(r"(?<=[.;])\s+", text):
        inside = [m for m in mentions if m in sentence]
        if len(inside) >= 2 and len(sentence) <= limit:
            found.append({"head": inside[0], "type": "related_to", "tail": inside[1], "evidence": sentence})
    return {"reasoning": "", "relations": found[:8]}


def _verdicts(messages: list[Message], output: type[BaseModel]) -> dict:
    n = messages[-1].content.count("Fact:")
    return {
        "verdicts": [
            {"fact": i, "rationale": "the evidence states it", "verdict": "supported", "confidence": 0.9}
            for i in range(1, n + 1)
        ]
    }


def _slow(
    responder: typing.Callable,
    delay: float,
    busy: Path | None,
    messages: list[Message],
    output: type[BaseModel],
) -> dict:
    if busy is not None:
        (busy / str(os.getpid())).touch()  # tells the test this worker is extracting a document
    time.sleep(delay)
    return responder(messages, output)


def fake_llm(
    delay: float = 0.0, entities: typing.Callable = entities_by_name, busy: Path | None = None
) -> ScriptedLLM:
    """Return the scripted model; answers depend on the prompt only (a worker builds its own).

    Args:
        delay: seconds each call takes.
        entities: the entity finder's answers.
        busy: a folder where each call touches a file named after the worker's PID.
    """
    script = {"entity_finder": entities, "relation_reasoner": _relations, "verifier": _verdicts}
    if delay or busy:
        script = {agent: functools.partial(_slow, f, delay, busy) for agent, f in script.items()}
    return ScriptedLLM(script)  # type: ignore[arg-type]
