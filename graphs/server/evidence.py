"""HTTP routes of the evidence view: a page drawn as PNG, and where a quote sits on it.

Page images are drawn by pymupdf on the server and kept in the workspace, so a page costs one drawing;
the quote's boxes come back as shares of the page, for the web page to lay over the image.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse

from factloom.graphs.server.shared import Blocking
from factloom.ingest.errors import FactloomError, PdfError, UnknownDocumentError
from factloom.ingest.evidence_view import NoPageImageError, evidence_view, page_image
from factloom.ingest.models import Document
from factloom.ingest.store import get_document
from factloom.ingest.workspace import Workspace


def evidence_router(ws: Workspace, blocking: Blocking) -> APIRouter:
    """Return the routes that show evidence on its page, over one workspace."""
    router = APIRouter(tags=["evidence"])

    @lru_cache(maxsize=32)
    def document(doc_id: str) -> Document:  # a doc_id names one content: its rows never change
        return get_document(ws, doc_id)

    def load(doc_id: str) -> Document:
        try:
            return document(doc_id)
        except UnknownDocumentError as e:
            raise HTTPException(404, str(e)) from e

    @router.get(
        "/documents/{doc_id}/pages/{number}/image",
        summary="One page of a PDF drawn as a PNG",
        response_class=FileResponse,
        responses={200: {"content": {"image/png": {}}}},
    )
    @blocking.route
    def get_page_image(
        doc_id: str, number: int, zoom: float = Query(1.5, ge=0.5, le=4.0, description="1.0 = 72 dpi")
    ) -> FileResponse:
        doc = load(doc_id)
        if not any(p.number == number for p in doc.pages):
            raise HTTPException(404, f"{doc_id} has no page {number}")
        try:
            path = page_image(ws, doc, number, zoom)
        except (NoPageImageError, PdfError) as e:
            raise HTTPException(404, str(e)) from e
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})

    @router.get("/documents/{doc_id}/evidence", summary="Where a span of the document text is on its page")
    @blocking.route
    def get_evidence(
        doc_id: str,
        start: int = Query(..., ge=0, description="offset of the span in the document text"),
        end: int = Query(..., ge=0),
        table: int | None = Query(None, ge=0, description="a cited cell: its table's index in the document"),
        row: int | None = Query(None, ge=0, description="a cited cell: its row (0 = the header)"),
        col: int | None = Query(None, ge=0, description="a cited cell: its column"),
    ) -> dict[str, Any]:
        """Return the page of ``text[start:end]``, its boxes there (shares of the page's width and height,
        for laying over the page image), the text around it, and the table cells it touches with their
        row and column headers. A fact read from a table gives its cell (``table``, ``row``, ``col``):
        the boxes are then the cell's, its row header's and its column header's (``roles`` says which)."""
        doc = load(doc_id)
        if end < start or start > len(doc.text):
            raise HTTPException(422, f"bad span {start}-{end} for a text of {len(doc.text)} characters")
        cell = (table, row, col) if table is not None and row is not None and col is not None else None
        try:
            view = evidence_view(doc, start, end, cell=cell)
        except NoPageImageError as e:
            page = doc.page_at(start)
            return {
                "doc_id": doc_id,
                "title": doc.title,
                "page": page,
                "n_pages": len(doc.pages),
                "image": None,
                "reason": str(e),
                "boxes": [],
                "cells": [],
                "roles": [],
                "start": start,
                "end": end,
                "quote": doc.text[start:end],
                "before": "",
                "after": "",
            }
        except FactloomError as e:
            raise HTTPException(409, str(e)) from e
        body = asdict(view)
        body.update(
            title=doc.title, n_pages=len(doc.pages), image=f"documents/{doc_id}/pages/{view.page}/image"
        )
        return body

    return router
