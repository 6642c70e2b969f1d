"""The HTTP API and the web page: ask, browse entities and relations, read evidence in its page.

``create_app`` builds a FastAPI app over an opened ``QueryContext``. Every relation the API returns
carries its ``status`` (verified / unverified), proposing ``agent``, the verifier's ``rationale`` and the
grounding ``method`` and ``score`` of each quote, and who checked it if a person did;
``?verified_only=true`` keeps verified relations only. The routes live in one module per job (``ask``,
``browse``, ``collection``, ``evidence``, ``review``); their workspace work runs off the event loop
(``shared.Blocking``).

When a token is given, every request must carry it (``Authorization: Bearer T``, ``?token=T``, or the
cookie the page sets after a ``?token=`` visit), and its holders may review and correct the graph;
without a token the server is read-only unless ``allow_edits``. The page is plain files from
``graphs/server/web``; document text is sent as JSON and shown as text.
"""

from __future__ import annotations

import logging
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from factloom.graphs.query import QueryContext
from factloom.graphs.server.ask import ask_router
from factloom.graphs.server.browse import browse_router
from factloom.graphs.server.collection import collection_router
from factloom.graphs.server.evidence import evidence_router
from factloom.graphs.server.review import review_router
from factloom.graphs.server.shared import Blocking

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).with_name("web")
SWAGGER_DIR = Path(str(resources.files("fastapi_offline") / "static"))
"""Swagger UI 5 (OpenAPI 3.1) as shipped by the PyPI package fastapi-offline."""
TOKEN_COOKIE = "factloom_token"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


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

    blocking = Blocking()
    actor = "token holder" if token else "web page (--allow-edits)"
    app.include_router(evidence_router(ctx.ws, blocking))
    app.include_router(collection_router(ctx, blocking))
    app.include_router(review_router(ctx, blocking, can_edit=bool(token) or allow_edits, actor=actor))
    app.include_router(ask_router(ctx, blocking))
    app.include_router(browse_router(ctx, blocking))
    return app
