"""Ground quoted text in its source: quote -> character span.

Models quote the text they extract, but not always exactly: they change case, collapse line breaks
or drop a character. ``ground`` finds the quote in a chunk in three steps, stopping at the first hit:

1. exact occurrence;
2. occurrence after normalising whitespace, case and typographic punctuation;
3. fuzzy alignment (rapidfuzz ``partial_ratio_alignment``) scoring at least ``threshold``.

The span is returned in DOCUMENT coordinates (the chunk's offset added), so that
``doc.text[span.start:span.end]`` is the grounded text. When a quote occurs several times, the occurrence
nearest to ``hint`` (a document offset) wins. All functions are pure.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

FUZZY_THRESHOLD = 90.0
"""Minimum rapidfuzz score (0-100) of a fuzzy match."""

MIN_FUZZY_CHARS = 8
"""Quotes shorter than this are only matched exactly or after normalisation, never fuzzily."""

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
        "\u00ad": None,
    }
)

Method = Literal["exact", "normalised", "fuzzy"]


@dataclass(frozen=True)
class Span:
    """A grounded quote: ``text[start:end]`` in document coordinates, and how it was found."""

    start: int
    end: int
    method: Method
    score: float = 100.0


@dataclass(frozen=True)
class _Normalised:
    """A normalised text and, for each of its characters, the index of the source character."""

    text: str
    origin: tuple[int, ...]


@functools.lru_cache(maxsize=64)
def _normalise(text: str) -> _Normalised:
    """Lower-case, unify typographic punctuation and collapse whitespace runs to one space."""
    out: list[str] = []
    origin: list[int] = []
    for i, raw in enumerate(text):
        ch = raw.translate(_TRANSLATE)
        if ch.isspace():
            if out and out[-1] == " ":
                continue
            ch = " "
        for low in ch.lower():
            out.append(low)
            origin.append(i)
    return _Normalised("".join(out), tuple(origin))


def _occurrences(haystack: str, needle: str) -> list[int]:
    starts, i = [], haystack.find(needle)
    while i >= 0:
        starts.append(i)
        i = haystack.find(needle, i + 1)
    return starts


def _nearest(starts: list[int], hint: int | None) -> int:
    if hint is None:
        return starts[0]
    return min(starts, key=lambda s: (abs(s - hint), s))


def _source_span(norm: _Normalised, start: int, end: int) -> tuple[int, int]:
    """Map a span of the normalised text back to the source text."""
    return norm.origin[start], norm.origin[end - 1] + 1


def find_quote(
    text: str, quote: str, *, hint: int | None = None, threshold: float = FUZZY_THRESHOLD
) -> Span | None:
    """Find ``quote`` in ``text``; return its span in ``text`` coordinates, or None.

    Args:
        text: the text to search (a chunk, or a whole document).
        quote: the text a model quoted.
        hint: an offset in ``text``; among several occurrences the nearest one wins.
        threshold: minimum fuzzy score (0-100); fuzzy matching is skipped for short quotes.
    """
    quote = quote.strip()
    if not quote or not text:
        return None
    exact = _occurrences(text, quote)
    if exact:
        start = _nearest(exact, hint)
        return Span(start, start + len(quote), "exact")
    norm_text, norm_quote = _normalise(text), _normalise(quote).text.strip()
    if not norm_quote:
        return None
    found = [
        s for s in _occurrences(norm_text.text, norm_quote) if _whole_chars(norm_text, s, s + len(norm_quote))
    ]
    if found:
        norm_hint = None if hint is None else _normalised_offset(norm_text, hint)
        start = _nearest(found, norm_hint)
        return Span(*_source_span(norm_text, start, start + len(norm_quote)), "normalised")
    if len(norm_quote) < MIN_FUZZY_CHARS or len(norm_quote) > len(norm_text.text):
        return None
    aligned = fuzz.partial_ratio_alignment(norm_quote, norm_text.text, score_cutoff=threshold)
    if aligned is None or aligned.dest_end <= aligned.dest_start:
        return None
    start, end = _whole_words(norm_text.text, *_trim(norm_text.text, aligned.dest_start, aligned.dest_end))
    if end <= start:
        return None
    return Span(*_source_span(norm_text, start, end), "fuzzy", aligned.score)


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span that starts or ends inside a word to that word's edge (fuzzy windows cut words)."""
    while 0 < start < end and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while start < end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    return start, end


def _whole_chars(norm: _Normalised, start: int, end: int) -> bool:
    """Return whether a normalised span covers whole source characters (not half of a lowered "\u0130")."""
    origin = norm.origin
    starts_clean = start == 0 or origin[start - 1] != origin[start]
    return starts_clean and (end == len(origin) or origin[end] != origin[end - 1])


def _normalised_offset(norm: _Normalised, offset: int) -> int:
    """Return the first normalised index whose source index is at or after ``offset``."""
    return bisect.bisect_left(norm.origin, offset)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span so it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def ground(
    chunk_text: str,
    chunk_start: int,
    quote: str,
    *,
    hint: int | None = None,
    threshold: float = FUZZY_THRESHOLD,
) -> Span | None:
    """Ground ``quote`` in a chunk and return its span in DOCUMENT coordinates, or None.

    Args:
        chunk_text: the chunk's text (``doc.text[chunk_start:chunk_start + len(chunk_text)]``).
        chunk_start: the document offset of the chunk's first character.
        quote: the text a model quoted.
        hint: a document offset; among several occurrences the nearest one wins.
        threshold: minimum fuzzy score (0-100).
    """
    local_hint = None if hint is None else hint - chunk_start
    span = find_quote(chunk_text, quote, hint=local_hint, threshold=threshold)
    if span is None:
        return None
    return Span(span.start + chunk_start, span.end + chunk_start, span.method, span.score)
