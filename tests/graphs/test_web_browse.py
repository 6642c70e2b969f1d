"""The web page as a place to read the graph, in a real headless Chromium (Debian's ``chromium``, playwright).

It opens on the collection (documents with pages and facts, entity types with counts, the overview graph
of the most connected entities); the entity search finds by name and alias, and an entity shows its
neighbourhood, aliases and facts. Evidence on its page: a citation or a fact opens the page image drawn
by the server with the quote's boxes laid over it, also for a fact quoted from a table. Every request
stays on the server (no CDN). Screenshots are saved under the pytest tmp dir (``screenshots/``), whose
path each test prints.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest

from factloom.graphs.query import open_context
from factloom.graphs.server import create_app
from factloom.ingest.workspace import Workspace

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browse-token"
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
    return bf.build(tmp_path_factory.mktemp("browse") / "ws")


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def site(built: dict) -> Iterator[str]:
    with Workspace(built["root"], create=False) as ws:
        app = create_app(open_context(ws, bf.qf.QuoteLLM(), vectors=False), token=TOKEN)
        with bf.qf.serve_in_thread(app) as url:
            yield url


@pytest.fixture(scope="module")
def page(site: str) -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        tab.errors = []
        tab.failed = []
        tab.urls = []
        tab.on("pageerror", lambda e: tab.errors.append(str(e)))
        tab.on("requestfailed", lambda r: tab.failed.append(r.url))
        tab.on("request", lambda r: tab.urls.append(r.url))
        tab.goto(f"{site}/?token={TOKEN}")
        yield tab
        browser.close()


def _shot(page: object, shots: Path, name: str) -> None:
    path = shots / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def _box_on_image(page: object, index: int = 0) -> tuple[float, float, float, float]:
    """Return a highlight box as shares (0..1) of the page image as the browser lays it out."""
    img = page.locator("#page-image").bounding_box()
    box = page.locator("#page-boxes .hl").nth(index).bounding_box()
    return (
        (box["x"] - img["x"]) / img["width"],
        (box["y"] - img["y"]) / img["height"],
        (box["x"] + box["width"] - img["x"]) / img["width"],
        (box["y"] + box["height"] - img["y"]) / img["height"],
    )


def _printed(pdf: Path, page_index: int, text: str) -> tuple[float, float]:
    """Return the centre of ``text`` as printed on the page, as shares of the page."""
    with pymupdf.open(pdf) as doc:
        page = doc[page_index]
        r = page.search_for(text)[0]
        return ((r.x0 + r.x1) / 2 / page.rect.width, (r.y0 + r.y1) / 2 / page.rect.height)


def _inside(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def test_the_page_opens_on_the_collection(page: object, site: str, shots: Path) -> None:
    page.wait_for_selector("#documents li >> nth=1")
    docs = page.locator("#documents li").all_inner_texts()
    assert any("2 pages · 3 facts · 8 entities" in d for d in docs)
    assert any("2 pages · 1 facts · 3 entities" in d for d in docs)
    assert page.locator("#types .chip").all_inner_texts() == ["Chemical 5", "Disease 6"]
    assert "2 documents, 11 entities, 4 facts" in page.inner_text("#collection-summary")
    page.wait_for_selector("#graph .node >> nth=7")
    names = set(page.locator("#graph .node text").all_text_contents())
    assert names == {
        "Lithium carbonate",
        "hypotension",
        "Warfarin",
        "bleeding",
        "Aspirin",
        "stroke",
        "Metformin",
        "Diarrhoea",
    }
    assert "most connected" in page.inner_text("#graph-hint")
    assert page.locator("#entity-list li").count() == 11
    _shot(page, shots, "opening-view.png")
    assert all(u.startswith(site) for u in page.urls), "every request stays on the server (no CDN)"
    assert page.errors == [] and page.failed == []


def test_searching_an_entity_and_opening_it_shows_aliases_facts_and_neighbourhood(
    page: object, shots: Path
) -> None:
    page.fill("#entity-search", "lithium")  # the alias, not the name
    page.wait_for_selector('#entity-list[data-q="lithium"] li:has-text("Lithium carbonate")')
    assert page.locator("#entity-list li").count() == 1
    page.locator("#entity-list li").first.click()
    page.wait_for_selector('#evidence-title:text-is("Lithium carbonate (Chemical)")')
    assert "aliases: lithium" in page.inner_text("#entity-meta") and "1 facts" in page.inner_text(
        "#entity-meta"
    )
    assert "Lithium carbonate —causes→ hypotension" in page.inner_text("#evidence-list")
    page.wait_for_selector('#graph-hint:has-text("neighbourhood of Lithium carbonate")')
    assert set(page.locator("#graph .node text").all_text_contents()) == {"Lithium carbonate", "hypotension"}
    page.wait_for_selector("#page-boxes .hl")
    _shot(page, shots, "entity-lithium.png")
    page.fill("#entity-search", "")
    page.click('#types .chip[data-type="Disease"]')
    page.wait_for_selector('#entity-list[data-q=""][data-type="Disease"] li:has-text("atrial flutter")')
    assert all("Disease" in t for t in page.locator("#entity-list li .counts").all_inner_texts())
    assert page.locator("#entity-list li").count() == 6
    page.click('#types .chip[data-type="Disease"]')
    assert page.errors == [] and page.failed == []


def test_a_fact_from_a_table_opens_its_page_with_the_cells_boxed(
    page: object, built: dict, shots: Path
) -> None:
    page.fill("#entity-search", "metformin")
    page.wait_for_selector('#entity-list[data-q="metformin"] li:has-text("Metformin")')
    page.locator("#entity-list li").first.click()
    page.wait_for_selector('#evidence-title:text-is("Metformin (Chemical)")')
    page.locator('#evidence-list li:has-text("Diarrhoea | 22 (18.3%)")').click()
    page.wait_for_selector('#page-cells .cell-ref:has-text("22 (18.3%)")')
    cells = page.locator("#page-cells .cell-ref").all_inner_texts()
    assert "table cell Diarrhoea × Metformin (n = 120): 22 (18.3%)" in cells
    page.wait_for_selector(f'#page-image-wrap[data-start="{built["row_start"]}"] #page-boxes .hl >> nth=3')
    assert page.locator("#page-boxes .hl").count() == 4
    where = _printed(built["table_pdf"], 0, "22 (18.3%)")
    assert _inside(where, _box_on_image(page, 1))
    assert page.inner_text("#page-text mark") == bf.ROW
    _shot(page, shots, "table-fact-cells.png")
    assert page.errors == [] and page.failed == []


def test_a_citation_opens_its_page_image_with_the_quote_boxed(page: object, built: dict, shots: Path) -> None:
    page.fill("#question", "What does Warfarin increase?")
    page.click("#ask-button")
    page.wait_for_selector(".message.answer .citations li")
    page.locator(".message.answer .citations li").first.click()
    start = built["text"].index("Warfarin increases the risk")
    page.wait_for_selector(f'#page-image-wrap[data-start="{start}"]:not([hidden]) #page-boxes .hl')
    assert page.locator("#page-image").evaluate("img => img.complete && img.naturalWidth > 0")
    where = _printed(built["root"].parent / "ws.pdf", 1, "Warfarin increases")
    assert _inside(where, _box_on_image(page))
    assert (
        page.inner_text("#page-text mark") == "Warfarin increases the risk of bleeding in elderly patients."
    )
    _shot(page, shots, "citation-page-image.png")
    assert page.errors == [] and page.failed == []


def test_a_document_opens_on_its_first_page_and_the_pages_can_be_turned(page: object, built: dict) -> None:
    page.locator('#documents li:has-text("Metformin in Adults")').click()
    page.wait_for_selector('#page-caption:has-text("page 1 of 2")')
    page.wait_for_selector('#page-image-wrap:not([hidden]) #page-image[src*="/pages/1/image"]')
    assert page.locator("#page-boxes .hl").count() == 0  # a whole page: nothing to box
    page.click("#page-next")
    page.wait_for_selector('#page-caption:has-text("page 2 of 2")')
    page.wait_for_selector('#page-image[src*="/pages/2/image"]')
    assert "Table 2 Dosing schedule" in page.inner_text("#page-text")
    assert page.locator("#page-next").is_disabled()
    assert page.errors == [] and page.failed == []


def test_the_new_routes_show_in_the_api_docs_offline(site: str, page: object) -> None:
    context = page.context.browser.new_context()
    tab = context.new_page()
    tab.goto(f"{site}/docs?token={TOKEN}")
    for summary in (
        "One page of a PDF drawn as a PNG",
        "Where a span of the document text is on its page",
        "The collection: documents, entity types, the most connected entities",
        "Undo a merge: its entities stay apart for good",
    ):
        tab.wait_for_selector(f'.opblock-summary:has-text("{summary}")')
    context.close()
