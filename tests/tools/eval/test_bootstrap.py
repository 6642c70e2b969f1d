"""Bootstrap intervals on hand-made per-document counts: when a difference is real and when it is not."""

from __future__ import annotations

import pytest

from factloom.tools.eval.bootstrap import PairingError, f1_interval, micro_f1, paired_difference


def _docs(correct: range, n: int = 40) -> list[tuple[int, int, int]]:
    """``n`` documents with one gold fact and one prediction each, right on the documents in ``correct``."""
    return [(1 if i in correct else 0, 1, 1) for i in range(n)]


def test_micro_f1_sums_documents_before_dividing() -> None:
    assert micro_f1([(1, 1, 1), (0, 3, 1)]) == pytest.approx(2 * 1 / (4 + 2))
    assert micro_f1([]) == 0.0 and micro_f1([(0, 0, 0)]) == 0.0


def test_interval_holds_the_estimate_and_is_reproducible() -> None:
    counts = _docs(range(0, 40, 3))
    ci = f1_interval(counts)
    assert ci.low < ci.value < ci.high
    assert ci.low > 0 and ci.high < 1
    assert f1_interval(counts) == ci  # fixed seed


def test_identical_documents_give_no_spread() -> None:
    ci = f1_interval([(1, 2, 2)] * 30)
    assert ci.low == ci.value == ci.high == 0.5


def test_clear_win_excludes_zero() -> None:
    """A system right on 35 of 40 documents against one right on 5: the paired CI lies above 0."""
    diff = paired_difference(_docs(range(35)), _docs(range(5)))
    assert diff.value == pytest.approx(0.75)
    assert diff.excludes_zero() and diff.low > 0.5


def test_equal_systems_right_on_different_documents_include_zero() -> None:
    """Same F1 (20 of 40 each), different documents right: the difference is noise, the CI spans 0."""
    diff = paired_difference(_docs(range(0, 20)), _docs(range(10, 30)))
    assert diff.value == 0.0
    assert diff.low < 0 < diff.high and not diff.excludes_zero()


def test_pairing_is_tighter_than_it_would_be_unpaired() -> None:
    """One extra correct document on top of shared ones: pairing sees it as a small, sure gain."""
    a, b = _docs(range(21)), _docs(range(20))
    diff = paired_difference(a, b)
    assert diff.low >= 0 and diff.high > 0
    assert f1_interval(a).high - f1_interval(a).low > diff.high - diff.low


def test_unequal_slices_cannot_be_paired() -> None:
    with pytest.raises(PairingError, match="same slice"):
        paired_difference(_docs(range(3), n=10), _docs(range(3), n=11))
