"""HTTP route that answers a question with citations (the query graph, one question at a time)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from factloom.agents.answerer import Turn
from factloom.graphs.query import QueryContext, ask, graph_json
from factloom.graphs.server.shared import VERIFIED_ONLY, Blocking, graph_view
from factloom.tools.errors import LLMError


class AskRequest(BaseModel):
    """A question, with the earlier turns of the conversation for follow-ups."""

    question: str = Field(min_length=1, max_length=2000)
    history: list[Turn] = Field(default_factory=list, max_length=20)


def ask_router(ctx: QueryContext, blocking: Blocking) -> APIRouter:
    """Return the ``/ask`` route over a query context (its ``llm`` answers)."""
    router = APIRouter(tags=["ask"])
    lock = asyncio.Lock()  # one question at a time: the embedded model is not re-entrant
    graph_of = graph_view(ctx)

    @router.post("/ask", summary="Answer a question with citations")
    async def post_ask(req: AskRequest, verified_only: bool = VERIFIED_ONLY) -> dict[str, Any]:
        async with lock:
            await blocking.run(ctx.refresh)
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

    return router
