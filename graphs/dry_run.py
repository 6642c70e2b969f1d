"""``factloom extract --dry-run``: what a run would do and cost, before any model call or write.

Documents already in the workspace are read from it (with their finished chunks, from the job table);
new files are parsed and chunked in memory as ``extract`` would, and nothing is written. Prompt sizes
come from the agents' own prompt builders with the schema; tokens are counted as characters / 4.
Calls and tokens are a range: the low end assumes no reflection round and no verifier retry, the high
end one reflection round per chunk, every cross-chunk pair judged, and every answer at its token limit.
A chunk that is a table goes to the table agents, as ``extract`` sends it: one entity call, one reasoner
call and one verifier call (no reflection round), priced with the table prompts.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from pathlib import Path

from factloom.agents import (
    entity_finder,
    relation_reasoner,
    table_entities,
    table_relations,
    type_check,
    verifier,
    verifier_judge,
)
from factloom.agents.context import AgentSettings
from factloom.agents.relation_reasoner import ReasonerInput
from factloom.agents.schema_prompt import entity_types_text, relation_types_text
from factloom.agents.table_unit import TableUnit, table_unit
from factloom.graphs import extract_jobs
from factloom.graphs.extract_options import ExtractOptions, run_version
from factloom.ingest.chunking import chunk_document
from factloom.ingest.errors import FactloomError
from factloom.ingest.models import Chunk, Document
from factloom.ingest.pipeline import ingest_paths
from factloom.ingest.sources import expand_paths, file_hash, read_document
from factloom.ingest.store import find_document_by_hash, get_chunks, get_document
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
    tables: dict[str, TableUnit] = field(default_factory=dict)
    """The chunks that are tables (by chunk id), read by the table agents."""


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
        tables = _tables(doc, chunks)
        return DocumentPlan(str(path), doc.doc_id, len(doc.pages), chunks, chunks, chunks, False, tables)
    assert ws is not None
    chunks = get_chunks(ws, stored.doc_id)
    tables = _tables(get_document(ws, stored.doc_id), chunks)
    jobs = JobTable(ws)
    mentions, entity_ids = extract_jobs.stored_mentions(jobs, chunks, version)
    _, relation_ids = extract_jobs.stored_facts(jobs, chunks, mentions, version)
    entities_todo = [c for c in chunks if c.chunk_id in set(entity_ids)]
    relations_todo = [c for c in chunks if c.chunk_id in set(entity_ids) | set(relation_ids)]
    return DocumentPlan(
        str(path), stored.doc_id, stored.pages, chunks, entities_todo, relations_todo, True, tables
    )


def _tables(doc: Document, chunks: list[Chunk]) -> dict[str, TableUnit]:
    if not doc.tables:
        return {}
    units = {c.chunk_id: table_unit(doc, c) for c in chunks}
    return {chunk_id: unit for chunk_id, unit in units.items() if unit is not None}


Range = tuple[int, int, int, int]
"""Calls (low, high) and tokens (low, high)."""


def _estimate(run: DryRun, schema: Schema, options: ExtractOptions) -> None:
    """Fill the call and token ranges of ``run`` from the agents' prompt sizes."""
    settings = options.settings()
    verifier_cost = _verifier_cost(schema, settings)
    total = [0, 0, 0, 0]
    for doc in run.documents:
        parts = [_entities(c, doc.tables.get(c.chunk_id), schema, options) for c in doc.entities_todo]
        parts += [
            _relations(c, doc.tables.get(c.chunk_id), schema, options, verifier_cost)
            for c in doc.relations_todo
        ]
        if doc.relations_todo:
            judged = settings.cross_chunk_pairs
            parts.append((0, judged, 0, judged * (verifier_cost[1] + CONSOLIDATION_MAX_TOKENS)))
        for part in parts:
            total = [t + p for t, p in zip(total, part, strict=True)]
    run.calls, run.tokens = (total[0], total[1]), (total[2], total[3])


def _entities(chunk: Chunk, table: TableUnit | None, schema: Schema, options: ExtractOptions) -> Range:
    """Return the range of one chunk's entity calls (one per reading unit; one for a table)."""
    settings = options.settings()
    if table is not None:
        prompt = _tokens(table_entities.build_messages(table, schema))
        limit = table_entities.SAMPLING.max_tokens
        return 1, 1, prompt + limit // 4, prompt + limit
    demo_tokens = settings.demo_token_budget if settings.k_demos > 0 else 0
    units = [chunk]
    if settings.unit == "sentences":
        units = entity_finder.reading_windows(chunk, settings.window_chars) or units
    prompts = [_tokens(entity_finder.build_messages(u, schema, [])) + demo_tokens for u in units]
    limit = entity_finder.SAMPLING.max_tokens
    return len(units), len(units), sum(prompts) + len(units) * limit // 4, sum(prompts) + len(units) * limit


def _verifier_cost(schema: Schema, settings: AgentSettings) -> tuple[int, int, int]:
    """Return the verifier's (low tokens, high tokens, most calls) for one round of a chunk's facts.

    ``verdicts`` judges a chunk's facts in one call; ``choice`` asks one call per fact (at most
    ``max_relations``), each with the evidence and about a dozen options. ``check_types`` adds up to one
    type question per argument (two per fact) before them.
    """
    relation_types = relation_types_text(schema)
    low, high, calls = _relation_check_cost(relation_types, settings)
    if not settings.check_types:
        return low, high, calls
    arg = type_check.Argument("", "", "")
    names = [t.name for t in schema.entity_types]
    prompt = _tokens(type_check.build_messages(arg, names, entity_types_text(schema))) + 80
    per_question = prompt + type_check.SAMPLING.max_tokens
    most = 2 * settings.max_relations
    return low + prompt, high + most * per_question, calls + most


def _relation_check_cost(relation_types: str, settings: AgentSettings) -> tuple[int, int, int]:
    """Return the (low tokens, high tokens, most calls) of the relation questions of one round."""
    if settings.verifier_style == "choice":
        s = verifier_judge.Statement("", "", "", "", "")
        prompt = _tokens(verifier_judge.choice_messages(s, [], relation_types)) + 160
        sampling = verifier_judge.CHOICE_SAMPLING.max_tokens
        return prompt + sampling // 4, settings.max_relations * (prompt + sampling), settings.max_relations
    prompt = _tokens(verifier_judge.build_messages([], relation_types)) + settings.max_relations * 60
    sampling = verifier_judge.SAMPLING.max_tokens
    return prompt + sampling // 4, prompt + sampling, 1


def _relations(
    chunk: Chunk,
    table: TableUnit | None,
    schema: Schema,
    options: ExtractOptions,
    verifier_cost: tuple[int, int, int],
) -> Range:
    """Return the range of one chunk's reasoner and verifier calls (a table has no reflection round)."""
    settings = options.settings()
    if table is not None:
        prompt = _tokens(table_relations.build_messages(table, [], schema, cot=settings.cot))
        sampling, rounds = table_relations.SAMPLING, (1, 1)
    else:
        inp = ReasonerInput(chunk=chunk, mentions=[])
        prompt = _tokens(relation_reasoner.build_messages(inp, schema, cot=settings.cot))
        prompt += (settings.demo_token_budget if settings.k_demos > 0 else 0) + settings.context_token_budget
        sampling, rounds = relation_reasoner.SAMPLING, (1, verifier.MAX_ATTEMPTS)
    low, high = prompt + sampling.max_tokens // 4, prompt + sampling.max_tokens
    low_calls = high_calls = 1
    if settings.verify:
        verifier_low, verifier_high, verifier_calls = verifier_cost
        low, high = low + verifier_low, high + verifier_high
        low_calls, high_calls = 2, 1 + verifier_calls
    return rounds[0] * low_calls, rounds[1] * high_calls, rounds[0] * low, rounds[1] * high


def llm_name(config: BackendConfig) -> str:
    """Return the name the configured backend gives its results, without loading a model or connecting."""
    if config.backend == "vllm":
        return f"vllm:{config.model}"  # building the vLLM backend would start the engine
    from factloom.tools.llm.factory import make_llm

    return make_llm(config).name
