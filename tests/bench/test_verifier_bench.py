"""bench/verifier.py: labelled statements, mistyped copies, and the styles it can run."""

from __future__ import annotations

from collections import Counter

from factloom.agents.verifier_judge import Statement
from factloom.tools.extraction.schema import load_schema
from tests.bench.test_quality import _load

verifier = _load("verifier")
NEWS = load_schema("news")


def _items() -> list:
    kill = Statement("Booth", "kill", "Lincoln", "Booth shot Lincoln.", "c", "person", "person")
    lives = Statement("Booth", "live_in", "Maryland", "Booth lived in Maryland.", "c", "person", "location")
    reverse = Statement("Lincoln", "kill", "Booth", "Booth shot Lincoln.", "c", "person", "person")
    return [(0, kill, "true"), (0, reverse, "reversed"), (1, lives, "true")]


def test_each_true_statement_gets_one_mistyped_copy_head_and_tail_in_turn() -> None:
    items = verifier.mistyped(_items(), NEWS)
    assert Counter(k for _, _, k in items) == {"true": 2, "reversed": 1, "mistyped": 2}
    first, second = [s for _, s, k in items if k == "mistyped"]
    assert first.head_type != "person" and first.tail_type == "person"
    assert second.head_type == "person" and second.tail_type != "location"
    assert {first.head_type, second.tail_type} <= {t.name for t in NEWS.entity_types}


def test_the_type_checked_styles_set_check_types() -> None:
    assert verifier.STYLES["choice+types"] == {"verifier_style": "choice", "check_types": True}
    assert verifier.STYLES["verdicts+types"] == {"check_types": True}


def test_a_mistyped_statement_counts_as_false() -> None:
    items = verifier.mistyped(_items(), NEWS)
    status = ["verified" if k != "mistyped" else "rejected" for _, _, k in items]
    scored = verifier.score(items, status)
    assert scored["false_rejected"]["mistyped"] == {"n": 2, "not_verified": 2, "share": 1.0}
    assert scored["precision"] == round(2 / 3, 4)  # the reversed statement is the one false kept
