"""The langextract peer (``pip install langextract``): the closest peer library, run with our model.

``factloom eval --system langextract`` configures langextract with the schema's entity types as
extraction classes and relations as ``relation`` extractions (the head quoted, the type and tail as
attributes), gives it the same hand-written example as the single-prompt baseline, and points it at
an OpenAI-compatible endpoint: the configured server, or for the embedded model a local
``python -m llama_cpp.server`` on 127.0.0.1 serving the same GGUF (started and stopped here).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import httpx

from factloom.tools.errors import PeerError
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import Usage
from factloom.tools.llm.config import BackendConfig

log = logging.getLogger(__name__)

RELATION_CLASS = "relation"
SERVER_START_SECONDS = 180.0
Example = tuple[str, Sequence[tuple[str, str]], Sequence[tuple[str, str, str]]]
"""(text, [(entity text, type)], [(head text, relation type, tail text)])"""


@dataclass(frozen=True)
class PeerMention:
    """An extraction langextract aligned to the text."""

    start: int
    end: int
    text: str
    type: str


@dataclass(frozen=True)
class PeerRelation:
    """A relation: the aligned head mention, the type and the tail's text."""

    head: PeerMention
    type: str
    tail_text: str


@dataclass
class PeerResult:
    """What langextract found in one text, and the calls it made."""

    mentions: list[PeerMention] = field(default_factory=list)
    relations: list[PeerRelation] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


def _model_class() -> type:
    try:
        from langextract.providers.openai import OpenAILanguageModel
    except ImportError as e:
        raise PeerError("the langextract peer needs `pip install 'factloom[eval]'`") from e

    class CountingModel(OpenAILanguageModel):  # type: ignore[misc, valid-type]
        """langextract's OpenAI provider, counting the calls and tokens the server reports."""

        usage = Usage()

        def _response_to_scored_output(self, response: Any) -> Any:
            used = getattr(response, "usage", None)
            self.usage = self.usage + Usage(
                calls=1,
                prompt_tokens=getattr(used, "prompt_tokens", 0) or 0,
                completion_tokens=getattr(used, "completion_tokens", 0) or 0,
            )
            return OpenAILanguageModel._response_to_scored_output(response)

    return CountingModel


class Peer:
    """langextract configured with a schema and examples, calling one OpenAI-compatible endpoint."""

    def __init__(self, base_url: str, model: str, schema: Schema, examples: Sequence[Example] = ()) -> None:
        import langextract as lx

        self._lx = lx
        self.schema = schema
        self.model = _model_class()(
            model_id=model, api_key="local", base_url=base_url, temperature=0.0, max_workers=1
        )
        self.examples = [self._example(*e) for e in examples]
        types = ", ".join(schema.entity_names) or "any short snake_case type"
        rels = ", ".join(schema.relation_names) or "any short snake_case relation"
        self.prompt = (
            f"Extract entities of these classes: {types}. Use exact text from the input. "
            f"Also extract relations as class '{RELATION_CLASS}': quote the head entity and give the "
            f"attributes 'type' (one of: {rels}) and 'tail' (the tail entity's exact text)."
        )

    def _example(
        self, text: str, entities: Sequence[tuple[str, str]], relations: Sequence[tuple[str, str, str]]
    ):
        data = self._lx.data
        items = [data.Extraction(extraction_class=t, extraction_text=x) for x, t in entities]
        items += [
            data.Extraction(
                extraction_class=RELATION_CLASS, extraction_text=h, attributes={"type": r, "tail": t}
            )
            for h, r, t in relations
        ]
        return data.ExampleData(text=text, extractions=items)

    def extract_sync(self, text: str, examples: Sequence[Example] | None = None) -> PeerResult:
        """Run langextract on ``text`` (with ``examples`` instead of the peer's own, when given)."""
        before = self.model.usage
        doc = self._lx.extract(
            text,
            prompt_description=self.prompt,
            examples=[self._example(*e) for e in examples] if examples else self.examples,
            model=self.model,
            use_schema_constraints=False,
            fence_output=False,
            show_progress=False,
            max_workers=1,
            prompt_validation_level=self._lx.prompt_validation.PromptValidationLevel.OFF,
        )
        result = PeerResult(usage=_minus(self.model.usage, before))
        for ex in doc.extractions or []:
            span = ex.char_interval
            if span is None or span.start_pos is None or span.end_pos is None:
                continue
            mention = PeerMention(
                span.start_pos, span.end_pos, text[span.start_pos : span.end_pos], ex.extraction_class
            )
            attrs = ex.attributes or {}
            if ex.extraction_class == RELATION_CLASS and attrs.get("type") and attrs.get("tail"):
                result.relations.append(PeerRelation(mention, str(attrs["type"]), str(attrs["tail"])))
            elif ex.extraction_class in self.schema.entity_names or self.schema.open:
                result.mentions.append(mention)
        return result

    async def extract(self, text: str, examples: Sequence[Example] | None = None) -> PeerResult:
        """Run ``extract_sync`` in a worker thread."""
        return await asyncio.to_thread(self.extract_sync, text, examples)


def _minus(a: Usage, b: Usage) -> Usage:
    return Usage(
        calls=a.calls - b.calls,
        prompt_tokens=a.prompt_tokens - b.prompt_tokens,
        completion_tokens=a.completion_tokens - b.completion_tokens,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def llama_server(config: BackendConfig) -> Iterator[tuple[str, str]]:
    """Serve the embedded GGUF with ``python -m llama_cpp.server`` on 127.0.0.1; yield (base URL, model)."""
    from factloom.tools.llm.embedded import default_model_path

    path = config.model_path or default_model_path()
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(config.n_ctx),
        "--model_alias",
        path.name,
    ]
    with tempfile.TemporaryFile("w+") as log_file:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log_file, text=True)
        url = f"http://127.0.0.1:{port}/v1"
        try:
            _wait_ready(proc, url, log_file)
            yield url, path.name
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_ready(proc: subprocess.Popen[str], url: str, log_file: IO[str]) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log_file.seek(0)
            err = log_file.read()[-500:]
            raise PeerError(f"llama_cpp.server exited with {proc.returncode}: {err}")
        if _answers(f"{url}/models"):
            return
        time.sleep(0.5)
    raise PeerError(f"llama_cpp.server did not answer at {url} within {SERVER_START_SECONDS:.0f}s")


def _answers(url: str) -> bool:
    """Return whether the server answers ``url`` with 200 (a refused connection means not yet)."""
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def serve_peer(config: BackendConfig, schema: Schema, examples: Sequence[Example] = ()) -> Iterator[Peer]:
    """Yield a peer on the configured OpenAI-compatible server, or on a local llama.cpp server (embedded)."""
    if config.backend == "openai":
        yield Peer(str(config.base_url), str(config.model), schema, examples)
        return
    if config.backend != "embedded":
        raise PeerError("the langextract peer runs with the embedded or openai backend")
    with llama_server(config) as (url, model):
        yield Peer(url, model, schema, examples)
