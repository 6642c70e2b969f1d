"""The per-chunk job table: what extraction work is finished, so a re-run skips it and a crash loses nothing.

One row per (chunk, stage): the chunk's content hash, the version of what produced the result (prompts,
schema, settings, model), the status and the stored result (JSON text, owned by the caller). A finished
row counts only while its hash and version match; anything else is work still to do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from factloom.ingest.workspace import Workspace

DDL = """
CREATE TABLE IF NOT EXISTS extract_jobs (
    chunk_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    version TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    result TEXT,
    error TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (chunk_id, stage)
);
CREATE INDEX IF NOT EXISTS extract_jobs_doc ON extract_jobs(doc_id, status);
"""


class Status(StrEnum):
    """The state of one job."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class JobKey:
    """Identifies one unit of work and the inputs its result depends on."""

    chunk_id: str
    stage: str
    doc_id: str
    content_hash: str
    version: str


class JobTable:
    """The ``extract_jobs`` table of a workspace."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        ws.ensure_tables(DDL)

    def result(self, key: JobKey) -> str | None:
        """Return the stored result of a finished job whose hash and version still match, else None."""
        row = self.ws.db.execute(
            "SELECT result FROM extract_jobs WHERE chunk_id = ? AND stage = ? AND status = 'done'"
            " AND content_hash = ? AND version = ?",
            (key.chunk_id, key.stage, key.content_hash, key.version),
        ).fetchone()
        return None if row is None else row["result"]

    def _put(self, key: JobKey, status: Status, result: str | None, error: str | None) -> None:
        with self.ws.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO extract_jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key.chunk_id,
                    key.stage,
                    key.doc_id,
                    key.content_hash,
                    key.version,
                    status,
                    result,
                    error,
                    time.time(),
                ),
            )

    def start(self, key: JobKey) -> None:
        """Record a job as pending (about to run)."""
        self._put(key, Status.PENDING, None, None)

    def finish(self, key: JobKey, result: str) -> None:
        """Store a job's result and mark it done (atomically)."""
        self._put(key, Status.DONE, result, None)

    def fail_pending(self, doc_id: str, error: str) -> int:
        """Mark every pending job of a document failed with ``error``; return how many."""
        with self.ws.transaction() as db:
            cur = db.execute(
                "UPDATE extract_jobs SET status = 'failed', error = ?, updated_at = ?"
                " WHERE doc_id = ? AND status = 'pending'",
                (error, time.time(), doc_id),
            )
        return cur.rowcount

    def counts(self, doc_id: str | None = None) -> dict[str, int]:
        """Return the number of jobs per status (of one document, or of all)."""
        sql = "SELECT status, COUNT(*) FROM extract_jobs"
        args: tuple[str, ...] = ()
        if doc_id is not None:
            sql, args = sql + " WHERE doc_id = ?", (doc_id,)
        return {row[0]: row[1] for row in self.ws.db.execute(sql + " GROUP BY status", args)}
