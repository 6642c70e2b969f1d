"""The single-prompt baseline as ``factloom eval`` runs it: every chunk of a document, one call each."""

from __future__ import annotations

from factloom.agents.context import AgentSettings, DemoSource
from factloom.agents.facts import Counts, add_counts
from factloom.graphs.eval.systems import SystemRun, mention_key
from factloom.ingest.workspace import Workspace
from factloom.tools.eval.scoring import DocPrediction, PredEntity, PredRelation
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import LLM, Usage


async def run_single_prompt(
    ws: Workspace,
    doc_id: str,
    schema: Schema,
    llm: LLM,
    demos: DemoSource | None = None,
    settings: AgentSettings | None = None,
) -> SystemRun:
    """Run the single-prompt baseline over every chunk of one document (each mention is its own entity).

    With ``demos``, each chunk's prompt carries the demonstrations the entity finder would retrieve for
    it (``settings.k_demos`` within ``settings.demo_token_budget``).
    """
    from factloom.agents.baseline_single_prompt import extract_chunk
    from factloom.ingest.store import get_chunks

    settings = settings or AgentSettings()
    usage, drops = Usage(), Counts()
    entities: dict[str, PredEntity] = {}
    relations: list[PredRelation] = []
    for chunk in get_chunks(ws, doc_id):
        shown = demos.retrieve(chunk.text, settings.k_demos, settings.demo_token_budget) if demos else []
        found = await extract_chunk(chunk.text, chunk.start, schema, llm, doc_id, shown)
        usage = usage + found.usage
        drops = add_counts(drops, found.drops)
        for m in found.mentions:
            entities.setdefault(mention_key(m), PredEntity(mention_key(m), m.type, ((m.start, m.end),)))
        relations.extend(
            PredRelation(mention_key(r.head), r.type, mention_key(r.tail)) for r in found.relations
        )
    return SystemRun(DocPrediction(doc_id, tuple(entities.values()), tuple(relations)), usage, drops)
