"""The one interface every agent uses to call a language model.

``await llm.complete(messages, OutputModel, ...)`` returns a validated ``OutputModel``
instance plus token usage. Backends differ only in how they constrain decoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T", bound=BaseModel)


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class Usage(BaseModel):
    """Token and time accounting of one or more calls."""

    calls: int = 0
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    cache_hits: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            cached_prompt_tokens=self.cached_prompt_tokens + other.cached_prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            seconds=self.seconds + other.seconds,
            cache_hits=self.cache_hits + other.cache_hits,
        )


@dataclass(frozen=True)
class Sampling:
    """Sampling parameters; part of the call-cache key."""

    max_tokens: int = 512
    temperature: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class CallTag:
    """Who made a call, for token accounting (agent name, document)."""

    agent: str = ""
    doc_id: str | None = None


@dataclass
class Completion(Generic[T]):
    """A validated model output and what it cost."""

    value: T
    usage: Usage = field(default_factory=Usage)
    raw: str = ""


class LLM(Protocol):
    """An async chat model that returns validated structured output."""

    name: str

    async def complete(
        self,
        messages: list[Message],
        output: type[T],
        *,
        sampling: Sampling = ...,
        tag: CallTag = ...,
    ) -> Completion[T]:
        """Return ``output`` parsed from the model's reply to ``messages``."""
        ...
