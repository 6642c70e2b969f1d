"""The per-chunk job table: finished work is reused only while its inputs and version match."""

from __future__ import annotations

from pathlib import Path

from factloom.ingest.workspace import Workspace
from factloom.tools.store.jobs import JobKey, JobTable

KEY = JobKey(chunk_id="c1", stage="entities", doc_id="d1", content_hash="h1", version="v1")


def test_a_finished_job_returns_its_result_until_hash_or_version_change(tmp_path: Path) -> None:
    with Workspace(tmp_path) as ws:
        jobs = JobTable(ws)
        assert jobs.result(KEY) is None
        jobs.start(KEY)
        assert jobs.result(KEY) is None  # pending is not finished
        jobs.finish(KEY, '["m1"]')
        assert jobs.result(KEY) == '["m1"]'
        assert jobs.result(JobKey("c1", "entities", "d1", "h2", "v1")) is None
        assert jobs.result(JobKey("c1", "entities", "d1", "h1", "v2")) is None
        assert jobs.counts("d1") == {"done": 1}


def test_results_survive_reopening_the_workspace(tmp_path: Path) -> None:
    with Workspace(tmp_path) as ws:
        JobTable(ws).finish(KEY, "[]")
    with Workspace(tmp_path) as ws:
        assert JobTable(ws).result(KEY) == "[]"


def test_pending_jobs_of_a_failed_document_are_marked_failed(tmp_path: Path) -> None:
    with Workspace(tmp_path) as ws:
        jobs = JobTable(ws)
        jobs.start(KEY)
        jobs.finish(JobKey("c2", "entities", "d1", "h", "v1"), "[]")
        jobs.start(JobKey("c3", "entities", "d2", "h", "v1"))
        assert jobs.fail_pending("d1", "backend refused") == 1
        assert jobs.counts("d1") == {"done": 1, "failed": 1}
        assert jobs.counts() == {"done": 1, "failed": 1, "pending": 1}
