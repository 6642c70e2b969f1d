"""Entity resolution: blocking, thresholds, homonyms, the judge band, constraints, order independence."""

from __future__ import annotations

import random

from factloom.tools.names import resolution_key
from factloom.tools.resolution.keys import lsh_codes
from factloom.tools.resolution.resolve import Cluster, Record, ResolveConfig, resolve


def groups(clusters: list[Cluster], records: list[Record]) -> set[frozenset[str]]:
    """Return the clusters as sets of names, for readable assertions."""
    name = {r.id: r.name for r in records}
    return {frozenset(name[m] for m in c.members) for c in clusters}


def test_normalise_folds_case_accents_punctuation_and_legal_suffixes() -> None:
    assert resolution_key("The Coca-Cola Company Inc.") == "coca cola company"
    assert resolution_key("Société Générale S.A.") == "societe generale"
    assert resolution_key("AT&T") == "at and t"


def test_spelling_variants_merge_and_different_names_do_not() -> None:
    records = [
        Record("1", "Acme Corp.", "org", doc_id="a"),
        Record("2", "ACME Corporation", "org", doc_id="b"),
        Record("3", "Smith, John", "person", doc_id="a"),
        Record("4", "John Smith", "person", doc_id="c"),
        Record("5", "Deutsche Bank Aktiengesellschaft", "org", doc_id="a"),
        Record("6", "Deutsche Bank Aktiengesselschaft", "org", doc_id="b"),  # typo
        Record("7", "Dresdner Bank", "org", doc_id="c"),
    ]
    assert groups(resolve(records), records) == {
        frozenset({"Acme Corp.", "ACME Corporation"}),
        frozenset({"Smith, John", "John Smith"}),
        frozenset({"Deutsche Bank Aktiengesellschaft", "Deutsche Bank Aktiengesselschaft"}),
        frozenset({"Dresdner Bank"}),
    }


def test_homonyms_with_incompatible_types_stay_apart_but_generic_types_join() -> None:
    records = [
        Record("1", "Apple", "organization"),
        Record("2", "apple", "fruit"),
        Record("3", "Apple", "entity"),
        Record("4", "Jordan", "person"),
        Record("5", "Jordan", "location"),
    ]
    clusters = {c.members for c in resolve(records)}
    assert clusters == {("1", "3"), ("2",), ("4",), ("5",)}  # the generic record joins one, never both


def test_ambiguous_band_goes_to_the_judge_in_one_batch() -> None:
    records = [
        Record("1", "International Business Machines", "org", doc_id="a"),
        Record("2", "IBM", "org", doc_id="b"),
        Record("3", "Microsoft", "org", doc_id="a"),
        Record("4", "Microsfot", "org", doc_id="b"),
    ]
    asked: list[list[tuple[str, str]]] = []

    def judge(pairs):
        asked.append([(a.name, b.name) for a, b, _ in pairs])
        return [True] * len(pairs)

    assert len(resolve(records)) == 4  # without a judge, the ambiguous band stays apart
    assert len(resolve(records, judge=judge)) == 2
    assert len(asked) == 1
    assert sorted(asked[0]) == [("International Business Machines", "IBM"), ("Microsoft", "Microsfot")]


def test_same_name_with_unrelated_context_is_a_homonym_question() -> None:
    records = [
        Record("1", "Michael Jordan", "person", context=frozenset({"chicago bulls", "nba"}), doc_id="a"),
        Record(
            "2", "Michael Jordan", "person", context=frozenset({"berkeley", "machine learning"}), doc_id="b"
        ),
        Record("3", "Michael Jordan", "person", context=frozenset({"nba", "wizards"}), doc_id="c"),
    ]
    assert len(resolve(records)) == 1  # default: same name merges, like the exact-string baseline
    verdicts: dict[tuple[str, str], bool] = {}
    clusters = resolve(records, judge=lambda pairs: [False] * len(pairs), verdicts=verdicts)
    assert {c.members for c in clusters} == {("1", "3"), ("2",)}
    assert verdicts == {("1", "2"): False}
    # known verdicts are reused: no judge needed on the next run
    assert {c.members for c in resolve(records, verdicts=verdicts)} == {("1", "3"), ("2",)}


def test_cannot_link_keeps_a_split_apart_even_through_a_third_record() -> None:
    records = [Record("1", "Acme", "org"), Record("2", "ACME", "org"), Record("3", "Acme Inc.", "org")]
    clusters = resolve(records, cannot_link=[frozenset({"1", "2"})])
    assert not any({"1", "2"} <= set(c.members) for c in clusters)
    assert len(clusters) == 2


def test_result_does_not_depend_on_input_order() -> None:
    names = [
        "Acme Corp",
        "ACME Corporation",
        "Acme Inc",
        "Acne Corp",
        "Beta GmbH",
        "Beta",
        "beta",
        "Gamma Ray",
        "Ray Gamma",
        "IBM",
        "International Business Machines",
        "Gama Ray",
    ]
    records = [Record(f"r{i}", n, "org", context=frozenset({n[:2].lower()})) for i, n in enumerate(names)]
    expected = resolve(records, ResolveConfig(low=0.6))
    rng = random.Random(3)
    for _ in range(5):
        shuffled = records[:]
        rng.shuffle(shuffled)
        assert resolve(shuffled, ResolveConfig(low=0.6)) == expected


def test_lsh_finds_typo_pairs_among_many_names() -> None:
    keys = [f"company number {i:05d}" for i in range(3000)] + ["zebra logistics", "zebra logistic"]
    codes = lsh_codes(keys)
    assert 3000 * len(keys) + 3001 in set(codes.tolist())
    assert len(codes) < len(keys) * 20  # linear in the number of keys, not all pairs
