"""``factloom extract --dry-run``: what a run would do and cost, before any model call or write.

Documents already in the workspace are read from it (with their finished chunks, from the job table);
new files are parsed and chunked in memory as ``extract`` would, and nothing is written. Prompt sizes
come from the agents' own prompt builders with the schema; tokens are counted as characters / 4.
Calls and tokens are a range: the low end assumes no reflection round and no verifier retry, the high
end one reflection round per chunk, every cross-chunk pair judged, and every answer at its token limit.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from pathlib import Path

from factloom.agents import entity_finder, relation_reasoner, verifier
from factloom.agents.relation_reasoner import ReasonerInput
from factloom.agents.schema_prompt import relation_types_text
from factloom.graphs import extract_jobs
from factloom.graphs.extract_options import ExtractOptions, run_version
from factloom.ingest.chunking import chunk_document
from factloom.ingest.errors import FactloomError
from factloom.ingest.models import Chunk
from factloom.ingest.pipeline import ingest_paths
from factloom.ingest.sources import expand_paths, file_hash, read_document
from factloom.ingest.store import find_document_by_hash, get_chunks
from factloom.ingest.workspace import DB_NAME, Workspace
from factloom.tools.extraction.demos import fingerprint as demo_fingerprint
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import Message
from factloom.tools.llm.config import BackendConfig
from factloom.tools.store.jobs import JobTable

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 4
_INGEST_DEFAULTS = inspect.signature(ingest_paths).parameters
CONSOLIDATION_MAX_TOKENS = 300
"""Completion limit assumed for a consolidation judgement (the entity judge's)."""


@dataclass(frozen=True)
class DocumentPlan:
    """One document of the run: its size and how much of it is already finished."""

    path: str
    doc_id: str
    pages: int
    chunks: list[Chunk]
    entities_todo: list[Chunk]
    relations_todo: list[Chunk]
    ingested: bool


@dataclass
class DryRun:
    """What ``extract`` would do: documents, chunks, and a range of LLM calls and tokens."""

    documents: list[DocumentPlan] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    calls: tuple[int, int] = (0, 0)
    tokens: tuple[int, int] = (0, 0)

    def lines(self) -> list[str]:
        """Return the report, one line per document then the totals."""
        out = []
        for d in self.documents:
            state = "ingested" if d.ingested else "new"
            done = len(d.chunks) - len(d.relations_todo)
            out.append(
                f"{Path(d.path).name}: {d.pages} pages, {len(d.chunks)} chunks ({done} finished), {state}"
            )
        out += [f"error: {message}" for message in self.failed]
        chunks = sum(len(d.chunks) for d in self.documents)
        pages = sum(d.pages for d in self.documents)
        out.append(
            f"{len(self.documents)} documents, {pages} pages, {chunks} chunks; "
            f"estimated LLM calls {self.calls[0]:,} to {self.calls[1]:,}, "
            f"tokens {self.tokens[0]:,} to {self.tokens[1]:,} (characters / {CHARS_PER_TOKEN}); no call made"
        )
        return out


def _tokens(messages: list[Message]) -> int:
    return sum(len(m.content) for m in messages) // CHARS_PER_TOKEN


def plan_extraction(
    root: Path, paths: list[str], schema: Schema, options: ExtractOptions, llm_name: str
) -> DryRun:
    """Return what ``factloom extract PATHS`` would do, without calling a model or writing anything."""
    ws = Workspace(root, create=False) if (root / DB_NAME).is_file() else None
    settings = options.settings()
    demos = demo_fingerprint(ws, schema.name) if ws is not None and settings.k_demos > 0 else ""
    version = run_version(settings, schema.version(), llm_name, demos)
    run = DryRun()
    try:
        found = expand_paths(paths)
        run.failed += [f"{raw}: {problem}" for raw, problem in found.problems]
        for path in found.files:
            try:
                run.documents.append(_plan_document(ws, path, version))
            except FactloomError as e:
                run.failed.append(str(e))
    finally:
        if ws is not None:
            ws.close()
    _estimate(run, schema, options)
    return run


def _plan_document(ws: Workspace | None, path: Path, version: str) -> DocumentPlan:
    content_hash = file_hash(path)
    stored = find_document_by_hash(ws, content_hash) if ws is not None else None
    if stored is None:
        doc = read_document(path, content_hash=content_hash)
        chunks = chunk_document(
            doc, _INGEST_DEFAULTS["chunk_tokens"].default, _INGEST_DEFAULTS["overlap_tokens"].default
        )
        return DocumentPlan(str(path), doc.doc_id, len(doc.pages), chunks, chunks, chunks, False)
    assert ws is not None
    chunks = get_chunks(ws, stored.doc_id)
    jobs = JobTable(ws)
    mentions, entity_ids = extract_jobs.stored_mentions(jobs, chunks, version)
    _, relation_ids = extract_jobs.stored_facts(jobs, chunks, mentions, version)
    entities_todo = [c for c in chunks if c.chunk_id in set(entity_ids)]
    relations_todo = [c for c in chunks if c.chunk_id in set(entity_ids) | set(relation_ids)]
    return DocumentPlan(str(path), stored.doc_id, stored.pages, chunks, entities_todo, relations_todo, True)


def _estimate(run: DryRun, schema: Schema, options: ExtractOptions) -> None:
    """Fill the call and token ranges of ``run`` from the agents' prompt sizes."""
    settings = options.settings()
    demo_tokens = settings.demo_token_budget if settings.k_demos > 0 else 0
    verifier_prompt = (
        _tokens(verifier.build_messages([], relation_types_text(schema)))
        + settings.max_relations * 60
    )
    calls_low = calls_high = tokens_low = tokens_high = 0
    for doc in run.documents:
        for chunk in doc.entities_todo:
            units = [chunk]
            if settings.unit == "sentences":
                units = entity_finder.reading_windows(chunk, settings.window_chars) or units
            for unit in units:
                prompt = _tokens(entity_finder.build_messages(unit, schema, [])) + demo_tokens
                calls_low, calls_high = calls_low + 1, calls_high + 1
                tokens_low += prompt + entity_finder.SAMPLING.max_tokens // 4
                tokens_high += prompt + entity_finder.SAMPLING.max_tokens
        for chunk in doc.relations_todo:
            inp = ReasonerInput(chunk=chunk, mentions=[])
            prompt = _tokens(relation_reasoner.build_messages(inp, schema, cot=settings.cot))
            prompt += demo_tokens + settings.context_token_budget
            rounds = (1, verifier.MAX_ATTEMPTS)
            per_round_low = prompt + relation_reasoner.SAMPLING.max_tokens // 4
            per_round_high = prompt + relation_reasoner.SAMPLING.max_tokens
            if settings.verify:
                per_round_low += verifier_prompt + verifier.SAMPLING.max_tokens // 4
                per_round_high += verifier_prompt + verifier.SAMPLING.max_tokens
            calls_per_round = 2 if settings.verify else 1
            calls_low += rounds[0] * calls_per_round
            calls_high += rounds[1] * calls_per_round
            tokens_low += rounds[0] * per_round_low
            tokens_high += rounds[1] * per_round_high
        if doc.relations_todo:
            calls_high += settings.cross_chunk_pairs
            tokens_high += settings.cross_chunk_pairs * (verifier_prompt + CONSOLIDATION_MAX_TOKENS)
    run.calls, run.tokens = (calls_low, calls_high), (tokens_low, tokens_high)


def llm_name(config: BackendConfig) -> str:
    """Return the name the configured backend gives its results, without loading a model or connecting."""
    if config.backend == "vllm":
        return f"vllm:{config.model}"  # building the vLLM backend would start the engine
    from factloom.tools.llm.factory import make_llm

    return make_llm(config).name
