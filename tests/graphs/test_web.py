"""The web page in a real headless Chromium (Debian's ``chromium``, driven by playwright).

Asks a question, clicks an entity in the graph, reads its evidence with the quote highlighted, and
checks that HTML and a script inside a document are shown as text and never run. A screenshot is saved
under ``test-artifacts/``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from factloom.graphs.query import open_context
from factloom.graphs.server import create_app
from factloom.ingest.workspace import Workspace
from factloom.tools.store.documents import load_document_graph, save_document_graph

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TOKEN = "page-token"
RATIONALE = "The quote says lithium carbonate causes hypotension."
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download)")

_spec = importlib.util.spec_from_file_location(
    "query_fixtures", Path(__file__).parents[1] / "query_fixtures.py"
)
qf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qf)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("web") / "ws"
    info = qf.build_workspace(root)
    with Workspace(root, create=False) as ws:  # the verifier checked lithium -> hypotension, nothing else
        entities, relations = load_document_graph(ws, info["doc_id"])
        lithium = info["ids"]["Lithium carbonate"]
        checked = {"status": "verified", "rationale": RATIONALE}
        relations = [r.model_copy(update=checked) if r.head == lithium else r for r in relations]
        save_document_graph(ws, info["doc_id"], entities, relations)
    with Workspace(root, create=False) as ws:
        app = create_app(open_context(ws, qf.QuoteLLM()), token=TOKEN)
        with qf.serve_in_thread(app) as url:
            yield url


@pytest.fixture(scope="module")
def page(site: str) -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1280, "height": 800})
        tab.errors = []
        tab.on("pageerror", lambda e: tab.errors.append(str(e)))
        tab.goto(f"{site}/?token={TOKEN}")
        yield tab
        browser.close()


def _ask(page: object, question: str, n: int) -> object:
    page.fill("#question", question)
    page.click("#ask-button")
    page.wait_for_selector(f".message.answer >> nth={n - 1}")
    return page.locator(".message.answer").nth(n - 1)


def test_asking_shows_a_cited_answer_and_its_graph(page: object) -> None:
    answer = _ask(page, "What does lithium carbonate cause?", 1)
    assert "cause hypotension" in answer.inner_text()
    names = page.locator("#graph .node text").all_text_contents()
    assert {"Lithium carbonate", "hypotension"} <= set(names)
    answer.locator(".citations li").first.click()
    page.wait_for_selector("#page-text mark")
    assert (
        page.inner_text("#page-text mark")
        == "Lithium carbonate is known to cause hypotension in some patients."
    )
    assert page.errors == []


def test_clicking_an_entity_shows_its_evidence_and_document_html_stays_text(page: object) -> None:
    _ask(page, "Which patients risk bleeding?", 2)
    page.click('#graph .node:has(text:text-is("Warfarin")) circle')
    # A selector wait, not wait_for_function: the page's CSP forbids the eval that the latter needs.
    page.wait_for_selector('#evidence-title:text-matches("^Warfarin")')
    assert "Warfarin increases the risk of bleeding" in page.inner_text("#evidence-list")
    page.wait_for_selector("#page-text mark")
    assert (
        page.inner_text("#page-text mark") == "Warfarin increases the risk of bleeding in elderly patients."
    )
    shown = page.text_content("#page-text")
    assert '<script>window.__pwned = 1;</script> <img src="x" onerror="window.__pwned = 2">' in shown
    assert page.locator("#page-text script, #page-text img, #page-text b").count() == 0
    assert page.evaluate("window.__pwned") is None
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-ask-evidence.png"))
    assert page.errors == []


def test_facts_show_a_verified_or_unverified_badge_and_can_be_filtered(page: object) -> None:
    answer = _ask(page, "What does lithium carbonate cause?", 3)
    badge = answer.locator(".citations .badge").first
    assert badge.inner_text() == "verified" and RATIONALE in badge.get_attribute("title")
    assert page.locator("#evidence-list .badge.verified").count() >= 1

    answer = _ask(page, "What does Warfarin increase?", 4)
    assert answer.locator(".citations .badge").all_inner_texts() == ["unverified"]
    assert page.locator("#graph .edge.unverified").count() == 1

    page.check("#verified-only")
    answer = _ask(page, "What does Warfarin increase?", 5)
    assert answer.locator(".badge").count() == 0  # no unverified fact is offered as evidence
    assert page.locator("#graph .edge").count() == 0
    page.uncheck("#verified-only")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-status-badges.png"))
    assert page.errors == []


def test_openapi_docs_render_offline_under_the_csp(site: str, page: object) -> None:
    """Regression: /docs loaded Swagger UI from a CDN and stayed blank on machines without internet."""
    context = page.context.browser.new_context()
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(f"{site}/docs?token={TOKEN}")
    tab.wait_for_selector('.opblock-summary:has-text("Answer a question with citations")')
    context.close()
    assert errors == []
