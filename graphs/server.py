"""The HTTP API and the web page: ask, browse entities and relations, read evidence in its page.

``create_app`` builds a FastAPI app over an opened ``QueryContext``. Every relation the API returns
carries its ``status`` (verified / unverified), proposing ``agent``, the verifier's ``rationale`` and the
grounding ``method`` and ``score`` of each quote, and who checked it if a person did;
``?verified_only=true`` keeps verified relations only. The collection overview, the evidence view (page
images, quote boxes) and the review routes live in ``server_collection``, ``server_evidence`` and
``server_review``.

When a token is given, every request must carry it (``Authorization: Bearer T``, ``?token=T``, or the
cookie the page sets after a ``?token=`` visit), and its holders may review and correct the graph;
without a token the server is read-only unless ``allow_edits``. The page is plain files from
``graphs/web``; document text is sent as JSON and shown as text.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import asdict, replace
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from factloom.agents.answerer import Turn
from factloom.graphs.query import QueryContext, ask, graph_json
from factloom.graphs.server_collection import collection_router
from factloom.graphs.server_evidence import evidence_router
from factloom.graphs.server_review import review_router
from factloom.ingest.errors import UnknownDocumentError
from factloom.ingest.store import get_document, list_documents
from factloom.tools.errors import LLMError
from factloom.tools.extraction.kg import Entity, Relation
from factloom.tools.query.graph_index import GraphIndex
from factloom.tools.query.subgraph import Limits, neighbourhood, sentence_around
from factloom.tools.store.review import FactReview, fact_reviews, review_of

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).with_name("web")
SWAGGER_DIR = Path(str(resources.files("fastapi_offline") / "static"))
"""Swagger UI 5 (OpenAPI 3.1) as shipped by the PyPI package fastapi-offline."""
TOKEN_COOKIE = "factloom_token"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


EVIDENCE_FIELDS = {"doc_id", "page", "start", "end", "quote", "method", "score", "cell"}
VERIFIED_ONLY = Query(
    False,
    description="Keep only relations the verifier checked and found supported. By default unverified "
    "relations are included and labelled with their status.",
)


class AskRequest(BaseModel):
    """A question, with the earlier turns of the conversation for follow-ups."""

    question: str = Field(min_length=1, max_length=2000)
    history: list[Turn] = Field(default_factory=list, max_length=20)


def _entity_json(e: Entity) -> dict[str, Any]:
    return {
        "entity_id": e.entity_id,
        "name": e.name,
        "type": e.type,
        "aliases": e.aliases,
        "n_mentions": len(e.mentions),
    }


def _relation_json(
    r: Relation, names: dict[str, str], reviews: dict[str, FactReview] | None = None
) -> dict[str, Any]:
    review = review_of(reviews or {}, r)
    return {
        "relation_id": r.relation_id,
        "head": r.head,
        "head_name": names.get(r.head, r.head),
        "type": r.type,
        "tail": r.tail,
        "tail_name": names.get(r.tail, r.tail),
        "status": r.status,
        "agent": r.agent,
        "confidence": r.confidence,
        "reasoning": r.reasoning,
        "rationale": r.rationale,
        "evidence": [ev.model_dump(include=EVIDENCE_FIELDS) for ev in r.evidence],
        "checked_by": review.checked_by,
        "checked_at": review.checked_at,
    }


def _token_ok(request: Request, token: str) -> tuple[bool, bool]:
    """Return (authorised, came in the query string)."""
    header = request.headers.get("authorization", "")
    given = [
        header[7:] if header.lower().startswith("bearer ") else "",
        request.cookies.get(TOKEN_COOKIE, ""),
    ]
    query = request.query_params.get("token", "")
    if query and secrets.compare_digest(query.encode(), token.encode()):
        return True, True
    return any(g and secrets.compare_digest(g.encode(), token.encode()) for g in given), False


def _add_auth(app: FastAPI, token: str) -> None:
    @app.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Response:
        ok, from_query = _token_ok(request, token)
        if not ok:
            return JSONResponse(
                {"detail": "missing or wrong token"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        response = await call_next(request)
        if from_query:
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response


def create_app(ctx: QueryContext, token: str | None = None, *, allow_edits: bool = False) -> FastAPI:
    """Return the API and web page over an opened query context.

    Args:
        ctx: the workspace's query context (its ``llm`` answers ``/ask``).
        token: when given, required on every request; its holders may also review and correct the graph.
        allow_edits: without a token, allow changes anyway (otherwise the server is read-only).
    """
    app = FastAPI(
        docs_url=None,  # served below from the Swagger UI files that fastapi-offline ships, not a CDN
        redoc_url=None,
        title="factloom",
        version="0.1.0",
        description="Ask a knowledge graph built from documents; each answer cites its evidence.",
    )
    lock = asyncio.Lock()  # one question at a time: the embedded model is not re-entrant
    if token:
        _add_auth(app, token)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    app.mount("/docs-assets", StaticFiles(directory=SWAGGER_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> FileResponse:
        return FileResponse(WEB_DIR / "docs.html", media_type="text/html")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    def graph_of(verified_only: bool) -> GraphIndex:
        return ctx.graph.view(verified_only=verified_only or ctx.graph.verified_only)

    app.include_router(evidence_router(ctx.ws))
    app.include_router(collection_router(ctx, graph_of, VERIFIED_ONLY))
    actor = "token holder" if token else "web page (--allow-edits)"
    app.include_router(review_router(ctx, can_edit=bool(token) or allow_edits, actor=actor))

    @app.post("/ask", summary="Answer a question with citations")
    async def post_ask(req: AskRequest, verified_only: bool = VERIFIED_ONLY) -> dict[str, Any]:
        async with lock:
            ctx.refresh()
            try:
                result = await ask(req.question, replace(ctx, graph=graph_of(verified_only)), req.history)
            except LLMError as e:
                raise HTTPException(502, f"the model failed: {e}") from e
        body = result.to_json()
        body["citations"] = [
            {**c.model_dump(), **labelled}
            for c, labelled in zip(result.answer.citations, body["citations"], strict=True)
        ]
        body["supported"] = result.answer.supported
        body["evidence"] = result.evidence_json()
        body["graph"] = graph_json(result.subgraph)
        body["turn"] = result.turn().model_dump()
        return body

    @app.get("/entities", summary="Search entities by name, filter by type")
    async def get_entities(
        q: str = "",
        type: str | None = None,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0),
    ) -> dict[str, Any]:
        ctx.graph.refresh()
        found = ctx.graph.search(q, type, limit, offset)
        return {"entities": [_entity_json(e) for e in found], "types": ctx.graph.types()}

    @app.get("/entities/{entity_id}", summary="One entity with its mentions and relation evidence")
    async def get_entity(entity_id: str, verified_only: bool = VERIFIED_ONLY) -> dict[str, Any]:
        ctx.graph.refresh()
        entity = ctx.graph.entity(entity_id)
        if entity is None:
            raise HTTPException(404, f"no entity {entity_id}")
        relations = graph_of(verified_only).relations_of([entity_id], limit=200)
        names = {
            e.entity_id: e.name
            for e in ctx.graph.entities({r.head for r in relations} | {r.tail for r in relations})
        }
        return {
            "entity": _entity_json(entity),
            "mentions": [_mention_json(ctx, m) for m in entity.mentions[:100]],
            "relations": [_relation_json(r, names, fact_reviews(ctx.ws)) for r in relations],
        }

    @app.get("/relations", summary="Relations, optionally of one entity or one type")
    async def get_relations(
        entity: str | None = None,
        type: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
        verified_only: bool = VERIFIED_ONLY,
    ) -> dict[str, Any]:
        ctx.graph.refresh()
        graph = graph_of(verified_only)
        rels = graph.relations_of([entity], limit) if entity else graph.relations(type, limit)
        rels = [r for r in rels if type is None or r.type == type]
        names = {
            e.entity_id: e.name for e in ctx.graph.entities({r.head for r in rels} | {r.tail for r in rels})
        }
        return {"relations": [_relation_json(r, names, fact_reviews(ctx.ws)) for r in rels]}

    @app.get("/graph", summary="The neighbourhood of entities as nodes and edges")
    async def get_graph(
        entities: str = Query(..., description="comma-separated entity ids"),
        hops: int = Query(1, ge=0, le=3),
        max_nodes: int = Query(40, ge=1, le=300),
        verified_only: bool = VERIFIED_ONLY,
    ) -> dict[str, Any]:
        ctx.graph.refresh()
        limits = Limits(hops=hops, max_nodes=max_nodes, max_edges=max_nodes * 3)
        seeds = [e for e in entities.split(",") if e]
        return graph_json(neighbourhood(graph_of(verified_only), seeds, limits))

    @app.get("/documents", summary="The documents of the workspace")
    async def get_documents() -> dict[str, Any]:
        return {"documents": [asdict(d) for d in list_documents(ctx.ws)]}

    @app.get("/documents/{doc_id}/pages/{number}", summary="One page's text, for the evidence view")
    async def get_page(doc_id: str, number: int) -> dict[str, Any]:
        try:
            doc = get_document(ctx.ws, doc_id)
        except UnknownDocumentError as e:
            raise HTTPException(404, str(e)) from e
        page = next((p for p in doc.pages if p.number == number), None)
        if page is None:
            raise HTTPException(404, f"{doc_id} has no page {number}")
        return {
            "doc_id": doc_id,
            "title": doc.title,
            "page": number,
            "n_pages": len(doc.pages),
            "start": page.start,
            "end": page.end,
            "text": doc.text[page.start : page.end],
        }

    return app


def _mention_json(ctx: QueryContext, m: Any) -> dict[str, Any]:
    text = ctx.doc_text(m.doc_id)
    quote = None
    if text is not None:
        s, e = sentence_around(text, m.start, m.end)
        quote = {"start": s, "end": e, "quote": text[s:e]}
    return {
        "doc_id": m.doc_id,
        "page": m.page,
        "start": m.start,
        "end": m.end,
        "text": m.text,
        "sentence": quote,
    }
