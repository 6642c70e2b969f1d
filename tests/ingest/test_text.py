"""Text clean-up: ligatures, invisible characters, line joins, page labels."""

from __future__ import annotations

import pytest

from factloom.ingest.text import clean_block, is_page_number, normalize, page_ranges


def test_normalize_expands_ligatures_and_drops_invisible_characters():
    assert normalize("  e\ufb00ective \ufb01nal\u00a0 co\u00adoperate\u200b  ") == "effective final cooperate"


def test_words_broken_at_line_ends_are_joined():
    assert clean_block("received treat-\nment daily") == "received treatment daily"
    assert clean_block("the COVID-\n19 ward") == "the COVID-19 ward"
    assert clean_block("pages 10-\n12 and\nmore") == "pages 10-12 and more"
    assert clean_block("a 10- \nfold rise") == "a 10-fold rise"
    assert clean_block("Louisi\u00ad\nana and Texas") == "Louisiana and Texas"
    assert clean_block("an en dash -\nstays\n\nspaced") == "an en dash - stays spaced"


@pytest.mark.parametrize("label", ["12", "- 3 -", "Page 3 of 10", "iv", "3/16"])
def test_page_labels_are_recognised(label: str):
    assert is_page_number(label)


@pytest.mark.parametrize("text", ["Results", "12 patients", "Table 2"])
def test_text_is_not_a_page_label(text: str):
    assert not is_page_number(text)


def test_page_ranges_are_compact():
    assert page_ranges([1, 2, 3, 7, 9, 10]) == "1-3, 7, 9-10"
