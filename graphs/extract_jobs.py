"""The extraction graph's use of the job table: which chunks are finished, and recording each chunk's result.

Stage ``entities`` stores a chunk's mentions; stage ``relations`` its verified facts, keyed also by the
chunk's mentions (new mentions mean the relations must be found again).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from langgraph.runtime import Runtime
from pydantic import TypeAdapter

from factloom.agents.facts import Fact
from factloom.graphs.extract_options import ExtractContext
from factloom.graphs.state import ChunkEntitiesState, ChunkRelationsState
from factloom.ingest.models import Chunk
from factloom.tools.jobs import JobKey, JobTable
from factloom.tools.kg import Mention

ENTITIES = "entities"
RELATIONS = "relations"

_MENTIONS = TypeAdapter(list[Mention])
_FACTS = TypeAdapter(list[Fact])


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]


def entities_key(chunk: Chunk, version: str) -> JobKey:
    """Return the job key of a chunk's entity finding."""
    return JobKey(chunk.chunk_id, ENTITIES, chunk.doc_id, _hash(chunk.text), version)


def relations_key(chunk: Chunk, mentions: Sequence[Mention], version: str) -> JobKey:
    """Return the job key of a chunk's relations; it changes when the chunk's mentions change."""
    ids = sorted(m.mention_id for m in mentions if m.chunk_id == chunk.chunk_id)
    return JobKey(chunk.chunk_id, RELATIONS, chunk.doc_id, _hash(chunk.text, *ids), version)


def stored_mentions(jobs: JobTable, chunks: Sequence[Chunk], version: str) -> tuple[list[Mention], list[str]]:
    """Return the stored mentions of finished chunks, and the ids of the chunks still to do."""
    mentions: list[Mention] = []
    todo: list[str] = []
    for chunk in chunks:
        stored = jobs.result(entities_key(chunk, version))
        if stored is None:
            todo.append(chunk.chunk_id)
        else:
            mentions.extend(_MENTIONS.validate_json(stored))
    return mentions, todo


def stored_facts(
    jobs: JobTable, chunks: Sequence[Chunk], mentions: Sequence[Mention], version: str
) -> tuple[list[Fact], list[str]]:
    """Return the stored facts of chunks whose relations are finished, and the ids still to do."""
    facts: list[Fact] = []
    todo: list[str] = []
    for chunk in chunks:
        stored = jobs.result(relations_key(chunk, mentions, version))
        if stored is None:
            todo.append(chunk.chunk_id)
        else:
            facts.extend(_FACTS.validate_json(stored))
    return facts, todo


def mark_pending(jobs: JobTable, keys: Sequence[JobKey]) -> None:
    """Record jobs about to run, so a crash leaves them visible as pending (then failed)."""
    for key in keys:
        jobs.start(key)


async def record_entities(state: ChunkEntitiesState, runtime: Runtime[ExtractContext]) -> dict:
    """Store one chunk's mentions in the job table (a LangGraph node; changes no state)."""
    ctx = runtime.context
    if ctx.jobs is not None:
        result = _MENTIONS.dump_json(state.get("mentions", [])).decode()
        ctx.jobs.finish(entities_key(state["chunk"], ctx.version), result)
    return {}


async def record_relations(state: ChunkRelationsState, runtime: Runtime[ExtractContext]) -> dict:
    """Store one chunk's verified facts in the job table (a LangGraph node; changes no state)."""
    ctx = runtime.context
    if ctx.jobs is not None:
        key = relations_key(state["chunk"], state["mentions"], ctx.version)
        ctx.jobs.finish(key, _FACTS.dump_json(state.get("accepted", [])).decode())
    return {}
