"""Offsets of an ingested (whitespace-normalised) text map back to the original text."""

from __future__ import annotations

from factloom.tools.extraction.text_align import OffsetMap


def _map(source: str, target: str, quote: str) -> str | None:
    start = source.index(quote)
    span = OffsetMap(source, target).span(start, start + len(quote))
    return None if span is None else target[span[0] : span[1]]


def test_identical_texts_map_to_themselves() -> None:
    assert OffsetMap("abc", "abc").span(1, 2) == (1, 2)


def test_collapsed_whitespace_and_joined_lines_map_back() -> None:
    original = "WHEREAS,  the Parties\n agree:\n\n\nGoverning   Law. Texas."
    ingested = "WHEREAS, the Parties agree:\n\nGoverning Law. Texas."
    assert _map(ingested, original, "the Parties agree") == "the Parties\n agree"
    assert _map(ingested, original, "Texas") == "Texas"


def test_dehyphenated_word_maps_to_its_hyphenated_source() -> None:
    assert _map("cooperation agreement", "co-\noperation agreement", "cooperation") == "co-\noperation"


def test_span_of_only_inserted_characters_does_not_map() -> None:
    assert OffsetMap("a XYZ b", "a b").span(2, 5) is None
