"""Entity resolution across documents: blocking, pair scores, thresholds, clustering.

Pure and order-independent: the same records in any order give the same clusters.

1. Records whose normalised name (or alias) and type are equal form one *unit* (exact match).
2. Units are blocked by acronym <-> expansion, word-order-free key, character-3-gram MinHash LSH and,
   optionally, nearest neighbours from an embedding index (``neighbours``; the pairs only they find,
   such as synonyms, go to the judge).
3. A candidate pair is scored from name similarity plus a bonus for shared context; incompatible types
   never pair. Pairs at or above ``high`` merge, below ``low`` stay apart, the band between goes to the
   ``judge`` (an LLM, in batches) when one is given, and stays apart otherwise.
4. Exact-name pairs whose contexts share nothing are also sent to the judge (homonym check); without a
   judge they merge, like the exact-string baseline.
5. Union-find over the accepted edges, strongest first, refusing any union that would join two
   different concrete types or a pair the user split (``cannot_link``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from factloom.tools.names import resolution_key
from factloom.tools.resolution import keys as rk
from factloom.tools.resolution.block import candidate_pairs
from factloom.tools.resolution.cluster import Cluster, Edge, cluster, types_compatible

__all__ = [
    "DEFAULT_CONFIG",
    "Cluster",
    "Edge",
    "Judge",
    "Neighbours",
    "Record",
    "ResolveConfig",
    "Scored",
    "cluster",
    "resolve",
    "score_candidates",
    "types_compatible",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Record:
    """One thing to resolve (a document entity): its names, type and context terms."""

    id: str
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    context: frozenset[str] = frozenset()
    doc_id: str = ""


@dataclass(frozen=True)
class ResolveConfig:
    """Thresholds and blocking parameters.

    Attributes:
        high: a pair scoring at least this merges.
        low: a pair scoring below this stays apart; between ``low`` and ``high`` the judge decides.
        context_weight: bonus for shared context, times the overlap coefficient of the context sets.
        homonym_context: same-name pairs whose context overlap is below this go to the judge.
        lsh_bands, lsh_rows: MinHash LSH over character 3-grams (about Jaccard 0.6 and up pair).
        max_block: the most units paired inside one block (larger blocks use a sliding window).
    """

    high: float = 0.92
    low: float = 0.75
    context_weight: float = 0.1
    homonym_context: float = 0.05
    lsh_bands: int = 8
    lsh_rows: int = 4
    max_block: int = 20


DEFAULT_CONFIG = ResolveConfig()


@dataclass
class Scored:
    """The output of scoring: accepted edges and ambiguous ones (with the default decision)."""

    accepted: list[Edge] = field(default_factory=list)
    ambiguous: list[tuple[Edge, bool]] = field(default_factory=list)


Judge = Callable[[Sequence[tuple[Record, Record, Edge]]], Sequence[bool]]
Neighbours = Callable[[Sequence[Record]], Iterable[tuple[str, str]]]


@dataclass
class _Unit:
    key: str
    type: str
    raw: str
    members: list[str]
    context: frozenset[str]
    short: str | None = None
    initials: str | None = None

    def __post_init__(self) -> None:
        self.short = rk.as_acronym(self.raw)
        self.initials = rk.acronym_of(self.key)


def _units(records: Sequence[Record]) -> list[_Unit]:
    """Group records by (normalised name or alias, type); units are sorted for determinism."""
    groups: dict[tuple[str, str], list[Record]] = defaultdict(list)
    raws: dict[tuple[str, str], str] = {}
    for rec in records:
        for name in {rec.name, *rec.aliases}:
            key = (resolution_key(name), rec.type)
            if key[0]:
                groups[key].append(rec)
                raws[key] = min(raws.get(key, name), name)
    units = []
    for (key, type_), members in sorted(groups.items()):
        ids = sorted({r.id for r in members})
        context = frozenset().union(*(r.context for r in members)) if len(members) > 1 else members[0].context
        units.append(_Unit(key, type_, raws[(key, type_)], ids, context))
    return units


def score_candidates(
    records: Sequence[Record], config: ResolveConfig = DEFAULT_CONFIG, neighbours: Neighbours | None = None
) -> Scored:
    """Block, score and threshold candidate pairs of ``records``."""
    by_id = {r.id: r for r in records}
    units = _units(records)
    scored = Scored()
    _exact_edges(units, by_id, config, scored)
    pairs, is_acronym = candidate_pairs(
        [u.key for u in units],
        [u.type for u in units],
        [u.short for u in units],
        [u.initials for u in units],
        bands=config.lsh_bands,
        rows=config.lsh_rows,
        max_block=config.max_block,
    )
    keys = [u.key for u in units]
    sims = rk.name_similarities(
        [keys[i] for i in pairs[:, 0].tolist()], [keys[j] for j in pairs[:, 1].tolist()]
    )
    hopeful = np.flatnonzero((sims >= config.low - config.context_weight) | is_acronym)
    for n, (i, j) in zip(hopeful.tolist(), pairs[hopeful].tolist(), strict=True):
        _score_pair(units[i], units[j], float(sims[n]), bool(is_acronym[n]), config, scored)
    if neighbours is not None:
        seen = set(map(tuple, pairs[hopeful].tolist()))
        found = _neighbour_pairs(units, neighbours(sorted(records, key=lambda r: r.id)))
        for i, j in sorted(found - seen):
            _neighbour_edge(units[i], units[j], config, scored)
    log.debug("%d records, %d units, %d candidate pairs", len(records), len(units), len(pairs))
    return scored


def _exact_edges(units: list[_Unit], by_id: dict[str, Record], config: ResolveConfig, out: Scored) -> None:
    for unit in units:
        head = by_id[unit.members[0]]
        for other_id in unit.members[1:]:
            edge = Edge(head.id, other_id, 1.0, f"same name once normalised ({unit.key!r})")
            overlap = rk.context_overlap(head.context, by_id[other_id].context)
            if overlap is not None and overlap < config.homonym_context:
                out.ambiguous.append((Edge(head.id, other_id, 1.0, edge.reason + ", contexts differ"), True))
            else:
                out.accepted.append(edge)


def _neighbour_edge(ua: _Unit, ub: _Unit, config: ResolveConfig, out: Scored) -> None:
    """Send an embedding-neighbour pair that no name key found to the judge (default: apart)."""
    if not types_compatible(ua.type, ub.type) or ua.members[0] == ub.members[0]:
        return
    similarity = rk.name_similarity(ua.key, ub.key)
    a, b = min(ua.members[0], ub.members[0]), max(ua.members[0], ub.members[0])
    reason = f"embedding neighbours {ua.raw!r} ~ {ub.raw!r} (names {similarity:.2f})"
    out.ambiguous.append((Edge(a, b, round(max(similarity, config.low), 4), reason), False))


def _neighbour_pairs(units: list[_Unit], linked: Iterable[tuple[str, str]]) -> set[tuple[int, int]]:
    unit_of: dict[str, list[int]] = defaultdict(list)
    for i, unit in enumerate(units):
        for member in unit.members:
            unit_of[member].append(i)
    pairs = set()
    for a, b in linked:
        pairs.update((min(i, j), max(i, j)) for i in unit_of.get(a, ()) for j in unit_of.get(b, ()) if i != j)
    return pairs


def _score_pair(
    ua: _Unit, ub: _Unit, similarity: float, acronym_block: bool, config: ResolveConfig, out: Scored
) -> None:
    if not types_compatible(ua.type, ub.type):
        return
    if ua.key == ub.key:
        score, reason = 1.0, f"same name once normalised ({ua.key!r}), generic type"
    elif acronym_block and rk.is_acronym_pair(ua.short, ua.initials, ub.short, ub.initials):
        score, reason = max(similarity, config.high - 0.02), f"acronym {ua.raw!r} ~ {ub.raw!r}"
    else:
        score = similarity
        reason = f"similar names {ua.raw!r} ~ {ub.raw!r} ({score:.2f})"
    overlap = rk.context_overlap(ua.context, ub.context)
    if overlap:
        score = min(1.0, score + config.context_weight * overlap)
        reason += f", shared context {overlap:.2f}"
    a, b = min(ua.members[0], ub.members[0]), max(ua.members[0], ub.members[0])
    if a == b:
        return
    edge = Edge(a, b, round(score, 4), reason)
    if score >= config.high:
        out.accepted.append(edge)
    elif score >= config.low:
        out.ambiguous.append((edge, False))


def resolve(
    records: Sequence[Record],
    config: ResolveConfig = DEFAULT_CONFIG,
    *,
    judge: Judge | None = None,
    neighbours: Neighbours | None = None,
    cannot_link: Iterable[frozenset[str]] = (),
    verdicts: dict[tuple[str, str], bool] | None = None,
) -> list[Cluster]:
    """Resolve ``records`` into clusters (one per real-world entity).

    Args:
        records: the things to resolve; ids must be unique.
        config: thresholds and blocking parameters.
        judge: decides ambiguous pairs, in one call per batch the caller chooses; None keeps the default
            (exact names merge, fuzzy names stay apart).
        neighbours: optional extra blocker returning candidate id pairs (e.g. embedding kNN); the pairs it
            alone finds (synonyms no name key links) go to the judge.
        cannot_link: sets of ids that must end in different clusters (merges the user undid).
        verdicts: known decisions for ambiguous pairs ``(a, b)`` (earlier judgements); updated in place
            with the judge's new decisions.
    """
    by_id = {r.id: r for r in records}
    scored = score_candidates(records, config, neighbours)
    known = verdicts if verdicts is not None else {}
    unknown = [(e, d) for e, d in scored.ambiguous if (e.a, e.b) not in known]
    if judge is not None and unknown:
        decisions = judge([(by_id[e.a], by_id[e.b], e) for e, _ in unknown])
        known.update({(e.a, e.b): bool(ok) for (e, _), ok in zip(unknown, decisions, strict=True)})
    edges = list(scored.accepted)
    for edge, default in scored.ambiguous:
        if known.get((edge.a, edge.b), default):
            how = "judged same" if (edge.a, edge.b) in known else "default"
            edges.append(Edge(edge.a, edge.b, edge.score, f"{edge.reason} ({how})"))
    return cluster(by_id, edges, {r.id: r.type for r in records}, cannot_link)
