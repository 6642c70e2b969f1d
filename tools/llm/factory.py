"""Build the configured backend: one frozen ``BackendConfig`` in, one ``LLM`` out.

The backend class is looked up by name in the registry (``factloom.tools.llm.registry``), which imports
a built-in backend's module only when it is chosen.
"""

from __future__ import annotations

from factloom.ingest.workspace import Workspace
from factloom.tools.llm.base import LLM
from factloom.tools.llm.config import BackendClass, BackendConfig
from factloom.tools.llm.profile import Profile
from factloom.tools.llm.registry import backend_class


def _class(config: BackendConfig) -> type[BackendClass]:
    cls: type[BackendClass] = backend_class(config.backend)
    return cls


def resolve_profile(config: BackendConfig) -> Profile:
    """Return the profile of the configured model: as given, else what its backend says.

    The embedded backend reads it from the GGUF header; servers say ``large`` (pass ``--profile`` for a
    small one).
    """
    if config.profile is not None:
        return config.profile
    return _class(config).default_profile(config)


def verifier_config(config: BackendConfig, model: str) -> BackendConfig:
    """Return ``config`` with another model: a GGUF path (embedded) or a model name (servers, vLLM)."""
    return _class(config).with_model(config, model)


def make_llm(config: BackendConfig, ws: Workspace | None = None) -> LLM:
    """Return the backend ``config`` describes, wrapped in the workspace call cache when ``ws`` is given."""
    llm = _class(config).from_config(config)
    if ws is None:
        return llm
    from factloom.tools.llm.cache import CachedLLM

    return CachedLLM(llm, ws, no_cache=config.no_cache)
