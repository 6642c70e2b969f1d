"""The workspace: one folder per collection holding SQLite (system of record) and Chroma.

Each module that stores something owns its tables and creates them through
``Workspace.ensure_tables``; the workspace only opens the database the same way for everyone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from factloom.ingest.errors import WorkspaceError

DB_NAME = "factloom.sqlite"
CHROMA_DIR = "chroma"


class Workspace:
    """An opened workspace folder.

    Args:
        root: the workspace folder; created if missing.
        create: create the folder when it does not exist (otherwise raise).
        chroma_url: a Chroma server (``http://HOST:PORT``, started with ``chroma run``) holding the
            vector index when several processes share it; None for the embedded store in ``chroma_path``.
    """

    def __init__(self, root: str | Path, *, create: bool = True, chroma_url: str | None = None) -> None:
        self.root = Path(root)
        self.chroma_url = chroma_url
        if not self.root.exists():
            if not create:
                raise WorkspaceError(f"{self.root}: no such workspace; run `factloom ingest` first")
            self.root.mkdir(parents=True)
        if not self.root.is_dir():
            raise WorkspaceError(f"{self.root}: not a folder; pass a folder to -w/--workspace")
        self.db = sqlite3.connect(self.root / DB_NAME, timeout=30.0, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")

    @property
    def chroma_path(self) -> Path:
        """Return the folder of the embedded Chroma store."""
        return self.root / CHROMA_DIR

    def ensure_tables(self, ddl: str) -> None:
        """Create tables and indexes (``CREATE ... IF NOT EXISTS`` statements) once."""
        self.db.executescript(ddl)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block atomically: all its writes land, or none do."""
        with self.db:
            yield self.db

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
