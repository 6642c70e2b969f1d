"""bench/synth.py: the induction score maps induced types to gold types by the facts they cover."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from factloom.agents.schema_induce import Seen
from factloom.tools.extraction.schema_yaml import InducedType

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


synth = _load("synth")


def test_induced_types_map_to_the_gold_type_of_most_of_their_facts() -> None:
    gold = {"Ann": "Peop", "Bob": "Peop", "Acme": "Org", "Paris": "Loc"}
    pairs = [("person", "Ann"), ("human", "Bob"), ("company", "Acme"), ("city", "Paris"), ("date", "Monday"),
             ("date", "1999"), ("place", "Paris"), ("place", "Rome"), ("place", "Oslo")]  # fmt: skip
    seen = [Seen(label, text, text) for label, text in pairs]
    induced = [
        InducedType("person", "", ("person", "human"), 2),
        InducedType("organization", "", ("company",), 1),
        InducedType("date", "", ("date",), 2),
        InducedType("place", "", ("place",), 3),  # one of three facts is gold: under half
    ]
    got = synth.score_types(induced, seen, gold)
    assert got["matched"] == ["Org", "Peop"] and got["gold_types"] == ["Loc", "Org", "Peop"]
    assert got["spurious"] == ["date", "place"] and got["induced"] == 4
    assert got["mapping"]["person"] == {"gold": "Peop", "facts": 2, "gold_facts": 2, "votes": {"Peop": 2}}


def test_gap_recovered_and_paired_comparisons_need_every_condition() -> None:
    def run(f1: float) -> dict:
        counts = [[1, 1, 1]] * int(10 * f1) + [[0, 1, 1]] * (10 - int(10 * f1))
        per_doc = {"doc_ids": [str(i) for i in range(10)], "entity": counts, "relation_strict": counts}
        score = {"f1": f1, "f1_ci": [0, 1]}
        return {"entity": score, "relation_strict": score, "per_doc": per_doc}

    runs = {"none": run(0.2), "synthetic": run(0.4), "gold": run(0.6)}
    assert synth.gap_recovered(runs, "entity") == 0.5
    assert synth.gap_recovered({"none": runs["none"]}, "entity") is None
    diffs = synth.comparisons(runs)
    assert {(d["a"], d["b"], d["score"]) for d in diffs} >= {("synthetic", "none", "relation_strict")}
    assert next(d for d in diffs if d["a"] == "gold" and d["b"] == "none")["diff"] == 0.4
