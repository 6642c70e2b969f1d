"""Send the calls of some agents to another model: e.g. the verifier on a larger model than extraction.

Checking a fact is a smaller job than finding it, and a common cost split runs extraction on a small
model and verification on a larger one. ``AgentRouter`` is an ``LLM`` that picks the model per call from
the call's tag (``CallTag.agent``); its name names every model, so cached results and finished chunks of
a run with another split are not reused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel

from factloom.tools.llm.base import LLM, CallTag, Completion, Message, Sampling
from factloom.tools.llm.structured import DEFAULT_SAMPLING, DEFAULT_TAG

T = TypeVar("T", bound=BaseModel)


class AgentRouter:
    """An ``LLM`` that answers the calls of the agents in ``routes`` with their own model.

    Args:
        default: the model of every other agent.
        routes: agent name (``"verifier"``) -> the model that answers its calls.
    """

    def __init__(self, default: LLM, routes: Mapping[str, LLM]) -> None:
        self.default = default
        self.routes = dict(routes)
        self.name = default.name + "".join(
            f"+{agent}={llm.name}" for agent, llm in sorted(self.routes.items())
        )

    async def complete(
        self,
        messages: list[Message],
        output: type[T],
        *,
        sampling: Sampling = DEFAULT_SAMPLING,
        tag: CallTag = DEFAULT_TAG,
    ) -> Completion[T]:
        """Return the answer of the model that serves ``tag.agent``."""
        llm = self.routes.get(tag.agent, self.default)
        return await llm.complete(messages, output, sampling=sampling, tag=tag)
