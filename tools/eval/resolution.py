"""Score entity resolution across documents against gold concept ids (e.g. BC5CDR's MeSH ids).

Every gold mention with a concept id is a mention to cluster. Within a document, mentions with the
same normalised text and type form one record (what the extraction's consolidator gives), optionally
with ``long form (SHORT)`` abbreviations joined; records are then resolved across documents.
Clusters are scored with pairwise and B-cubed precision/recall/F1, next to the exact-string baseline
of GraphRAG / LightRAG / LlamaIndex (same case-folded string = same entity).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from factloom.ingest.corpora.models import GoldDoc
from factloom.tools.names import resolution_key
from factloom.tools.resolution.resolve import DEFAULT_CONFIG, Judge, Record, ResolveConfig, resolve

MentionKey = tuple[str, int, int]


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1."""

    precision: float
    recall: float
    f1: float

    @staticmethod
    def of(p: float, r: float) -> PRF:
        """Return the scores with F1 computed from ``p`` and ``r``."""
        return PRF(round(p, 4), round(r, 4), round(2 * p * r / (p + r), 4) if p + r else 0.0)


@dataclass(frozen=True)
class MethodScores:
    """The scores of one clustering method."""

    method: str
    clusters: int
    pairwise: PRF
    bcubed: PRF
    seconds: float


@dataclass(frozen=True)
class ResolutionReport:
    """Scores of the resolver and of the exact-string baseline on the same mentions."""

    documents: int
    mentions: int
    concepts: int
    methods: list[MethodScores]

    def to_dict(self) -> dict[str, object]:
        """Return the report as plain data (for JSON)."""
        return asdict(self)

    def table(self) -> str:
        """Return the report as a Markdown table."""
        lines = [
            f"{self.documents} documents, {self.mentions} mentions, {self.concepts} gold concepts",
            "",
            "| method | clusters | pairwise P | R | F1 | B3 P | R | F1 | seconds |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for m in self.methods:
            lines.append(
                f"| {m.method} | {m.clusters} | {m.pairwise.precision:.3f} | {m.pairwise.recall:.3f} | "
                f"{m.pairwise.f1:.3f} | {m.bcubed.precision:.3f} | {m.bcubed.recall:.3f} | "
                f"{m.bcubed.f1:.3f} | {m.seconds:.2f} |"
            )
        return "\n".join(lines)


def gold_mentions(docs: Sequence[GoldDoc]) -> dict[MentionKey, tuple[str, str, str]]:
    """Return ``(doc, start, end) -> (text, type, concept label)``; composite mentions join their ids."""
    concepts: dict[MentionKey, set[str]] = defaultdict(set)
    info: dict[MentionKey, tuple[str, str]] = {}
    for doc in docs:
        for ent in doc.entities:
            if ent.concept_id is None:
                continue
            for span in ent.mentions:
                key = (doc.doc_id, span.start, span.end)
                concepts[key].add(ent.concept_id)
                info[key] = (span.text, ent.type)
    return {k: (*info[k], "|".join(sorted(concepts[k]))) for k in sorted(info)}


def _abbreviations(doc: GoldDoc, spans: list[tuple[int, int, str]]) -> dict[str, str]:
    """Map ``SHORT`` to its long form where the text reads ``long form (SHORT)`` (same type)."""
    by_start = {(s, t): e for s, e, t in spans}
    found = {}
    for start, end, type_ in spans:
        inner = doc.text[end : end + 2] == " (" and by_start.get((end + 2, type_))
        if inner and doc.text[inner : inner + 1] == ")":
            found[resolution_key(doc.text[end + 2 : inner])] = resolution_key(doc.text[start:end])
    return found


def build_records(
    docs: Sequence[GoldDoc], mentions: dict[MentionKey, tuple[str, str, str]], *, abbreviations: bool
) -> tuple[list[Record], dict[MentionKey, str]]:
    """Group each document's mentions into records; return them and the record of every mention."""
    by_doc: dict[str, list[MentionKey]] = defaultdict(list)
    for key in mentions:
        by_doc[key[0]].append(key)
    records, record_of = [], {}
    for doc in docs:
        keys = by_doc.get(doc.doc_id, [])
        short_to_long = (
            _abbreviations(doc, [(s, e, mentions[(d, s, e)][1]) for d, s, e in keys]) if abbreviations else {}
        )
        groups: dict[tuple[str, str], list[MentionKey]] = defaultdict(list)
        for key in keys:
            text, type_, _ = mentions[key]
            norm = resolution_key(text)
            groups[(short_to_long.get(norm, norm), type_)].append(key)
        names = {norm for norm, _ in groups}
        for n, ((norm, type_), members) in enumerate(sorted(groups.items())):
            texts = Counter(mentions[k][0] for k in members)
            name = min(texts, key=lambda t: (-texts[t], -len(t), t))
            aliases = tuple(sorted(set(texts) - {name}))
            rec = Record(f"{doc.doc_id}:{n}", name, type_, aliases, frozenset(names - {norm}), doc.doc_id)
            records.append(rec)
            record_of.update({k: rec.id for k in members})
    return records, record_of


def score_clusters(assign: dict[MentionKey, str], gold: dict[MentionKey, str]) -> tuple[PRF, PRF]:
    """Return pairwise and B-cubed scores of a clustering ``assign`` against ``gold`` labels."""
    cells = Counter((assign[k], gold[k]) for k in gold)
    pred_sizes, gold_sizes = Counter(assign[k] for k in gold), Counter(gold.values())

    def pairs(sizes: Iterable[int]) -> int:
        return sum(n * (n - 1) // 2 for n in sizes)

    tp, pred_pairs, gold_pairs = pairs(cells.values()), pairs(pred_sizes.values()), pairs(gold_sizes.values())
    pairwise = PRF.of(tp / pred_pairs if pred_pairs else 1.0, tp / gold_pairs if gold_pairs else 1.0)
    total = len(gold)
    b3_p = sum(n * n / pred_sizes[p] for (p, _), n in cells.items()) / total
    b3_r = sum(n * n / gold_sizes[g] for (_, g), n in cells.items()) / total
    return pairwise, PRF.of(b3_p, b3_r)


def evaluate_resolution(
    gold_docs: Sequence[GoldDoc], config: ResolveConfig = DEFAULT_CONFIG, *, judge: Judge | None = None
) -> ResolutionReport:
    """Resolve the gold mentions of ``gold_docs`` across documents and score against their concept ids.

    Returns the exact-string baseline, the resolver on per-document records, and the resolver with
    ``long form (SHORT)`` abbreviations joined inside each document.
    """
    mentions = gold_mentions(gold_docs)
    gold = {k: label for k, (_, _, label) in mentions.items()}
    methods = []
    start = time.perf_counter()
    baseline = {k: " ".join(text.casefold().split()) for k, (text, _, _) in mentions.items()}
    methods.append(_scored("exact string (GraphRAG/LightRAG/LlamaIndex)", baseline, gold, start))
    for label, abbreviations in (("factloom resolve", False), ("factloom resolve + abbreviations", True)):
        start = time.perf_counter()
        records, record_of = build_records(gold_docs, mentions, abbreviations=abbreviations)
        cluster_of = {m: c.members[0] for c in resolve(records, config, judge=judge) for m in c.members}
        assign = {k: cluster_of[record_of[k]] for k in mentions}
        methods.append(_scored(label, assign, gold, start))
    return ResolutionReport(len(gold_docs), len(mentions), len(set(gold.values())), methods)


def _scored(
    method: str, assign: dict[MentionKey, str], gold: dict[MentionKey, str], start: float
) -> MethodScores:
    pairwise, bcubed = score_clusters(assign, gold)
    return MethodScores(
        method, len(set(assign.values())), pairwise, bcubed, round(time.perf_counter() - start, 3)
    )
