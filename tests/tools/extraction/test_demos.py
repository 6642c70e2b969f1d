"""Demonstrations: cut from gold documents, stored without duplicates, retrieved by similarity."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from factloom.graphs.cli import main
from factloom.ingest.corpora import GoldDoc, GoldEntity, GoldRelation, GoldSpan, read_corpus
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.demos import Demonstration, DemoStore, demos_from_gold, passages
from factloom.tools.extraction.schema import load_schema


def _doc() -> GoldDoc:
    text = "Ann Lee works for Acme in Paris. The weather was fine. Bob Roe lives in Rome."

    def sp(t: str) -> GoldSpan:
        i = text.index(t)
        return GoldSpan(i, i + len(t), t)

    entities = (
        GoldEntity("a", "Peop", (sp("Ann Lee"),)),
        GoldEntity("o", "Org", (sp("Acme"),)),
        GoldEntity("p", "Loc", (sp("Paris"),)),
        GoldEntity("b", "Peop", (sp("Bob Roe"),)),
        GoldEntity("r", "Loc", (sp("Rome"),)),
        GoldEntity("x", "Weather", (sp("weather"),)),  # not expressible in the news schema
    )
    relations = (
        GoldRelation("a", "o", "Work_For"),
        GoldRelation("b", "r", "Live_In"),
        GoldRelation("a", "r", "Live_In"),  # crosses sentences: kept, the short document is one passage
        GoldRelation("o", "a", "Work_For"),  # reversed: the schema forbids organization -> person
    )
    return GoldDoc("d", text, entities, relations)


def test_gold_document_becomes_sentence_demonstrations_in_schema_types() -> None:
    demos = demos_from_gold([_doc()], load_schema("news"), source="toy.jsonl")
    by_text = {d.text: d for d in demos}
    assert passages(_doc(), max_chars=40) == [(0, 32), (33, 54), (55, 77)]
    assert len(demos) == 1  # the document is short enough to be one passage
    demo = next(iter(by_text.values()))
    assert {(e.text, e.type) for e in demo.entities} >= {("Ann Lee", "person"), ("Acme", "organization")}
    assert "weather" not in {e.text for e in demo.entities}
    assert {(r.head, r.type, r.tail) for r in demo.relations} == {
        ("Ann Lee", "work_for", "Acme"),
        ("Bob Roe", "live_in", "Rome"),
        ("Ann Lee", "live_in", "Rome"),
    }


def test_long_documents_are_cut_into_sentences(shared_data: Path) -> None:
    docs = read_corpus(shared_data / "scierc/dev.json", limit=2)
    demos = demos_from_gold(docs, load_schema("science"), source="dev.json")
    assert 5 <= len(demos) <= sum(len(d.sentences) for d in docs)
    assert all(len(d.text) <= 600 for d in demos)
    assert any(r.type == "used_for" for d in demos for r in d.relations)


def test_demo_id_is_stable_and_ignores_source() -> None:
    a = Demonstration(text="x", source="one")
    assert a.demo_id == Demonstration(text="x", source="two").demo_id != Demonstration(text="y").demo_id


@pytest.fixture(scope="module")
def conll_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> DemoStore:
    ws = Workspace(tmp_path_factory.mktemp("demos"))
    docs = read_corpus(shared_data / "conll04/dev_triples.json", limit=25)
    store = DemoStore(ws, schema_name="news")
    store.add(demos_from_gold(docs, load_schema("news"), "dev_triples.json"), "news")
    return store


def test_re_adding_does_not_duplicate(conll_store: DemoStore, shared_data: Path) -> None:
    before = conll_store.count()
    docs = read_corpus(shared_data / "conll04/dev_triples.json", limit=25)
    new = conll_store.add(demos_from_gold(docs, load_schema("news"), "dev_triples.json"), "news")
    assert new == 0 and conll_store.count() == before == conll_store.index.count()


def test_retrieval_returns_similar_demos_within_budget(conll_store: DemoStore) -> None:
    got = conll_store.retrieve(
        "The spokesman for the company said he works for General Motors in Detroit.", 4, 400
    )
    assert 1 <= len(got) <= 4
    # Similar means similar: the nearest demonstration of "works for General Motors" shows a work_for fact.
    assert "work_for" in {r.type for r in got[0].relations}
    assert sum(d.tokens() for d in got) <= 400
    assert all(isinstance(d, Demonstration) and d.entities for d in got)


def test_retrieval_never_returns_the_query_itself(conll_store: DemoStore, shared_data: Path) -> None:
    text = read_corpus(shared_data / "conll04/dev_triples.json", limit=1)[0].text
    assert all(d.text != text for d in conll_store.retrieve(text, 4, 2000))
    assert conll_store.retrieve(text, 0, 2000) == []


def test_other_schema_sees_no_news_demos(conll_store: DemoStore) -> None:
    other = DemoStore(conll_store.ws, schema_name="science", index=conll_store.index)
    assert other.retrieve("He works for IBM.", 4, 600) == []


def test_cli_add_and_list(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        '{"text": "Ann works for Acme.", "entities": [{"id": "a", "type": "person", "start": 0, "end": 3},'
        ' {"id": "b", "type": "organization", "start": 14, "end": 18}],'
        ' "relations": [{"head": "a", "type": "work_for", "tail": "b"}]}\n'
    )
    runner = CliRunner()
    result = runner.invoke(main, ["demos", "add", str(gold), "-w", str(tmp_path / "ws"), "--schema", "news"])
    assert result.exit_code == 0, result.output
    assert "1 news demonstrations (1 new)" in result.output
    auto = runner.invoke(main, ["demos", "add", str(gold), "-w", str(tmp_path / "ws")])
    assert "1 news demonstrations (0 new)" in auto.output  # the labels pick the news preset
    listed = runner.invoke(main, ["demos", "list", "-w", str(tmp_path / "ws")])
    assert "news\tgold\tgold.jsonl\t1" in listed.output
    bad = runner.invoke(main, ["demos", "add", str(gold), "-w", str(tmp_path / "ws"), "--format", "spert"])
    assert bad.exit_code == 1 and "error:" in bad.output
