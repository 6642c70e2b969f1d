"""Report parts: drops grouped by the stage that dropped them, calls per agent between two snapshots."""

from __future__ import annotations

from factloom.graphs.eval.report import drop_stages, usage_by_agent
from factloom.tools.llm.base import Usage


def test_drops_are_grouped_by_stage() -> None:
    drops = {"mention_grounding": 3, "relation_grounding": 2, "relation_schema": 1, "relation_verifier": 4}
    assert drop_stages(drops) == {"grounding": 5, "schema": 1, "verifier": 4, "invalid_output": 0}
    assert drop_stages({"something_new": 2})["other"] == 2


def test_usage_per_agent_counts_only_this_run() -> None:
    before = {"entity_finder": Usage(calls=2, prompt_tokens=100, completion_tokens=10)}
    after = {
        "entity_finder": Usage(calls=5, prompt_tokens=400, completion_tokens=25, cache_hits=1),
        "verifier": Usage(calls=1, prompt_tokens=50, completion_tokens=5),
        "answerer": Usage(calls=2, prompt_tokens=9, completion_tokens=9),
    }
    before["answerer"] = after["answerer"]  # an earlier run's agent, not called again
    assert usage_by_agent(before, after) == {
        "entity_finder": {"calls": 3, "cache_hits": 1, "prompt_tokens": 300, "completion_tokens": 15},
        "verifier": {"calls": 1, "cache_hits": 0, "prompt_tokens": 50, "completion_tokens": 5},
    }
