"""The query graph: link the question to entities -> neighbourhood and evidence -> cited answer.

The LLM, the workspace and the indexes come through LangGraph's runtime context (``QueryContext``);
the state is typed. Conversations pass earlier turns in ``history``: the entities of the last turn are
carried into the next question's links, so a follow-up such as "and what does it treat?" stays on topic.
"""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel

from factloom.agents.answerer import AnswerResult, Citation, Turn, answer_node
from factloom.ingest.embed import get_embedder
from factloom.ingest.errors import UnknownDocumentError
from factloom.ingest.index import VectorIndex
from factloom.ingest.store import get_document
from factloom.ingest.workspace import Workspace
from factloom.tools.llm.base import LLM
from factloom.tools.names import lookup_key
from factloom.tools.query.graph_index import GraphIndex
from factloom.tools.query.linking import (
    ENTITY_COLLECTION,
    LinkConfig,
    LinkedEntity,
    MemoEmbedder,
    link,
    refresh_entity_vectors,
)
from factloom.tools.query.subgraph import EvidenceItem, Limits, Subgraph, gather_evidence, neighbourhood

log = logging.getLogger(__name__)

CHUNK_COLLECTION = "chunks"
MAX_CARRIED = 3
"""How many entities of the previous turn a follow-up question keeps."""
ANAPHORA = frozenset(
    {"it", "its", "they", "them", "their", "this", "that", "these", "those", "he", "his", "she", "her"}
)
"""Words that refer back: a question holding one keeps the previous turn's entities."""


@dataclass
class QueryContext:
    """What the query graph's nodes use: workspace, graph index, vector indexes, LLM and limits."""

    ws: Workspace
    graph: GraphIndex
    llm: LLM | None = None
    entity_vectors: VectorIndex | None = None
    chunks: VectorIndex | None = None
    limits: Limits = field(default_factory=Limits)
    link_config: LinkConfig = field(default_factory=LinkConfig)
    _texts: OrderedDict[str, str | None] = field(default_factory=OrderedDict, repr=False)

    def refresh(self) -> None:
        """Bring the graph index and the entity vectors up to date if the stored graph changed."""
        if self.entity_vectors is not None:
            refresh_entity_vectors(self.graph, self.entity_vectors)
        else:
            self.graph.refresh()

    def doc_text(self, doc_id: str) -> str | None:
        """Return a document's text (cached), or None when the workspace lacks it."""
        if doc_id in self._texts:
            self._texts.move_to_end(doc_id)
            return self._texts[doc_id]
        try:
            text: str | None = get_document(self.ws, doc_id).text
        except UnknownDocumentError:
            text = None
        self._texts[doc_id] = text
        if len(self._texts) > 128:
            self._texts.popitem(last=False)
        return text


def open_context(
    ws: Workspace, llm: LLM | None = None, *, vectors: bool = True, verified_only: bool = False
) -> QueryContext:
    """Open the indexes of a workspace for questions, refreshing the graph and entity indexes if stale.

    Args:
        ws: the workspace.
        llm: the answer model (None for retrieval only).
        vectors: use the Chroma indexes (entities, chunks); exact alias linking only when False.
        verified_only: answer from verified relations only (document passages are still searched).
    """
    graph = GraphIndex(ws, refresh=False, verified_only=verified_only)
    ctx = QueryContext(ws=ws, graph=graph, llm=llm)
    if vectors:
        embedder = MemoEmbedder(get_embedder())  # the question is embedded once for both indexes
        ctx.entity_vectors = VectorIndex(ws, ENTITY_COLLECTION, embedder=embedder)
        chunks = VectorIndex(ws, CHUNK_COLLECTION, embedder=embedder)
        ctx.chunks = chunks if chunks.count() else None
    ctx.refresh()
    return ctx


class QueryState(TypedDict, total=False):
    """The query graph's state."""

    question: str
    history: list[Turn]
    linked: list[LinkedEntity]
    subgraph: Subgraph
    evidence: list[EvidenceItem]
    answer: AnswerResult


class LinkInput(TypedDict):
    """What the link node reads."""

    question: str
    history: list[Turn]


class RetrieveInput(TypedDict):
    """What the retrieve node reads."""

    question: str
    linked: list[LinkedEntity]


def link_node(state: LinkInput, runtime: Runtime[QueryContext]) -> dict[str, list[LinkedEntity]]:
    """Link the question to entities; a follow-up (no entity of its own, or "it"...) keeps the last turn's."""
    ctx = runtime.context
    linked = link(state["question"], ctx.graph, ctx.entity_vectors, ctx.link_config)
    history = state.get("history") or []
    words = set(lookup_key(state["question"]).split())
    if history and (not linked or words & ANAPHORA):
        seen = {e.entity_id for e in linked}
        carried = [i for i in history[-1].entity_ids if i not in seen][:MAX_CARRIED]
        linked += [
            LinkedEntity(entity_id=e.entity_id, name=e.name, type=e.type, score=0.5, method="history")
            for e in ctx.graph.entities(carried)
        ]
    return {"linked": linked}


def retrieve_node(state: RetrieveInput, runtime: Runtime[QueryContext]) -> dict[str, Any]:
    """Take the linked entities' neighbourhood and gather the evidence passages."""
    ctx = runtime.context
    sub = neighbourhood(ctx.graph, [e.entity_id for e in state["linked"]], ctx.limits)
    evidence = gather_evidence(state["question"], sub, ctx.doc_text, ctx.chunks, ctx.limits)
    return {"subgraph": sub, "evidence": evidence}


@functools.cache
def build_graph() -> Any:
    """Return the compiled query graph (link -> retrieve -> answer)."""
    builder = StateGraph(QueryState, context_schema=QueryContext)
    builder.add_node("link", link_node)
    builder.add_node("retrieve", retrieve_node)
    builder.add_node("answer", answer_node)
    builder.add_edge(START, "link")
    builder.add_edge("link", "retrieve")
    builder.add_edge("retrieve", "answer")
    builder.add_edge("answer", END)
    return builder.compile()


class QueryResult(BaseModel):
    """A question's answer with everything behind it."""

    question: str
    answer: AnswerResult
    linked: list[LinkedEntity]
    subgraph: Subgraph
    evidence: list[EvidenceItem]

    def to_json(self) -> dict[str, Any]:
        """Return the public JSON form: answer, citations and linked entities.

        Each citation says where it came from (``source``: a relation's quote, a similar chunk, or the
        sentence of a mention) and lists the graph ``facts`` it is evidence of, each with its status.
        """
        keep = {"doc_id", "page", "start", "end", "quote"}
        return {
            "answer": self.answer.text,
            "citations": [{**c.model_dump(include=keep), **self._labels(c)} for c in self.answer.citations],
            "entities": [e.model_dump(include={"entity_id", "name", "type", "method"}) for e in self.linked],
        }

    def evidence_json(self) -> list[dict[str, Any]]:
        """Return the evidence passages, each with the graph facts it supports and their status."""
        return [{**ev.model_dump(), "facts": facts_of(self.subgraph, ev)} for ev in self.evidence]

    def _labels(self, c: Citation) -> dict[str, Any]:
        item = next((ev for ev in self.evidence if ev.evidence_id == c.evidence_id), None)
        return {"source": item.source if item else "", "facts": facts_of(self.subgraph, c)}

    def turn(self) -> Turn:
        """Return this exchange as a history turn for a follow-up question."""
        return Turn(
            question=self.question, answer=self.answer.text, entity_ids=[e.entity_id for e in self.linked]
        )


def facts_of(sub: Subgraph, passage: Citation | EvidenceItem) -> list[dict[str, Any]]:
    """Return the relations of ``sub`` that cite exactly ``passage``, labelled with how they were checked."""
    names = {e.entity_id: e.name for e in sub.entities}
    out = []
    for r in sub.relations:
        for ev in r.evidence:
            if (ev.doc_id, ev.start, ev.end) == (passage.doc_id, passage.start, passage.end):
                out.append(
                    {
                        "relation_id": r.relation_id,
                        "fact": f"{names.get(r.head, r.head)} --{r.type}--> {names.get(r.tail, r.tail)}",
                        "status": r.status,
                        "agent": r.agent,
                        "rationale": r.rationale,
                        "method": ev.method,
                        "score": ev.score,
                    }
                )
                break
    return out


def graph_json(sub: Subgraph) -> dict[str, list[dict[str, Any]]]:
    """Return ``{"nodes", "edges"}`` for drawing, each edge with its status and proposing agent."""
    body = sub.to_json()
    by_id = {r.relation_id: r for r in sub.relations}
    for edge in body["edges"]:
        r = by_id[edge["id"]]
        edge.update(status=r.status, agent=r.agent)
    return body


async def ask(question: str, ctx: QueryContext, history: Sequence[Turn] = ()) -> QueryResult:
    """Run the query graph on one question (with earlier turns for follow-ups)."""
    if ctx.llm is None:
        raise ValueError("QueryContext.llm is needed to answer questions")
    state = await build_graph().ainvoke({"question": question, "history": list(history)}, context=ctx)
    return QueryResult(
        question=question,
        answer=state["answer"],
        linked=state["linked"],
        subgraph=state["subgraph"],
        evidence=state["evidence"],
    )


class ChatSession:
    """A conversation: each question sees the earlier turns."""

    def __init__(self, ctx: QueryContext, max_turns: int = 6) -> None:
        self.ctx = ctx
        self.max_turns = max_turns
        self.history: list[Turn] = []

    async def ask(self, question: str) -> QueryResult:
        """Answer a question in the context of the conversation so far."""
        result = await ask(question, self.ctx, self.history[-self.max_turns :])
        self.history.append(result.turn())
        return result
