"""A fact extracted from a table, read on its page in a real headless Chromium (Debian's ``chromium``).

The table PDF of bench/tablegen.py is read by real pymupdf and extracted by the real graph with a
scripted model (wiring only): the table agents propose "Metformin cid Diarrhoea" from the cell
``22 (18.3%)``. On the web page the fact's citation names its cell, and opening it shows the page image
with the value's cell, its row header and its column header boxed where they are printed. The screenshot
is saved under the pytest tmp dir (``screenshots/table-fact-cell-citation.png``), whose path is printed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
from tablegen import table_pdf

from factloom.graphs.extract import extract_collection
from factloom.graphs.extract_options import ExtractOptions
from factloom.graphs.query import open_context
from factloom.graphs.server import create_app
from factloom.ingest.chunking import chunk_document
from factloom.ingest.sources import read_document
from factloom.ingest.store import save_document
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.scripted import ScriptedLLM

if not Path("/usr/bin/chromium").exists():  # test_web_browse skips itself, so its names cannot be imported
    pytest.skip("/usr/bin/chromium missing: apt-get install -y chromium", allow_module_level=True)

from tests.graphs.test_web_browse import CHROMIUM, CHROMIUM_ARGS, bf, sync_api

TOKEN = "table-token"
NAMES = {"Metformin": "chemical", "Diarrhoea": "disease", "Nausea": "disease"}
FACT = {"head": "Metformin", "type": "cid", "tail": "Diarrhoea", "row": "Diarrhoea",
        "column": "Metformin (n = 120)", "value": "22 (18.3%)"}  # fmt: skip


def _script() -> ScriptedLLM:
    def entities(messages, output):
        return {"entities": [{"text": n, "type": t} for n, t in NAMES.items() if n in messages[-1].content]}

    def facts(messages, output):
        return {"reasoning": "", "facts": [FACT] if "Adverse event" in messages[-1].content else []}

    def verdicts(messages, output):
        n = messages[-1].content.count("Fact:")
        return {"verdicts": [{"fact": i, "rationale": "the cell gives it", "verdict": "supported",
                              "confidence": 0.9} for i in range(1, n + 1)]}  # fmt: skip

    return ScriptedLLM(script={"entity_finder": entities, "table_reasoner": facts, "verifier": verdicts})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("table-web")
    pdf = table_pdf(root / "trial.pdf")
    doc = read_document(pdf)
    with Workspace(root / "ws", create=True) as ws:
        save_document(ws, doc, chunk_document(doc))
        options = ExtractOptions(cross_chunk_pairs=0, demos=False)
        report = asyncio.run(extract_collection(ws, [doc.doc_id], load_schema("biomed"), _script(), options))
    assert not report.failed
    return {"root": root / "ws", "pdf": pdf, "cell": doc.tables[0].cell(2, 1)}


@pytest.fixture(scope="module")
def page(built: dict) -> Iterator[object]:
    with Workspace(built["root"], create=False) as ws:
        app = create_app(open_context(ws, bf.qf.QuoteLLM(), vectors=False), token=TOKEN)
        with bf.qf.serve_in_thread(app) as url, sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            tab = browser.new_page(viewport={"width": 1400, "height": 900})
            tab.errors, tab.failed = [], []
            tab.on("pageerror", lambda e: tab.errors.append(str(e)))
            tab.on("requestfailed", lambda r: tab.failed.append(r.url))
            tab.goto(f"{url}/?token={TOKEN}")
            yield tab
            browser.close()


def _box(page: object, role: str) -> tuple[float, float, float, float]:
    img = page.locator("#page-image").bounding_box()
    box = page.locator(f"#page-boxes .hl.{role}").first.bounding_box()
    return (
        (box["x"] - img["x"]) / img["width"],
        (box["y"] - img["y"]) / img["height"],
        (box["x"] + box["width"] - img["x"]) / img["width"],
        (box["y"] + box["height"] - img["y"]) / img["height"],
    )


def _printed(pdf: Path, text: str) -> tuple[float, float]:
    with pymupdf.open(pdf) as doc:
        r = doc[0].search_for(text)[0]
        return ((r.x0 + r.x1) / 2 / doc[0].rect.width, (r.y0 + r.y1) / 2 / doc[0].rect.height)


def _inside(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def test_a_table_fact_opens_its_cell_with_the_row_and_column_headers_boxed(
    page: object, built: dict, tmp_path_factory: pytest.TempPathFactory
) -> None:
    page.fill("#entity-search", "metformin")
    page.wait_for_selector('#entity-list[data-q="metformin"] li:has-text("Metformin")')
    page.locator("#entity-list li").first.click()
    citation = page.locator('#evidence-list li:has-text("table cell Diarrhoea × Metformin (n = 120)")')
    citation.wait_for()
    assert "“22 (18.3%)”" in citation.inner_text() and "verified" in citation.inner_text()
    citation.click()
    start = built["cell"].start
    page.wait_for_selector(f'#page-image-wrap[data-start="{start}"]:not([hidden]) #page-boxes .hl.value')
    assert page.locator("#page-boxes .hl").count() == 3  # the value, its row header, its column header
    assert _inside(_printed(built["pdf"], "22 (18.3%)"), _box(page, "value"))
    assert _inside(_printed(built["pdf"], "Diarrhoea"), _box(page, "row-header"))
    assert _inside(_printed(built["pdf"], "Metformin (n = 120)"), _box(page, "column-header"))
    assert not _inside(_printed(built["pdf"], "9 (7.6%)"), _box(page, "value"))  # the placebo cell: not boxed
    cells = page.locator("#page-cells .cell-ref").all_inner_texts()
    assert cells == ["table cell Diarrhoea × Metformin (n = 120): 22 (18.3%)"]
    assert page.inner_text("#page-text mark") == "22 (18.3%)"
    shots = tmp_path_factory.mktemp("screenshots")
    path = shots / "table-fact-cell-citation.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    assert page.errors == [] and page.failed == []
