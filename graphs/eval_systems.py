"""The systems ``factloom eval`` compares, each run on one ingested document -> predictions in its offsets.

- ``factloom``: the extraction graph (``graphs.extract.extract_document``), with its ablation switches;
- ``single-prompt``: one call per chunk (``agents.single_prompt``), no CoT, verifier or merging;
- ``langextract``: the peer library through an OpenAI-compatible server (``tools.eval.peer_langextract``).

Every system gets the same demonstrations: ``demo_source`` opens the workspace's store exactly as the
extraction graph does, and the baselines retrieve from it with the agents' ``k_demos`` and token budget,
per chunk (single-prompt, like the entity finder) or per document (langextract chunks the text itself;
for sentence corpora a document is one chunk, so the examples are the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from factloom.agents.context import AgentSettings, DemoSource
from factloom.agents.facts import Counts, add_counts
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.workspace import Workspace
from factloom.tools.eval.scoring import DocPrediction, PredEntity, PredRelation
from factloom.tools.extraction.demos import Demonstration
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
    from factloom.agents.single_prompt import extract_chunk
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
            entities.setdefault(_mid(m), PredEntity(_mid(m), m.type, ((m.start, m.end),)))
        relations.extend(PredRelation(_mid(r.head), r.type, _mid(r.tail)) for r in found.relations)
    return SystemRun(DocPrediction(doc_id, tuple(entities.values()), tuple(relations)), usage, drops)


def _mid(m: object) -> str:
    return f"{m.start}:{m.end}:{m.type}"  # type: ignore[attr-defined]


def peer_examples(schema: Schema) -> list[tuple[str, list[tuple[str, str]], list[tuple[str, str, str]]]]:
    """Return the invented example for ``schema`` in the peer's form (langextract needs one example).

    Used only where no retrieved demonstration is available: langextract refuses to run without one.
    """
    from factloom.agents.single_prompt import FEW_SHOT

    if schema.name not in FEW_SHOT:
        return []
    text, answer = FEW_SHOT[schema.name]
    entities = [(e["text"], e["type"]) for e in answer["entities"] if e["type"] in schema.entity_names]
    kept = {t for t, _ in entities}
    relations = [
        (r["head"], r["type"], r["tail"])
        for r in answer["relations"]
        if r["type"] in schema.relation_names and {r["head"], r["tail"]} <= kept
    ]
    return [(text, entities, relations)]


def demo_examples(
    demos: list[Demonstration],
) -> list[tuple[str, list[tuple[str, str]], list[tuple[str, str, str]]]]:
    """Return retrieved demonstrations in the peer's example form."""
    return [
        (
            d.text,
            [(e.text, e.type) for e in d.entities],
            [(r.head, r.type, r.tail) for r in d.relations],
        )
        for d in demos
    ]


async def run_langextract(
    ws: Workspace,
    doc_id: str,
    schema: Schema,
    peer: object,
    demos: DemoSource | None = None,
    settings: AgentSettings | None = None,
) -> SystemRun:
    """Run the langextract peer on one document's text (``peer`` is a ``tools.eval.peer_langextract.Peer``).

    With ``demos``, the peer's examples are the demonstrations retrieved for the document's text (the
    peer's own invented example only when none is retrieved: langextract cannot run without one).
    """
    from factloom.ingest.store import get_document

    settings = settings or AgentSettings()
    doc = get_document(ws, doc_id)
    shown = demos.retrieve(doc.text, settings.k_demos, settings.demo_token_budget) if demos else []
    examples = demo_examples(shown) or None
    found = await peer.extract(doc.text, examples)  # type: ignore[attr-defined]
    entities = {_mid(m): PredEntity(_mid(m), m.type, ((m.start, m.end),)) for m in found.mentions}
    by_text = {m.text: _mid(m) for m in found.mentions}
    relations = []
    for r in found.relations:
        at_head = (r.head.start, r.head.end)
        head = next((k for k, e in entities.items() if e.mentions[0] == at_head), by_text.get(r.head.text))
        tail = by_text.get(r.tail_text)
        if head is not None and tail is not None and head != tail:
            relations.append(PredRelation(head, r.type, tail))
    return SystemRun(DocPrediction(doc_id, tuple(entities.values()), tuple(relations)), found.usage)
