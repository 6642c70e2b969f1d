"""The call cache and token accounting, both in the workspace's SQLite.

``CachedLLM`` wraps any backend: an identical call (backend, model, messages, output schema,
sampling) is answered from the ``llm_cache`` table with zero new tokens, and every call,
served or not, adds one row to ``llm_usage`` (agent, document, tokens, seconds, cache hit).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMOutputError
from factloom.tools.llm.base import LLM, CallTag, Completion, Message, Sampling, Usage
from factloom.tools.llm.structured import (
    DEFAULT_SAMPLING,
    DEFAULT_TAG,
    RawReply,
    parse_reply,
    schema_json,
)

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

DDL = """
CREATE TABLE IF NOT EXISTS llm_cache (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    raw TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS llm_usage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    backend TEXT NOT NULL,
    agent TEXT NOT NULL,
    doc_id TEXT,
    prompt_tokens INTEGER NOT NULL,
    cached_prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL,
    cache_hit INTEGER NOT NULL,
    ok INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS llm_usage_agent ON llm_usage(agent);
CREATE INDEX IF NOT EXISTS llm_usage_doc ON llm_usage(doc_id);
"""

_SUMS = """COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(cached_prompt_tokens), 0),
    COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(seconds), 0), COALESCE(SUM(cache_hit), 0)"""


def cache_key(backend: str, messages: list[Message], output: type[BaseModel], sampling: Sampling) -> str:
    """Return the sha256 key of a call: backend and model, messages, output schema, sampling."""
    payload = {
        "backend": backend,
        "messages": [m.model_dump() for m in messages],
        "schema": schema_json(output),
        "sampling": dataclasses.asdict(sampling),
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CachedLLM:
    """An ``LLM`` that answers repeated calls from the workspace and accounts for every call.

    Args:
        inner: the backend that answers cache misses.
        ws: the workspace whose SQLite holds the cache and the usage table.
        no_cache: never read the cache (answers are still stored, refreshing it).
    """

    def __init__(self, inner: LLM, ws: Workspace, *, no_cache: bool = False) -> None:
        self.inner = inner
        self.ws = ws
        self.no_cache = no_cache
        self.name = inner.name
        ws.ensure_tables(DDL)

    async def complete(
        self,
        messages: list[Message],
        output: type[T],
        *,
        sampling: Sampling = DEFAULT_SAMPLING,
        tag: CallTag = DEFAULT_TAG,
    ) -> Completion[T]:
        """Return the cached completion of this exact call, or ask the inner backend and store it."""
        key = cache_key(self.name, messages, output, sampling)
        start = time.perf_counter()
        if not self.no_cache:
            hit = self._lookup(key, output)
            if hit is not None:
                hit.usage = Usage(calls=1, cache_hits=1, seconds=time.perf_counter() - start)
                self._record(tag, hit.usage, ok=True)
                return hit
        try:
            completion = await self.inner.complete(messages, output, sampling=sampling, tag=tag)
        except LLMOutputError as e:
            self._record(tag, e.usage, ok=False)
            raise
        self._store(key, completion)
        self._record(tag, completion.usage, ok=True)
        return completion

    def _lookup(self, key: str, output: type[T]) -> Completion[T] | None:
        row = self.ws.db.execute("SELECT raw FROM llm_cache WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            value = parse_reply(RawReply(text=row["raw"]), output)
        except LLMOutputError as e:
            log.warning("cached %s reply no longer validates (%s); asking the model", output.__name__, e)
            return None
        return Completion(value=value, raw=row["raw"])

    def _store(self, key: str, completion: Completion[T]) -> None:
        usage = completion.usage
        with self.ws.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO llm_cache VALUES (?, ?, ?, ?, ?, ?)",
                (key, self.name, completion.raw, usage.prompt_tokens, usage.completion_tokens, time.time()),
            )

    def _record(self, tag: CallTag, usage: Usage, *, ok: bool) -> None:
        with self.ws.transaction() as db:
            db.execute(
                "INSERT INTO llm_usage (ts, backend, agent, doc_id, prompt_tokens, cached_prompt_tokens,"
                " completion_tokens, seconds, cache_hit, ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    time.time(),
                    self.name,
                    tag.agent,
                    tag.doc_id,
                    usage.prompt_tokens,
                    usage.cached_prompt_tokens,
                    usage.completion_tokens,
                    usage.seconds,
                    int(usage.cache_hits > 0),
                    int(ok),
                ),
            )


@dataclass(frozen=True)
class UsageReport:
    """Token accounting of a workspace: the total, per agent, and per document."""

    total: Usage
    by_agent: dict[str, Usage]
    by_document: dict[str, Usage]
    failed_calls: int


def usage_report(ws: Workspace) -> UsageReport:
    """Return the token accounting recorded in ``ws`` (empty when no call was made yet)."""
    ws.ensure_tables(DDL)
    db = ws.db
    total = _usage(db.execute(f"SELECT {_SUMS} FROM llm_usage").fetchone())
    by_agent = {
        row[0]: _usage(row[1:])
        for row in db.execute(f"SELECT agent, {_SUMS} FROM llm_usage GROUP BY agent ORDER BY agent")
    }
    by_document = {
        row[0] or "": _usage(row[1:])
        for row in db.execute(f"SELECT doc_id, {_SUMS} FROM llm_usage GROUP BY doc_id ORDER BY doc_id")
    }
    failed = db.execute("SELECT COUNT(*) FROM llm_usage WHERE ok = 0").fetchone()[0]
    return UsageReport(total=total, by_agent=by_agent, by_document=by_document, failed_calls=failed)


def _usage(row: tuple[int, int, int, int, float, int]) -> Usage:
    calls, prompt, cached, completion, seconds, hits = tuple(row)
    return Usage(
        calls=calls,
        prompt_tokens=prompt,
        cached_prompt_tokens=cached,
        completion_tokens=completion,
        seconds=seconds,
        cache_hits=hits,
    )
