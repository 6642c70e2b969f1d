"""The HTTP API through a real uvicorn server on a loopback port (scripted LLM for /ask)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from factloom.graphs.query import open_context
from factloom.graphs.server import create_app
from factloom.ingest.workspace import Workspace

_spec = importlib.util.spec_from_file_location(
    "query_fixtures", Path(__file__).parents[1] / "query_fixtures.py"
)
qf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qf)

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("server") / "ws"
    info = qf.build_workspace(root)
    info["root"] = root
    return info


@pytest.fixture(scope="module")
def client(built: dict) -> Iterator[httpx.Client]:
    with Workspace(built["root"], create=False) as ws:
        app = create_app(open_context(ws, qf.QuoteLLM()), token=TOKEN)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with qf.serve_in_thread(app) as url, httpx.Client(base_url=url, headers=headers, timeout=30) as c:
            yield c


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/entities", "/openapi.json", "/docs"])
def test_every_request_needs_the_token(client: httpx.Client, path: str) -> None:
    base = str(client.base_url)
    assert httpx.get(base + path).status_code == 401
    assert httpx.get(base + path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(base + path, params={"token": TOKEN}).status_code == 200


def test_a_token_in_the_url_sets_a_cookie_for_the_page_assets(client: httpx.Client) -> None:
    with httpx.Client(base_url=str(client.base_url)) as browser:
        assert browser.get("/", params={"token": TOKEN}).status_code == 200
        assert browser.get("/static/style.css").status_code == 200
        assert browser.get("/entities").status_code == 200
    assert httpx.get(str(client.base_url) + "/static/style.css").status_code == 401


def test_ask_returns_an_answer_whose_citations_match_the_page_text(client: httpx.Client, built: dict) -> None:
    body = client.post("/ask", json={"question": "What does lithium carbonate cause?"}).json()
    assert body["supported"] and "hypotension" in body["answer"]
    assert body["entities"][0]["name"] == "Lithium carbonate"
    assert {n["name"] for n in body["graph"]["nodes"]} >= {"Lithium carbonate", "hypotension"}
    citation = body["citations"][0]
    page = client.get(f"/documents/{citation['doc_id']}/pages/{citation['page']}").json()
    assert (
        page["text"][citation["start"] - page["start"] : citation["end"] - page["start"]] == citation["quote"]
    )
    follow = client.post("/ask", json={"question": "What does it cause?", "history": [body["turn"]]}).json()
    assert follow["entities"][0]["method"] == "history"


def test_ask_without_support_says_so(client: httpx.Client) -> None:
    body = client.post("/ask", json={"question": "Who won the 1998 World Cup?"}).json()
    assert body["answer"].startswith("The documents do not say") and body["citations"] == []


def test_entities_search_and_type_filter(client: httpx.Client) -> None:
    found = client.get("/entities", params={"q": "lith"}).json()
    assert [e["name"] for e in found["entities"]] == ["Lithium carbonate"]
    assert found["types"] == {"Chemical": 4, "Disease": 4}
    diseases = client.get("/entities", params={"type": "Disease"}).json()["entities"]
    assert {e["name"] for e in diseases} == {"hypotension", "atrial flutter", "bleeding", "stroke"}


def test_entity_detail_has_mentions_and_relation_evidence(client: httpx.Client, built: dict) -> None:
    detail = client.get(f"/entities/{built['ids']['Warfarin']}").json()
    assert detail["mentions"][0]["text"] == "Warfarin" and detail["mentions"][0]["page"] == 2
    (relation,) = detail["relations"]
    assert (relation["head_name"], relation["type"], relation["tail_name"]) == (
        "Warfarin",
        "causes",
        "bleeding",
    )
    ev = relation["evidence"][0]
    assert built["text"][ev["start"] : ev["end"]] == ev["quote"]
    assert client.get("/entities/e_missing").status_code == 404


def test_relations_and_graph(client: httpx.Client, built: dict) -> None:
    causes = client.get("/relations", params={"type": "causes"}).json()["relations"]
    assert {r["tail_name"] for r in causes} == {"hypotension", "bleeding"}
    graph = client.get("/graph", params={"entities": built["ids"]["Aspirin"]}).json()
    assert {n["name"] for n in graph["nodes"]} == {"Aspirin", "stroke"}
    assert [e["type"] for e in graph["edges"]] == ["prevents"]


def test_pages_are_json_text_and_the_api_is_documented(client: httpx.Client, built: dict) -> None:
    page = client.get(f"/documents/{built['doc_id']}/pages/2")
    assert page.headers["content-type"] == "application/json"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "<script>window.__pwned = 1;</script>" in page.json()["text"]
    assert client.get(f"/documents/{built['doc_id']}/pages/9").status_code == 404
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/ask", "/entities", "/entities/{entity_id}", "/relations", "/graph"} <= set(paths)
