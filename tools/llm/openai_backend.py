"""The backend for any OpenAI-compatible server: vLLM, llama.cpp's servers, Ollama, hosted APIs.

Structured output goes through ``response_format`` ``json_schema``; a vLLM server (recognised by
``/v1/models`` saying ``owned_by: vllm``) also gets ``extra_body={"structured_outputs": {"json": ...}}``,
and a server that refuses ``json_schema`` (llama-cpp-python's) is asked with
``{"type": "json_object", "schema": ...}`` from then on. Every server but vLLM gets the schema rewritten
by ``server_schema.portable_schema`` (llama.cpp's grammar converters cannot take ``\\S`` and friends);
the reply is validated against the original model either way. Timeouts, 5xx, 429 and connection errors
are retried by the openai client itself (``max_retries``, exponential backoff); other 4xx are not.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import openai
from pydantic import BaseModel

from factloom.tools.errors import LLMRequestError, LLMUnavailableError
from factloom.tools.llm.base import CallTag, Completion, Message, Sampling, Usage
from factloom.tools.llm.config import BackendConfig, NamedModel
from factloom.tools.llm.registry import register
from factloom.tools.llm.server_schema import portable_schema
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

Dialect = Literal["json_schema", "vllm", "json_object"]

_TRANSIENT = frozenset({408, 409, 429})
_CONTEXT_WORDS = ("context length", "context window", "maximum context", "too long", "exceed")


@register("openai")
class OpenAIBackend(NamedModel):
    """An ``LLM`` served over HTTP by an OpenAI-compatible server.

    Args:
        base_url: the server's API root, e.g. ``http://127.0.0.1:8000/v1``.
        model: the model name to request.
        api_key: the key, if the server needs one.
        concurrency: most requests in flight at once (vLLM wants hundreds).
        timeout: seconds before a request is abandoned and retried.
        max_retries: retries of transient failures, with exponential backoff.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        concurrency: int = 64,
        timeout: float = 120.0,
        max_retries: int = 3,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.name = f"openai:{model}"
        self._client = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=api_key or "not-needed",
            timeout=timeout,
            max_retries=max_retries,
        )
        self._semaphore = asyncio.Semaphore(concurrency)
        self._dialect: Dialect | None = None

    @classmethod
    def from_config(cls, config: BackendConfig) -> OpenAIBackend:
        """Return the backend ``config`` describes."""
        assert config.base_url and config.model  # checked by BackendConfig
        return cls(
            config.base_url,
            config.model,
            api_key=config.api_key,
            concurrency=config.concurrency,
            timeout=config.timeout,
            max_retries=config.max_retries,
        )

    async def complete(
        self,
        messages: list[Message],
        output: type[T],
        *,
        sampling: Sampling = DEFAULT_SAMPLING,
        tag: CallTag = DEFAULT_TAG,
    ) -> Completion[T]:
        """Return ``output`` parsed from the server's constrained reply (one repair attempt)."""
        schemas = _schemas(output)

        async def generate(msgs: list[Message]) -> RawReply:
            return await self._generate(msgs, output.__name__, schemas, sampling)

        return await complete_with_repair(generate, messages, output)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()

    async def _generate(
        self, messages: list[Message], name: str, schemas: _Schemas, sampling: Sampling
    ) -> RawReply:
        try:
            dialect = await self._current_dialect()
            async with self._semaphore:
                start = time.perf_counter()
                response = await self._create_with_fallback(messages, name, schemas, sampling, dialect)
                seconds = time.perf_counter() - start
        except openai.APITimeoutError as e:
            raise LLMUnavailableError(
                f"{self.base_url}: no answer within {self.timeout:g}s, even after retries; "
                "raise --timeout or lower --concurrency"
            ) from e
        except openai.APIConnectionError as e:
            raise LLMUnavailableError(
                f"{self.base_url}: cannot reach the server ({_connection_detail(e)}); "
                "is it running? check --base-url"
            ) from e
        except openai.APIStatusError as e:
            raise await self._status_error(e) from e
        return _reply(response, seconds)

    async def _current_dialect(self) -> Dialect:
        if self._dialect is None:
            owners = await self._model_owners()
            self._dialect = "vllm" if "vllm" in owners.values() else "json_schema"
            log.info("%s: structured output dialect %s", self.base_url, self._dialect)
        return self._dialect

    async def _model_owners(self) -> dict[str, str]:
        try:
            page = await self._client.models.list()
        except openai.APIStatusError as e:
            log.info("%s: /models answered %s; assuming a plain OpenAI server", self.base_url, e.status_code)
            return {}
        return {m.id: str(getattr(m, "owned_by", "")) for m in page.data}

    async def _create_with_fallback(
        self, messages: list[Message], name: str, schemas: _Schemas, sampling: Sampling, dialect: Dialect
    ) -> Any:
        request = _request(self.model, messages, name, schemas.for_dialect(dialect), sampling, dialect)
        try:
            return await self._client.chat.completions.create(**request)
        except openai.APIStatusError as e:
            if dialect != "json_schema" or not _refuses_json_schema(e):
                raise
        log.info("%s refuses response_format json_schema; using json_object with a schema", self.base_url)
        self._dialect = "json_object"
        request = _request(self.model, messages, name, schemas.portable, sampling, "json_object")
        return await self._client.chat.completions.create(**request)

    async def _status_error(self, e: openai.APIStatusError) -> Exception:
        detail = _detail(e)
        if e.status_code in _TRANSIENT or e.status_code >= 500:
            return LLMUnavailableError(
                f"{self.base_url}: server error {e.status_code} after retries: {detail}"
            )
        if e.status_code in (401, 403):
            return LLMRequestError(
                f"{self.base_url}: the API key was refused ({detail}); "
                "set the variable named by --api-key-env"
            )
        if e.status_code == 404:
            return LLMRequestError(f"{self.base_url}: {detail}; {await self._offered_models()}")
        if any(word in detail.lower() for word in _CONTEXT_WORDS):
            return LLMRequestError(
                f"{self.base_url}: prompt too long for {self.model}: {detail}; use smaller chunks"
            )
        return LLMRequestError(f"{self.base_url}: request refused ({e.status_code}): {detail}")

    async def _offered_models(self) -> str:
        try:
            owners = await self._model_owners()
        except openai.APIConnectionError:
            owners = {}
        if not owners:
            return f"check --model {self.model!r}"
        return f"--model {self.model!r} is wrong? the server offers: {', '.join(sorted(owners))}"


@dataclass(frozen=True)
class _Schemas:
    """An output model's schema as vLLM takes it, and as llama.cpp-based servers take it."""

    original: JsonSchema
    portable: JsonSchema

    def for_dialect(self, dialect: Dialect) -> JsonSchema:
        return self.original if dialect == "vllm" else self.portable


@functools.lru_cache(maxsize=256)
def _schemas(output: type[BaseModel]) -> _Schemas:
    schema = output_schema(output)
    return _Schemas(original=schema, portable=portable_schema(schema))


def _request(
    model: str, messages: list[Message], name: str, schema: JsonSchema, sampling: Sampling, dialect: Dialect
) -> dict[str, Any]:
    """Return the keyword arguments of one chat-completions request."""
    request: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "max_tokens": sampling.max_tokens,
        "temperature": sampling.temperature,
        "seed": sampling.seed,
    }
    if dialect == "json_object":
        request["response_format"] = {"type": "json_object", "schema": schema}
        return request
    request["response_format"] = {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": schema, "strict": True},
    }
    if dialect == "vllm":
        request["extra_body"] = {"structured_outputs": {"json": schema}}
    return request


def _reply(response: Any, seconds: float) -> RawReply:
    choice = response.choices[0] if response.choices else None
    text = _escape_raw_controls((choice.message.content or "") if choice is not None else "")
    usage = response.usage
    details = getattr(usage, "prompt_tokens_details", None) if usage is not None else None
    return RawReply(
        text=text,
        truncated=choice is not None and choice.finish_reason == "length",
        usage=Usage(
            calls=1,
            prompt_tokens=usage.prompt_tokens if usage is not None else 0,
            cached_prompt_tokens=(getattr(details, "cached_tokens", None) or 0),
            completion_tokens=usage.completion_tokens if usage is not None else 0,
            seconds=seconds,
        ),
    )


def _escape_raw_controls(text: str) -> str:
    """Return ``text`` re-encoded when it is JSON but for raw control characters inside its strings.

    llama-cpp-python's grammar converter lets a string hold any character but ``"`` and ``\\``, so a
    model under it can write a raw line break inside a string, which strict JSON refuses.
    """
    try:
        json.loads(text)
        return text
    except (ValueError, RecursionError):
        pass
    try:
        value = json.loads(text, strict=False)
    except (ValueError, RecursionError):
        return text  # not JSON at all: parse_reply says why
    return json.dumps(value, ensure_ascii=False)


def _refuses_json_schema(e: openai.APIStatusError) -> bool:
    # llama-cpp-python's server answers 500 (after the client's retries), others 400 or 422
    return e.status_code in (400, 422, 500) and "response_format" in f"{e.body} {e.message}"


def _connection_detail(e: openai.APIConnectionError) -> str:
    """Return what the transport said (connection refused, disconnected), not "Connection error."."""
    cause = str(e.__cause__ or "").strip()
    return cause or e.message.rstrip(".")


def _detail(e: openai.APIStatusError) -> str:
    body = e.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else None
        if message:
            return str(message)
        if body.get("detail"):
            return str(body["detail"])
    return e.message
