"""docs/errors.md lists every error a user can cause (every ``FactloomError`` subclass in the package)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from factloom.ingest.errors import FactloomError

DOC = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
PACKAGES = ("factloom.ingest", "factloom.tools", "factloom.agents", "factloom.graphs")
OPTIONAL = ("vllm", "ray")
"""Modules that need an optional extra are skipped where it is not installed."""


def _errors() -> set[type[FactloomError]]:
    for name in PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, name + "."):
            if module.name.endswith(".__main__"):  # runs the command line
                continue
            try:
                importlib.import_module(module.name)
            except ModuleNotFoundError as e:
                if e.name not in OPTIONAL:
                    raise
    found: set[type[FactloomError]] = set()
    todo = [FactloomError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return {c for c in found if c.__module__.startswith("factloom.")}


def test_every_error_class_is_listed_in_the_errors_page() -> None:
    text = DOC.read_text()
    missing = sorted(c.__name__ for c in _errors() if f"`{c.__name__}`" not in text)
    assert not missing, f"add these errors to docs/errors.md: {missing}"
