"""Fuzz the grounding (quote -> character span): spans stay in bounds and reproduce the quote.

The documented normalisation (``tools/extraction/grounding.py``): case, whitespace runs and typographic
punctuation are ignored. ``bench/fuzz.py`` runs these properties with 10,000+ examples.
"""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from factloom.ingest.sentences import sentence_span
from factloom.tools.extraction.grounding import FUZZY_THRESHOLD, MIN_FUZZY_CHARS, Span, find_quote, ground

EXAMPLES = int(os.environ.get("FACTLOOM_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

TYPOGRAPHIC = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2010": "-", "\u2011": "-"}
TYPOGRAPHIC |= {"\u2013": "-", "\u2014": "-", "\u00a0": " ", "\u00ad": ""}
SPECIAL = [
    *TYPOGRAPHIC,
    "\u0130",
    "\u00df",
    "\ufb01",
    "\u212a",
    "\u03a3",
    "\u03c2",
    "\u00e9",
    "\u0301",
    "\x1c",
]
ALPHABET = st.sampled_from([*"abcdeiIABCDE0  .,;'\"-\n\t", *SPECIAL])
TEXTS = st.text(ALPHABET, max_size=120) | st.text(max_size=80)


def norm(text: str) -> str:
    """Apply the documented normalisation: typographic punctuation, case, whitespace runs."""
    plain = "".join(TYPOGRAPHIC.get(c, c) for c in text).lower()
    return " ".join(plain.split())


def check_span(text: str, quote: str, span: Span | None, offset: int = 0) -> None:
    """Assert ``span`` (in coordinates shifted by ``offset``) is in bounds and reproduces ``quote``."""
    if span is None:
        return
    start, end = span.start - offset, span.end - offset
    assert 0 <= start < end <= len(text), (span, len(text))
    found = text[start:end]
    if span.method == "exact":
        assert found == quote.strip()
    elif span.method == "normalised":
        assert norm(found) == norm(quote), (found, quote)
    else:
        assert span.method == "fuzzy"
        assert len(norm(quote)) >= MIN_FUZZY_CHARS
        assert span.score >= FUZZY_THRESHOLD
        assert found == found.strip(), "a fuzzy span starts or ends with whitespace"


@FUZZ
@given(TEXTS, st.text(ALPHABET, max_size=4) | TEXTS, st.none() | st.integers(-50, 200))
@example("x\u0130x", "i", None)
@example("\ufb01le", "f", None)
def test_any_quote_gives_none_or_a_matching_span(text: str, quote: str, hint: int | None) -> None:
    """Regression: "i" grounded inside "\u0130" (whose lower() is two characters) gave a span reading it."""
    check_span(text, quote, find_quote(text, quote, hint=hint))


@FUZZ
@given(TEXTS, st.data())
def test_a_substring_is_found_exactly_where_hinted(text: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, len(text)))
    quote = text[i:j]
    assume(quote.strip())
    span = find_quote(text, quote, hint=i)
    assert span is not None and span.method == "exact"
    assert text[span.start : span.end] == quote.strip()
    if quote == quote.strip():
        assert span.start == i, "the occurrence at the hint was not preferred"


def _mutate(quote: str, data: st.DataObject) -> str:
    """Change case of ASCII letters, whitespace runs and punctuation style, as models do."""
    out = re.sub(r"\s+", lambda _: data.draw(st.sampled_from([" ", "\n", "  ", " \n\t"])), quote)
    out = "".join(c.swapcase() if c.isascii() and data.draw(st.booleans()) else c for c in out)
    typographic = {"'": "\u2019", '"': "\u201c", "-": "\u2013"}
    return "".join(typographic[c] if c in typographic and data.draw(st.booleans()) else c for c in out)


@FUZZ
@given(TEXTS, st.data())
def test_a_restyled_substring_is_found_under_normalisation(text: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(text)))
    quote = _mutate(text[i : data.draw(st.integers(i, len(text)))], data)
    assume(norm(quote))
    span = find_quote(text, quote, hint=i)
    assert span is not None, "a quote that differs only in case/whitespace/punctuation was not found"
    check_span(text, quote, span)


@FUZZ
@given(st.text(ALPHABET, min_size=1, max_size=120), st.data())
def test_a_misspelt_substring_gives_none_or_a_close_span(text: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(text) - 1))
    quote = list(text[i : data.draw(st.integers(i + 1, len(text)))])
    k = data.draw(st.integers(0, len(quote) - 1))
    quote[k] = data.draw(ALPHABET)
    check_span(text, "".join(quote), find_quote(text, "".join(quote), hint=i))


@FUZZ
@given(TEXTS, TEXTS, st.integers(0, 10_000), st.none() | st.integers(-100, 20_000))
def test_ground_returns_document_offsets_inside_the_chunk(
    chunk: str, quote: str, chunk_start: int, hint: int | None
) -> None:
    span = ground(chunk, chunk_start, quote, hint=hint)
    if span is not None:
        assert chunk_start <= span.start < span.end <= chunk_start + len(chunk)
    check_span(chunk, quote, span, offset=chunk_start)


@FUZZ
@given(TEXTS, st.data())
def test_sentence_bounds_contain_the_span(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    left, right = sentence_span(text, start, end)
    assert 0 <= left <= start <= end <= right <= len(text)
