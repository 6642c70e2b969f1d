"""The collection graph: one knowledge graph per workspace, resolved across its document graphs.

``build_collection`` reads every document graph (``store.documents``), resolves entities across documents
(``resolve``), merges the relations of merged entities with all their evidence, logs every merge,
flags conflicts of functional relations, and replaces the ``coll_*`` tables in one transaction.
Document graphs stay the source of truth: the collection graph can always be rebuilt, and merges the
user undid (``undo_merge``) stay undone on every rebuild.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.kg import Entity, Relation, stable_id
from factloom.tools.extraction.schema import Schema
from factloom.tools.names import resolution_key
from factloom.tools.resolution.relation_merge import merge_statements
from factloom.tools.resolution.resolve import (
    DEFAULT_CONFIG,
    Cluster,
    Edge,
    Judge,
    Neighbours,
    Record,
    ResolveConfig,
    resolve,
    score_candidates,
)
from factloom.tools.store import collection as clog
from factloom.tools.store.documents import documents_fingerprint, iter_document_graphs
from factloom.tools.store.models import Conflict, ConflictValue, Merge, MergedEntity, MergeLink

log = logging.getLogger(__name__)

MAX_CONTEXT = 60


@dataclass(frozen=True)
class BuildSummary:
    """What a build produced."""

    documents: int
    document_entities: int
    entities: int
    relations: int
    merges: int
    conflicts: int
    judged_pairs: int


def build_collection(
    ws: Workspace,
    schema: Schema | None = None,
    *,
    config: ResolveConfig = DEFAULT_CONFIG,
    judge: Judge | None = None,
    neighbours: Neighbours | None = None,
) -> BuildSummary:
    """Build (or rebuild) the collection graph of ``ws`` from its document graphs.

    Args:
        ws: the workspace.
        schema: the extraction schema; its ``functional`` relations are checked for conflicts and its
            ``symmetric`` relations are merged regardless of direction. None: no conflicts are flagged.
        config: resolution thresholds.
        judge: decides ambiguous pairs (e.g. ``agents.entity_judge.EntityJudge``); earlier verdicts are
            reused from the workspace, so a rebuild asks only about new pairs.
        neighbours: optional embedding blocker (``tools.resolution.embed.entity_neighbours``).
    """
    clog.ensure(ws)
    fingerprint = documents_fingerprint(ws)  # taken first: a graph saved while we read makes us stale
    docs = list(iter_document_graphs(ws))
    entities = {e.entity_id: e for _, ents, _ in docs for e in ents}
    doc_of = {e.entity_id: doc_id for doc_id, ents, _ in docs for e in ents}
    records = _records(docs)
    verdicts = clog.load_verdicts(ws)
    before = len(verdicts)
    clusters = resolve(
        records,
        config,
        judge=judge,
        neighbours=neighbours,
        cannot_link=clog.undone_sets(ws),
        verdicts=verdicts,
    )
    canon = {m: c.members[0] for c in clusters for m in c.members}
    coll_entities = [_merge_entities([entities[m] for m in c.members], c.members[0]) for c in clusters]
    relations = _merge_relations((r for _, _, rels in docs for r in rels), canon, schema)
    names = {e.entity_id: e.name for e in coll_entities}
    merges = [_merge_record(c, entities, doc_of, names) for c in clusters if len(c.members) > 1]
    functional = [r.name for r in schema.relation_types if r.functional] if schema else []
    conflicts = find_conflicts(relations, functional, names)
    clog.write_collection(ws, coll_entities, relations, merges, conflicts, schema, fingerprint)
    clog.save_verdicts(ws, verdicts)
    summary = BuildSummary(
        len(docs),
        len(entities),
        len(coll_entities),
        len(relations),
        len(merges),
        len(conflicts),
        len(verdicts) - before,
    )
    log.info("collection built: %s", summary)
    return summary


def pending_questions(
    ws: Workspace, *, config: ResolveConfig = DEFAULT_CONFIG, neighbours: Neighbours | None = None
) -> list[tuple[Record, Record, Edge]]:
    """Return the ambiguous pairs of the next build that no stored verdict answers yet.

    For judges that must be awaited: judge these, ``record_verdicts``, then ``build_collection``
    without a judge (it reuses the stored verdicts).
    """
    clog.ensure(ws)
    records = _records(list(iter_document_graphs(ws)))
    by_id = {r.id: r for r in records}
    known = clog.load_verdicts(ws)
    scored = score_candidates(records, config, neighbours)
    return [(by_id[e.a], by_id[e.b], e) for e, _ in scored.ambiguous if (e.a, e.b) not in known]


def record_verdicts(ws: Workspace, pairs: list[tuple[Record, Record, Edge]], decisions: list[bool]) -> None:
    """Store a judge's decisions on ``pairs`` (True = same entity) for the next builds."""
    clog.save_verdicts(ws, {(e.a, e.b): bool(d) for (_, _, e), d in zip(pairs, decisions, strict=True)})


def _records(docs: list[tuple[str, list[Entity], list[Relation]]]) -> list[Record]:
    """Turn document entities into resolution records.

    The context of a record is the normalised names of its document's other entities, the most
    mentioned ``MAX_CONTEXT`` of them.
    """
    records = []
    for doc_id, ents, _ in docs:
        ranked = sorted(ents, key=lambda e: (-len(e.mentions), e.name))
        keys = list(dict.fromkeys(resolution_key(e.name) for e in ranked))
        for e in ents:
            own = resolution_key(e.name)
            context = frozenset(k for k in keys[: MAX_CONTEXT + 1] if k != own)
            records.append(Record(e.entity_id, e.name, e.type, tuple(e.aliases), context, doc_id))
    return records


def _merge_entities(members: list[Entity], entity_id: str) -> Entity:
    """Merge document entities into one: the most mentioned name is canonical, others become aliases."""
    if len(members) == 1:
        return members[0].model_copy(update={"entity_id": entity_id})
    weight: Counter[str] = Counter()
    for e in members:
        weight[e.name] += max(1, len(e.mentions))
    name = min(weight, key=lambda n: (-weight[n], -len(n), n))
    types = Counter(e.type for e in members)
    type_ = min(types, key=lambda t: (-types[t], t))
    aliases = sorted({n for e in members for n in (e.name, *e.aliases)} - {name})
    mentions = sorted(
        {m.mention_id: m for e in members for m in e.mentions}.values(),
        key=lambda m: (m.doc_id, m.start, m.end, m.mention_id),
    )
    return Entity(entity_id=entity_id, name=name, type=type_, aliases=aliases, mentions=mentions)


def _merge_relations(
    rels: Iterable[Relation], canon: dict[str, str], schema: Schema | None
) -> list[Relation]:
    """Re-point relations to collection entities and merge duplicates with all their evidence.

    Duplicates merge by ``tools.resolution.relation_merge``: verified if any of them is verified.
    """
    symmetric = {r.name for r in schema.relation_types if r.symmetric} if schema else set()
    groups: dict[tuple[str, str, str], list[Relation]] = defaultdict(list)
    dropped = 0
    for rel in rels:
        head, tail = canon.get(rel.head), canon.get(rel.tail)
        if head is None or tail is None or head == tail:
            dropped += 1
            continue
        if rel.type in symmetric:
            head, tail = sorted((head, tail))
        groups[(head, rel.type, tail)].append(rel)
    if dropped:
        log.info("%d relations dropped (unknown entity, or both ends merged into one)", dropped)
    return [
        merge_statements(Relation.make_id(head, type_, tail), head, type_, tail, group)
        for (head, type_, tail), group in sorted(groups.items())
    ]


def _merge_record(
    c: Cluster, entities: dict[str, Entity], doc_of: dict[str, str], names: dict[str, str]
) -> Merge:
    members = [
        MergedEntity(entity_id=m, doc_id=doc_of[m], name=entities[m].name, type=entities[m].type)
        for m in c.members
    ]
    links = [MergeLink(a=e.a, b=e.b, score=e.score, reason=e.reason) for e in c.edges]
    return Merge(
        merge_id=stable_id("mg", *c.members),
        entity_id=c.members[0],
        name=names[c.members[0]],
        entities=members,
        score=min(e.score for e in c.edges),
        reason="; ".join(dict.fromkeys(e.reason for e in c.edges)),
        evidence=links,
    )


def find_conflicts(
    relations: list[Relation], functional: Iterable[str], names: dict[str, str]
) -> list[Conflict]:
    """Return functional relations whose head has different tails stated in different documents."""
    wanted = set(functional)
    by_head: dict[tuple[str, str], list[Relation]] = defaultdict(list)
    for rel in relations:
        if rel.type in wanted:
            by_head[(rel.head, rel.type)].append(rel)
    conflicts = []
    for (head, type_), rels in sorted(by_head.items()):
        docs = {ev.doc_id for r in rels for ev in r.evidence}
        if len({r.tail for r in rels}) < 2 or len(docs) < 2:
            continue
        values = [
            ConflictValue(
                tail=r.tail,
                tail_name=names.get(r.tail, r.tail),
                relation_id=r.relation_id,
                evidence=list(r.evidence),
                status=r.status,
            )
            for r in sorted(rels, key=lambda r: r.tail)
        ]
        conflicts.append(
            Conflict(
                conflict_id=stable_id("cf", head, type_),
                head=head,
                head_name=names.get(head, head),
                type=type_,
                values=values,
            )
        )
    return conflicts


def undo_merge(ws: Workspace, merge_id: str, schema: Schema | None = None) -> Merge:
    """Split a logged merge back into its document entities, for good, and rebuild the collection.

    Raises:
        clog.MergeNotFoundError: no merge has that id.
    """
    merge = clog.get_merge(ws, merge_id)
    clog.remember_undo(ws, merge)
    build_collection(ws, schema or clog.stored_schema(ws))
    return merge.model_copy(update={"undone": True})
