"""What the routers share: blocking work off the event loop, the verified-only filter, the JSON of facts.

Every route's workspace work (SQLite, pymupdf drawing a page, waiting for the writer lock) runs in a worker
thread through ``Blocking``, one call at a time (the routes share one SQLite connection and one graph
index, as they did when they ran on the loop), so the event loop keeps serving while a page is drawn or a
big graph is rebuilt.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread
from fastapi import Query

from factloom.graphs.query import QueryContext
from factloom.tools.extraction.kg import Entity, Relation
from factloom.tools.query.graph_index import GraphIndex
from factloom.tools.store.review import FactReview, review_of

P = ParamSpec("P")
T = TypeVar("T")

EVIDENCE_FIELDS = {"doc_id", "page", "start", "end", "quote", "method", "score", "cell"}
VERIFIED_ONLY = Query(
    False,
    description="Keep only relations the verifier checked and found supported. By default unverified "
    "relations are included and labelled with their status.",
)


class Blocking:
    """Runs blocking calls in a worker thread, one at a time, and awaits them."""

    def __init__(self) -> None:
        self._limiter = anyio.CapacityLimiter(1)

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Return ``func(*args, **kwargs)``, called in a worker thread."""
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs), limiter=self._limiter)

    def route(self, func: Callable[P, T]) -> Callable[P, Awaitable[T]]:
        """Turn a plain route function into an async one that runs it off the loop (FastAPI reads the
        parameters of ``func`` itself)."""

        @functools.wraps(func)
        async def off_loop(*args: P.args, **kwargs: P.kwargs) -> T:
            return await self.run(func, *args, **kwargs)

        return off_loop


def graph_view(ctx: QueryContext) -> Callable[[bool], GraphIndex]:
    """Return the function that gives the graph a request may see (``verified_only`` or the server's)."""

    def graph_of(verified_only: bool) -> GraphIndex:
        return ctx.graph.view(verified_only=verified_only or ctx.graph.verified_only)

    return graph_of


def entity_json(e: Entity) -> dict[str, Any]:
    """Return an entity as the API shows it in lists."""
    return {
        "entity_id": e.entity_id,
        "name": e.name,
        "type": e.type,
        "aliases": e.aliases,
        "n_mentions": len(e.mentions),
    }


def relation_json(
    r: Relation, names: dict[str, str], reviews: dict[str, FactReview] | None = None
) -> dict[str, Any]:
    """Return a relation with its status, agent, rationale, evidence and who checked it."""
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
