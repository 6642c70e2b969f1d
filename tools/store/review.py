"""A person's review of the graph: facts rejected or checked, kept in the workspace's review log.

Every change is one row of ``review_log`` (never updated or deleted), so the log is the history and the
latest row per fact is its state. A fact is known by its id and by its key (its type and the spans of
its evidence), so a fact whose id changes when a merge is undone or redone keeps its state. A rejected
fact is left out of ``store.view.load_graph`` and so of exports, questions and the web page, on every
later run; restoring it brings it back. A checked fact keeps who checked it and when. Undoing a merge
is logged here too (the merge itself is undone, for good, by ``tools.resolution.collection.undo_merge``).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from factloom.ingest.workspace import Workspace
from factloom.tools.errors import ReviewError
from factloom.tools.extraction.kg import Relation

TABLE = "review_log"
DDL = """
CREATE TABLE IF NOT EXISTS review_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL,
    key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS review_log_target ON review_log(target, seq);
"""

FACT_ACTIONS = {
    "reject": ("rejected", True),
    "restore": ("rejected", False),
    "check": ("checked", True),
    "uncheck": ("checked", False),
}
"""Actions on a fact: the state each one sets."""
UNDO_MERGE = "undo_merge"
ACTIONS = (*FACT_ACTIONS, UNDO_MERGE)


@dataclass(frozen=True)
class LogEntry:
    """One change made by a person."""

    seq: int
    at: str
    action: str
    target: str
    actor: str
    note: str
    key: str = ""


@dataclass(frozen=True)
class FactReview:
    """A fact's review state: rejected or not, and who checked it when (empty when not checked)."""

    rejected: bool = False
    checked_by: str = ""
    checked_at: str = ""


def ensure(ws: Workspace) -> sqlite3.Connection:
    """Create the review log if missing; return the connection."""
    ws.ensure_tables(DDL)
    return ws.db


def _exists(ws: Workspace) -> bool:
    """Return True once a change was recorded. Reads never create the table: ``executescript`` would
    commit a transaction that a caller (``load_graph`` inside a build) may hold open."""
    found = ws.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'review_log'")
    return found.fetchone() is not None


def fact_key(r: Relation) -> str:
    """Return what names a fact across rebuilds: its type and the spans of its evidence."""
    spans = sorted({(ev.doc_id, ev.start, ev.end) for ev in r.evidence})
    return json.dumps([r.type, spans], separators=(",", ":"))


def record(
    ws: Workspace, action: str, target: str, actor: str = "web", note: str = "", key: str = ""
) -> LogEntry:
    """Append one change to the log and return it (``key``: the fact's ``fact_key``).

    Raises:
        ReviewError: ``action`` is not one of ``ACTIONS``.
    """
    if action not in ACTIONS:
        raise ReviewError(f"unknown review action {action!r}; use one of {', '.join(ACTIONS)}")
    db = ensure(ws)
    at = datetime.now(UTC).isoformat(timespec="seconds")
    with ws.transaction():
        cur = db.execute(
            "INSERT INTO review_log (at, action, target, actor, note, key) VALUES (?, ?, ?, ?, ?, ?)",
            (at, action, target, actor, note, key),
        )
    return LogEntry(cur.lastrowid or 0, at, action, target, actor, note, key)


def read_log(ws: Workspace, limit: int = 200) -> list[LogEntry]:
    """Return the latest changes, newest first."""
    if not _exists(ws):
        return []
    rows = ws.db.execute("SELECT * FROM review_log ORDER BY seq DESC LIMIT ?", (limit,))
    cols = ("seq", "at", "action", "target", "actor", "note", "key")
    return [LogEntry(*(r[c] for c in cols)) for r in rows]


def fact_reviews(ws: Workspace) -> dict[str, FactReview]:
    """Return the review state of every fact a person touched, by relation id and by fact key."""
    states: dict[str, dict[str, object]] = {}
    if not _exists(ws):
        return {}
    rows = ws.db.execute(
        "SELECT action, target, actor, at, key FROM review_log WHERE action IN (?, ?, ?, ?) ORDER BY seq",
        tuple(FACT_ACTIONS),
    )
    for action, target, actor, at, key in rows:
        field, value = FACT_ACTIONS[action]
        for name in filter(None, (target, key)):
            state = states.setdefault(name, {"rejected": False, "checked_by": "", "checked_at": ""})
            if field == "rejected":
                state["rejected"] = value
            else:
                state["checked_by"], state["checked_at"] = (actor, at) if value else ("", "")
    return {k: FactReview(**v) for k, v in states.items()}  # type: ignore[arg-type]


def review_of(reviews: dict[str, FactReview], r: Relation) -> FactReview:
    """Return a fact's state, found by its id or else by its key."""
    return reviews.get(r.relation_id) or reviews.get(fact_key(r)) or FactReview()


def without_rejected(ws: Workspace, relations: list[Relation]) -> list[Relation]:
    """Return the relations a person did not reject (by id, or by key when the id changed)."""
    reviews = fact_reviews(ws)
    if not reviews:
        return relations
    return [r for r in relations if not review_of(reviews, r).rejected]


def last_key(ws: Workspace, target: str) -> str:
    """Return the key recorded with the latest change of a fact (to restore one no longer in the graph)."""
    if not _exists(ws):
        return ""
    row = ws.db.execute(
        "SELECT key FROM review_log WHERE target = ? AND key != '' ORDER BY seq DESC LIMIT 1", (target,)
    ).fetchone()
    return row[0] if row else ""
