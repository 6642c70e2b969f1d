"""The extraction graph: per document, entities per chunk, a registry, relations per chunk, consolidation.

::

    plan ──Send per chunk──> entities [find_entities -> record]
         ──> registry ──Send per chunk──> relations [reason -> verify -(rejects, once)-> reason ... -> record]
         ──> consolidate

A chunk that holds a table (and at most its caption) goes to the table branch instead (``extract_tables``):
the table agents read it as one unit and each fact cites its cell.

Finished chunks (job table) are not sent again. The LLM, the schema and the settings reach the nodes through
LangGraph's runtime context (``ExtractContext``). Transient backend errors are retried in one place, the
backend's client (``BackendConfig.max_retries``); the graph does not retry them again, so a stalled server
stops the run after one request's retries instead of their product.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

from factloom.agents.consolidator import ConsolidatorInput, consolidate
from factloom.agents.context import DemoSource
from factloom.agents.entity_finder import find_entities
from factloom.agents.entity_merge import build_entities
from factloom.agents.reasoner_context import reasoner_input
from factloom.agents.relation_reasoner import reason_relations
from factloom.agents.table_unit import table_unit
from factloom.agents.verifier import MAX_ATTEMPTS, verify
from factloom.graphs import extract_jobs as jobs
from factloom.graphs import extract_tables as tables
from factloom.graphs.extract_options import (
    CollectionReport,
    DocumentGraph,
    ExtractContext,
    ExtractOptions,
    ExtractStats,
    run_version,
)
from factloom.graphs.state import (
    ChunkEntitiesOutput,
    ChunkEntitiesState,
    ChunkInput,
    ChunkRelationsInput,
    ChunkRelationsOutput,
    ChunkRelationsState,
    ExtractInput,
    ExtractOutput,
    ExtractState,
)
from factloom.ingest.store import get_chunks, get_document
from factloom.ingest.workspace import Workspace
from factloom.tools.errors import LLMRequestError, LLMUnavailableError
from factloom.tools.extraction.demos import fingerprint as demo_fingerprint
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import LLM, Usage
from factloom.tools.llm.limit import LimitedLLM
from factloom.tools.store.documents import save_document_graph
from factloom.tools.store.jobs import JobTable

log = logging.getLogger(__name__)

DEFAULT_OPTIONS = ExtractOptions()


async def plan(state: ExtractState, runtime: Runtime[ExtractContext]) -> dict:
    """Load the stored mentions of finished chunks and list the chunks whose entities are still to find."""
    ctx = runtime.context
    if ctx.jobs is None:
        return {"entity_todo": [c.chunk_id for c in state["chunks"]]}
    mentions, todo = jobs.stored_mentions(ctx.jobs, state["chunks"], ctx.version)
    by_id = {c.chunk_id: c for c in state["chunks"]}
    jobs.mark_pending(ctx.jobs, [jobs.entities_key(by_id[i], ctx.version) for i in todo])
    return {"mentions": mentions, "entity_todo": todo, "resumed": len(state["chunks"]) - len(todo)}


def send_entities(state: ExtractState) -> Sequence[Send] | Literal["registry"]:
    """Fan out one entity branch per chunk still to do."""
    todo = set(state.get("entity_todo", []))
    doc = state["doc"]
    sends = []
    for c in state["chunks"]:
        if c.chunk_id in todo:
            unit = table_unit(doc, c)
            if unit is not None:
                sends.append(tables.send_table_entities(c, unit, doc.pages))
            else:
                sends.append(Send("entities", ChunkInput(chunk=c, pages=doc.pages)))
    return sends or "registry"


async def registry(state: ExtractState, runtime: Runtime[ExtractContext]) -> dict:
    """Group all mentions into provisional document entities; load the relations of finished chunks."""
    ctx = runtime.context
    doc = state["doc"]
    mentions = state.get("mentions", [])
    entities = build_entities(doc.doc_id, mentions, doc.text, merge=ctx.settings.consolidate)
    if ctx.jobs is None:
        return {"registry": entities, "relation_todo": [c.chunk_id for c in state["chunks"]]}
    facts, todo = jobs.stored_facts(ctx.jobs, state["chunks"], mentions, ctx.version)
    by_id = {c.chunk_id: c for c in state["chunks"]}
    jobs.mark_pending(ctx.jobs, [jobs.relations_key(by_id[i], mentions, ctx.version) for i in todo])
    return {"registry": entities, "accepted": facts, "relation_todo": todo}


def send_relations(
    state: ExtractState, runtime: Runtime[ExtractContext]
) -> Sequence[Send] | Literal["consolidate"]:
    """Fan out one relation branch per chunk still to do, with its mentions, entities and context."""
    todo = set(state.get("relation_todo", []))
    doc, mentions, entities = state["doc"], state.get("mentions", []), state.get("registry", [])
    budget = runtime.context.settings.context_token_budget
    sends = []
    for chunk in state["chunks"]:
        unit = table_unit(doc, chunk) if chunk.chunk_id in todo else None
        if unit is not None:
            sends.append(tables.send_table_relations(chunk, unit, doc.pages, mentions))
        elif chunk.chunk_id in todo:
            inp = reasoner_input(doc, chunk, mentions, entities, budget)
            payload = ChunkRelationsInput(
                chunk=chunk,
                pages=doc.pages,
                mentions=inp.mentions,
                registry=inp.registry,
                context=inp.context,
                focus=inp.focus,
            )
            sends.append(Send("relations", payload))
    return sends or "consolidate"


def after_verify(state: ChunkRelationsState) -> Literal["reason", "record"]:
    """Send rejections back to the reasoner once; then record the chunk."""
    if state.get("feedback") and state.get("attempts", 0) < MAX_ATTEMPTS:
        return "reason"
    return "record"


def _entities_subgraph() -> CompiledStateGraph:
    g = StateGraph(
        ChunkEntitiesState,
        context_schema=ExtractContext,
        input_schema=ChunkInput,
        output_schema=ChunkEntitiesOutput,
    )
    g.add_node("find_entities", find_entities)
    g.add_node("record", jobs.record_entities)
    g.add_edge(START, "find_entities")
    g.add_edge("find_entities", "record")
    g.add_edge("record", END)
    return g.compile(name="entities")


def _relations_subgraph() -> CompiledStateGraph:
    g = StateGraph(
        ChunkRelationsState,
        context_schema=ExtractContext,
        input_schema=ChunkRelationsInput,
        output_schema=ChunkRelationsOutput,
    )
    g.add_node("reason", reason_relations)
    g.add_node("verify", verify)
    g.add_node("record", jobs.record_relations)
    g.add_edge(START, "reason")
    g.add_edge("reason", "verify")
    g.add_conditional_edges("verify", after_verify, ["reason", "record"])
    g.add_edge("record", END)
    return g.compile(name="relations")


@functools.cache
def build_graph() -> CompiledStateGraph:
    """Return the compiled extraction graph (built once)."""
    g = StateGraph(
        ExtractState, context_schema=ExtractContext, input_schema=ExtractInput, output_schema=ExtractOutput
    )
    g.add_node("plan", plan)
    g.add_node("entities", _entities_subgraph())
    g.add_node("registry", registry)
    g.add_node("relations", _relations_subgraph())
    g.add_node(tables.ENTITIES, tables.table_entities_subgraph())
    g.add_node(tables.RELATIONS, tables.table_relations_subgraph())
    g.add_node("consolidate", consolidate, input_schema=ConsolidatorInput)
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", send_entities, ["entities", tables.ENTITIES, "registry"])
    g.add_edge("entities", "registry")
    g.add_edge(tables.ENTITIES, "registry")
    g.add_conditional_edges("registry", send_relations, ["relations", tables.RELATIONS, "consolidate"])
    g.add_edge("relations", "consolidate")
    g.add_edge(tables.RELATIONS, "consolidate")
    g.add_edge("consolidate", END)
    return g.compile(name="extract")


async def extract_document(
    ws: Workspace, doc_id: str, schema: Schema, llm: LLM, options: ExtractOptions = DEFAULT_OPTIONS
) -> DocumentGraph:
    """Extract the knowledge graph of one ingested document.

    Finished chunks (same text, prompts, settings, schema and model) are taken from the job table.
    The graph is returned, not saved; ``extract_collection`` saves it.

    Raises:
        UnknownDocumentError: ``doc_id`` is not in the workspace.
        LLMError: the backend failed (after retries for transient errors).
    """
    started = time.perf_counter()
    doc, chunks = get_document(ws, doc_id), get_chunks(ws, doc_id)
    # calls in flight are bounded at the LLM: LangGraph's max_concurrency leaves un-awaited coroutines
    ctx = _context(ws, schema, LimitedLLM(llm, options.concurrency), options)
    out = await build_graph().ainvoke(ExtractInput(doc=doc, chunks=chunks), context=ctx)
    mentions = list({m.mention_id: m for m in out.get("mentions", [])}.values())
    stats = ExtractStats(
        chunks=len(chunks),
        chunks_resumed=out.get("resumed", 0),
        mentions=len(mentions),
        facts=len(out.get("accepted", [])),
        entities=len(out["entities"]),
        relations=len(out["relations"]),
        drops=dict(out.get("drops", {})),
        usage=out.get("usage") or Usage(),
        seconds=time.perf_counter() - started,
    )
    return DocumentGraph(doc_id, out["entities"], out["relations"], mentions, stats)


def _context(ws: Workspace, schema: Schema, llm: LLM, options: ExtractOptions) -> ExtractContext:
    settings = options.settings()
    demos = demo_source(ws, schema) if settings.k_demos > 0 else None
    fingerprint = demo_fingerprint(ws, schema.name) if demos is not None else ""
    version = run_version(settings, schema.version(), getattr(llm, "name", type(llm).__name__), fingerprint)
    jobs_table = JobTable(ws) if options.resume else None
    return ExtractContext(
        llm=llm, schema=schema, settings=settings, demos=demos, jobs=jobs_table, version=version
    )


def demo_source(ws: Workspace, schema: Schema) -> DemoSource | None:
    """Return the workspace's demonstrations for ``schema``, or None when there are none (Chroma unopened)."""
    from factloom.graphs.demo_cache import CachedDemos
    from factloom.tools.extraction.demos import DDL, DemoStore

    ws.ensure_tables(DDL)
    row = ws.db.execute("SELECT 1 FROM demos WHERE schema_name = ? LIMIT 1", (schema.name,)).fetchone()
    return CachedDemos(DemoStore(ws, schema.name)) if row else None


async def extract_collection(
    ws: Workspace,
    doc_ids: Sequence[str],
    schema: Schema,
    llm: LLM,
    options: ExtractOptions = DEFAULT_OPTIONS,
    *,
    progress: Callable[[DocumentGraph], None] | None = None,
) -> CollectionReport:
    """Extract and save the graph of each document in turn; a refused request fails only its document.

    Each document graph is saved (``tools.store.documents.save_document_graph``) as soon as it is built, so an
    interrupted run keeps every finished document, and the job table keeps every finished chunk.

    Raises:
        LLMUnavailableError: the backend stayed unreachable after retries (the run stops).
    """
    report = CollectionReport()
    table = JobTable(ws)
    for doc_id in doc_ids:
        try:
            graph = await extract_document(ws, doc_id, schema, llm, options)
        except LLMRequestError as e:
            table.fail_pending(doc_id, str(e))
            report.failed[doc_id] = str(e)
            log.warning("%s: extraction failed: %s", doc_id, e)
            continue
        except LLMUnavailableError as e:
            table.fail_pending(doc_id, str(e))
            raise
        save_document_graph(ws, doc_id, graph.entities, graph.relations)
        if options.self_annotation:
            _self_annotate(ws, schema, graph)
        report.documents.append(graph)
        if progress is not None:
            progress(graph)
    return report


def _self_annotate(ws: Workspace, schema: Schema, graph: DocumentGraph) -> None:
    from factloom.agents.self_annotation import demonstrations_from_graph
    from factloom.tools.extraction.demos import DemoStore

    demos = demonstrations_from_graph(graph.entities, graph.relations)
    if demos:
        DemoStore(ws, schema.name).add(demos, schema.name)
