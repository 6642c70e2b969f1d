"""A scripted model: answers by agent (the call's tag), from fixed values or functions, with no model at all.

For wiring tests, trying a set-up without a model, and benchmarks of the orchestration (as llama-index's
``MockLLM``); never evidence of extraction quality. It validates answers against the requested output
model exactly as a backend does, so a script that does not fit the schema fails the way a real model's
bad output would (``LLMOutputError``). ``RULES`` is a script that needs no data: answers depend on the
prompt only. ``bench/scripted_server.py`` serves scripted answers over the OpenAI API, as a real process.
"""

from __future__ import annotations

import json
import re
import typing
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


NAME = re.compile(r"\b[A-Z][a-z]{2,}(?: [A-Z][a-z]{2,})*\b")


def entities_by_name(messages: list[Message], output: type[BaseModel]) -> dict:
    """Answer the entity finder with the capitalised names of the chunk (at most six)."""
    names = list(dict.fromkeys(NAME.findall(messages[-1].content)))[:6]
    return {"entities": [{"text": n, "type": "name" if " " in n else "term"} for n in names]}


def relations_in_sentences(messages: list[Message], output: type[BaseModel]) -> dict:
    """Answer the relation reasoner with one ``related_to`` per sentence that holds two of the mentions."""
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


def all_supported(messages: list[Message], output: type[BaseModel]) -> dict:
    """Answer the verifier: every fact is supported."""
    n = messages[-1].content.count("Fact:")
    return {
        "verdicts": [
            {"fact": i, "rationale": "the evidence states it", "verdict": "supported", "confidence": 0.9}
            for i in range(1, n + 1)
        ]
    }


RULES: dict[str, Responder] = {
    "entity_finder": entities_by_name,
    "relation_reasoner": relations_in_sentences,
    "verifier": all_supported,
}
"""A script whose answers depend on the prompt only (no names or relations to give)."""
