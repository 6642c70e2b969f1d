"""A scripted LLM for wiring tests: answers by agent (the call's tag), from fixed values or functions.

It validates answers against the requested output model exactly as a backend does, so a script that
does not fit the schema fails the way a real model's bad output would (``LLMOutputError``). It is never
evidence of extraction quality.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from factloom.tools.errors import LLMOutputError
from factloom.tools.llm.base import CallTag, Completion, Message, Sampling, Usage

Answer = dict[str, Any] | BaseException
Responder = Callable[[list[Message], type[BaseModel]], Answer]
Script = Answer | list[Answer] | Responder
_SAMPLING = Sampling()
_TAG = CallTag()


@dataclass
class Call:
    """One recorded call."""

    tag: CallTag
    messages: list[Message]
    output: type[BaseModel]


@dataclass
class ScriptedLLM:
    """An ``LLM`` whose answers are scripted per agent.

    Args:
        script: per agent name, one answer (used for every call), a list (one per call, in order; the
            last repeats), or a function of the messages and output model. An exception answer is raised.
        default: the answer for agents the script does not name (empty lists by default).
    """

    script: Mapping[str, Script] = field(default_factory=dict)
    default: Script | None = None
    name: str = "scripted"
    calls: list[Call] = field(default_factory=list)

    def _answer(self, agent: str, n: int, messages: list[Message], output: type[BaseModel]) -> Answer:
        script = self.script.get(agent, self.default)
        if script is None:
            return {key: [] for key, f in output.model_fields.items() if "list" in str(f.annotation)}
        if isinstance(script, list):
            return script[min(n, len(script) - 1)]
        if callable(script) and not isinstance(script, BaseException):
            return script(messages, output)
        return script

    async def complete(
        self,
        messages: list[Message],
        output: type[BaseModel],
        *,
        sampling: Sampling = _SAMPLING,
        tag: CallTag = _TAG,
    ) -> Completion:
        """Return the scripted answer for ``tag.agent``, validated as ``output``."""
        n = sum(1 for c in self.calls if c.tag.agent == tag.agent)
        self.calls.append(Call(tag, messages, output))
        answer = self._answer(tag.agent, n, messages, output)
        if isinstance(answer, BaseException):
            raise answer
        raw = json.dumps(answer)
        prompt = sum(len(m.content) for m in messages) // 4
        usage = Usage(calls=1, prompt_tokens=prompt, completion_tokens=len(raw) // 4)
        try:
            value = output.model_validate(answer)
        except ValidationError as e:
            # Like a real backend: a failed call still cost its tokens.
            raise LLMOutputError(f"scripted answer does not fit {output.__name__}: {e}", raw, usage) from e
        return Completion(value=value, usage=usage, raw=raw)

    def calls_of(self, agent: str) -> list[Call]:
        """Return the calls one agent made."""
        return [c for c in self.calls if c.tag.agent == agent]
