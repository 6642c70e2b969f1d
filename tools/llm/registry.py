"""Which class builds the backend of a given name: backends register themselves, built-in ones on first use.

A backend module decorates its class with ``@register("name")``. The built-in backends are listed here by
module path only, so choosing ``openai`` never loads llama.cpp and choosing ``embedded`` never loads the
openai client; the factory asks for a class by name and never names a backend itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

BUILTIN_BACKENDS: dict[str, str] = {
    "embedded": "factloom.tools.llm.embedded",
    "openai": "factloom.tools.llm.openai_backend",
    "vllm": "factloom.tools.llm.vllm_backend",
}
"""The backends that ship with factloom: name -> the module that registers it."""

C = TypeVar("C", bound=type[Any])

_registered: dict[str, type[Any]] = {}


def register(name: str) -> Callable[[C], C]:
    """Return a class decorator that registers the backend class under ``name``."""

    def add(cls: C) -> C:
        _registered[name] = cls
        return cls

    return add


def backend_names() -> tuple[str, ...]:
    """Return the names a backend can be chosen by, built-in ones first."""
    return tuple(dict.fromkeys([*BUILTIN_BACKENDS, *_registered]))


def backend_class(name: str) -> type[Any]:
    """Return the class registered as ``name``, importing its built-in module the first time."""
    if name not in _registered and name in BUILTIN_BACKENDS:
        importlib.import_module(BUILTIN_BACKENDS[name])
    try:
        return _registered[name]
    except KeyError:
        raise LookupError(f"no backend is registered as {name!r}") from None
