"""Calls in flight are bounded at the LLM, and queued calls do not pile onto a dead server."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

from factloom.tools.errors import LLMUnavailableError
from factloom.tools.llm import limit
from factloom.tools.llm.base import Completion, Message
from factloom.tools.llm.limit import LimitedLLM

ASK = [Message(role="user", content="hi")]


class Out(BaseModel):
    ok: bool = True


class Server:
    """A fake server: each call takes ``seconds``; while ``down`` it refuses after that time."""

    name = "fake"

    def __init__(self, seconds: float = 0.02) -> None:
        self.seconds, self.down, self.calls, self.live, self.peak = seconds, False, 0, 0, 0

    async def complete(self, messages, output, **kw):
        self.calls += 1
        self.live += 1
        self.peak = max(self.peak, self.live)
        try:
            await asyncio.sleep(self.seconds)
            if self.down:
                raise LLMUnavailableError("http://127.0.0.1:9/v1: cannot reach the server")
            return Completion(value=Out())
        finally:
            self.live -= 1


async def test_at_most_limit_calls_run_at_once() -> None:
    server = Server()
    llm = LimitedLLM(server, 3)
    done = await asyncio.gather(*(llm.complete(ASK, Out) for _ in range(10)))
    assert len(done) == 10 and server.peak == 3 and llm.name == "fake"


async def test_calls_queued_behind_a_dead_server_fail_at_once_without_calling_it() -> None:
    server = Server(seconds=0.05)
    server.down = True
    llm = LimitedLLM(server, 2)
    results = await asyncio.gather(*(llm.complete(ASK, Out) for _ in range(50)), return_exceptions=True)
    assert all(isinstance(r, LLMUnavailableError) and "cannot reach" in str(r) for r in results)
    assert server.calls == 2, "only the calls in flight when it died reached the server"


async def test_after_the_cooldown_a_call_tries_again_and_a_server_back_serves_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limit, "COOLDOWN_S", 0.05)
    server = Server(seconds=0.0)
    server.down = True
    llm = LimitedLLM(server, 1)
    with pytest.raises(LLMUnavailableError):
        await llm.complete(ASK, Out)
    with pytest.raises(LLMUnavailableError):
        await llm.complete(ASK, Out)  # within the cooldown: not sent
    assert server.calls == 1
    await asyncio.sleep(0.06)
    server.down = False
    assert (await llm.complete(ASK, Out)).value.ok and server.calls == 2


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LimitedLLM(Server(), 0)
