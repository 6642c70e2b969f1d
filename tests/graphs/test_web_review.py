"""Review and correct in the web page, in a real headless Chromium (Debian's ``chromium``, playwright).

A token holder undoes a merge and rejects a fact from the page; a read-only server shows no controls.
Screenshots are saved under the pytest tmp dir (``screenshots/``), whose path each test prints.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from factloom.graphs.query import open_context
from factloom.graphs.server import create_app
from factloom.ingest.workspace import Workspace

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "review-page-token"
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
    "browse_fixtures", Path(__file__).parents[1] / "browse_fixtures.py"
)
bf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bf)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return bf.build_with_merge(tmp_path_factory.mktemp("review") / "ws")


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser: object, url: str) -> object:
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    tab.errors = []
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.goto(url)
    return tab


def _shot(page: object, shots: Path, name: str) -> None:
    path = shots / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def test_a_token_holder_undoes_a_merge_and_rejects_a_fact(browser: object, built: dict, shots: Path) -> None:
    with Workspace(built["root"], create=False) as ws:
        app = create_app(open_context(ws, bf.qf.QuoteLLM(), vectors=False), token=TOKEN)
        with bf.qf.serve_in_thread(app) as url:
            page = _open(browser, f"{url}/?token={TOKEN}")
            page.wait_for_selector('#review-mode:text-is("you can correct the graph")')
            merge = page.locator("#merges li").first
            assert "Warfarin ← " in merge.inner_text() and "same name" in merge.inner_text()
            assert "score 1.00" in merge.inner_text()
            merge.locator("button.undo").click()
            page.wait_for_selector("#merges li.undone")
            page.wait_for_selector('#review-log li:has-text("undo_merge")')
            page.fill("#entity-search", "warfarin")
            page.wait_for_selector('#entity-list[data-q="warfarin"] li >> nth=1')  # two entities again
            assert page.locator("#entity-list li").count() == 2

            page.locator('#entity-list li:has-text("Warfarin")').first.click()
            page.wait_for_selector('#evidence-title:text-is("Warfarin (Chemical)")')
            fact = page.locator('#evidence-list li:has-text("Warfarin —causes→ bleeding")')
            fact.locator("button.check").click()
            page.wait_for_selector('#evidence-list li:has-text("Warfarin —causes→ bleeding") .badge.checked')
            before = page.inner_text("#collection-summary")
            page.locator('#evidence-list li:has-text("Warfarin —causes→ bleeding") button.reject').click()
            page.wait_for_selector('#review-log li:has-text("reject")')
            page.wait_for_selector('#evidence-list:not(:has-text("Warfarin —causes→ bleeding"))')
            assert page.inner_text("#collection-summary") != before
            assert "3 facts" in page.inner_text("#collection-summary")
            _shot(page, shots, "review-undo-reject.png")
            page.locator('#review-log li:has-text("reject") button.restore').click()  # undo the rejection
            page.wait_for_selector('#evidence-list li:has-text("Warfarin —causes→ bleeding")')
            assert "4 facts" in page.inner_text("#collection-summary")
            page.locator('#evidence-list li:has-text("Warfarin —causes→ bleeding") button.reject').click()
            page.wait_for_selector('#evidence-list:not(:has-text("Warfarin —causes→ bleeding"))')
            assert page.errors == []
            page.close()


def test_a_read_only_server_shows_no_controls(browser: object, built: dict, shots: Path) -> None:
    with Workspace(built["root"], create=False) as ws:
        app = create_app(open_context(ws, bf.qf.QuoteLLM(), vectors=False))
        with bf.qf.serve_in_thread(app) as url:
            page = _open(browser, url + "/")
            page.wait_for_selector('#review-mode:text-is("read-only")')
            page.fill("#entity-search", "aspirin")
            page.wait_for_selector('#entity-list[data-q="aspirin"] li:has-text("Aspirin")')
            page.locator("#entity-list li").first.click()
            page.wait_for_selector('#evidence-list li:has-text("Aspirin —prevents→ stroke")')
            assert page.locator("#evidence-list button, #merges button").count() == 0
            _shot(page, shots, "review-read-only.png")
            assert page.errors == []
            page.close()


def test_a_conflict_shows_each_value_with_its_evidence_on_its_page(
    browser: object, tmp_path_factory: pytest.TempPathFactory
) -> None:
    built = bf.build_with_merge(tmp_path_factory.mktemp("conflict") / "ws", conflict=True)
    with Workspace(built["root"], create=False) as ws:
        app = create_app(open_context(ws, bf.qf.QuoteLLM(), vectors=False))
        with bf.qf.serve_in_thread(app) as url:
            page = _open(browser, url + "/")
            page.wait_for_selector("#conflicts li.conflict")
            head, values = page.inner_text("#conflicts li.conflict").split("→ ")
            assert head == "Warfarin —causes" and set(values.split(" / ")) == {"bleeding", "Diarrhoea"}
            page.click("#conflicts li.conflict")
            page.wait_for_selector('#evidence-title:has-text("Conflict: Warfarin causes — 2 values")')
            listed = page.inner_text("#evidence-list")
            assert "Warfarin increases the risk of bleeding" in listed and bf.EXCLUDED in listed
            page.locator(f'#evidence-list li:has-text("{bf.EXCLUDED}")').click()
            page.wait_for_selector(f'#page-text mark:text-is("{bf.EXCLUDED}")')
            page.wait_for_selector('#page-image[src*="/pages/1/image"]')
            assert page.errors == []
            page.close()
