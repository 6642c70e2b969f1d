"""The vector index on a real Chroma server (`chroma run` on 127.0.0.1), as several processes share it."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from factloom.ingest.chroma_http import parse_chroma_url
from factloom.ingest.errors import ChromaServerError
from factloom.ingest.index import IndexItem, VectorIndex
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.demos import DemoEntity, Demonstration, DemoRelation, DemoStore

START_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"chroma run did not answer at {url} within {START_TIMEOUT:.0f}s")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `chroma run` on a free port of 127.0.0.1 for this module; stop it afterwards."""
    # The venv's own `chroma` first: CI runs .venv/bin/pytest without activating the venv.
    beside = Path(sys.executable).with_name("chroma")
    exe = str(beside) if beside.exists() else shutil.which("chroma")
    if exe is None:
        pytest.skip("the `chroma` command (from chromadb) is not on PATH")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    path = tmp_path_factory.mktemp("chroma_server")
    cmd = [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


ITEMS = [
    IndexItem("c1", "Aspirin reduces the risk of heart attack.", {"doc_id": "d1", "page": 1}),
    IndexItem("c2", "The court affirmed the judgement of the lower court.", {"doc_id": "d1", "page": 2}),
    IndexItem("c3", "Water rights in the Red River basin were disputed.", {"doc_id": "d2", "page": 1}),
]


def test_index_round_trips_through_the_server(tmp_path: Path, chroma_url: str) -> None:
    """What one process writes to the server another opens and queries; nothing is stored locally."""
    root = tmp_path / "ws"
    with Workspace(root, chroma_url=chroma_url) as ws:
        VectorIndex(ws, "chunks").upsert(ITEMS)
    with Workspace(root, chroma_url=chroma_url) as ws:
        index = VectorIndex(ws, "chunks")
        assert index.count() == 3
        assert sorted(index.ids({"doc_id": "d1"})) == ["c1", "c2"]
        hits = index.query("which medicine prevents heart attacks", k=2)
        assert hits[0].id == "c1"
        assert hits[0].metadata["page"] == 1
        index.delete_where({"doc_id": "d1"})
        assert index.ids() == ["c3"]
    assert not (root / "chroma").exists()


def test_workspaces_sharing_a_server_do_not_mix(tmp_path: Path, chroma_url: str) -> None:
    """Two workspaces on one server each see only their own collection of the same name."""
    with (
        Workspace(tmp_path / "a", chroma_url=chroma_url) as a,
        Workspace(tmp_path / "b", chroma_url=chroma_url) as b,
    ):
        VectorIndex(a, "chunks").upsert(ITEMS[:1])
        VectorIndex(b, "chunks").upsert(ITEMS[1:])
        assert VectorIndex(a, "chunks").ids() == ["c1"]
        assert sorted(VectorIndex(b, "chunks").ids()) == ["c2", "c3"]


def test_a_database_named_in_the_url_is_shared_across_folders(tmp_path: Path, chroma_url: str) -> None:
    """`http://HOST:PORT/DB` lets workers with a different local folder reach the driver's index."""
    with Workspace(tmp_path / "driver", chroma_url=f"{chroma_url}/shared_db") as ws:
        VectorIndex(ws, "demos").upsert(ITEMS)
    with Workspace(tmp_path / "worker", chroma_url=f"{chroma_url}/shared_db") as ws:
        assert VectorIndex(ws, "demos").count() == 3


def test_no_server_gives_a_one_line_hint(tmp_path: Path) -> None:
    """Pointing at a port where nothing listens says how to start a server, not a traceback."""
    url = f"http://127.0.0.1:{_free_port()}"
    with Workspace(tmp_path / "ws", chroma_url=url) as ws, pytest.raises(ChromaServerError, match="run"):
        VectorIndex(ws, "chunks")


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://host:1", "http://:8000", "http://h:x", "http://h:1/a/b"])
def test_malformed_urls_are_refused(url: str) -> None:
    """A URL that is not http(s)://HOST[:PORT][/DATABASE] is refused with the expected form."""
    with pytest.raises(ChromaServerError, match="--chroma-url"):
        parse_chroma_url(url)


def test_port_defaults_to_chromas() -> None:
    """`http://host` means Chroma's default port 8000."""
    server = parse_chroma_url("https://chroma.internal/team")
    assert (server.host, server.port, server.ssl, server.database) == ("chroma.internal", 8000, True, "team")


DEMOS = [
    Demonstration(
        text="Ann Lee works for Globex in Denver.",
        entities=(DemoEntity(text="Ann Lee", type="person"), DemoEntity(text="Globex", type="organization")),
        relations=(DemoRelation(head="Ann Lee", type="work_for", tail="Globex"),),
    ),
    Demonstration(text="The river flooded the valley.", entities=(DemoEntity(text="Nile", type="location"),)),
]


def test_a_distributed_worker_reads_demonstrations_from_the_server(tmp_path: Path, chroma_url: str) -> None:
    """A Ray worker (here in-process) retrieves the driver's demonstrations: its prompts are the driver's."""
    from factloom.graphs.distributed import document_task, worker_spec
    from factloom.graphs.distributed.worker import ExtractWorker
    from factloom.graphs.extract import extract_document
    from factloom.graphs.extract_options import ExtractOptions
    from factloom.ingest.store import save_document
    from factloom.tools.extraction.schema import load_schema
    from factloom.tools.llm.scripted import ScriptedLLM
    from tests.extract_fixtures import make_document

    schema, options = load_schema("news"), ExtractOptions(k_demos=1, cross_chunk_pairs=0)
    doc, chunks = make_document()
    with Workspace(tmp_path / "ws", chroma_url=chroma_url) as ws:
        save_document(ws, doc, chunks)
        DemoStore(ws).add(DEMOS, schema.name)
        worker = ExtractWorker(worker_spec(ws, schema, ScriptedLLM, options))
        worker.extract(document_task(ws, doc.doc_id))  # writes nothing here: the driver's run starts fresh
        worker.close()
        driver_llm = ScriptedLLM()
        asyncio.run(extract_document(ws, doc.doc_id, schema, driver_llm, options))
    driver_prompts = [c.messages for c in driver_llm.calls_of("entity_finder")]
    assert driver_prompts and any("Ann Lee" in m.content for ms in driver_prompts for m in ms)
    assert [c.messages for c in worker.llm.calls_of("entity_finder")] == driver_prompts
