"""Every output model's JSON schema compiles with llama.cpp's own converter.

Regression: ``llama_cpp.server`` turns ``{"type": "json_object", "schema": ...}`` into a grammar with
``LlamaGrammar.from_json_schema``; when that raises (it did on the non-capturing group ``(?:`` of the
mention pattern) the server silently falls back to unconstrained JSON, and SmolLM2 answered with
wrong-shaped objects through ``--backend openai``.
"""

from __future__ import annotations

import json

import pytest
from llama_cpp.llama_grammar import LlamaGrammar

from factloom.tools.extraction import output_models as om
from factloom.tools.extraction.schema import PRESETS, load_schema
from factloom.tools.llm.structured import output_schema


@pytest.mark.parametrize("preset", PRESETS)
def test_output_schemas_compile_for_llama_server(preset: str) -> None:
    schema = load_schema(preset)
    models = [
        om.entity_output_model(om.entity_types_of(schema)),
        om.reasoner_output_model(None, ("Acme Corp", "Texas")),
        om.reasoner_output_model(None, ("Acme Corp", "Texas"), cot=False),
        om.verifier_output_model(3),
        om.choice_output_model(4),
    ]
    for model in models:
        LlamaGrammar.from_json_schema(json.dumps(output_schema(model)), verbose=False)
