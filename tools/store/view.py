"""The graph users see, above both stores: the collection graph when it is fresh, else the union of the
document graphs; with the canonical types of an open extraction (``store.canonical``), without the facts a
person rejected (``store.review``).

Exports, questions, the web page and ``factloom stats`` read the graph through here.
"""

from __future__ import annotations

from collections.abc import Sequence

from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.kg import Entity, Relation
from factloom.tools.store import canonical, collection, documents, review
from factloom.tools.store.models import Stats

GRAPH_TABLES = (
    documents.ENTITY_TABLE,
    documents.RELATION_TABLE,
    collection.META_TABLE,
    collection.ENTITY_TABLE,
    collection.RELATION_TABLE,
    review.TABLE,
    canonical.TABLE,
)
"""Tables whose content ``load_graph`` reads; a change in any of them changes the graph users see."""


def load_graph(ws: Workspace, *, raw: bool = False) -> tuple[list[Entity], list[Relation]]:
    """Return the graph users see: the union of the document graphs, without the facts a person rejected.

    The collection-merge step replaces this with the resolved collection graph once it exists. Types are
    canonical where ``factloom schema canonicalise`` mapped them (before rejected facts are left out, so a
    fact's key is the one the person saw); ``raw``: the types as extracted.
    """
    built = collection.load_collection_graph(ws)
    if built is not None:  # facts a person rejected stay out of everything built from here
        entities, relations = built
    else:
        entities, relations = [], []
        for _doc_id, ents, rels in documents.iter_document_graphs(ws):
            entities.extend(ents)
            relations.extend(rels)
    if not raw:
        entities, relations = canonical.apply(ws, entities, relations)
    return entities, review.without_rejected(ws, relations)


def verified_only(relations: Sequence[Relation]) -> list[Relation]:
    """Return the relations the verifier checked and found supported (``status == "verified"``)."""
    return [r for r in relations if r.status == "verified"]


def _counts(ws: Workspace, table: str) -> dict[str, int]:
    rows = ws.db.execute(f"SELECT type, count(*) FROM {table} GROUP BY type ORDER BY type")
    return {r[0]: r[1] for r in rows}


def stats(ws: Workspace) -> Stats:
    """Return counts of documents, entities and relations by type, merges and conflicts.

    Entities and relations are those of the collection graph when it is fresh, else of the union of
    the document graphs; by canonical type where ``factloom schema canonicalise`` mapped them.
    """
    collection.ensure(ws)
    state = collection.freshness(ws)
    store = collection if state == "fresh" else documents
    canonical_counts = canonical.type_counts(ws, store.ENTITY_TABLE, store.RELATION_TABLE)
    entities, relations = canonical_counts or (
        _counts(ws, store.ENTITY_TABLE),
        _counts(ws, store.RELATION_TABLE),
    )
    statuses = ws.db.execute(
        f"SELECT status, count(*) FROM {store.RELATION_TABLE} GROUP BY status ORDER BY 1"
    )
    merges = collection.list_merges(ws) if state == "fresh" else []
    return Stats(
        documents=documents.document_count(ws),
        entities=sum(entities.values()),
        relations=sum(relations.values()),
        entities_by_type=entities,
        relations_by_type=relations,
        relations_by_status={r[0]: r[1] for r in statuses},
        merges=len(merges),
        merged_entities=sum(len(m.entities) for m in merges),
        undone_merges=collection.undone_count(ws),
        conflicts=collection.conflict_count(ws) if state == "fresh" else 0,
        collection_built=state != "missing",
        collection_fresh=state == "fresh",
    )
