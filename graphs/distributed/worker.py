"""The worker side of a Ray extraction: one document at a time, in memory, never writing the workspace.

The driver sends each worker, once, what every document needs (schema, options, the backend to build,
the workspace's demonstrations) and then, per document, its inputs: the document, its chunks, and its
finished chunk results from the job table. The worker loads them into a private in-memory workspace,
runs the very per-document graph a single-process run runs (``graphs.extract.extract_document``), and
returns the graph plus every row that run wrote (job results, LLM call cache and usage) as plain data.
The driver, the only writer, stores them. Nothing here imports Ray: the driver wraps ``ExtractWorker``
in a Ray actor, so the class is testable without a cluster.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from factloom.graphs.extract import extract_document
from factloom.graphs.extract_options import DocumentGraph, ExtractOptions
from factloom.ingest.errors import FactloomError
from factloom.ingest.models import Chunk, Document
from factloom.ingest.store import save_document
from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMRequestError, LLMUnavailableError
from factloom.tools.extraction.demos import DDL as DEMOS_DDL
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import LLM
from factloom.tools.llm.cache import CachedLLM
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.factory import make_llm
from factloom.tools.store.jobs import DDL as JOBS_DDL
from factloom.tools.store.jobs import JobTable

log = logging.getLogger(__name__)

LLMFactory = Callable[[], LLM]
"""Builds a worker's model in the worker process (tests pass a scripted one; the CLI a ``BackendConfig``)."""

@dataclass(frozen=True)
class TableRows:
    """Rows of one workspace table, with their column names, as they travel between processes."""

    table: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...] = ()

    @classmethod
    def read(
        cls, db: sqlite3.Connection, table: str, where: str = "", args: tuple[object, ...] = ()
    ) -> TableRows:
        """Return the rows of ``table`` matching the SQL ``where`` clause (all rows without one)."""
        cursor = db.execute(f"SELECT * FROM {table} {where}", args)
        columns = tuple(d[0] for d in cursor.description)
        return cls(table, columns, tuple(tuple(row) for row in cursor))

    def write(self, db: sqlite3.Connection, *, skip: tuple[str, ...] = ()) -> None:
        """Insert the rows into ``db`` (replacing rows with the same key), without the ``skip`` columns."""
        keep = [i for i, c in enumerate(self.columns) if c not in skip]
        names = ", ".join(self.columns[i] for i in keep)
        marks = ", ".join("?" for _ in keep)
        db.executemany(
            f"INSERT OR REPLACE INTO {self.table} ({names}) VALUES ({marks})",
            [tuple(row[i] for i in keep) for row in self.rows],
        )


@dataclass(frozen=True)
class WorkerSpec:
    """What every worker needs, sent once.

    Attributes:
        schema: the extraction schema.
        options: the extraction options (the same as a single-process run's).
        backend: the backend each worker builds once, or a function returning one.
        chroma_url: the Chroma server with the driver's collections (database included), or None.
        demos: the workspace's demonstrations for the schema (rows of ``demos``).
    """

    schema: Schema
    options: ExtractOptions
    backend: BackendConfig | LLMFactory
    chroma_url: str | None = None
    demos: TableRows | None = None


@dataclass(frozen=True)
class DocumentTask:
    """One document's inputs: the document, its chunks, and its finished job rows (for resuming)."""

    doc: Document
    chunks: tuple[Chunk, ...]
    jobs: TableRows


@dataclass
class DocumentOutcome:
    """What a worker returns for one document.

    Attributes:
        doc_id: the document.
        graph: its knowledge graph, or None when its extraction failed.
        rows: the rows the extraction wrote (job results, LLM cache and usage), for the driver to store.
        error: why the extraction failed (a refused request, or an unreachable backend).
        fatal: the backend is unreachable: the driver stops the run, as a single-process run does.
        worker_pid: the process that did the work.
    """

    doc_id: str
    graph: DocumentGraph | None
    rows: list[TableRows] = field(default_factory=list)
    error: str | None = None
    fatal: bool = False
    worker_pid: int = 0


class WorkerIndexError(FactloomError):
    """A worker was asked for a vector index it can only reach through a Chroma server."""


class MemoryWorkspace(Workspace):
    """A private workspace held in one in-memory SQLite database: a worker's scratch space, never a file.

    Args:
        chroma_url: the Chroma server to read collections from; None opens no vector index.
    """

    def __init__(self, chroma_url: str | None = None) -> None:
        # Deliberately not Workspace.__init__: that opens (and creates) a folder's database file.
        self.root = Path("<memory>")
        self.chroma_url = chroma_url
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys=ON")

    @property
    def chroma_path(self) -> Path:
        """Refuse: a worker has no local vector store, only the Chroma server of ``chroma_url``."""
        raise WorkerIndexError("a Ray worker reads the vector index from a Chroma server: pass --chroma-url")


class ExtractWorker:
    """Extracts documents one at a time; builds its model once (a Ray actor wraps this class).

    Args:
        spec: what every document needs.
    """

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        backend = spec.backend
        self.llm: LLM = make_llm(backend) if isinstance(backend, BackendConfig) else backend()
        self.no_cache = isinstance(backend, BackendConfig) and backend.no_cache
        # One event loop for the worker's life, in its own thread: async clients bind to their loop, and
        # the thread that calls ``extract`` may already run one (Ray's does).
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="extract-loop", daemon=True).start()
        log.info("worker %d ready (%s)", os.getpid(), getattr(self.llm, "name", type(self.llm).__name__))

    def close(self) -> None:
        """Stop the worker's event loop (a Ray actor's process simply ends)."""
        self._loop.call_soon_threadsafe(self._loop.stop)

    def pid(self) -> int:
        """Return the worker's process id."""
        return os.getpid()

    def extract(self, task: DocumentTask) -> DocumentOutcome:
        """Extract one document's graph and return it with the rows its extraction wrote."""
        return asyncio.run_coroutine_threadsafe(self._extract(task), self._loop).result()

    async def _extract(self, task: DocumentTask) -> DocumentOutcome:
        doc_id = task.doc.doc_id
        with MemoryWorkspace(self.spec.chroma_url) as ws:
            self._seed(ws, task)
            llm = CachedLLM(self.llm, ws, no_cache=self.no_cache)
            try:
                graph = await extract_document(ws, doc_id, self.spec.schema, llm, self.spec.options)
            except LLMRequestError as e:
                return self._failed(ws, doc_id, str(e), fatal=False)
            except LLMUnavailableError as e:
                return self._failed(ws, doc_id, str(e), fatal=True)
            return DocumentOutcome(doc_id, graph, _results(ws, doc_id), worker_pid=os.getpid())

    def _seed(self, ws: Workspace, task: DocumentTask) -> None:
        save_document(ws, task.doc, list(task.chunks))
        ws.ensure_tables(JOBS_DDL)
        ws.ensure_tables(DEMOS_DDL)
        with ws.transaction() as db:
            task.jobs.write(db)
            if self.spec.demos is not None:
                self.spec.demos.write(db)

    def _failed(self, ws: Workspace, doc_id: str, error: str, *, fatal: bool) -> DocumentOutcome:
        JobTable(ws).fail_pending(doc_id, error)
        log.warning("%s: extraction failed in worker %d: %s", doc_id, os.getpid(), error)
        rows = _results(ws, doc_id)
        return DocumentOutcome(doc_id, None, rows, error=error, fatal=fatal, worker_pid=os.getpid())


def _results(ws: Workspace, doc_id: str) -> list[TableRows]:
    """Return the rows the document's extraction wrote into the scratch workspace.

    Those are its job rows (``extract_jobs``), the answers of its model calls (``llm_cache``) and their
    accounting (``llm_usage``); the scratch workspace holds one document, so the last two are all rows.
    """
    return [
        TableRows.read(ws.db, "extract_jobs", "WHERE doc_id = ?", (doc_id,)),
        TableRows.read(ws.db, "llm_cache"),
        TableRows.read(ws.db, "llm_usage", "ORDER BY id"),
    ]
