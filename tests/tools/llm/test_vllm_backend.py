"""The vLLM in-process backend, without vLLM: the install hint, the request, the batching."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import BaseModel

from factloom.tools.errors import LLMRequestError, LLMUnavailableError
from factloom.tools.llm.base import Message, Sampling
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.factory import make_llm
from factloom.tools.llm.structured import output_schema
from factloom.tools.llm.vllm_backend import VLLMBackend, sampling_kwargs


class Label(BaseModel):
    label: str


def test_without_vllm_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # what an absent package looks like to import
    with pytest.raises(LLMUnavailableError, match=r"pip install 'factloom\[vllm\]'"):
        make_llm(BackendConfig(backend="vllm", model="Qwen/Qwen3-0.6B"))


def test_the_request_asks_for_structured_outputs_json() -> None:
    schema = output_schema(Label)
    kwargs = sampling_kwargs(Sampling(max_tokens=30, temperature=0.0, seed=7), schema)
    assert kwargs == {"max_tokens": 30, "temperature": 0.0, "seed": 7, "structured_outputs": {"json": schema}}


@dataclass
class _Out:
    text: str
    token_ids: list[int]
    finish_reason: str = "stop"


@dataclass
class _Result:
    outputs: list[_Out]
    prompt_token_ids: list[int]
    num_cached_tokens: int = 0


@dataclass
class FakeEngine:
    """Stands in for ``vllm.LLM``: records each ``chat`` batch and answers in order."""

    replies: list[str]
    batches: list[list[Any]] = field(default_factory=list)

    def chat(self, conversations: list[Any], sampling_params: list[Any], use_tqdm: bool) -> list[_Result]:
        self.batches.append(conversations)
        if any("too long" in c[-1]["content"] for c in conversations):
            raise ValueError("prompt is longer than max_model_len")
        return [_Result([_Out(self.replies.pop(0), [1, 2, 3])], [9] * 12, 8) for _ in conversations]


async def test_concurrent_calls_go_to_vllm_as_one_batch() -> None:
    engine = FakeEngine(['{"label": "a"}', '{"label": "b"}', '{"label": "c"}'])
    llm = VLLMBackend(engine, "m", make_params=lambda kwargs: kwargs)
    asks = [[Message(role="user", content=f"text {i}")] for i in range(3)]
    done = await asyncio.gather(*(llm.complete(a, Label) for a in asks))
    assert [d.value.label for d in done] == ["a", "b", "c"]
    assert len(engine.batches) == 1 and len(engine.batches[0]) == 3
    assert done[0].usage.prompt_tokens == 12 and done[0].usage.cached_prompt_tokens == 8


async def test_a_refused_batch_fails_its_callers_instead_of_hanging() -> None:
    llm = VLLMBackend(FakeEngine([]), "m", make_params=lambda kwargs: kwargs)
    with pytest.raises(LLMRequestError, match="max_model_len"):
        await asyncio.wait_for(llm.complete([Message(role="user", content="too long")], Label), timeout=10)
