"""Memoise demonstration retrieval within a run: the entity finder and the reasoner ask for the same chunk."""

from __future__ import annotations

from factloom.agents.context import DemoSource
from factloom.tools.extraction.demos import Demonstration


class CachedDemos:
    """A ``DemoSource`` that answers repeated questions from memory.

    Args:
        source: the real source (``tools.extraction.demos.DemoStore``).
        max_entries: how many answers to keep (oldest dropped first).
    """

    def __init__(self, source: DemoSource, max_entries: int = 256) -> None:
        self.source = source
        self.max_entries = max_entries
        self._answers: dict[tuple[str, int, int], list[Demonstration]] = {}

    def retrieve(self, text: str, k: int, token_budget: int) -> list[Demonstration]:
        """Return the demonstrations for ``text`` (retrieved once per distinct question)."""
        key = (text, k, token_budget)
        if key not in self._answers:
            if len(self._answers) >= self.max_entries:
                self._answers.pop(next(iter(self._answers)))
            self._answers[key] = self.source.retrieve(text, k, token_budget)
        return self._answers[key]
