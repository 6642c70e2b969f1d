"""Extraction on a local Ray cluster (2 CPUs): the single-process graph, one writer, retried workers.

The LLM is the scripted fake (wiring, not quality): its answers depend only on each prompt, so a
single-process run and a Ray run over the same three real PDFs must write the very same graph.
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import shutil
import signal
import sqlite3
import threading
import time
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from factloom.graphs.distributed import (
    DistributedError,
    RayOptions,
    RayPool,
    extract_collection_ray,
    extract_on_pool,
    worker_spec,
)
from factloom.graphs.distributed.worker import DocumentOutcome, DocumentTask, ExtractWorker, WorkerSpec
from factloom.graphs.extract import extract_collection
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.chunking import chunk_document
from factloom.ingest.sources import file_hash, read_document
from factloom.ingest.store import save_document
from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMRequestError, LLMUnavailableError
from factloom.tools.export.jsonl import write
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.base import Message
from factloom.tools.llm.cache import CachedLLM
from factloom.tools.llm.scripted import entities_by_name as _entities
from factloom.tools.store.view import load_graph
from tests.graphs.ray_fixtures import fake_llm

ray = pytest.importorskip("ray")

REPO = Path(__file__).resolve().parents[2]
PDFS = (
    "legal_judgement_MoCtApp_Jagels_v_State.pdf",
    "legal_contract_CUAD_BLACKBOXSTOCKS_Distributor_Agreement.pdf",
    "medical_JTraumaManagOutcomes-2010_DVT_prophylaxis_review.pdf",
)
SCHEMA = load_schema("open")
OPTIONS = ExtractOptions(cross_chunk_pairs=0)
def _refuse_contracts(messages: list[Message], output: type[BaseModel]) -> dict:
    if "Distributor" in messages[-1].content:
        raise LLMRequestError("context too long")
    return _entities(messages, output)


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """A local Ray cluster with 2 CPUs whose workers can import this test module."""
    pythonpath = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    ray.init(
        num_cpus=2, include_dashboard=False, runtime_env={"env_vars": {"PYTHONPATH": pythonpath}},
        logging_level="WARNING",
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def ingested(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A workspace with the three shared PDFs parsed and chunked (real pymupdf, real SQLite)."""
    root = tmp_path_factory.mktemp("ray") / "template"
    doc_ids = []
    with Workspace(root) as ws:
        for name in PDFS:
            path = shared_data / "pdfs" / name
            doc = read_document(path, content_hash=file_hash(path))
            save_document(ws, doc, chunk_document(doc))
            doc_ids.append(doc.doc_id)
    return root, doc_ids


@pytest.fixture(scope="module")
def single(ingested: tuple[Path, list[str]]) -> Path:
    """The same workspace after a single-process run."""
    template, doc_ids = ingested
    root = template.parent / "single"
    shutil.copytree(template, root)
    with Workspace(root) as ws:
        llm = CachedLLM(fake_llm(), ws)  # as `factloom extract` wraps its backend
        report = asyncio.run(extract_collection(ws, doc_ids, SCHEMA, llm, OPTIONS))
    assert not report.failed and sum(len(g.relations) for g in report.documents) > 0
    return root


def _copy(template: Path, name: str) -> Path:
    root = template.parent / name
    shutil.copytree(template, root)
    return root


def _export(root: Path) -> str:
    with Workspace(root) as ws:
        out = io.StringIO()
        write(*load_graph(ws), out)
    return out.getvalue()


def _rows(root: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(root / "factloom.sqlite") as db:
        return sorted(db.execute(sql).fetchall())


JOBS = "SELECT chunk_id, stage, doc_id, content_hash, version, status, result FROM extract_jobs"
CALLS = "SELECT agent, doc_id, prompt_tokens, completion_tokens, ok FROM llm_usage"


def test_ray_run_writes_the_single_process_graph(
    cluster: None, ingested: tuple[Path, list[str]], single: Path
) -> None:
    """Same documents, same graph: the JSONL export, job table and call accounting match row for row."""
    template, doc_ids = ingested
    root = _copy(template, "ray")
    with Workspace(root) as ws:
        report = extract_collection_ray(ws, doc_ids, SCHEMA, fake_llm, OPTIONS, RayOptions(workers=2))
    assert [g.doc_id for g in report.documents] == doc_ids and not report.failed
    assert _export(root) == _export(single)
    assert _rows(root, JOBS) == _rows(single, JOBS)
    assert _rows(root, CALLS) == _rows(single, CALLS)


def test_a_killed_worker_loses_and_doubles_nothing(
    cluster: None, ingested: tuple[Path, list[str]], single: Path
) -> None:
    """SIGKILL a worker mid-document: Ray restarts it, the document is retried, written once."""
    template, doc_ids = ingested
    root, busy = _copy(template, "killed"), template.parent / "busy"
    busy.mkdir()
    slow = functools.partial(fake_llm, 0.05, _entities, busy)
    with Workspace(root) as ws, RayPool(worker_spec(ws, SCHEMA, slow, OPTIONS), RayOptions()) as pool:
        before = pool.pids()
        killer = threading.Thread(target=_kill_when_busy, args=(busy / str(before[0]),))
        killer.start()
        report = extract_on_pool(ws, pool, doc_ids)
        killer.join()
        after = pool.pids()
    assert before[0] not in after and before[1] in after  # the killed worker was restarted
    assert sorted(g.doc_id for g in report.documents) == sorted(doc_ids)
    assert _export(root) == _export(single)
    assert _rows(root, CALLS) == _rows(single, CALLS)  # the killed attempt's calls were never written


def _kill_when_busy(marker: Path, timeout: float = 120.0) -> None:
    """SIGKILL the worker whose PID names ``marker`` once it has made its first model call."""
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"worker {marker.name} never started a document")
        time.sleep(0.01)
    os.kill(int(marker.name), signal.SIGKILL)


class InProcessPool:
    """The driver's view of a pool with one ``ExtractWorker`` in this process (Ray's part is tested above)."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.worker = ExtractWorker(spec)

    def map(
        self, doc_ids: list[str], make_task: typing.Callable[[str], DocumentTask]
    ) -> Iterator[DocumentOutcome]:
        for doc_id in doc_ids:
            yield self.worker.extract(make_task(doc_id))


def test_a_refused_document_fails_alone(ingested: tuple[Path, list[str]]) -> None:
    """A request the backend refuses fails its document; the others are saved.

    Of the failed document, the chunks whose calls had finished stay done (nothing finished is lost, a re-run
    reuses them) and the rest are marked failed; none is left pending.
    """
    template, doc_ids = ingested
    root = _copy(template, "refused")
    refusing = functools.partial(fake_llm, 0.0, _refuse_contracts)
    with Workspace(root) as ws:
        pool = InProcessPool(worker_spec(ws, SCHEMA, refusing, OPTIONS))
        report = extract_on_pool(ws, pool, doc_ids)
        pool.worker.close()
    assert list(report.failed) == [doc_ids[1]] and "context too long" in report.failed[doc_ids[1]]
    assert [g.doc_id for g in report.documents] == [doc_ids[0], doc_ids[2]]
    failed = _rows(root, f"SELECT status FROM extract_jobs WHERE doc_id = '{doc_ids[1]}'")
    assert ("failed",) in failed and {s for (s,) in failed} <= {"failed", "done"}


def test_an_unreachable_backend_stops_the_run(ingested: tuple[Path, list[str]]) -> None:
    """When a worker cannot reach the model the run stops with the backend's error, as in one process."""
    template, doc_ids = ingested
    down = functools.partial(fake_llm, 0.0, _unreachable)
    with Workspace(_copy(template, "down")) as ws:
        pool = InProcessPool(worker_spec(ws, SCHEMA, down, OPTIONS))
        with pytest.raises(LLMUnavailableError, match="refused"):
            extract_on_pool(ws, pool, doc_ids)
        pool.worker.close()
        assert load_graph(ws) == ([], [])


def _unreachable(messages: list[Message], output: type[BaseModel]) -> dict:
    raise LLMUnavailableError("http://vllm:8000/v1: connection refused")


def test_self_annotation_cannot_be_distributed(tmp_path: Path) -> None:
    """Self-annotation feeds each document's facts to the next: a Ray run refuses it up front."""
    with Workspace(tmp_path / "ws") as ws, pytest.raises(DistributedError, match="self-annotation"):
        worker_spec(ws, SCHEMA, fake_llm, ExtractOptions(self_annotation=True))


def test_demonstrations_need_a_chroma_server(tmp_path: Path) -> None:
    """Workers read demonstrations from a Chroma server; without --chroma-url the run says how to start it."""
    from factloom.tools.extraction.demos import DDL

    with Workspace(tmp_path / "ws") as ws:
        ws.ensure_tables(DDL)
        with ws.transaction() as db:
            db.execute(
                "INSERT INTO demos (demo_id, source, schema_name, body) "
                "VALUES ('d1', 'gold.jsonl', 'open', '{}')"
            )
        with pytest.raises(DistributedError, match="chroma run"):
            worker_spec(ws, SCHEMA, fake_llm, OPTIONS)
        assert worker_spec(ws, SCHEMA, fake_llm, ExtractOptions(k_demos=0)).demos is None


def test_a_worker_never_opens_a_local_vector_store() -> None:
    """Without a Chroma server a worker refuses the vector index instead of creating files of its own."""
    from factloom.graphs.distributed.worker import MemoryWorkspace, WorkerIndexError
    from factloom.ingest.index import VectorIndex

    with MemoryWorkspace() as ws, pytest.raises(WorkerIndexError, match="--chroma-url"):
        VectorIndex(ws, "demos")
    assert not Path("<memory>").exists()  # no embedded store was created beside the worker
