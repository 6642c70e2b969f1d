"""Helpers for tests against a real ``python -m llama_cpp.server``, and every output model the agents send.

The server runs as a child process on a free loopback port, serving a GGUF file from disk (the embedded
SmolLM2 by default); nothing is downloaded.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import BaseModel

from factloom.agents import answerer, baseline_single_prompt, entity_judge
from factloom.agents.relation_reasoner import legal_choices, mention_choices
from factloom.tools.extraction import output_models as om
from factloom.tools.extraction.kg import Mention
from factloom.tools.extraction.schema import PRESETS, Schema, load_schema
from factloom.tools.llm.embedded import default_model_path

# Names a reader of each preset's documents would meet; types without one get a made-up name.
_NAMES = {
    "person": ("John Smith", "Mary Jones"),
    "organization": ("Acme Corp", "World Bank"),
    "location": ("Texas", "Paris"),
    "chemical": ("metformin", "aspirin"),
    "disease": ("hepatic steatosis", "type 2 diabetes"),
    "gene": ("BRCA1", "TP53"),
    "task": ("machine translation", "parsing"),
    "method": ("beam search", "CRF"),
    "metric": ("BLEU", "F1"),
}


@dataclass(frozen=True)
class ServerProcess:
    """A running llama_cpp.server: the process and its ``/v1`` URL."""

    process: subprocess.Popen[bytes]
    url: str


def free_port() -> int:
    """Return a loopback port nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_llama_server(
    model: Path | None = None, *, n_ctx: int = 2048, threads: int = 1, log: Path | None = None
) -> ServerProcess:
    """Start ``python -m llama_cpp.server`` on a free port; return once ``/v1/models`` answers."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model or default_model_path())]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx)]
    command += ["--n_threads", str(threads), "--n_threads_batch", str(threads)]
    out = log.open("wb") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return ServerProcess(process, url)
        except httpx.TransportError:
            time.sleep(0.3)
    stop(process)
    raise RuntimeError("llama_cpp.server did not start in 120s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server process (SIGTERM, then SIGKILL) and reap it."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def preset_mentions(schema: Schema) -> list[Mention]:
    """Return two mentions of every entity type of ``schema``, as the entity finder would give them."""
    mentions = []
    for n, type_ in enumerate(schema.entity_names):
        names = _NAMES.get(type_, (f"the {type_.replace('_', ' ')}", f"another {type_.replace('_', ' ')}"))
        for k, text in enumerate(names):
            start = 100 * n + 50 * k
            mentions.append(
                Mention(
                    mention_id=f"m{n}_{k}",
                    doc_id="d",
                    chunk_id="c",
                    start=start,
                    end=start + len(text),
                    text=text,
                    type=type_,
                    page=1,
                )
            )
    return mentions


def preset_output_models(preset: str) -> dict[str, type[BaseModel]]:
    """Return, by a readable name, every output model the agents build for ``preset``."""
    schema = load_schema(preset)
    mentions = preset_mentions(schema)
    choices = legal_choices(mentions, schema)
    texts = mention_choices(mentions)
    return {
        "entity_finder": om.entity_output_model(om.entity_types_of(schema)),
        "relation_reasoner_cot": om.reasoner_output_model(choices, texts, cot=True),
        "relation_reasoner_plain": om.reasoner_output_model(choices, texts, cot=False),
        "verifier": om.verifier_output_model(4),
        "pairs_choice": om.choice_output_model(5),
        "single_prompt": baseline_single_prompt.output_model(
            tuple(schema.entity_names), tuple(schema.relation_names), schema.open
        ),
    }


def every_output_model() -> dict[str, type[BaseModel]]:
    """Return every output model of every preset, plus the preset-independent ones (answerer, judge)."""
    models = {
        f"{preset}/{name}": model
        for preset in PRESETS
        for name, model in preset_output_models(preset).items()
    }
    models["answerer"] = answerer.output_model(4)
    models["entity_judge"] = entity_judge.JudgeOutput
    return models
