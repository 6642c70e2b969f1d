"""The browsing API through a real uvicorn server: the collection overview, page images drawn by
pymupdf, quote boxes on them.

Real pymupdf, real SQLite; the workspace holds the question-answering PDF and a PDF with known tables.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pymupdf
import pytest

from factloom.graphs.query import open_context
from factloom.graphs.server import create_app
from factloom.ingest.workspace import Workspace

_spec = importlib.util.spec_from_file_location(
    "browse_fixtures", Path(__file__).parents[1] / "browse_fixtures.py"
)
bf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bf)

TOKEN = "evidence-token"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return bf.build(tmp_path_factory.mktemp("evidence") / "ws")


@pytest.fixture(scope="module")
def client(built: dict) -> Iterator[httpx.Client]:
    with Workspace(built["root"], create=False) as ws:
        app = create_app(open_context(ws, bf.qf.QuoteLLM(), vectors=False), token=TOKEN)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with bf.qf.serve_in_thread(app) as url, httpx.Client(base_url=url, headers=headers, timeout=30) as c:
            yield c


def _pixels(box: tuple[float, ...], width: float, height: float) -> pymupdf.Rect:
    return pymupdf.Rect(box[0] * width, box[1] * height, box[2] * width, box[3] * height)


def test_a_page_image_is_a_png_of_the_page_drawn_once_and_kept_in_the_workspace(client, built) -> None:
    url = f"/documents/{built['doc_id']}/pages/2/image"
    first = client.get(url, params={"zoom": 1.0})
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    pix = pymupdf.Pixmap(first.content)
    assert (pix.width, pix.height) == (595, 842)  # pymupdf's default page at 72 dpi
    cached = built["root"] / "page-images" / built["doc_id"] / "2-100.png"
    assert cached.is_file()
    assert client.get(url, params={"zoom": 1.0}).content == first.content
    assert httpx.get(str(client.base_url) + url).status_code == 401  # the token guards images too
    assert client.get(f"/documents/{built['doc_id']}/pages/9/image").status_code == 404


def test_a_quote_is_boxed_where_it_is_printed_on_its_page(client, built) -> None:
    text = built["text"]
    quote = "Warfarin increases the risk of bleeding in elderly patients."
    start = text.index(quote)
    body = client.get(
        f"/documents/{built['doc_id']}/evidence", params={"start": start, "end": start + len(quote)}
    ).json()
    assert body["page"] == 2 and body["quote"] == quote and body["image"].endswith("/pages/2/image")
    assert body["before"].endswith("Anticoagulants and bleeding\n\n") and body["after"].startswith(" Aspirin")
    with pymupdf.open(built["root"].parent / "ws.pdf") as pdf:
        printed = pdf[1].search_for("Warfarin increases")[0]
    boxes = [_pixels(b, body["page_width"], body["page_height"]) for b in body["boxes"]]
    assert boxes and boxes[0].contains((printed.tl + printed.br) / 2)
    assert all(b.y1 < 200 for b in boxes)  # on the lines of that sentence, not the whole page


def test_a_quote_from_a_table_is_boxed_by_its_cells_with_their_headers(client, built) -> None:
    start = built["row_start"]
    url = f"/documents/{built['table_doc_id']}/evidence"
    body = client.get(url, params={"start": start, "end": start + len(bf.ROW)}).json()
    assert [c["text"] for c in body["cells"]] == ["Diarrhoea", "22 (18.3%)", "9 (7.6%)", "0.01"]
    cell = body["cells"][1]
    assert (cell["row_header"], cell["column_header"]) == ("Diarrhoea", "Metformin (n = 120)")
    assert len(body["boxes"]) == 4
    with pymupdf.open(built["table_pdf"]) as pdf:
        printed = pdf[0].search_for("22 (18.3%)")[0]
    box = _pixels(body["boxes"][1], body["page_width"], body["page_height"])
    assert box.contains((printed.tl + printed.br) / 2)


def test_a_document_whose_pdf_is_gone_still_shows_its_text_and_says_why_no_image(client, built) -> None:
    moved = built["table_pdf"].with_suffix(".moved")
    shutil.move(built["table_pdf"], moved)
    try:
        start = built["row_start"]
        url = f"/documents/{built['table_doc_id']}/evidence"
        body = client.get(url, params={"start": start, "end": start + 9}).json()
        assert body["image"] is None and "no longer there" in body["reason"] and body["quote"] == "Diarrhoea"
        image = client.get(f"/documents/{built['table_doc_id']}/pages/2/image")
        assert image.status_code == 404 and "no longer there" in image.json()["detail"]
    finally:
        shutil.move(moved, built["table_pdf"])


def test_the_new_routes_are_in_the_openapi_docs(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/documents/{doc_id}/pages/{number}/image" in paths
    assert "/documents/{doc_id}/evidence" in paths
    assert "/overview" in paths


def test_the_overview_lists_documents_types_and_the_most_connected_entities(client, built) -> None:
    body = client.get("/overview").json()
    docs = {d["doc_id"]: d for d in body["documents"]}
    assert (docs[built["doc_id"]]["pages"], docs[built["doc_id"]]["facts"]) == (2, 3)
    assert (docs[built["table_doc_id"]]["pages"], docs[built["table_doc_id"]]["facts"]) == (2, 1)
    assert docs[built["table_doc_id"]]["entities"] == 3
    assert body["types"] == {"Chemical": 5, "Disease": 6}
    assert (body["n_entities"], body["n_relations"]) == (11, 4)
    names = {n["name"] for n in body["graph"]["nodes"]}
    assert names == {
        "Lithium carbonate",
        "hypotension",
        "Warfarin",
        "bleeding",
        "Aspirin",
        "stroke",
        "Metformin",
        "Diarrhoea",
    }  # entities without a relation are left out of the graph
    assert len(body["graph"]["edges"]) == 4
    small = client.get("/overview", params={"max_nodes": 2}).json()["graph"]
    assert len(small["nodes"]) <= 2
