"""The vLLM in-process backend for GPU batch jobs (optional extra ``factloom[vllm]``).

``vllm`` is imported only when this backend is built. Calls that arrive together (LangGraph's
fan-out issues many at once) are gathered into one ``LLM.chat`` batch, each request carrying
``SamplingParams(structured_outputs=StructuredOutputsParams(json=schema))``; vLLM's automatic
prefix caching serves the shared prompt prefix.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from factloom.tools.errors import LLMRequestError, LLMUnavailableError
from factloom.tools.llm.base import CallTag, Completion, Message, Sampling, Usage
from factloom.tools.llm.config import BackendConfig, NamedModel
from factloom.tools.llm.registry import register
from factloom.tools.llm.structured import (
    DEFAULT_SAMPLING,
    DEFAULT_TAG,
    JsonSchema,
    RawReply,
    complete_with_repair,
    output_schema,
)

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

INSTALL_HINT = (
    "the vllm backend needs vLLM and a GPU: pip install 'factloom[vllm]', or use --backend embedded|openai"
)

ParamsFactory = Callable[[dict[str, Any]], Any]


def sampling_kwargs(sampling: Sampling, schema: JsonSchema) -> dict[str, Any]:
    """Return the ``SamplingParams`` keyword arguments of one request (structured as ``schema``)."""
    return {
        "max_tokens": sampling.max_tokens,
        "temperature": sampling.temperature,
        "seed": sampling.seed,
        "structured_outputs": {"json": schema},
    }


def import_vllm() -> Any:
    """Return the ``vllm`` module, or raise a clear error when it is not installed."""
    try:
        import vllm
    except ImportError as e:
        raise LLMUnavailableError(f"{INSTALL_HINT} ({e})") from e
    return vllm


def vllm_params(kwargs: dict[str, Any]) -> Any:
    """Return ``vllm.SamplingParams`` built from :func:`sampling_kwargs`."""
    vllm = import_vllm()
    from vllm.sampling_params import StructuredOutputsParams

    structured = StructuredOutputsParams(**kwargs["structured_outputs"])
    rest = {k: v for k, v in kwargs.items() if k != "structured_outputs"}
    return vllm.SamplingParams(**rest, structured_outputs=structured)


@dataclass
class _Pending:
    conversation: list[dict[str, str]]
    params: Any
    future: asyncio.Future[RawReply]


@register("vllm")
class VLLMBackend(NamedModel):
    """An ``LLM`` running in this process on vLLM; concurrent calls are batched.

    Args:
        engine: a ``vllm.LLM`` (anything with its ``chat`` method).
        model: the model's name, for the cache key and the usage table.
        make_params: builds one request's sampling parameters from :func:`sampling_kwargs`.
    """

    def __init__(self, engine: Any, model: str, make_params: ParamsFactory = vllm_params) -> None:
        self.engine = engine
        self.name = f"vllm:{model}"
        self._make_params = make_params
        self._pending: list[_Pending] = []
        self._flush: asyncio.Task[None] | None = None

    @classmethod
    def from_config(cls, config: BackendConfig) -> VLLMBackend:
        """Load the model ``config.model`` into vLLM (once; it takes the GPU)."""
        vllm = import_vllm()
        assert config.model  # checked by BackendConfig
        engine = vllm.LLM(model=config.model, max_model_len=config.n_ctx, enable_prefix_caching=True)
        return cls(engine, config.model)

    async def complete(
        self,
        messages: list[Message],
        output: type[T],
        *,
        sampling: Sampling = DEFAULT_SAMPLING,
        tag: CallTag = DEFAULT_TAG,
    ) -> Completion[T]:
        """Return ``output`` generated under vLLM's structured-output constraint."""
        params = self._make_params(sampling_kwargs(sampling, output_schema(output)))

        async def generate(msgs: list[Message]) -> RawReply:
            return await self._submit([{"role": m.role, "content": m.content} for m in msgs], params)

        return await complete_with_repair(generate, messages, output)

    async def _submit(self, conversation: list[dict[str, str]], params: Any) -> RawReply:
        future: asyncio.Future[RawReply] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(conversation, params, future))
        if self._flush is None or self._flush.done():
            self._flush = asyncio.create_task(self._run_batch())
        return await future

    async def _run_batch(self) -> None:
        await asyncio.sleep(0)  # let the other calls of this fan-out join the batch
        batch, self._pending = self._pending, []
        start = time.perf_counter()
        try:
            outputs = await asyncio.to_thread(
                self.engine.chat,
                [p.conversation for p in batch],
                sampling_params=[p.params for p in batch],
                use_tqdm=False,
            )
        except Exception as e:  # handed to every waiting caller, not swallowed
            error = LLMRequestError(f"vllm refused the batch: {e}") if isinstance(e, ValueError) else e
            for pending in batch:
                pending.future.set_exception(error)
            return
        seconds = (time.perf_counter() - start) / max(len(batch), 1)
        log.debug("vllm batch of %d in %.2fs", len(batch), seconds * len(batch))
        for pending, result in zip(batch, outputs, strict=True):
            pending.future.set_result(_reply(result, seconds))
        if self._pending:
            self._flush = asyncio.create_task(self._run_batch())


def _reply(result: Any, seconds: float) -> RawReply:
    first = result.outputs[0]
    return RawReply(
        text=first.text,
        truncated=first.finish_reason == "length",
        usage=Usage(
            calls=1,
            prompt_tokens=len(result.prompt_token_ids or []),
            cached_prompt_tokens=result.num_cached_tokens or 0,
            completion_tokens=len(first.token_ids),
            seconds=seconds,
        ),
    )
