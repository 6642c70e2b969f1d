"""The schema sent to llama.cpp-based servers compiles with llama.cpp's own grammar parser.

Regression (issue 14): ``llama_cpp.server`` turned the entity finder's mention pattern ``^\\S+( \\S+){0,5}$``
into GBNF with ``"\\S"`` copied verbatim; llama.cpp's parser answered ``unknown escape at \\S`` and the
server process ended. These tests run the real converter and the real C++ parser (a vocab-only load of
the embedded GGUF: no weights, under a second).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import llama_cpp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llama_cpp.llama_grammar import json_schema_to_gbnf

from factloom.tools.extraction.output_models import MENTION_PATTERN
from factloom.tools.llm.embedded import default_model_path
from factloom.tools.llm.server_schema import (
    _UNICODE_SPACE,
    UnsupportedPattern,
    portable_pattern,
    portable_schema,
)
from factloom.tools.llm.structured import output_schema
from tests.tools.llm.server_fixtures import every_output_model

MODELS = every_output_model()
SAMPLES = [MENTION_PATTERN, r"^[^\s,]+$", r"^\w+(\.\d+)?$", r"^.{1,3}-(?:\S)$"]


@pytest.fixture(scope="module")
def vocab() -> Iterator[object]:
    llm = llama_cpp.Llama(str(default_model_path()), vocab_only=True, verbose=False)
    yield llama_cpp.llama_model_get_vocab(llm.model)
    llm.close()


def parses(vocab: object, schema: dict) -> bool:
    """Return whether llama.cpp's C++ grammar parser accepts the GBNF llama_cpp.server makes of ``schema``."""
    grammar = json_schema_to_gbnf(json.dumps(schema))
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode(), b"root")
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True


def test_the_bug_the_original_mention_pattern_does_not_parse(vocab: object) -> None:
    schema = {"type": "object", "properties": {"text": {"type": "string", "pattern": MENTION_PATTERN}}}
    assert not parses(vocab, schema)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_output_model_of_every_preset_parses_once_rewritten(vocab: object, name: str) -> None:
    assert parses(vocab, portable_schema(output_schema(MODELS[name])))


def test_the_rewrite_keeps_everything_but_patterns() -> None:
    schema = output_schema(MODELS["biomed/entity_finder"])
    portable = portable_schema(schema)
    text = portable["properties"]["entities"]["items"]["properties"]["text"]
    assert text["pattern"] != MENTION_PATTERN
    assert text["maxLength"] == 60 and text["minLength"] == 1
    text["pattern"] = MENTION_PATTERN
    assert portable == schema, "only the pattern changed"
    assert "pattern" not in str(portable_schema(output_schema(MODELS["biomed/verifier"])))


@pytest.mark.parametrize(
    "pattern",
    [
        r"^(?=a)b$",
        r"^a\1$",
        r"^\bword$",
        r"^a+?$",
        r"abc",
        r'^say "hi"$',
        r"^a\\b$",
        r"^[\S]$",
        r"^\D$",
        r"^[^\d]$",
    ],
)
def test_patterns_beyond_the_converter_are_dropped_and_left_to_validation(pattern: str) -> None:
    with pytest.raises(UnsupportedPattern):
        portable_pattern(pattern)
    schema = {"type": "string", "pattern": pattern, "maxLength": 9}
    assert portable_schema(schema) == {"type": "string", "maxLength": 9}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"^(?:ab)+$", "^(ab)+$"),
        (r"^\d{4}-\d{2}$", "^[0-9]{4}-[0-9]{2}$"),
        (r"^v\.\w+$", "^v[.][0-9A-Za-z_]+$"),
        (r"^[^\s,]+$", r"^[^ \t\n\r\x0b\x0c" + _UNICODE_SPACE + r',\x00-\x1f"\\]+$'),
        (r"^[A-Z\d]+$", "^[A-Z0-9]+$"),
    ],
)
def test_supported_syntax_is_rewritten_to_explicit_classes(pattern: str, expected: str) -> None:
    assert portable_pattern(pattern) == expected


@pytest.mark.parametrize("pattern", [MENTION_PATTERN, r"^[^\s,]+$", r"^\w+(\.\d+)?$", r"^(?:\S+)-.$"])
def test_rewritten_patterns_parse(vocab: object, pattern: str) -> None:
    assert parses(vocab, {"type": "string", "pattern": portable_pattern(pattern)})


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_what_a_rewritten_pattern_admits_the_original_admits_and_json_can_hold(data: st.DataObject) -> None:
    pattern = data.draw(st.sampled_from(SAMPLES))
    text = data.draw(st.from_regex(portable_pattern(pattern), fullmatch=True))
    assert re.fullmatch(pattern[1:-1], text)
    assert json.loads(json.dumps(text, ensure_ascii=False)) == text
    assert '"' not in text and "\\" not in text and not any(ord(c) < 0x20 for c in text)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_mention_decoded_under_the_server_schema_fits_pattern_and_length(data: st.DataObject) -> None:
    """Regression: the converters ignore maxLength beside a pattern, and Qwen2.5-0.5B wrote six-word
    mentions over 60 characters through llama_cpp.server (invalid even after the repair)."""
    schema = output_schema(MODELS["biomed/entity_finder"])
    text_schema = portable_schema(schema)["properties"]["entities"]["items"]["properties"]["text"]
    text = data.draw(st.from_regex(text_schema["pattern"], fullmatch=True))
    assert len(text) <= text_schema["maxLength"] == 60
    assert re.fullmatch(MENTION_PATTERN[1:-1], text)


def test_the_length_bounded_mention_grammar_stays_small(vocab: object) -> None:
    text = {"type": "string", "pattern": MENTION_PATTERN, "maxLength": 60}
    grammar = json_schema_to_gbnf(json.dumps(portable_schema(text)))
    assert parses(vocab, portable_schema(text)) and len(grammar) < 20_000
