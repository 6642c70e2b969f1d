"""Bootstrap confidence intervals for micro F1 and for the difference of two systems' micro F1.

The unit of resampling is the scored document (a sentence for CoNLL04, ADE and SciERC; an abstract or
an article for the document-level corpora): each resample draws as many documents as were scored, with
replacement, sums their (tp, predicted, gold) counts and recomputes micro F1 (Efron & Tibshirani 1993;
the paired form as in Koehn 2004 / Berg-Kirkpatrick et al. 2012). A paired interval resamples the SAME
documents for both systems, so it measures the difference on this sample, not two independent noises.
Intervals are percentile intervals; the seed is fixed, so a report is reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

Counts = tuple[int, int, int]
"""One document's (true positives, predicted, gold)."""

RESAMPLES = 1000
SEED = 13
LEVEL = 0.95


class PairingError(ValueError):
    """Two systems' counts do not cover the same documents, so they cannot be paired."""


def micro_f1(counts: Sequence[Counts]) -> float:
    """Return the micro F1 of summed per-document counts (0 when nothing was predicted or found)."""
    tp = sum(c[0] for c in counts)
    pred = sum(c[1] for c in counts)
    gold = sum(c[2] for c in counts)
    return 2 * tp / (pred + gold) if pred + gold else 0.0


@dataclass(frozen=True)
class Interval:
    """A point estimate and its bootstrap percentile interval."""

    value: float
    low: float
    high: float

    def excludes_zero(self) -> bool:
        """Return whether the interval lies wholly above or wholly below 0."""
        return self.low > 0 or self.high < 0

    def as_list(self) -> list[float]:
        """Return ``[low, high]`` rounded to 4 places (the JSON form)."""
        return [round(self.low, 4), round(self.high, 4)]


def _f1_of(counts: Sequence[Counts], picks: Sequence[int]) -> float:
    tp = pred = gold = 0
    for i in picks:
        c = counts[i]
        tp += c[0]
        pred += c[1]
        gold += c[2]
    return 2 * tp / (pred + gold) if pred + gold else 0.0


def _percentiles(values: list[float], level: float) -> tuple[float, float]:
    values = sorted(values)
    tail = (1 - level) / 2
    last = len(values) - 1
    return values[round(tail * last)], values[round((1 - tail) * last)]


def _resamples(n: int, resamples: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    return [rng.choices(range(n), k=n) for _ in range(resamples)]


def f1_interval(
    counts: Sequence[Counts], *, resamples: int = RESAMPLES, seed: int = SEED, level: float = LEVEL
) -> Interval:
    """Return micro F1 over ``counts`` with its bootstrap interval (documents resampled with replacement)."""
    value = micro_f1(counts)
    if not counts:
        return Interval(value, value, value)
    stats = [_f1_of(counts, picks) for picks in _resamples(len(counts), resamples, seed)]
    return Interval(value, *_percentiles(stats, level))


def paired_difference(
    a: Sequence[Counts],
    b: Sequence[Counts],
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    level: float = LEVEL,
) -> Interval:
    """Return micro F1(a) - F1(b) with a paired bootstrap interval over the same documents.

    Raises:
        PairingError: ``a`` and ``b`` do not hold the same number of documents.
    """
    if len(a) != len(b):
        raise PairingError(f"cannot pair {len(a)} documents with {len(b)}: score both on the same slice")
    value = micro_f1(a) - micro_f1(b)
    if not a:
        return Interval(value, value, value)
    stats = [_f1_of(a, p) - _f1_of(b, p) for p in _resamples(len(a), resamples, seed)]
    return Interval(value, *_percentiles(stats, level))
