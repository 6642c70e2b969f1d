"""The embedded backend with the real SmolLM2 GGUF (llama.cpp in this process)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMRequestError, ModelFileError
from factloom.tools.llm.base import CallTag, Message, Sampling
from factloom.tools.llm.cache import usage_report
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.embedded import EmbeddedBackend, default_model_path
from factloom.tools.llm.factory import make_llm

# One thread: llama.cpp's worker threads spin-wait, so on a shared, oversubscribed machine
# two threads can be 30x slower than one. The default (all cores) is for a machine of one's own.
THREADS = 1
SHORT = Sampling(max_tokens=40)
SYSTEM = Message(
    role="system",
    content="You extract the city a sentence is about and its country. Reply with JSON only.",
)


class City(BaseModel):
    name: str = Field(max_length=40)
    country: Literal["France", "Germany", "Italy", "Japan", "other"]


def ask(sentence: str) -> list[Message]:
    return [SYSTEM, Message(role="user", content=sentence)]


def test_the_default_model_is_the_smollm2_gguf_of_the_package() -> None:
    path = default_model_path()
    assert path.name.endswith(".gguf") and "SmolLM2" in path.name
    assert path.read_bytes()[:4] == b"GGUF"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "absent.gguf", "no such model file"),
        (lambda tmp: tmp, "is a folder"),
        (lambda tmp: _write(tmp / "model.gguf", b"PK\x03\x04 not a model"), "not a GGUF model"),
    ],
    ids=["missing", "folder", "zip-named-gguf"],
)
def test_a_bad_model_path_is_refused_before_loading(tmp_path: Path, make, message: str) -> None:
    path = make(tmp_path)
    with pytest.raises(ModelFileError, match=message) as info:
        make_llm(BackendConfig(model_path=path))
    assert str(path) in str(info.value)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.slow
async def test_the_real_model_returns_a_validated_object() -> None:
    llm = EmbeddedBackend(threads=THREADS)
    done = await llm.complete(ask("Paris is the capital of France."), City, sampling=SHORT)
    assert isinstance(done.value, City) and done.value.name
    assert 0 < done.usage.completion_tokens <= SHORT.max_tokens
    assert done.usage.prompt_tokens > 20 and done.usage.seconds > 0
    assert done.raw.startswith("{") and " " not in done.raw.split('"name"')[0], "compact JSON"


@pytest.mark.slow
async def test_a_shared_prompt_prefix_is_reused_and_reported() -> None:
    llm = EmbeddedBackend(threads=THREADS)
    await llm.complete(ask("Rome is in Italy."), City, sampling=SHORT)
    second = await llm.complete(ask("Kyoto is a city in Japan."), City, sampling=SHORT)
    assert second.usage.cached_prompt_tokens >= 20, "the system prompt was not evaluated again"
    assert second.usage.cached_prompt_tokens < second.usage.prompt_tokens


@pytest.mark.slow
async def test_llama_cpp_grammar_constraint_also_gives_valid_output() -> None:
    llm = EmbeddedBackend(threads=THREADS, constraint="grammar")
    done = await llm.complete(ask("Berlin is the capital of Germany."), City, sampling=SHORT)
    assert isinstance(done.value, City)


@pytest.mark.slow
async def test_a_prompt_longer_than_the_context_is_a_request_error() -> None:
    llm = EmbeddedBackend(threads=THREADS, n_ctx=128)
    with pytest.raises(LLMRequestError, match="exceed context window"):
        await llm.complete(ask("Paris. " * 200), City, sampling=SHORT)


@pytest.mark.slow
async def test_the_workspace_cache_serves_a_repeated_call(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        llm = make_llm(BackendConfig(threads=THREADS), ws)
        tag = CallTag("finder", "doc1")
        first = await llm.complete(ask("Lyon is in France."), City, sampling=SHORT, tag=tag)
        second = await llm.complete(ask("Lyon is in France."), City, sampling=SHORT, tag=tag)
        report = usage_report(ws)
    assert second.value == first.value and second.usage.cache_hits == 1
    assert second.usage.prompt_tokens == second.usage.completion_tokens == 0
    assert report.by_agent["finder"].calls == 2
    assert report.by_document["doc1"].completion_tokens == first.usage.completion_tokens
