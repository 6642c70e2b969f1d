"""Every output model of every preset, sent to a real ``python -m llama_cpp.server``, comes back valid.

Regression (issue 14): the entity finder's schema made llama.cpp's grammar parser fail with
``unknown escape at \\S`` and the server process ended. Here each model goes through ``OpenAIBackend``
to the real server (serving the embedded SmolLM2 from disk), and the reply validates against the model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from factloom.tools.llm.base import Message, Sampling
from factloom.tools.llm.openai_backend import OpenAIBackend
from tests.tools.llm.server_fixtures import ServerProcess, every_output_model, start_llama_server, stop

pytestmark = pytest.mark.slow

MODELS = every_output_model()
ASK = [
    Message(role="system", content="Answer with one JSON value that matches the schema."),
    Message(
        role="user",
        content="Text: Metformin lowered liver fat in adults with type 2 diabetes, said John Smith of "
        "Acme Corp in Texas.",
    ),
]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    running = start_llama_server()
    yield running
    stop(running.process)


@pytest.mark.parametrize("name", list(MODELS))
def test_the_real_server_answers_every_output_model_with_valid_json(server: ServerProcess, name: str) -> None:
    llm = OpenAIBackend(server.url, "smollm2", max_retries=1, timeout=120)

    async def ask():
        try:
            return await llm.complete(ASK, MODELS[name], sampling=Sampling(max_tokens=320))
        finally:
            await llm.aclose()

    done = asyncio.run(ask())
    assert isinstance(done.value, MODELS[name]) and done.usage.completion_tokens > 0
    assert server.process.poll() is None, "the server is still running"
