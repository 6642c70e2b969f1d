"""``factloom eval``'s engine with a scripted LLM: wiring, offset mapping, demo isolation, the CLI.

The scripted model answers with the gold annotations it finds in the prompt, so a correct harness
must score them as perfect; this checks ingestion, offset mapping and scoring, never quality.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from factloom.graphs.cli import main
from factloom.graphs.eval.run import EvalSpec, evaluate
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.corpora import GoldDoc, read_corpus
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.gold import to_schema
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.scripted import ScriptedLLM

NEWS = load_schema("news")
N_SCORED = 3


@pytest.fixture(scope="module")
def conll(shared_data: Path) -> tuple[str, list[GoldDoc]]:
    path = shared_data / "conll04/dev_triples.json"
    docs, _ = to_schema(read_corpus(path), NEWS)
    return str(path), docs[: N_SCORED + 12]  # 3 scored, 12 as the demonstration pool


def _gold_answers(docs: list[GoldDoc]):
    def names(doc: GoldDoc) -> dict[str, str]:
        return {e.id: e.mentions[0].text for e in doc.entities}

    def doc_in(messages) -> GoldDoc | None:
        text = messages[-1].content
        return next((d for d in docs[:N_SCORED] if d.text in text), None)

    def entities(messages, output):
        doc = doc_in(messages)
        return {
            "entities": [{"text": e.mentions[0].text, "type": e.type} for e in doc.entities] if doc else []
        }

    def relations(messages, output):
        doc = doc_in(messages)
        rels = doc.relations if doc else ()
        n = names(doc) if doc else {}
        return {
            "reasoning": "",
            "relations": [
                {"head": n[r.head], "type": r.type, "tail": n[r.tail], "evidence": doc.text} for r in rels
            ],
        }

    def single(messages, output):
        doc = doc_in(messages)
        n = names(doc) if doc else {}
        return {
            **entities(messages, output),
            "relations": [
                {"head": n[r.head], "type": r.type, "tail": n[r.tail]} for r in (doc.relations if doc else ())
            ],
        }

    def verdicts(messages, output):
        k = messages[-1].content.count("Fact:")
        return {
            "verdicts": [
                {"fact": i, "rationale": "the evidence states it", "verdict": "supported", "confidence": 0.9}
                for i in range(1, k + 1)
            ]
        }

    return {
        "entity_finder": entities,
        "relation_reasoner": relations,
        "verifier": verdicts,
        "single_prompt": single,
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, conll: tuple[str, list[GoldDoc]]) -> dict:
    """Evaluate both systems once on the 3 scored sentences; keep each report, the demos and the calls."""
    import asyncio

    from factloom.tools.llm.cache import CachedLLM

    path, docs = conll
    options = ExtractOptions(resume=False, cross_chunk_pairs=0)
    out = {}
    for system in ("single-prompt", "factloom"):
        with Workspace(tmp_path_factory.mktemp(system)) as ws:
            spec = EvalSpec(path, "spert", system, N_SCORED, 12, options)
            scripted = ScriptedLLM(_gold_answers(docs))
            ticks: list[tuple[int, int]] = []

            def tick(done: int, total: int, ticks: list = ticks) -> None:
                ticks.append((done, total))

            llm = CachedLLM(scripted, ws)
            report = asyncio.run(evaluate(ws, spec, docs, NEWS, llm, None, tick))
            ws.ensure_tables("CREATE TABLE IF NOT EXISTS demos (body TEXT)")
            stored = [json.loads(r[0])["text"] for r in ws.db.execute("SELECT body FROM demos")]
        out[system] = (report, stored, scripted, ticks)
    return out


@pytest.mark.parametrize("system", ["single-prompt", "factloom"])
def test_gold_answers_score_perfectly(runs: dict, system: str) -> None:
    report = runs[system][0]
    assert report["n_docs"] == N_SCORED
    assert report["entity"]["r"] == 1.0 and report["entity"]["p"] == 1.0
    assert report["relation_strict"]["f1"] == 1.0
    assert report["relation_strict"]["f1_ci"] == [1.0, 1.0]
    assert report["llm_calls"] >= N_SCORED and report["prompt_tokens"] > 0
    assert set(report) >= {
        "system",
        "relation_boundaries",
        "completion_tokens",
        "seconds",
        "model",
        "profile",
    }
    assert report["relation_confusion"]["other_type"] == 0


def test_report_keeps_per_document_counts_so_systems_pair(runs: dict) -> None:
    """Two systems scored on the same documents can be compared with a paired bootstrap."""
    from factloom.graphs.eval.report import compare

    factloom, single = runs["factloom"][0], runs["single-prompt"][0]
    assert len(factloom["per_doc"]["doc_ids"]) == N_SCORED
    assert factloom["per_doc"]["doc_ids"] == single["per_doc"]["doc_ids"]
    assert compare(factloom, single, "relation_strict") == {"diff": 0.0, "ci": [0.0, 0.0], "n": N_SCORED}
    assert compare(factloom, {"per_doc": {"doc_ids": ["x"]}}, "entity") is None


def test_report_gives_calls_per_agent_drops_and_progress(runs: dict) -> None:
    factloom, single = runs["factloom"][0], runs["single-prompt"][0]
    assert set(factloom["usage_by_agent"]) >= {"entity_finder", "relation_reasoner"}
    assert sum(u["calls"] for u in factloom["usage_by_agent"].values()) == factloom["llm_calls"]
    assert list(single["usage_by_agent"]) == ["single_prompt"]
    assert set(factloom["drop_stages"]) >= {"grounding", "schema", "verifier", "invalid_output"}
    assert runs["factloom"][3][-1] == (N_SCORED, N_SCORED)


def test_every_system_gets_the_same_demonstrations(runs: dict, conll: tuple[str, list[GoldDoc]]) -> None:
    """Regression: the baseline had one invented example while factloom had four retrieved ones."""
    report, stored, scripted, _ = runs["factloom"]
    assert report["demonstrations"] == len(stored) > 0
    assert not {d.text for d in conll[1][:N_SCORED]} & set(stored)
    assert runs["single-prompt"][0]["demonstrations"] == report["demonstrations"]

    def shown(llm: ScriptedLLM, agent: str) -> list[list[str]]:
        """Per call, the stored demonstration texts its example turns carry, in order."""
        turns = [[m.content for m in c.messages[1:-1] if m.role == "user"] for c in llm.calls_of(agent)]
        return [[d for t in call for d in stored if d in t] for call in turns]

    finder = shown(scripted, "entity_finder")
    baseline = shown(runs["single-prompt"][2], "single_prompt")
    assert len(baseline) == N_SCORED and all(len(turns) == 4 for turns in baseline)
    assert baseline == finder  # same texts, same order: the same retrieval


def test_labels_are_the_corpus_own(runs: dict) -> None:
    labels = runs["single-prompt"][0]["labels"]
    assert set(labels["relations"]) == {"live_in", "orgbased_in", "work_for", "located_in", "kill"}


def test_cli_resolution_task_reports_json(shared_data: Path) -> None:
    corpus = shared_data / "bc5cdr/CDR_DevelopmentSet.PubTator.txt"
    result = CliRunner().invoke(main, ["eval", str(corpus), "--task", "resolution", "--limit", "3", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["task"] == "resolution" and report["documents"] == 3
    assert report["methods"][0]["bcubed"]["f1"] > 0


def test_cli_bad_corpus_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[{"tokens": 3}]')
    result = CliRunner().invoke(main, ["eval", str(bad), "--format", "spert"])
    assert result.exit_code == 1 and "field 'tokens' should be list" in result.output
