"""The scripted model of the Ray tests: ``tools.llm.scripted.RULES``, optionally slow and telling its worker.

It lives outside the test module so that Ray workers import it by reference without importing a test
module (and pytest's fixtures with it).
"""

from __future__ import annotations

import functools
import os
import time
import typing
from pathlib import Path

from pydantic import BaseModel

from factloom.tools.llm.base import Message
from factloom.tools.llm.scripted import RULES, ScriptedLLM, entities_by_name


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
    script = {**RULES, "entity_finder": entities}
    if delay or busy:
        script = {agent: functools.partial(_slow, f, delay, busy) for agent, f in script.items()}
    return ScriptedLLM(script)  # type: ignore[arg-type]
