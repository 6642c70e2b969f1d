"""Scorers on hand-computed cases: duplicates, overlapping spans, direction, empty predictions, tokens."""

from __future__ import annotations

import pytest

from factloom.ingest.corpora import GoldDoc, GoldEntity, GoldRelation, GoldSpan
from factloom.ingest.corpora.models import join_tokens
from factloom.tools.eval.scoring import (
    PRF,
    DocPrediction,
    PredEntity,
    PredRelation,
    relation_confusion,
    score_cuad,
    score_documents,
    score_mentions,
    snap_to_tokens,
)

TOKENS = ["John", "Smith", "works", "for", "Acme", "Corp", "in", "Ohio", "."]
TEXT, OFFSETS = join_tokens(TOKENS)  # "John Smith works for Acme Corp in Ohio ."


def _span(text: str) -> GoldSpan:
    start = TEXT.index(text)
    return GoldSpan(start, start + len(text), text)


def _gold() -> GoldDoc:
    entities = (
        GoldEntity("p", "person", (_span("John Smith"),)),
        GoldEntity("o", "organization", (_span("Acme Corp"),)),
        GoldEntity("l", "location", (_span("Ohio"),)),
    )
    relations = (GoldRelation("p", "o", "work_for"), GoldRelation("o", "l", "orgbased_in"))
    return GoldDoc("s1", TEXT, entities, relations, token_offsets=OFFSETS)


def _ent(eid: str, text: str, type_: str) -> PredEntity:
    s = _span(text)
    return PredEntity(eid, type_, ((s.start, s.end),))


def test_prf_arithmetic() -> None:
    prf = PRF(tp=2, n_pred=4, n_gold=3)
    assert (prf.p, round(prf.r, 4), round(prf.f1, 4)) == (0.5, 0.6667, 0.5714)
    assert PRF().as_dict()["f1"] == 0.0


def test_perfect_prediction_scores_one() -> None:
    pred = DocPrediction(
        "s1",
        (
            _ent("a", "John Smith", "person"),
            _ent("b", "Acme Corp", "organization"),
            _ent("c", "Ohio", "location"),
        ),
        (PredRelation("a", "work_for", "b"), PredRelation("b", "orgbased_in", "c")),
    )
    scores = score_mentions([_gold()], [pred])
    assert {k: v.f1 for k, v in scores.items()} == {
        "entity": 1.0,
        "relation_strict": 1.0,
        "relation_boundaries": 1.0,
    }


def test_empty_prediction_has_zero_precision_and_recall() -> None:
    scores = score_mentions([_gold()], [])
    assert scores["entity"].as_dict() == {"p": 0.0, "r": 0.0, "f1": 0.0, "tp": 0, "n_pred": 0, "n_gold": 3}
    assert scores["relation_strict"].n_gold == 2


def test_duplicates_count_once() -> None:
    pred = DocPrediction(
        "s1",
        (
            _ent("a", "John Smith", "person"),
            _ent("a2", "John Smith", "person"),
            _ent("b", "Acme Corp", "organization"),
        ),
        (PredRelation("a", "work_for", "b"), PredRelation("a2", "work_for", "b")),
    )
    scores = score_mentions([_gold()], [pred])
    assert (scores["entity"].tp, scores["entity"].n_pred) == (2, 2)
    assert (scores["relation_strict"].tp, scores["relation_strict"].n_pred) == (1, 1)


def test_overlapping_but_unequal_span_is_wrong() -> None:
    pred = DocPrediction("s1", (_ent("a", "Smith", "person"), _ent("b", "Acme Corp in Ohio", "organization")))
    assert score_mentions([_gold()], [pred])["entity"].as_dict()["tp"] == 0


def test_wrong_entity_type_fails_strict_but_not_boundaries() -> None:
    pred = DocPrediction(
        "s1",
        (_ent("a", "John Smith", "person"), _ent("b", "Acme Corp", "location")),
        (PredRelation("a", "work_for", "b"),),
    )
    scores = score_mentions([_gold()], [pred])
    assert scores["relation_strict"].tp == 0
    assert scores["relation_boundaries"].tp == 1
    assert scores["entity"].tp == 1


def test_relation_direction_matters_unless_symmetric() -> None:
    pred = DocPrediction(
        "s1",
        (_ent("a", "John Smith", "person"), _ent("b", "Acme Corp", "organization")),
        (PredRelation("b", "work_for", "a"),),
    )
    assert score_mentions([_gold()], [pred])["relation_boundaries"].tp == 0
    sym = score_mentions([_gold()], [pred], symmetric=frozenset({"work_for"}))
    assert sym["relation_boundaries"].tp == 1


def test_spans_snap_to_gold_tokens() -> None:
    # "Acme Corp" predicted as "cme Corp" (inside the tokens) and "Ohio ." trimmed to "Ohio"
    start = TEXT.index("Acme Corp")
    assert snap_to_tokens((start + 1, start + 9), OFFSETS) == (start, start + 9)
    pred = DocPrediction("s1", (PredEntity("b", "organization", ((start + 1, start + 9),)),))
    assert score_mentions([_gold()], [pred])["entity"].tp == 1
    assert snap_to_tokens((len(TEXT) + 5, len(TEXT) + 6), OFFSETS) is None


def test_relation_uses_stated_mentions() -> None:
    gold = _gold()
    smith = _span("Smith")
    john = _span("John Smith")
    pred = DocPrediction(
        "s1",
        (
            PredEntity("a", "person", ((smith.start, smith.end), (john.start, john.end))),
            _ent("b", "Acme Corp", "organization"),
        ),
        (PredRelation("a", "work_for", "b", head_span=(john.start, john.end)),),
    )
    assert score_mentions([gold], [pred])["relation_strict"].tp == 1


def test_document_relations_match_entities_by_mention_overlap() -> None:
    text = "Aspirin (ASA) caused ulcers. ASA also worsened asthma."

    def sp(t: str, nth: int = 0) -> GoldSpan:
        i = -1
        for _ in range(nth + 1):
            i = text.index(t, i + 1)
        return GoldSpan(i, i + len(t), t)

    gold = GoldDoc(
        "d",
        text,
        (
            GoldEntity("D1", "chemical", (sp("Aspirin"), sp("ASA"), sp("ASA", 1))),
            GoldEntity("D2", "disease", (sp("ulcers"),)),
            GoldEntity("D3", "disease", (sp("asthma"),)),
        ),
        (GoldRelation("D1", "D2", "cid"), GoldRelation("D1", "D3", "cid")),
    )
    a2 = sp("ASA", 1)
    pred = DocPrediction(
        "d",
        (
            PredEntity("x", "chemical", ((a2.start, a2.end),)),  # only the second "ASA": still entity D1
            PredEntity("y", "disease", ((sp("asthma").start, sp("asthma").end),)),
            PredEntity("z", "disease", ((0, 3),)),  # "Asp" overlaps Aspirin: D1 again, relation x->z wrong
        ),
        (PredRelation("x", "cid", "y"), PredRelation("x", "cid", "y"), PredRelation("y", "cid", "z")),
    )
    scores = score_documents([gold], [pred])
    assert scores["relation_doc"].as_dict() == {
        "p": 0.5,
        "r": 0.5,
        "f1": 0.5,
        "tp": 1,
        "n_pred": 2,
        "n_gold": 2,
    }
    assert scores["entity"].tp == 2  # "ASA" (2nd) and "asthma" exact; "Asp" is not a gold span


def test_document_prediction_without_overlap_is_a_false_positive() -> None:
    gold = GoldDoc(
        "d",
        "A causes B.",
        (GoldEntity("a", "x", (GoldSpan(0, 1, "A"),)), GoldEntity("b", "y", (GoldSpan(9, 10, "B"),))),
        (GoldRelation("a", "b", "r"),),
    )
    pred = DocPrediction(
        "d",
        (PredEntity("p", "x", ((0, 1),)), PredEntity("q", "y", ((2, 8),))),
        (PredRelation("p", "r", "q"),),
    )
    assert score_documents([gold], [pred])["relation_doc"].as_dict()["tp"] == 0


def test_cuad_category_hit_needs_overlap_and_same_category() -> None:
    text = "This Agreement is governed by the laws of Texas. Either party may terminate."
    gold = GoldDoc(
        "c",
        text,
        (
            GoldEntity("Governing Law", "jurisdiction", (GoldSpan(0, 47, text[:47]),)),
            GoldEntity("Termination", "termination_for_convenience", (GoldSpan(49, 75, text[49:75]),)),
        ),
    )
    pred = DocPrediction(
        "c",
        (
            PredEntity("t", "jurisdiction", ((42, 47),)),  # "Texas": overlaps the clause
            PredEntity("u", "non_compete", ((49, 60),)),  # wrong category
        ),
    )
    result = score_cuad([gold], [pred]).as_dict()
    assert result["categories"]["jurisdiction"] == {"gold": 1, "predicted": 1, "hit": 1, "hit_rate": 1.0}
    assert result["categories"]["termination_for_convenience"]["hit"] == 0
    assert result["hit_rate"] == 0.5 and result["precision"] == 0.5


@pytest.mark.parametrize("missing", [True, False])
def test_documents_without_prediction_count_as_empty(missing: bool) -> None:
    preds = [] if missing else [DocPrediction("other")]
    assert score_mentions([_gold()], preds)["entity"].n_pred == 0


def test_per_document_counts_are_kept_in_order() -> None:
    """The bootstrap resamples documents, so each score keeps every document's own counts."""
    other = GoldDoc("s2", TEXT, (), ())
    pred = DocPrediction("s1", (_ent("a", "John Smith", "person"), _ent("x", "Ohio", "person")))
    scores = score_mentions([_gold(), other], [pred])
    assert scores["entity"].per_doc == [(1, 2, 3), (0, 0, 0)]
    assert scores["relation_strict"].per_doc == [(0, 0, 2), (0, 0, 0)]


def test_confusion_separates_type_direction_and_argument_errors() -> None:
    """Right arguments with another or reversed relation type are counted apart from wrong arguments."""
    ents = (
        _ent("a", "John Smith", "person"),
        _ent("b", "Acme Corp", "organization"),
        _ent("c", "Ohio", "location"),
    )
    pred = DocPrediction(
        "s1",
        ents,
        (
            PredRelation("a", "work_for", "b"),  # right: not a confusion
            PredRelation("b", "located_in", "c"),  # gold says orgbased_in: other type
            PredRelation("c", "orgbased_in", "b"),  # reversed
            PredRelation("b", "work_for", "a"),  # reversed, and gold has work_for -> reversed
            PredRelation("a", "live_in", "c"),  # no gold relation between John Smith and Ohio
        ),
    )
    confusion = relation_confusion([_gold()], [pred]).as_dict()
    assert confusion == {
        "other_type": 1,
        "reversed": 2,
        "reversed_other_type": 0,
        "wrong_arguments": 1,
        "pairs": {"located_in -> orgbased_in": 1},
    }
    flipped = DocPrediction("s1", ents, (PredRelation("c", "located_in", "b"),))
    assert relation_confusion([_gold()], [flipped]).as_dict()["reversed_other_type"] == 1


def test_confusion_at_document_level_uses_matched_entities() -> None:
    gold = GoldDoc(
        "d",
        "A causes B.",
        (GoldEntity("a", "x", (GoldSpan(0, 1, "A"),)), GoldEntity("b", "y", (GoldSpan(9, 10, "B"),))),
        (GoldRelation("a", "b", "cid"),),
    )
    pred = DocPrediction(
        "d",
        (PredEntity("p", "x", ((0, 1),)), PredEntity("q", "y", ((9, 10),))),
        (PredRelation("q", "adverse_effect", "p"),),
    )
    confusion = relation_confusion([gold], [pred], document_level=True)
    assert confusion.reversed_other_type == 1 and confusion.pairs == {"adverse_effect -> cid": 1}
