"""HTTP route of the collection overview: what the web page opens on before any question.

Documents with their pages, facts and entities; entity types with counts; the most connected entities
with the relations among them, for the overview graph.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from factloom.graphs.query import QueryContext, graph_json
from factloom.graphs.server.shared import VERIFIED_ONLY, Blocking, graph_view
from factloom.ingest.store import list_documents
from factloom.tools.query.graph_index import GraphIndex
from factloom.tools.query.subgraph import Subgraph


def collection_router(ctx: QueryContext, blocking: Blocking) -> APIRouter:
    """Return the overview route over a query context."""
    router = APIRouter(tags=["collection"])
    graph_of = graph_view(ctx)

    @router.get("/overview", summary="The collection: documents, entity types, the most connected entities")
    @blocking.route
    def get_overview(
        max_nodes: int = Query(40, ge=1, le=300, description="entities in the overview graph"),
        verified_only: bool = VERIFIED_ONLY,
    ) -> dict[str, Any]:
        """Return every document with its page count and the facts (relations) and entities it supports,
        the entity types with their counts, the totals, and the ``max_nodes`` entities with most relations
        with the relations among them (``graph``: nodes and edges as ``/graph`` returns them)."""
        ctx.graph.refresh()
        graph = graph_of(verified_only)
        counts = graph.per_document()
        documents = [
            {
                "doc_id": d.doc_id,
                "title": d.title,
                "path": d.path,
                "pages": d.pages,
                "chunks": d.chunks,
                **counts.get(d.doc_id, {"facts": 0, "entities": 0}),
            }
            for d in list_documents(ctx.ws)
        ]
        return {
            "documents": documents,
            "types": ctx.graph.types(),
            "n_entities": ctx.graph.count(),
            "n_relations": graph.relation_count(),
            "graph": graph_json(overview(graph, max_nodes)),
        }

    return router


def overview(graph: GraphIndex, max_nodes: int) -> Subgraph:
    """Return the ``max_nodes`` most connected entities and the relations among them."""
    top = graph.search("", None, max_nodes)
    ids = {e.entity_id for e in top}
    relations = [r for r in graph.relations_of(ids, limit=max_nodes * 20) if r.head in ids and r.tail in ids]
    linked = {r.head for r in relations} | {r.tail for r in relations}
    entities = [e for e in top if e.entity_id in linked] or top
    return Subgraph(seeds=[], entities=entities, relations=relations)
