"""The grammar admits exactly the JSON the prompts show, and does not change a good answer."""

from __future__ import annotations

import asyncio
import json

import llguidance
import llguidance.llamacpp

from factloom.agents.demos_prompt import entity_demo_messages
from factloom.agents.entity_finder import MAX_MENTIONS, build_messages
from factloom.ingest.models import Chunk
from factloom.tools.extraction.demos import DemoEntity, Demonstration
from factloom.tools.extraction.output_models import entity_output_model, entity_types_of
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.base import Sampling
from factloom.tools.llm.embedded import BOUNDS, EmbeddedBackend, load_model, model_parameters
from factloom.tools.llm.profile import COMPACT, SPACED, profile_for_parameters
from factloom.tools.llm.structured import output_schema

NEWS = load_schema("news")
OUTPUT = entity_output_model(entity_types_of(NEWS), MAX_MENTIONS)
DEMO = Demonstration(
    text="Anna Berg , who heads Nordbank , lives in Oslo .",
    entities=(
        DemoEntity(text="Anna Berg", type="person"),
        DemoEntity(text="Nordbank", type="organization"),
        DemoEntity(text="Oslo", type="location"),
    ),
)


def _accepts(layout, text: str) -> bool:
    """Return whether the grammar of the entity model in ``layout`` admits ``text``, token by token."""
    llama = load_model(EmbeddedBackend().model_path, 4096, 1).llama
    tokenizer = llguidance.llamacpp.lltokenizer_from_vocab(llama._model.vocab)
    grammar = llguidance.LLMatcher.grammar_from_json_schema(
        output_schema(OUTPUT, BOUNDS), defaults=layout.grammar_options()
    )
    matcher = llguidance.LLMatcher(tokenizer, grammar, log_level=0)
    ok = all(matcher.consume_token(t) for t in tokenizer.tokenize_str(text))
    return ok and not matcher.is_error() and matcher.is_accepting()


def test_the_grammar_admits_the_json_of_the_demonstrations_byte_for_byte() -> None:
    """Regression: the compact grammar forbade the spaces the prompts show, and Qwen answered []."""
    [_, answer] = entity_demo_messages([DEMO], "{text}")
    assert answer.content.startswith('{"entities": [{"text": "Anna Berg", "type": "person"}, ')
    assert _accepts(SPACED, answer.content)
    assert not _accepts(COMPACT, answer.content)
    assert not _accepts(SPACED, json.dumps(json.loads(answer.content), separators=(",", ":")))


def test_the_profile_comes_from_the_parameter_count_in_the_gguf_header() -> None:
    llm = EmbeddedBackend()
    assert 100_000_000 < model_parameters(llm.model_path) < 200_000_000
    assert llm.profile == "tiny" and llm.json_format == SPACED
    assert [profile_for_parameters(n) for n in (135e6, 630e6, 1.8e9)] == ["tiny", "small", "large"]


def test_the_default_model_answers_the_same_constrained_as_free() -> None:
    """A constraint must not change the answer of a model that already answers in valid JSON.

    SmolLM2's free answer is valid here (on most sentences it invents types; bench/llm.py --fidelity
    measures the agreement over 50 dev prompts per model).
    """
    sentence = "Maria Lopez joined Siemens in Munich last spring ."
    chunk = Chunk(chunk_id="c", doc_id="d", index=0, start=0, end=len(sentence), text=sentence, page=1)
    messages = build_messages(chunk, NEWS, [DEMO])
    sampling = Sampling(max_tokens=160)
    free = asyncio.run(EmbeddedBackend(constraint="none").generate(messages, None, sampling))
    constrained = asyncio.run(EmbeddedBackend().generate(messages, output_schema(OUTPUT, BOUNDS), sampling))
    expected = OUTPUT.model_validate_json(free.text)  # the free answer is valid: the premise of the test
    assert OUTPUT.model_validate_json(constrained.text) == expected
