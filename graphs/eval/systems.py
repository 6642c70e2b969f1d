"""The systems ``factloom eval`` compares, each run on one ingested document -> predictions in its offsets.

- ``factloom``: the extraction graph (``graphs.extract.extract_document``), with its ablation switches;
- ``single-prompt``, the baseline: one call per chunk (``agents.baseline_single_prompt``), no CoT,
  verifier or merging; run by ``baseline_single_prompt``;
- ``langextract``, the peer library, through an OpenAI-compatible server
  (``tools.eval.peer_langextract``); run by ``peer_langextract``.

Every system gets the same demonstrations: ``demo_source`` opens the workspace's store exactly as the
extraction graph does, and the baselines retrieve from it with the agents' ``k_demos`` and token budget,
per chunk (single-prompt, like the entity finder) or per document (langextract chunks the text itself;
for sentence corpora a document is one chunk, so the examples are the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from factloom.agents.context import DemoSource
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.workspace import Workspace
from factloom.tools.eval.scoring import DocPrediction, PredEntity, PredRelation
from factloom.tools.extraction.kg import Entity, Relation
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import LLM, Usage

SystemName = Literal["factloom", "single-prompt", "langextract"]
SYSTEMS: tuple[SystemName, ...] = ("factloom", "single-prompt", "langextract")


@dataclass
class SystemRun:
    """One document's predictions (offsets into the ingested ``Document.text``) and what they cost."""

    prediction: DocPrediction
    usage: Usage = field(default_factory=Usage)
    drops: dict[str, int] = field(default_factory=dict)


def demo_source(ws: Workspace, schema: Schema, options: ExtractOptions) -> DemoSource | None:
    """Return the demonstrations the extraction graph would use for ``schema`` (None: no demos)."""
    from factloom.graphs.extract import demo_source as stored_demos

    return stored_demos(ws, schema) if options.settings().k_demos > 0 else None


async def run_factloom(
    ws: Workspace, doc_id: str, schema: Schema, llm: LLM, options: ExtractOptions
) -> SystemRun:
    """Run the extraction graph on one document."""
    from factloom.graphs.extract import extract_document

    graph = await extract_document(ws, doc_id, schema, llm, options)
    prediction = graph_prediction(doc_id, graph.entities, graph.relations)
    return SystemRun(prediction, graph.stats.usage, dict(graph.stats.drops))


def graph_prediction(doc_id: str, entities: list[Entity], relations: list[Relation]) -> DocPrediction:
    """Turn a document graph into predictions; a relation's arguments are the mentions inside its evidence."""
    preds = tuple(
        PredEntity(e.entity_id, e.type, tuple((m.start, m.end) for m in e.mentions)) for e in entities
    )
    spans = {p.id: p.mentions for p in preds}
    rels = []
    for r in relations:
        ev = r.evidence[0] if r.evidence else None
        rels.append(
            PredRelation(
                r.head, r.type, r.tail, _inside(spans.get(r.head, ()), ev), _inside(spans.get(r.tail, ()), ev)
            )
        )
    return DocPrediction(doc_id, preds, tuple(rels))


def _inside(mentions: tuple[tuple[int, int], ...], ev: object) -> tuple[int, int] | None:
    if ev is None:
        return None
    start, end = ev.start, ev.end  # type: ignore[attr-defined]
    return next((m for m in mentions if start <= m[0] and m[1] <= end), None)


def mention_key(m: object) -> str:
    """Return the prediction id of a baseline's mention (each mention is its own entity)."""
    return f"{m.start}:{m.end}:{m.type}"  # type: ignore[attr-defined]
