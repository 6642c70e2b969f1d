"""Corpus readers: counts on the shared dev files match their READMEs; malformed files fail clearly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from factloom.ingest.corpora import CorpusError, GoldDoc, detect_format, read_corpus, write_jsonl


def _counts(docs: list[GoldDoc]) -> tuple[int, int, int, int]:
    mentions = sum(len(e.mentions) for d in docs for e in d.entities)
    return len(docs), sum(len(d.entities) for d in docs), mentions, sum(len(d.relations) for d in docs)


def _spans_reproduce_text(docs: list[GoldDoc]) -> bool:
    return all(d.text[m.start : m.end] == m.text for d in docs for e in d.entities for m in e.mentions)


@pytest.mark.parametrize(
    ("path", "fmt", "expected"),
    [
        # README counts: sentences/documents, entities, mentions, relations
        ("conll04/dev_triples.json", "spert", (231, 893, 893, 343)),
        ("ade/ade_split_0_train.json", "spert", (3829, 9726, 9726, 6126)),
        ("scierc/dev_triples.json", "spert", (275, 811, 811, 455)),
        ("scierc/dev.json", "scierc", (50, 811, 811, 455)),
        ("redocred/dev_revised.json", "redocred", (500, 9684, 13189, 17284)),
    ],
)
def test_token_corpora_match_readme_counts(shared_data: Path, path: str, fmt: str, expected: tuple) -> None:
    docs = read_corpus(shared_data / path)
    assert detect_format(shared_data / path) == fmt
    assert _counts(docs) == expected
    assert _spans_reproduce_text(docs)
    assert all(d.token_offsets for d in docs)


def test_conll04_first_sentence_has_its_relation(shared_data: Path) -> None:
    docs = read_corpus(shared_data / "conll04/dev_triples.json")
    doc = next(d for d in docs if d.text.startswith("Sun Hung Kai Properties , a Hong Kong"))
    rel = doc.relations[0]
    names = {e.id: (e.mentions[0].text, e.type) for e in doc.entities}
    # README example (orig_id 2834): Org "Sun Hung Kai Properties" -OrgBased_In-> Loc "Hong Kong"
    assert (names[rel.head], rel.type, names[rel.tail]) == (
        ("Sun Hung Kai Properties", "Org"),
        "OrgBased_In",
        ("Hong Kong", "Loc"),
    )


def test_scierc_document_undoes_ptb_escapes_and_keeps_sentences(shared_data: Path) -> None:
    docs = read_corpus(shared_data / "scierc/dev.json")
    assert "-LRB-" not in "".join(d.text for d in docs)
    assert sum(len(d.sentences) for d in docs) == 275
    first = docs[0]
    assert first.doc_id == "ICCV_2003_158_abs"
    assert first.text[slice(*first.sentences[0])].startswith("This paper presents an algorithm")


def test_redocred_relations_use_rel_info_names(shared_data: Path) -> None:
    docs = read_corpus(shared_data / "redocred/dev_revised.json", limit=50)
    types = Counter(r.type for d in docs for r in d.relations)
    assert types["located in the administrative territorial entity"] > 0
    assert not any(t.startswith("P") and t[1:].isdigit() for t in types)


@pytest.mark.parametrize(
    ("path", "docs_", "relations", "types"),
    [
        ("bc5cdr/CDR_DevelopmentSet.PubTator.txt", 485, 987, {"Chemical": 5142, "Disease": 4120}),
        ("biored/Dev.PubTator", 84, 981, {"GeneOrGeneProduct": 1042, "CellLine": 20}),
        ("biored/Dev.BioC.JSON", 84, 981, {"GeneOrGeneProduct": 1042, "SequenceVariant": 241}),
    ],
)
def test_concept_corpora_match_readme_counts(
    shared_data: Path, path: str, docs_: int, relations: int, types: dict[str, int]
) -> None:
    docs = read_corpus(shared_data / path)
    assert len(docs) == docs_
    assert sum(len(d.relations) for d in docs) == relations
    # a composite mention belongs to several concepts: count distinct mention spans per type
    distinct = Counter(
        t for d in docs for (t, _, _) in {(e.type, m.start, m.end) for e in d.entities for m in e.mentions}
    )
    for label, count in types.items():
        assert distinct[label] == count
    assert _spans_reproduce_text(docs)


def test_pubtator_composite_mesh_ids_join_both_concepts(shared_data: Path) -> None:
    docs = read_corpus(shared_data / "bc5cdr/CDR_DevelopmentSet.PubTator.txt")
    doc = next(d for d in docs if d.doc_id == "9022662")
    # "choreoathetosis  D002819|D001264" and the relation CID D010389 -> D001264
    assert doc.entity("D001264") is not None and doc.entity("D002819") is not None
    assert {(r.head, r.tail) for r in doc.relations} >= {("D010389", "D001264"), ("D010389", "D002819")}


def test_biored_variant_ids_with_bars_stay_whole(shared_data: Path) -> None:
    doc = read_corpus(shared_data / "biored/Dev.BioC.JSON", limit=1)[0]
    assert doc.entity("c|DEL|1314_1328|") is not None


def test_cuad_locates_highlighted_spans(shared_data: Path) -> None:
    docs = read_corpus(shared_data / "cuad")
    assert len(docs) == 20
    per_category = Counter(e.type for d in docs for e in d.entities)
    assert per_category["Parties"] == 20 and per_category["Governing Law"] == 20
    located = sum(len(e.mentions) for d in docs for e in d.entities)
    assert 520 <= located <= 531  # README: 531 highlighted spans; a few repeat within a category
    assert _spans_reproduce_text(docs)


def test_gold_jsonl_round_trips(tmp_path: Path, shared_data: Path) -> None:
    docs = read_corpus(shared_data / "scierc/dev.json", limit=3)
    path = tmp_path / "gold.jsonl"
    write_jsonl(docs, path)
    again = read_corpus(path)
    assert detect_format(path) == "jsonl"
    assert [(d.doc_id, d.text, d.entities, d.relations) for d in again] == [
        (d.doc_id, d.text, d.entities, d.relations) for d in docs
    ]


def test_gold_jsonl_single_span_shorthand(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    record = {
        "text": "Ann works for Acme.",
        "entities": [
            {"id": "a", "type": "person", "start": 0, "end": 3},
            {"id": "b", "type": "organization", "start": 14, "end": 18},
        ],
        "relations": [{"head": "a", "type": "work_for", "tail": "b"}],
    }
    path.write_text(json.dumps(record) + "\n")
    doc = read_corpus(path, "jsonl")[0]
    assert doc.doc_id == "g:1"
    assert [m.text for e in doc.entities for m in e.mentions] == ["Ann", "Acme"]


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        (
            '{"text": "abc", "entities": [{"type": "x", "start": 1, "end": 9}]}\n',
            "jsonl",
            "line 1: character span [1, 9)",
        ),
        (
            '{"text": "abc", "entities": [{"type": "x", "start": 0, "end": 1, "text": "b"}]}\n',
            "jsonl",
            "mention text 'b'",
        ),
        ('{"text": "ab"}\n{"text": oops}\n', "jsonl", "line 2: not valid JSON"),
        (
            '[{"tokens": ["a"], "entities": [{"type": "X", "start": 0, "end": 3}]}]',
            "spert",
            "record 0: token span",
        ),
        ('[{"entities": []}]', "spert", "record 0: missing field 'tokens'"),
        ("1|t|Title\n1\t0\tx\tTitle\tChemical\tD1\n", "pubtator", "line 2: offset 'x' is not an integer"),
        ('{"documents": [{"id": "1"}]}', "bioc", "document 0: missing field 'passages'"),
    ],
)
def test_malformed_files_name_file_record_and_field(
    tmp_path: Path, content: str, fmt: str, message: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(content.replace("\\t", "\t"))
    with pytest.raises(CorpusError) as info:
        read_corpus(path, fmt)
    assert str(path) in str(info.value) and message in str(info.value)


def test_unknown_format_and_missing_file_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such file"):
        read_corpus(tmp_path / "nope.json")
    (tmp_path / "x.txt").write_text("hello\n")
    with pytest.raises(CorpusError, match="cannot tell the corpus format"):
        read_corpus(tmp_path / "x.txt")
