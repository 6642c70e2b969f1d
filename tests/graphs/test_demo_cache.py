"""Demonstration retrieval is memoised within a run: the entity finder and the reasoner share answers."""

from __future__ import annotations

from factloom.graphs.demo_cache import CachedDemos


class _Counting:
    def __init__(self) -> None:
        self.calls = 0

    def retrieve(self, text: str, k: int, token_budget: int) -> list:
        self.calls += 1
        return [text[:k]]


def test_the_same_question_is_asked_once() -> None:
    source = _Counting()
    cache = CachedDemos(source, max_entries=2)
    assert cache.retrieve("abc", 2, 100) == cache.retrieve("abc", 2, 100) == ["ab"]
    assert source.calls == 1
    cache.retrieve("def", 2, 100)
    cache.retrieve("ghi", 2, 100)  # evicts "abc", the oldest
    cache.retrieve("abc", 2, 100)
    assert source.calls == 4
