"""The workspace call cache and the token accounting (real SQLite, a scripted model)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import pytest
from pydantic import BaseModel

from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMOutputError
from factloom.tools.llm.base import CallTag, Completion, Message, Sampling, Usage
from factloom.tools.llm.cache import CachedLLM, cache_key, usage_report
from factloom.tools.llm.structured import DEFAULT_SAMPLING, DEFAULT_TAG

T = TypeVar("T", bound=BaseModel)


class Answer(BaseModel):
    value: int


class Other(BaseModel):
    value: int
    extra: str


class Counting:
    """A scripted backend: answers ``{"value": n}`` with n the number of calls so far."""

    name = "scripted:counting"

    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    async def complete(
        self,
        messages: list[Message],
        output: type[T],
        *,
        sampling: Sampling = DEFAULT_SAMPLING,
        tag: CallTag = DEFAULT_TAG,
    ) -> Completion[T]:
        self.calls += 1
        usage = Usage(calls=1, prompt_tokens=100, cached_prompt_tokens=40, completion_tokens=7, seconds=0.5)
        if self.fail:
            raise LLMOutputError("no JSON", raw="nope", usage=usage)
        raw = f'{{"value": {self.calls}}}'
        return Completion(value=output.model_validate_json(raw), usage=usage, raw=raw)


ASK = [Message(role="system", content="count"), Message(role="user", content="go")]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    with Workspace(tmp_path / "ws") as workspace:
        yield workspace


async def test_an_identical_call_is_served_from_sqlite_with_zero_tokens(ws: Workspace) -> None:
    inner = Counting()
    llm = CachedLLM(inner, ws)
    first = await llm.complete(ASK, Answer, tag=CallTag("finder", "doc1"))
    second = await llm.complete(ASK, Answer, tag=CallTag("finder", "doc1"))
    assert inner.calls == 1
    assert second.value == first.value == Answer(value=1)
    assert second.usage.cache_hits == 1
    assert (second.usage.prompt_tokens, second.usage.completion_tokens) == (0, 0)


async def test_the_cache_survives_reopening_the_workspace(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        await CachedLLM(Counting(), ws).complete(ASK, Answer)
    inner = Counting()
    with Workspace(tmp_path / "ws") as ws:
        again = await CachedLLM(inner, ws).complete(ASK, Answer)
    assert inner.calls == 0 and again.usage.cache_hits == 1


@pytest.mark.parametrize(
    "change",
    [
        {"messages": [*ASK, Message(role="user", content="again")]},
        {"output": Other},
        {"sampling": Sampling(temperature=0.7)},
        {"sampling": Sampling(max_tokens=9)},
    ],
    ids=["messages", "schema", "temperature", "max_tokens"],
)
def test_the_key_covers_messages_schema_and_sampling(change: dict[str, object]) -> None:
    base = {"messages": ASK, "output": Answer, "sampling": Sampling()}
    assert cache_key("b", **base) != cache_key("b", **(base | change))
    assert cache_key("b", **base) != cache_key("other-backend", **base)
    assert cache_key("b", **base) == cache_key("b", **base)


async def test_no_cache_asks_again_and_refreshes_the_stored_answer(ws: Workspace) -> None:
    inner = Counting()
    await CachedLLM(inner, ws).complete(ASK, Answer)
    fresh = await CachedLLM(inner, ws, no_cache=True).complete(ASK, Answer)
    assert inner.calls == 2 and fresh.value.value == 2 and fresh.usage.cache_hits == 0
    served = await CachedLLM(inner, ws).complete(ASK, Answer)
    assert served.value.value == 2, "the bypassing call stored its answer"


async def test_usage_is_summed_per_agent_and_per_document(ws: Workspace) -> None:
    llm = CachedLLM(Counting(), ws)
    await llm.complete(ASK, Answer, tag=CallTag("finder", "doc1"))
    await llm.complete(ASK, Answer, tag=CallTag("finder", "doc2"))  # cache hit
    await llm.complete([*ASK, ASK[1]], Answer, tag=CallTag("verifier", "doc2"))
    with pytest.raises(LLMOutputError):
        await CachedLLM(Counting(fail=True), ws).complete(ASK, Other, tag=CallTag("verifier", None))
    report = usage_report(ws)
    assert report.total.calls == 4 and report.total.cache_hits == 1
    assert report.by_agent["finder"].prompt_tokens == 100, "the cache hit cost nothing"
    assert report.by_agent["verifier"].completion_tokens == 14, "failed calls still cost tokens"
    assert report.by_agent["verifier"].cached_prompt_tokens == 80
    assert report.by_document["doc2"].calls == 2 and report.by_document["doc2"].cache_hits == 1
    assert report.by_document[""].calls == 1
    assert report.failed_calls == 1


def test_an_empty_workspace_reports_no_usage(ws: Workspace) -> None:
    report = usage_report(ws)
    assert report.total == Usage() and report.by_agent == {} and report.failed_calls == 0
