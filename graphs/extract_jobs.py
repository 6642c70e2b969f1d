"""The extraction graph's use of the job table: which chunks are finished, and recording each chunk's result.

Stage ``entities`` stores a chunk's mentions; stage ``relations`` its verified facts, keyed also by the
chunk's mentions (new mentions mean the relations must be found again).

A result counts only for the run version that made it (``run_version``: prompts, settings and profile,
schema, model, demonstrations). The parts of each version are kept (table ``extract_versions``) so that
``extract`` can say why finished chunks run again ("8 chunks re-run: demonstrations changed").
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields

from langgraph.runtime import Runtime
from pydantic import TypeAdapter

from factloom.agents.context import AgentSettings
from factloom.agents.facts import Fact
from factloom.graphs.extract_options import PROMPT_VERSION, ExtractContext, run_version
from factloom.graphs.state import ChunkEntitiesState, ChunkRelationsState
from factloom.ingest.models import Chunk
from factloom.ingest.store import get_chunks
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.demos import fingerprint as demo_fingerprint
from factloom.tools.extraction.kg import Mention
from factloom.tools.extraction.schema import Schema
from factloom.tools.store.jobs import JobKey, JobTable

ENTITIES = "entities"
RELATIONS = "relations"

_MENTIONS = TypeAdapter(list[Mention])
_FACTS = TypeAdapter(list[Fact])

VERSIONS_DDL = """
CREATE TABLE IF NOT EXISTS extract_versions (
    version TEXT PRIMARY KEY,
    parts TEXT NOT NULL
);
"""
UNFINISHED = "an earlier run did not finish them"
TEXT_CHANGED = "their text changed"
UNKNOWN_VERSION = "their results were made with other settings or by an older factloom"
_PART_REASONS = {"demonstrations": "demonstrations changed", "model": "model changed",
                 "schema": "schema changed", "prompts": "prompts changed"}


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


@dataclass(frozen=True)
class RunVersion:
    """The version stamp of a run's chunk results and the parts it is made of (compared part by part)."""

    version: str
    parts: dict[str, str]


def run_key(ws: Workspace, schema: Schema, settings: AgentSettings, model: str) -> RunVersion:
    """Return the version that ``graphs.extract`` stamps on chunk results of this run, with its parts."""
    demos = demo_fingerprint(ws, schema.name) if settings.k_demos > 0 else ""
    parts = {"prompts": PROMPT_VERSION, "schema": schema.version(), "model": model, "demonstrations": demos}
    parts |= {f"settings.{f.name}": repr(getattr(settings, f.name)) for f in fields(settings)}
    return RunVersion(run_version(settings, schema.version(), model, demos), parts)


def explain_reruns(
    ws: Workspace, doc_ids: Sequence[str], schema: Schema, settings: AgentSettings, model: str
) -> list[str]:
    """Remember this run's version and return why finished chunks will be extracted again, one line a reason.

    A chunk never extracted before is not a re-run; a chunk whose stored result still counts is resumed.
    """
    run = run_key(ws, schema, settings, model)
    JobTable(ws)
    ws.ensure_tables(VERSIONS_DDL)
    with ws.transaction() as db:
        parts = json.dumps(run.parts, sort_keys=True)
        db.execute("INSERT OR IGNORE INTO extract_versions VALUES (?, ?)", (run.version, parts))
    reasons: Counter[str] = Counter()
    for doc_id in doc_ids:
        rows = {
            r["chunk_id"]: r
            for r in ws.db.execute(
                "SELECT chunk_id, content_hash, version, status FROM extract_jobs"
                " WHERE doc_id = ? AND stage = ?", (doc_id, ENTITIES),
            )
        }
        for chunk in get_chunks(ws, doc_id):
            row = rows.get(chunk.chunk_id)
            if row is not None:
                reason = _why(ws, entities_key(chunk, run.version), row, run)
                reasons.update([reason] if reason else [])
    return [f"{n} chunks re-run: {reason}" for reason, n in reasons.most_common()]


def _why(ws: Workspace, key: JobKey, row: dict, run: RunVersion) -> str | None:
    """Return why a chunk's stored result no longer counts (None when it does)."""
    if row["content_hash"] != key.content_hash:
        return TEXT_CHANGED
    if row["version"] == key.version:
        return None if row["status"] == "done" else UNFINISHED
    sql = "SELECT parts FROM extract_versions WHERE version = ?"
    found = ws.db.execute(sql, (row["version"],)).fetchone()
    if found is None:
        return UNKNOWN_VERSION
    old: dict[str, str] = json.loads(found["parts"])
    changed = [name for name in sorted(old.keys() | run.parts.keys()) if old.get(name) != run.parts.get(name)]
    said = [_PART_REASONS[name] for name in changed if name in _PART_REASONS]
    knobs = [name.split(".", 1)[1] for name in changed if name.startswith("settings.")]
    if knobs:
        said.append(f"settings changed ({', '.join(knobs)})")
    return ", ".join(said) or UNKNOWN_VERSION
