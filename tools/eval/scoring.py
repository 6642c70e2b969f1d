"""Score predicted entities and relations against gold documents (micro P/R/F1).

Conventions (those of the published tables: SpERT, UIE, InstructUIE, DocRED, CUAD):
- entity strict: a predicted mention is correct iff its span and type equal a gold mention's;
- relation strict: head span + type, tail span + type and relation type all equal;
- relation boundaries: as strict, but the argument types are ignored;
- document relation: (head entity, type, tail entity), where a predicted entity stands for the gold
  entity whose mentions it overlaps most;
- CUAD: per clause category, whether a predicted mention of that category overlaps a gold span.
Counts are micro-averaged over documents; duplicates count once (everything is a set). For
symmetric relation types the argument order is ignored. Every ``PRF`` also keeps its per-document
counts, so that ``tools.eval.bootstrap`` can resample documents for confidence intervals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from factloom.ingest.corpora import GoldDoc

Span = tuple[int, int]


@dataclass(frozen=True)
class PredEntity:
    """A predicted entity: its type and the character spans of its mentions."""

    id: str
    type: str
    mentions: tuple[Span, ...]


@dataclass(frozen=True)
class PredRelation:
    """A predicted relation between two predicted entities (by id).

    ``head_span``/``tail_span`` name the mentions the relation was stated with; without them the
    entity's first mention is used for mention-level scoring.
    """

    head: str
    type: str
    tail: str
    head_span: Span | None = None
    tail_span: Span | None = None


@dataclass(frozen=True)
class DocPrediction:
    """Everything a system predicted for one gold document (offsets index the gold text)."""

    doc_id: str
    entities: tuple[PredEntity, ...] = ()
    relations: tuple[PredRelation, ...] = ()


@dataclass
class PRF:
    """Micro counts and the precision, recall and F1 they give.

    ``per_doc`` holds each added document's ``(tp, n_pred, n_gold)`` in the order added.
    """

    tp: int = 0
    n_pred: int = 0
    n_gold: int = 0
    per_doc: list[tuple[int, int, int]] = field(default_factory=list, repr=False, compare=False)

    def add(self, gold: set[object], pred: set[object]) -> None:
        """Add one document's gold and predicted sets."""
        tp = len(gold & pred)
        self.tp += tp
        self.n_pred += len(pred)
        self.n_gold += len(gold)
        self.per_doc.append((tp, len(pred), len(gold)))

    @property
    def p(self) -> float:
        """Return the precision (0 when nothing was predicted)."""
        return self.tp / self.n_pred if self.n_pred else 0.0

    @property
    def r(self) -> float:
        """Return the recall (0 when there is no gold)."""
        return self.tp / self.n_gold if self.n_gold else 0.0

    @property
    def f1(self) -> float:
        """Return the harmonic mean of precision and recall."""
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Return ``{p, r, f1, tp, n_pred, n_gold}`` with scores rounded to 4 places."""
        return {
            "p": round(self.p, 4),
            "r": round(self.r, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "n_pred": self.n_pred,
            "n_gold": self.n_gold,
        }


def snap_to_tokens(span: Span, token_offsets: tuple[Span, ...]) -> Span | None:
    """Return ``span`` widened to the tokens it touches, or None when it touches none."""
    touched = [(s, e) for s, e in token_offsets if s < span[1] and span[0] < e]
    return (touched[0][0], touched[-1][1]) if touched else None


def _pairs(golds: list[GoldDoc], preds: Iterable[DocPrediction]) -> list[tuple[GoldDoc, DocPrediction]]:
    by_id = {p.doc_id: p for p in preds}
    return [(g, by_id.get(g.doc_id, DocPrediction(g.doc_id))) for g in golds]


def _order(head: object, tail: object, rel: str, symmetric: frozenset[str]) -> tuple[object, str, object]:
    if rel in symmetric and repr(tail) < repr(head):
        head, tail = tail, head
    return head, rel, tail


def _gold_sets(doc: GoldDoc, symmetric: frozenset[str]) -> tuple[set[object], set[object], set[object]]:
    first = {e.id: (e.mentions[0].start, e.mentions[0].end, e.type) for e in doc.entities if e.mentions}
    ents = {(m.start, m.end, e.type) for e in doc.entities for m in e.mentions}
    strict = {
        _order(first[r.head], first[r.tail], r.type, symmetric)
        for r in doc.relations
        if r.head in first and r.tail in first
    }
    bounds = {_order(h[:2], t[:2], rel, symmetric) for h, rel, t in strict}
    return ents, strict, bounds


def _pred_sets(
    pred: DocPrediction, tokens: tuple[Span, ...] | None, symmetric: frozenset[str]
) -> tuple[set[object], set[object], set[object]]:
    def snap(span: Span) -> Span | None:
        return snap_to_tokens(span, tokens) if tokens else span

    ents: set[object] = set()
    first: dict[str, tuple[Span | None, str]] = {}
    for ent in pred.entities:
        for m in ent.mentions:
            if (s := snap(m)) is not None:
                ents.add((*s, ent.type))
        first[ent.id] = (snap(ent.mentions[0]) if ent.mentions else None, ent.type)
    strict: set[object] = set()
    for rel in pred.relations:
        if rel.head not in first or rel.tail not in first:
            continue
        (h, ht), (t, tt) = first[rel.head], first[rel.tail]
        h = snap(rel.head_span) if rel.head_span else h
        t = snap(rel.tail_span) if rel.tail_span else t
        if h is not None and t is not None:
            strict.add(_order((*h, ht), (*t, tt), rel.type, symmetric))
    bounds = {_order(h[:2], t[:2], rel, symmetric) for h, rel, t in strict}
    return ents, strict, bounds


def score_mentions(
    golds: list[GoldDoc], preds: Iterable[DocPrediction], symmetric: frozenset[str] = frozenset()
) -> dict[str, PRF]:
    """Score entity strict, relation strict and relation boundaries (sentence/abstract level).

    Predicted spans are widened to whole gold tokens when the gold document is tokenised.
    """
    scores = {"entity": PRF(), "relation_strict": PRF(), "relation_boundaries": PRF()}
    for gold, pred in _pairs(golds, preds):
        got = _pred_sets(pred, gold.token_offsets, symmetric)
        for key, g, p in zip(scores, _gold_sets(gold, symmetric), got, strict=True):
            scores[key].add(g, p)
    return scores


def _overlap(a: Span, b: Span) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def match_entity(pred: PredEntity, gold: GoldDoc) -> str | None:
    """Return the id of the gold entity whose mentions ``pred``'s mentions overlap most.

    Ranked by the number of overlapping mention pairs, then overlapping characters, then gold order.
    """
    best, best_key = None, (0, 0)
    for ent in gold.entities:
        pairs = [_overlap(p, (m.start, m.end)) for p in pred.mentions for m in ent.mentions]
        key = (sum(1 for o in pairs if o > 0), sum(pairs))
        if key > best_key:
            best, best_key = ent.id, key
    return best


def _doc_relation_sets(
    gold: GoldDoc, pred: DocPrediction, symmetric: frozenset[str]
) -> tuple[set[object], set[object]]:
    """Return the gold and predicted (head entity, type, tail entity) sets of one document."""
    matched = {e.id: match_entity(e, gold) or f"?{e.id}" for e in pred.entities}
    got = {
        _order(matched[r.head], matched[r.tail], r.type, symmetric)
        for r in pred.relations
        if r.head in matched and r.tail in matched
    }
    want = {_order(r.head, r.tail, r.type, symmetric) for r in gold.relations}
    return want, got


def score_documents(
    golds: list[GoldDoc], preds: Iterable[DocPrediction], symmetric: frozenset[str] = frozenset()
) -> dict[str, PRF]:
    """Score entity mentions (strict) and entity-level relations (document level)."""
    scores = {"entity": PRF(), "relation_doc": PRF()}
    for gold, pred in _pairs(golds, preds):
        ents, _, _ = _pred_sets(pred, gold.token_offsets, symmetric)
        scores["entity"].add(_gold_sets(gold, symmetric)[0], ents)
        scores["relation_doc"].add(*_doc_relation_sets(gold, pred, symmetric))
    return scores


@dataclass
class RelationConfusion:
    """Wrong relation predictions whose arguments are right: the type or the direction is wrong.

    Attributes:
        other_type: same head and tail as a gold relation, another relation type.
        reversed: head and tail swapped, same type (directed types only).
        reversed_other_type: head and tail swapped and another type.
        wrong_arguments: no gold relation joins these two arguments (in either order).
        pairs: ``"predicted -> gold"`` type pairs of the ``other_type`` and ``reversed_other_type`` cases.
    """

    other_type: int = 0
    reversed: int = 0
    reversed_other_type: int = 0
    wrong_arguments: int = 0
    pairs: Counter[str] = field(default_factory=Counter)

    def add(self, gold: set[object], pred: set[object]) -> None:
        """Classify one document's wrong predictions; both sets hold ``(head, type, tail)`` triples."""
        by_args: dict[tuple[object, object], set[str]] = {}
        for h, rel, t in gold:  # type: ignore[misc]
            by_args.setdefault((h, t), set()).add(rel)
        for h, rel, t in pred - gold:  # type: ignore[misc]
            same, swapped = by_args.get((h, t), set()), by_args.get((t, h), set())
            if same:
                self.other_type += 1
                self.pairs.update(f"{rel} -> {g}" for g in sorted(same))
            elif rel in swapped:
                self.reversed += 1
            elif swapped:
                self.reversed_other_type += 1
                self.pairs.update(f"{rel} -> {g}" for g in sorted(swapped))
            else:
                self.wrong_arguments += 1

    def as_dict(self) -> dict[str, object]:
        """Return the counts and the type pairs, most frequent first."""
        return {
            "other_type": self.other_type,
            "reversed": self.reversed,
            "reversed_other_type": self.reversed_other_type,
            "wrong_arguments": self.wrong_arguments,
            "pairs": dict(self.pairs.most_common()),
        }


def relation_confusion(
    golds: list[GoldDoc],
    preds: Iterable[DocPrediction],
    symmetric: frozenset[str] = frozenset(),
    *,
    document_level: bool = False,
) -> RelationConfusion:
    """Count wrong relation predictions by kind (strict mention-level, or entity-level for documents)."""
    confusion = RelationConfusion()
    for gold, pred in _pairs(golds, preds):
        if document_level:
            confusion.add(*_doc_relation_sets(gold, pred, symmetric))
        else:
            strict_gold = _gold_sets(gold, symmetric)[1]
            confusion.add(strict_gold, _pred_sets(pred, gold.token_offsets, symmetric)[1])
    return confusion


@dataclass
class CategoryHits:
    """CUAD counts for one category: documents with gold spans, with predictions, and hits."""

    gold: int = 0
    predicted: int = 0
    hit: int = 0

    def as_dict(self) -> dict[str, float | int]:
        """Return the counts and the hit rate (hits / documents with gold spans)."""
        rate = round(self.hit / self.gold, 4) if self.gold else 0.0
        return {"gold": self.gold, "predicted": self.predicted, "hit": self.hit, "hit_rate": rate}


@dataclass
class CuadScore:
    """Per-category span-overlap hits over contracts, and their micro totals."""

    categories: dict[str, CategoryHits] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """Return per-category counts plus micro ``hit_rate`` and ``precision``."""
        gold = sum(c.gold for c in self.categories.values())
        pred = sum(c.predicted for c in self.categories.values())
        hit = sum(c.hit for c in self.categories.values())
        return {
            "hit_rate": round(hit / gold, 4) if gold else 0.0,
            "precision": round(hit / pred, 4) if pred else 0.0,
            "categories": {k: v.as_dict() for k, v in sorted(self.categories.items())},
        }


def score_cuad(golds: list[GoldDoc], preds: Iterable[DocPrediction]) -> CuadScore:
    """Score, per category and contract, whether a predicted mention overlaps a gold span."""
    score = CuadScore()
    for gold, pred in _pairs(golds, preds):
        want = {e.type: [(m.start, m.end) for m in e.mentions] for e in gold.entities}
        got: dict[str, list[Span]] = {}
        for ent in pred.entities:
            got.setdefault(ent.type, []).extend(ent.mentions)
        for cat in set(want) | set(got):
            hits = score.categories.setdefault(cat, CategoryHits())
            hits.gold += cat in want
            hits.predicted += cat in got
            hits.hit += any(_overlap(p, g) for p in got.get(cat, []) for g in want.get(cat, []))
    return score
