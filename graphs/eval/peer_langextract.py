"""The langextract peer as ``factloom eval`` runs it: on a document's text, with the shared demonstrations."""

from __future__ import annotations

from factloom.agents.context import AgentSettings, DemoSource
from factloom.graphs.eval.systems import SystemRun, mention_key
from factloom.ingest.workspace import Workspace
from factloom.tools.eval.scoring import DocPrediction, PredEntity, PredRelation
from factloom.tools.extraction.demos import Demonstration
from factloom.tools.extraction.schema import Schema


def peer_examples(schema: Schema) -> list[tuple[str, list[tuple[str, str]], list[tuple[str, str, str]]]]:
    """Return the invented example for ``schema`` in the peer's form (langextract needs one example).

    Used only where no retrieved demonstration is available: langextract refuses to run without one.
    """
    from factloom.agents.baseline_single_prompt import FEW_SHOT

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
    entities = {
        mention_key(m): PredEntity(mention_key(m), m.type, ((m.start, m.end),)) for m in found.mentions
    }
    by_text = {m.text: mention_key(m) for m in found.mentions}
    relations = []
    for r in found.relations:
        at_head = (r.head.start, r.head.end)
        head = next((k for k, e in entities.items() if e.mentions[0] == at_head), by_text.get(r.head.text))
        tail = by_text.get(r.tail_text)
        if head is not None and tail is not None and head != tail:
            relations.append(PredRelation(head, r.type, tail))
    return SystemRun(DocPrediction(doc_id, tuple(entities.values()), tuple(relations)), found.usage)
