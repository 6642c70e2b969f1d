"""HTTP routes to browse the graph: entity search, an entity, relations, a neighbourhood, documents, pages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, HTTPException, Query

from factloom.graphs.query import QueryContext, graph_json
from factloom.graphs.server.shared import VERIFIED_ONLY, Blocking, entity_json, graph_view, relation_json
from factloom.ingest.store import UnknownDocumentError, get_document, list_documents
from factloom.tools.query.subgraph import Limits, neighbourhood, sentence_around
from factloom.tools.store.review import fact_reviews


def browse_router(ctx: QueryContext, blocking: Blocking) -> APIRouter:
    """Return the routes that browse the graph and the documents of a query context."""
    router = APIRouter(tags=["browse"])
    graph_of = graph_view(ctx)

    @router.get("/entities", summary="Search entities by name, filter by type")
    @blocking.route
    def get_entities(
        q: str = "",
        type: str | None = None,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0),
    ) -> dict[str, Any]:
        ctx.graph.refresh()
        found = ctx.graph.search(q, type, limit, offset)
        return {"entities": [entity_json(e) for e in found], "types": ctx.graph.types()}

    @router.get("/entities/{entity_id}", summary="One entity with its mentions and relation evidence")
    @blocking.route
    def get_entity(entity_id: str, verified_only: bool = VERIFIED_ONLY) -> dict[str, Any]:
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
            "entity": entity_json(entity),
            "mentions": [_mention_json(ctx, m) for m in entity.mentions[:100]],
            "relations": [relation_json(r, names, fact_reviews(ctx.ws)) for r in relations],
        }

    @router.get("/relations", summary="Relations, optionally of one entity or one type")
    @blocking.route
    def get_relations(
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
        return {"relations": [relation_json(r, names, fact_reviews(ctx.ws)) for r in rels]}

    @router.get("/graph", summary="The neighbourhood of entities as nodes and edges")
    @blocking.route
    def get_graph(
        entities: str = Query(..., description="comma-separated entity ids"),
        hops: int = Query(1, ge=0, le=3),
        max_nodes: int = Query(40, ge=1, le=300),
        verified_only: bool = VERIFIED_ONLY,
    ) -> dict[str, Any]:
        ctx.graph.refresh()
        limits = Limits(hops=hops, max_nodes=max_nodes, max_edges=max_nodes * 3)
        seeds = [e for e in entities.split(",") if e]
        return graph_json(neighbourhood(graph_of(verified_only), seeds, limits))

    @router.get("/documents", summary="The documents of the workspace")
    @blocking.route
    def get_documents() -> dict[str, Any]:
        return {"documents": [asdict(d) for d in list_documents(ctx.ws)]}

    @router.get("/documents/{doc_id}/pages/{number}", summary="One page's text, for the evidence view")
    @blocking.route
    def get_page(doc_id: str, number: int) -> dict[str, Any]:
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

    return router


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
