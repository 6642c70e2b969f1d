"""Regression: route handlers ran SQLite (and page drawing, and the writer lock) on the event loop, so one
slow call stopped every other request; their workspace work now runs in a worker thread."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
import pytest

from factloom.graphs.query import open_context
from factloom.graphs.server import create_app
from factloom.ingest.workspace import Workspace
from tests.query_fixtures import QuoteLLM, build_workspace


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("offloop") / "ws"
    build_workspace(root)
    return root


async def test_a_slow_graph_refresh_does_not_stop_the_page(root: Path) -> None:
    with Workspace(root, create=False) as ws:
        ctx = open_context(ws, QuoteLLM())
        refresh = ctx.graph.refresh
        started = threading.Event()
        started_at: list[float] = []

        def slow_refresh(**kwargs: object) -> bool:
            started_at.append(time.perf_counter())
            started.set()
            time.sleep(1.5)  # a big graph being rebuilt
            return refresh(**kwargs)

        ctx.graph.refresh = slow_refresh  # type: ignore[method-assign]
        app = create_app(ctx)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            slow = asyncio.create_task(client.get("/entities"))
            assert await asyncio.to_thread(started.wait, 30)
            page = await client.get("/")
            waited = time.perf_counter() - started_at[0]
            assert page.status_code == 200
            assert waited < 1.0, f"the page waited {waited:.1f} s for another request's SQLite work"
            assert (await slow).status_code == 200
