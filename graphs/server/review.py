"""HTTP routes to review and correct the graph: merges and conflicts, undo a merge, reject or check a fact.

Every change goes to the workspace's review log (``tools.store.review``), so a later extraction or rebuild
keeps it. Changes are allowed only when the server was started with a token (then only requests that
carry it reach any route) or with ``--allow-edits``; otherwise the server is read-only and answers 403.
Each change holds the workspace's writer lock for its duration (409 while another process writes).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, HTTPException

from factloom.graphs.query import QueryContext
from factloom.graphs.server.shared import Blocking
from factloom.ingest.lock import WorkspaceLockedError, workspace_lock
from factloom.tools.errors import MergeNotFoundError
from factloom.tools.resolution.collection import undo_merge
from factloom.tools.store.collection import list_conflicts, list_merges
from factloom.tools.store.review import FactReview, fact_key, fact_reviews, last_key, read_log, record

READ_ONLY = "the server is read-only: start it with --token T (edits by token holders) or --allow-edits"


def review_router(ctx: QueryContext, blocking: Blocking, *, can_edit: bool, actor: str) -> APIRouter:
    """Return the review routes; ``can_edit`` False makes every change answer 403."""
    router = APIRouter(tags=["review"])

    def guard() -> None:
        if not can_edit:
            raise HTTPException(403, READ_ONLY)

    @router.get("/review", summary="Merges with their reason and score, conflicts, and the review log")
    @blocking.route
    def get_review() -> dict[str, Any]:
        merges = list_merges(ctx.ws, include_undone=True)
        return {
            "can_edit": can_edit,
            "merges": [m.model_dump() for m in merges if not m.undone],
            "undone": [m.model_dump() for m in merges if m.undone],
            "conflicts": [c.model_dump() for c in list_conflicts(ctx.ws)],
            "log": [vars(e) for e in read_log(ctx.ws)],
        }

    @router.post("/review/merges/{merge_id}/undo", summary="Undo a merge: its entities stay apart for good")
    @blocking.route
    def post_undo(merge_id: str, note: str = Body("", embed=True, max_length=500)) -> dict[str, Any]:
        guard()
        try:
            with workspace_lock(ctx.ws, wait=10, command="factloom serve: undo a merge"):
                merge = undo_merge(ctx.ws, merge_id)
                entry = record(ctx.ws, "undo_merge", merge_id, actor, note)
        except MergeNotFoundError as e:
            raise HTTPException(404, str(e)) from e
        except WorkspaceLockedError as e:
            raise HTTPException(409, str(e)) from e
        ctx.refresh()
        return {"merge": merge.model_dump(), "log": vars(entry)}

    @router.post("/review/facts/{relation_id}/{action}", summary="Reject, restore, check or uncheck a fact")
    @blocking.route
    def post_fact(
        relation_id: str,
        action: Literal["reject", "restore", "check", "uncheck"],
        note: str = Body("", embed=True, max_length=500),
    ) -> dict[str, Any]:
        """``reject`` leaves the fact out of the graph, exports and answers (kept in the log; ``restore``
        undoes it); ``check`` marks it as checked by a person."""
        guard()
        ctx.graph.refresh()
        fact = ctx.graph.relation(relation_id)
        if action == "restore":
            if not fact_reviews(ctx.ws).get(relation_id, FactReview()).rejected:
                raise HTTPException(404, f"no rejected fact {relation_id}")
            key = last_key(ctx.ws, relation_id)
        elif fact is None:
            raise HTTPException(404, f"no fact {relation_id} in the graph")
        else:
            key = fact_key(fact)
        try:
            with workspace_lock(ctx.ws, wait=10, command=f"factloom serve: {action} a fact"):
                entry = record(ctx.ws, action, relation_id, actor, note, key)
        except WorkspaceLockedError as e:
            raise HTTPException(409, str(e)) from e
        ctx.refresh()
        return {"log": vars(entry)}

    return router
