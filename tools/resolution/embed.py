"""The embedding blocker: nearest neighbours of entity name + context in the Chroma collection ``entities``.

Optional: resolution runs without it. It finds candidates no string key can (synonyms such as
``heart disease`` / ``cardiac disease``); the pair is still scored and thresholded like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from factloom.ingest.workspace import Workspace
from factloom.tools.resolution.resolve import Neighbours, Record

log = logging.getLogger(__name__)

COLLECTION = "entity_records"
"""Doc-level entity records for the resolution blocker; the query side links against "entities"."""
MAX_CONTEXT_TERMS = 10


def entity_text(record: Record) -> str:
    """Return the text embedded for a record: its name, type and a few context terms."""
    context = ", ".join(sorted(record.context)[:MAX_CONTEXT_TERMS])
    return f"{record.name} ({record.type}): {context}" if context else f"{record.name} ({record.type})"


def entity_neighbours(ws: Workspace, *, k: int = 5, min_score: float = 0.75) -> Neighbours:
    """Return a blocker that indexes new records in ``ws`` and yields their ``k`` nearest neighbours.

    Args:
        ws: the workspace whose Chroma store holds the ``entities`` collection.
        k: neighbours asked per record.
        min_score: lowest cosine similarity kept as a candidate pair.
    """

    def neighbours(records: Sequence[Record]) -> Iterator[tuple[str, str]]:
        from factloom.ingest.index import IndexItem, VectorIndex

        index = VectorIndex(ws, COLLECTION)
        known = set(index.ids())
        new = [r for r in records if r.id not in known]
        index.upsert([IndexItem(r.id, entity_text(r), {"type": r.type, "doc_id": r.doc_id}) for r in new])
        wanted = {r.id for r in records}
        found = 0
        for record in records:
            for hit in index.query(entity_text(record), k + 1):
                if hit.id != record.id and hit.id in wanted and hit.score >= min_score:
                    found += 1
                    yield record.id, hit.id
        log.info("embedding blocker: %d new records indexed, %d neighbour pairs", len(new), found)

    return neighbours
