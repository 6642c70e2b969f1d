"""Resolution scoring against gold concept ids: metric arithmetic and the real BC5CDR dev set."""

from __future__ import annotations

from pathlib import Path

import pytest

from factloom.ingest.corpora import read_corpus
from factloom.ingest.corpora.models import GoldDoc, GoldEntity, GoldSpan
from factloom.tools.eval.resolution import evaluate_resolution, score_clusters


def test_pairwise_and_bcubed_by_hand() -> None:
    gold = {("d", 0, 1): "A", ("d", 1, 2): "A", ("d", 2, 3): "A", ("d", 3, 4): "B"}
    assign = {("d", 0, 1): "x", ("d", 1, 2): "x", ("d", 2, 3): "y", ("d", 3, 4): "y"}
    pairwise, bcubed = score_clusters(assign, gold)
    # predicted pairs: (0,1) right, (2,3) wrong; gold pairs: 3 -> P 1/2, R 1/3
    assert (pairwise.precision, pairwise.recall) == (0.5, 0.3333)
    # B3 precision: (1 + 1 + 1/2 + 1/2) / 4; recall: (2/3 + 2/3 + 1/3 + 1) / 4
    assert (bcubed.precision, bcubed.recall) == (0.75, 0.6667)


def _doc(doc_id: str, text: str, *spans: tuple[str, str, str]) -> GoldDoc:
    entities = []
    for surface, type_, concept in spans:
        start = text.index(surface)
        entities.append(
            GoldEntity(
                id=f"{doc_id}-{start}",
                type=type_,
                concept_id=concept,
                mentions=(GoldSpan(start, start + len(surface), surface),),
            )
        )
    return GoldDoc(doc_id=doc_id, text=text, entities=tuple(entities))


def test_abbreviations_and_variants_beat_the_exact_string_baseline() -> None:
    docs = [
        _doc(
            "1",
            "Treatment with 5-fluorouracil (5-FU) caused cardiotoxicity.",
            ("5-fluorouracil", "Chemical", "D005472"),
            ("5-FU", "Chemical", "D005472"),
            ("cardiotoxicity", "Disease", "D066126"),
        ),
        _doc(
            "2",
            "5-FU induced Cardiotoxicity in two patients.",
            ("5-FU", "Chemical", "D005472"),
            ("Cardiotoxicity", "Disease", "D066126"),
        ),
        _doc(
            "3",
            "We saw cardio-toxicity after 5-fluorouracil.",
            ("cardio-toxicity", "Disease", "D066126"),
            ("5-fluorouracil", "Chemical", "D005472"),
        ),
    ]
    report = evaluate_resolution(docs)
    by_name = {m.method.split(" (")[0]: m for m in report.methods}
    assert report.mentions == 7 and report.concepts == 2
    assert by_name["factloom resolve + abbreviations"].clusters == 2
    assert by_name["factloom resolve + abbreviations"].bcubed.f1 == 1.0
    assert by_name["exact string"].bcubed.f1 < 1.0
    assert "| exact string" in report.table()


@pytest.mark.slow
def test_bc5cdr_resolution_beats_exact_string(shared_data: Path) -> None:
    docs = read_corpus(shared_data / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt", "pubtator")
    report = evaluate_resolution(docs)
    baseline, _plain, full = report.methods
    assert report.documents == 485
    assert full.bcubed.f1 > baseline.bcubed.f1 + 0.05
    assert full.pairwise.f1 > baseline.pairwise.f1 + 0.1
    assert full.pairwise.precision > 0.95
