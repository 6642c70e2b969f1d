"""Bound the model calls in flight at the LLM, and stop queued calls from piling onto a dead server.

LangGraph's ``max_concurrency`` wraps each queued task's coroutine in a semaphore gate; when a run fails
(the server died) the queued tasks are cancelled before they start, and every one of them leaves
``RuntimeWarning: coroutine 'arun_with_retry' was never awaited`` (langgraph 1.2, ``pregel/_executor.py``
``gated``). Bounding the calls here gives the same bound on requests, also for agents that issue several
calls from one node, and cancelling a waiting call is clean.

A call that waited for its slot while another call found the server unavailable, or that starts less
than ``COOLDOWN_S`` after such a failure, fails at once with the same error instead of trying the
server itself: the caller's retry policy (LangGraph's, whose first backoff is longer) then retries it,
as it retries the call that failed. So a dead server sees a few calls per retry round (as under
``max_concurrency``), not one per queued chunk, and a run over a thousand chunks stops as fast as a
run over two; a server that comes back serves the retries.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, TypeVar

from pydantic import BaseModel

from factloom.tools.errors import LLMUnavailableError
from factloom.tools.llm.base import LLM, Completion, Message

T = TypeVar("T", bound=BaseModel)

COOLDOWN_S = 0.5
"""After a call found the server unavailable, calls starting within this many seconds fail at once."""


class LimitedLLM:
    """An ``LLM`` that lets at most ``limit`` calls of ``inner`` run at once; the others wait their turn.

    Args:
        inner: the backend (or cache) to call.
        limit: the most calls in flight.
    """

    def __init__(self, inner: LLM, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"the limit of calls in flight must be at least 1, not {limit}")
        self.inner = inner
        self.name = inner.name
        self.limit = limit
        self.in_flight = 0
        self._semaphore = asyncio.Semaphore(limit)
        self._failures = 0
        self._last_failure: LLMUnavailableError | None = None
        self._failed_at = float("-inf")

    async def complete(self, messages: list[Message], output: type[T], **kwargs: Any) -> Completion[T]:
        """Wait for a free slot, then return ``inner``'s completion.

        Raises:
            LLMUnavailableError: ``inner`` raised it, or raised it for another call while this one waited.
        """
        failures_before = self._failures
        async with self._semaphore:
            recent = time.monotonic() - self._failed_at < COOLDOWN_S
            if self._last_failure is not None and (recent or self._failures != failures_before):
                raise LLMUnavailableError(str(self._last_failure)) from self._last_failure
            self.in_flight += 1
            try:
                return await self.inner.complete(messages, output, **kwargs)
            except LLMUnavailableError as e:
                self._failures += 1
                self._last_failure, self._failed_at = e, time.monotonic()
                raise
            finally:
                self.in_flight -= 1
