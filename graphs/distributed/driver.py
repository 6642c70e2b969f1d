"""Extract a collection on a Ray cluster: a pool of workers runs the per-document graph, the driver writes.

Each worker (a Ray actor around ``worker.ExtractWorker``) builds its model once: a client of a
shared OpenAI-compatible server (vLLM), or the embedded model. The driver reads each document's inputs
from the workspace, hands them to an idle worker, and stores what comes back (the document graph, its job
rows, its LLM cache and usage rows) as the workspace's only writer. Results are the single-process run's:
the same graph runs on the same inputs, and every id is deterministic.

A worker that dies mid-document is restarted by Ray and the document is retried on it
(``max_restarts`` / ``max_task_retries``); a worker lost for good hands its document back to the queue.
A document's rows are written only from the one outcome the driver receives, so nothing is lost or
written twice. Ray is imported inside the functions that use it, so the CLI stays fast without it.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from factloom.graphs.distributed.worker import (
    DocumentOutcome,
    DocumentTask,
    LLMFactory,
    TableRows,
    WorkerSpec,
)
from factloom.graphs.extract_options import CollectionReport, DocumentGraph, ExtractOptions
from factloom.ingest.chroma_http import with_database
from factloom.ingest.errors import FactloomError
from factloom.ingest.store import get_chunks, get_document
from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMUnavailableError
from factloom.tools.extraction.demos import DDL as DEMOS_DDL
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.cache import DDL as CACHE_DDL
from factloom.tools.llm.config import BackendConfig
from factloom.tools.store.documents import save_document_graph
from factloom.tools.store.jobs import DDL as JOBS_DDL
from factloom.tools.store.jobs import JobTable

log = logging.getLogger(__name__)

AUTO_COLUMNS = {"llm_usage": ("id",)}
"""Columns the driver's database numbers itself; a worker's values for them are not copied."""


class DistributedError(FactloomError):
    """The Ray run cannot start or cannot go on."""


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide to run.

    Attributes:
        address: the cluster to join (``auto``, ``HOST:6379``, ``ray://HOST:10001``); None starts a
            local one on this machine.
        workers: Ray actors, each extracting one document at a time.
        cpus_per_worker: CPUs Ray reserves per worker (an embedded model wants its threads' worth).
        max_retries: restarts of a dead worker, and retries of the document it was extracting.
    """

    address: str | None = None
    workers: int = 2
    cpus_per_worker: float = 1.0
    max_retries: int = 3

    def __post_init__(self) -> None:
        if self.workers < 1 or self.max_retries < 0 or self.cpus_per_worker < 0:
            raise DistributedError("--workers must be at least 1; retries and CPUs cannot be negative")


class DocumentPool(Protocol):
    """What the driver's loop needs of a pool: outcomes for documents, in the order they finish."""

    def map(
        self, doc_ids: Sequence[str], make_task: Callable[[str], DocumentTask]
    ) -> Iterator[DocumentOutcome]:
        """Yield one outcome per document; ``make_task`` builds a document's inputs when it is handed out."""
        ...


class RayPool:
    """A pool of extraction workers on a Ray cluster (a context manager; the workers end with it).

    Args:
        spec: what every worker needs.
        options: the cluster and the pool's size.
    """

    def __init__(self, spec: WorkerSpec, options: RayOptions) -> None:
        self.spec = spec
        self.options = options
        self._actors: list[Any] = []
        self._started_ray = False

    def __enter__(self) -> RayPool:
        import ray

        from factloom.graphs.distributed.worker import ExtractWorker

        if not ray.is_initialized():
            try:
                ray.init(address=self.options.address, include_dashboard=False, logging_level=logging.WARNING)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise DistributedError(f"cannot join the Ray cluster {self.options.address!r}: {e}") from e
            self._started_ray = True
        retries = self.options.max_retries
        worker = ray.remote(ExtractWorker).options(
            max_restarts=retries, max_task_retries=retries, num_cpus=self.options.cpus_per_worker
        )
        self._actors = [worker.remote(self.spec) for _ in range(self.options.workers)]
        return self

    def __exit__(self, *exc: object) -> None:
        import ray

        for actor in self._actors:
            ray.kill(actor, no_restart=True)
        self._actors = []
        if self._started_ray:
            ray.shutdown()

    def pids(self) -> list[int]:
        """Return the workers' process ids (waits until every worker has built its model)."""
        import ray

        return list(ray.get([a.pid.remote() for a in self._actors]))

    def map(
        self, doc_ids: Sequence[str], make_task: Callable[[str], DocumentTask]
    ) -> Iterator[DocumentOutcome]:
        """Yield one outcome per document, in the order they finish.

        Each idle worker gets the next document; its task is built (``make_task``) only then, so the
        inputs are read just before they are needed.

        Raises:
            DistributedError: every worker was lost for good.
        """
        import ray
        from ray.exceptions import RayActorError

        queue, lost = deque(doc_ids), Counter[str]()
        idle, running = list(self._actors), {}

        def fill() -> None:
            while idle and queue:
                doc_id, actor = queue.popleft(), idle.pop()
                running[actor.extract.remote(make_task(doc_id))] = (doc_id, actor)

        fill()
        while running:
            [ref], _ = ray.wait(list(running), num_returns=1)
            doc_id, actor = running.pop(ref)
            try:
                outcome = ray.get(ref)
            except RayActorError as e:
                yield from self._lose(actor, doc_id, e, queue, lost)
                if not idle and not running and queue:
                    raise DistributedError("every Ray worker died; see the Ray logs (`ray logs`)") from e
                fill()
                continue
            idle.append(actor)
            fill()  # the worker starts its next document while the driver stores this one
            yield outcome

    def _lose(
        self, actor: Any, doc_id: str, error: Exception, queue: deque[str], lost: Counter[str]
    ) -> Iterator[DocumentOutcome]:
        """Drop a worker Ray could not restart; give its document to another, or fail it when out of tries."""
        self._actors.remove(actor)
        lost[doc_id] += 1
        log.warning("%s: its worker was lost (%s); %d workers left", doc_id, error, len(self._actors))
        if lost[doc_id] <= self.options.max_retries and self._actors:
            queue.appendleft(doc_id)
        else:
            yield DocumentOutcome(doc_id, None, error=f"its worker died {lost[doc_id]} times")


def worker_spec(
    ws: Workspace, schema: Schema, backend: BackendConfig | LLMFactory, options: ExtractOptions
) -> WorkerSpec:
    """Return what the workers need from ``ws``, checking that the run can be distributed.

    Raises:
        DistributedError: self-annotation is on (each document would depend on the ones before it), or
            the workspace has demonstrations but no Chroma server the workers could read them from.
    """
    if options.self_annotation:
        raise DistributedError("--self-annotation makes a document depend on the ones before it; drop --ray")
    ws.ensure_tables(DEMOS_DDL)
    demos = None
    if options.settings().k_demos > 0:
        demos = TableRows.read(ws.db, "demos", "WHERE schema_name = ? ORDER BY demo_id", (schema.name,))
        if demos.rows and not ws.chroma_url:
            raise DistributedError(
                "the workspace has demonstrations, which Ray workers read from a Chroma server: start "
                f"`chroma run --path {ws.chroma_path} --port 8000` and pass "
                "--chroma-url http://HOST:8000/default_database (or --k-demos 0)"
            )
    chroma_url = with_database(ws.chroma_url, ws.root) if ws.chroma_url else None
    return WorkerSpec(schema=schema, options=options, backend=backend, chroma_url=chroma_url, demos=demos)


def document_task(ws: Workspace, doc_id: str) -> DocumentTask:
    """Return one document's inputs: the document, its chunks and its job rows."""
    ws.ensure_tables(JOBS_DDL)
    jobs = TableRows.read(ws.db, "extract_jobs", "WHERE doc_id = ? ORDER BY chunk_id, stage", (doc_id,))
    return DocumentTask(doc=get_document(ws, doc_id), chunks=tuple(get_chunks(ws, doc_id)), jobs=jobs)


def store_outcome(ws: Workspace, outcome: DocumentOutcome) -> None:
    """Write one document's results into the workspace: its rows first, then its graph."""
    with ws.transaction() as db:
        for rows in outcome.rows:
            rows.write(db, skip=AUTO_COLUMNS.get(rows.table, ()))
    if outcome.graph is not None:
        save_document_graph(ws, outcome.doc_id, outcome.graph.entities, outcome.graph.relations)


def extract_on_pool(
    ws: Workspace,
    pool: DocumentPool,
    doc_ids: Sequence[str],
    *,
    progress: Callable[[DocumentGraph], None] | None = None,
) -> CollectionReport:
    """Extract ``doc_ids`` on ``pool`` and save each document as it comes back (the driver's loop).

    Raises:
        LLMUnavailableError: a worker could not reach the backend (the run stops, as a single-process
            run does; every document finished before is kept).
    """
    JobTable(ws)  # the tables the driver writes exist before the first outcome arrives
    ws.ensure_tables(CACHE_DDL)
    report = CollectionReport()
    for outcome in pool.map(doc_ids, lambda doc_id: document_task(ws, doc_id)):
        store_outcome(ws, outcome)
        log.info("%s: stored (worker %d)", outcome.doc_id, outcome.worker_pid)
        if outcome.fatal:
            raise LLMUnavailableError(f"{outcome.doc_id}: {outcome.error}")
        if outcome.graph is None:
            report.failed[outcome.doc_id] = outcome.error or "failed"
            continue
        report.documents.append(outcome.graph)
        if progress is not None:
            progress(outcome.graph)
    order = {doc_id: i for i, doc_id in enumerate(doc_ids)}
    report.documents.sort(key=lambda g: order[g.doc_id])
    return report


def extract_collection_ray(
    ws: Workspace,
    doc_ids: Sequence[str],
    schema: Schema,
    backend: BackendConfig | LLMFactory,
    options: ExtractOptions,
    ray_options: RayOptions,
    *,
    progress: Callable[[DocumentGraph], None] | None = None,
) -> CollectionReport:
    """Extract and save the graph of each document on a Ray pool; the result is a single-process run's.

    Args:
        ws: the workspace (this process is its only writer).
        doc_ids: the ingested documents to extract.
        schema: the extraction schema.
        backend: the backend every worker builds for itself, or a function building one.
        options: the extraction options.
        ray_options: the cluster and the pool.
        progress: called with each document graph as it is saved.

    Raises:
        DistributedError: the run cannot be distributed, or every worker died.
        LLMUnavailableError: the backend stayed unreachable (the run stops).
    """
    backend, ray_options = _fit_embedded(backend, ray_options)
    spec = worker_spec(ws, schema, backend, options)
    if not doc_ids:
        return CollectionReport()
    workers = min(ray_options.workers, len(doc_ids))
    with RayPool(spec, replace(ray_options, workers=workers)) as pool:
        return extract_on_pool(ws, pool, doc_ids, progress=progress)


def _fit_embedded(
    backend: BackendConfig | LLMFactory, ray_options: RayOptions
) -> tuple[BackendConfig | LLMFactory, RayOptions]:
    """Give an embedded model as many threads as Ray reserves CPUs for its worker (no oversubscription)."""
    if not isinstance(backend, BackendConfig) or backend.backend != "embedded":
        return backend, ray_options
    if backend.threads is None:
        return replace(backend, threads=max(1, int(ray_options.cpus_per_worker))), ray_options
    return backend, replace(ray_options, cpus_per_worker=float(backend.threads))
