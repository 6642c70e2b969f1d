"""Grounding quotes in chunks: the spans index the DOCUMENT and reproduce what the model meant."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factloom.ingest.sentences import sentence_span
from factloom.tools.extraction.grounding import find_quote, ground

DOC = "Preamble. John Smith works for Acme Corp.\nJohn   Smith lives in\nBoston, said the “report”."
CHUNK_START = 10
CHUNK = DOC[CHUNK_START:]


def _text(span) -> str:
    return DOC[span.start : span.end]


def test_exact_quote_gets_document_offsets() -> None:
    span = ground(CHUNK, CHUNK_START, "Acme Corp")
    assert span is not None and span.method == "exact"
    assert _text(span) == "Acme Corp"


def test_nearest_occurrence_to_the_hint_wins() -> None:
    first = ground(CHUNK, CHUNK_START, "Smith")
    later = ground(CHUNK, CHUNK_START, "Smith", hint=DOC.index("lives"))
    assert first is not None and later is not None
    assert first.start == DOC.index("Smith")
    assert later.start == DOC.index("Smith", DOC.index("lives") - 12)


def test_whitespace_and_case_are_normalised() -> None:
    span = ground(CHUNK, CHUNK_START, "john smith lives in boston")
    assert span is not None and span.method == "normalised"
    assert _text(span) == "John   Smith lives in\nBoston"


def test_typographic_quotes_match_plain_ones() -> None:
    span = ground(CHUNK, CHUNK_START, 'the "report"')
    assert span is not None
    assert _text(span) == "the “report”"


def test_a_small_typo_in_a_long_quote_is_found_fuzzily() -> None:
    span = ground(CHUNK, CHUNK_START, "John Smith works for Acme Crop")
    assert span is not None and span.method == "fuzzy"
    assert "works for Acme" in _text(span)


def test_short_quotes_are_never_matched_fuzzily() -> None:
    assert ground(CHUNK, CHUNK_START, "Acme Crop") is None
    assert ground(CHUNK, CHUNK_START, "Bostn") is None


def test_text_that_is_not_there_is_not_grounded() -> None:
    assert ground(CHUNK, CHUNK_START, "The defendant appealed to the Supreme Court") is None
    assert ground(CHUNK, CHUNK_START, "   ") is None


def test_sentence_bounds_cover_the_sentence_of_a_span() -> None:
    text = "First one. Second sentence here. Third."
    i = text.index("sentence")
    start, end = sentence_span(text, i, i + 8)
    assert text[start:end] == "Second sentence here."


words = st.text(alphabet="abcdefghij XYZ.,", min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(prefix=st.text(max_size=40), body=st.lists(words, min_size=1, max_size=8), suffix=st.text(max_size=40))
def test_any_substring_grounds_to_a_span_that_reproduces_it(
    prefix: str, body: list[str], suffix: str
) -> None:
    quote = " ".join(body).strip()
    if not quote:
        return
    chunk = prefix + quote + suffix
    span = ground(chunk, 100, quote)
    assert span is not None
    assert chunk[span.start - 100 : span.end - 100] == quote


@settings(max_examples=150, deadline=None)
@given(body=st.lists(st.text(alphabet="abcXYZ", min_size=1, max_size=6), min_size=2, max_size=6))
def test_reflowed_quotes_ground_to_the_original_words(body: list[str]) -> None:
    chunk = "Intro: " + "\n  ".join(body) + " end"
    quote = " ".join(w.upper() for w in body)
    span = find_quote(chunk, quote)
    assert span is not None
    assert " ".join(chunk[span.start : span.end].split()).upper() == quote


@settings(max_examples=100, deadline=None)
@given(chunk=st.text(max_size=80), quote=st.text(max_size=30), start=st.integers(0, 1000))
def test_spans_always_lie_inside_the_chunk(chunk: str, quote: str, start: int) -> None:
    span = ground(chunk, start, quote)
    if span is not None:
        assert start <= span.start < span.end <= start + len(chunk)


@pytest.mark.parametrize(
    ("quote", "found"),
    [
        ("law of the State of New York", "laws of the State of New York"),
        ("laws of the State of New York without", "laws of the State of New York, without"),
    ],
)
def test_a_fuzzy_match_never_cuts_a_word(quote: str, found: str) -> None:
    """Regression: a fuzzy window grounded "law of ..." as "aws of the State of New York" (seen in a demo)."""
    text = "This Agreement is governed by the laws of the State of New York, without regard to its rules."
    span = find_quote(text, quote)
    assert span is not None and span.method == "fuzzy" and text[span.start : span.end] == found
