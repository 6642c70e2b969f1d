"""The workload of ``bench/server.py``: every model call recorded, a news corpus, ingest and extract.

Each call is recorded with its agent, document, start and end time and outcome; ``in_flight`` turns the
calls into the number in flight over time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factloom.graphs.extract import extract_collection
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.chunking import chunk_document
from factloom.ingest.sources import read_document
from factloom.ingest.store import save_document
from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.schema import load_schema

SURNAMES = ("Smith", "Jones", "Brown", "White", "Green", "King", "Hill", "Lee", "Clark", "Scott")


@dataclass
class Call:
    """One model call as the backend saw it."""

    agent: str
    doc_id: str | None
    start: float
    end: float
    outcome: str  # ok | invalid | error


@dataclass
class Recorder:
    """Wraps an LLM; records every call's agent, document, start and end time and outcome."""

    inner: Any
    calls: list[Call] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    async def complete(self, messages, output, **kwargs):
        tag = kwargs.get("tag")
        start, outcome = time.perf_counter(), "error"
        try:
            done = await self.inner.complete(messages, output, **kwargs)
            outcome = "ok"
            return done
        except LLMOutputError:
            outcome = "invalid"
            raise
        finally:
            agent = tag.agent if tag is not None else "?"
            doc = tag.doc_id if tag is not None else None
            self.calls.append(Call(agent, doc, start, time.perf_counter(), outcome))


def news_corpus(folder: Path, documents: int, paragraphs: int) -> tuple[list[Path], dict[str, Any]]:
    """Write ``documents`` news texts of ``paragraphs`` one-chunk paragraphs; return them and the script."""
    names, relations, paths = {}, [], []
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(documents):
        paras = []
        for i in range(paragraphs):
            person, org, city = (
                f"Anna {SURNAMES[i % len(SURNAMES)]}{d}x{i}",
                f"Acme{d}x{i} Corporation",
                f"Town{d}x{i}",
            )
            works, lives = f"{person} works for {org} in {city}.", f"{person} lives in {city}."
            paras.append(f"{works} The company hired more staff this year. {lives} The press wrote about it.")
            names |= {person: "person", org: "organization", city: "location"}
            relations += [[person, "work_for", org, works], [person, "live_in", city, lives]]
        path = folder / f"doc{d}.txt"
        path.write_text("\n\n".join(paras) + "\n", encoding="utf-8")
        paths.append(path)
    return paths, {"names": names, "relations": relations}


def ingest(root: Path, paths: list[Path], chunk_tokens: int | None) -> list[str]:
    """Ingest ``paths`` without embeddings (extraction does not need them); return the document ids."""
    ids = []
    with Workspace(root) as ws:
        for path in paths:
            document = read_document(path)
            kw = {"chunk_tokens": chunk_tokens, "overlap_tokens": 0} if chunk_tokens else {}
            save_document(ws, document, chunk_document(document, **kw))
            ids.append(document.doc_id)
    return ids


async def extract(root: Path, ids: list[str], schema: str, llm: Recorder, options: ExtractOptions) -> Any:
    with Workspace(root) as ws:
        try:
            return await extract_collection(ws, ids, load_schema(schema), llm, options)
        finally:
            await llm.inner.aclose()


def in_flight(calls: list[Call], t0: float, step: float) -> list[int]:
    """Return the number of calls in flight at every ``step`` seconds from ``t0``."""
    end = max(c.end for c in calls)
    return [
        sum(1 for c in calls if c.start <= t < c.end)
        for t in (t0 + i * step for i in range(int((end - t0) / step) + 1))
    ]
