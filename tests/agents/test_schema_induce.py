"""Schema induction: open extraction (scripted model), clustering with the real embedder, YAML out/update.

The scripted model stands in for open extraction and for naming; the clustering is the real MiniLM.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from factloom.agents.context import AgentContext, AgentSettings
from factloom.agents.schema_induce import AGENT, OPEN, induce, sample_chunks
from factloom.graphs.cli import main
from factloom.ingest.embed import get_embedder
from factloom.ingest.models import Chunk
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.schema import load_schema
from factloom.tools.extraction.schema_yaml import PROPOSALS_MARK, render, update
from factloom.tools.extraction.type_clusters import cluster_labels

TEXTS = [
    "Ann Lee works for Acme Corp. Ann Lee lives in Boston.",
    "Bob Roe is employed by Zenith Ltd. Bob Roe lives in Denver.",
    "Carl Diaz works for Acme Corp. Carl Diaz resides in Austin.",
    "Dana Kim is employed by Orbit Inc. Dana Kim resides in Boston.",
]
TYPES = {
    "Ann Lee": "person", "Bob Roe": "people", "Carl Diaz": "person", "Dana Kim": "people",
    "Acme Corp": "company", "Zenith Ltd": "organization", "Orbit Inc": "organization",
    "Boston": "city", "Denver": "city", "Austin": "city",
}  # fmt: skip
PHRASES = {
    "works for": "works_for",
    "is employed by": "employed_by",
    "lives in": "lives_in",
    "resides in": "resides_in",
}
NAMES = {
    "person": "person", "people": "person", "company": "organization", "city": "city",
    "works_for": "works_for", "employed_by": "works_for", "lives_in": "lives_in", "resides_in": "lives_in",
}  # fmt: skip


def _chunks(texts: list[str]) -> list[Chunk]:
    return [
        Chunk(chunk_id=f"c{i}", doc_id="d", index=i, start=0, end=len(t), text=t, page=1)
        for i, t in enumerate(texts)
    ]


def _entities(messages, output):
    text = messages[-1].content
    return {"entities": [{"text": n, "type": t} for n, t in TYPES.items() if n in text]}


def _relations(messages, output):
    text = messages[-1].content.split("\n\nEntities:")[0]
    found = []
    for sentence in text.replace("Text:\n", "").split(". "):
        names = [n for n in TYPES if n in sentence]
        for phrase, label in PHRASES.items():
            if phrase in sentence:
                subject = next((n for n in TYPES if n in text), names[0])
                found.append(
                    {"head": subject, "type": label, "tail": names[-1], "evidence": sentence.rstrip(".")}
                )
    return {"relations": found}


def _namer(messages, output):
    labels = messages[-1].content.split("\n")[0].removeprefix("Labels: ").split(", ")
    name = NAMES.get(labels[0], labels[0])
    return {"name": name, "description": f"The {name} type, said {len(labels)} ways."}


def _ctx():
    from factloom.tools.llm.scripted import ScriptedLLM

    llm = ScriptedLLM({"entity_finder": _entities, "relation_reasoner": _relations, AGENT: _namer})
    return AgentContext(llm=llm, schema=OPEN, settings=AgentSettings(unit="chunk")), llm


@pytest.fixture(scope="module")
def embed():
    return get_embedder().embed


def test_labels_that_mean_the_same_type_cluster_together(embed) -> None:
    counts = {"person": 10, "people": 3, "organization": 8, "company": 4, "city": 5, "date": 2}
    clusters = {c.labels for c in cluster_labels(counts, embed)}
    assert ("person", "people") in clusters and ("organization", "company") in clusters
    assert ("city",) in clusters and ("date",) in clusters


def test_induced_schema_names_merges_and_writes_a_loadable_yaml(embed, tmp_path: Path) -> None:
    ctx, llm = _ctx()
    steps = []
    found, usage = asyncio.run(induce(_chunks(TEXTS), ctx, embed, progress=lambda k, n: steps.append((k, n))))
    assert steps[-1] == (4, 4) and usage.calls == len(llm.calls)
    entities = {t.name: t for t in found.entities}
    assert set(entities) == {"person", "organization", "city"}
    assert set(entities["person"].labels) == {"person", "people"} and entities["person"].count == 8
    assert entities["organization"].labels == ("company", "organization")
    relations = {t.name: t for t in found.relations}
    assert set(relations) == {"works_for", "lives_in"}  # employed_by and resides_in merged by meaning
    assert set(relations["works_for"].labels) == {"works_for", "employed_by"}
    assert relations["works_for"].domain == ("person",) and relations["works_for"].range == ("organization",)
    assert relations["lives_in"].range == ("city",)
    # the namer was asked with the roles, so its definition can state them
    asked = [c.messages[-1].content for c in llm.calls_of(AGENT)]
    assert any("Head types: person" in a and "Tail types: organization" in a for a in asked)

    text = render(found, "jobs", "ws")
    path = tmp_path / "jobs.yaml"
    path.write_text(text)
    schema = load_schema(path)
    assert schema.allows("person", "works_for", "organization")
    assert "# 8 mentions; proposed as: people, person" in text
    assert '"Ann Lee works for Acme Corp' in text  # an example quote behind works_for
    assert schema.entity_type_for_label("people") == "person"  # labels become aliases


def test_update_keeps_the_edited_types_and_proposes_new_ones_as_comments(embed, tmp_path: Path) -> None:
    ctx, _ = _ctx()
    first, _ = asyncio.run(induce(_chunks(TEXTS[:2]), ctx, embed, min_count=1))
    path = tmp_path / "schema.yaml"
    edited = render(first, "jobs", "ws").replace("The person type, said", "A human being, said")
    path.write_text(edited)
    grown = [*TEXTS, "Eve Ng was treated with aspirin. Fay Ho was treated with ibuprofen."]
    TYPES.update({"Eve Ng": "person", "Fay Ho": "person", "aspirin": "drug", "ibuprofen": "drug"})
    try:
        ctx, _ = _ctx()
        second, _ = asyncio.run(induce(_chunks(grown), ctx, embed))
    finally:
        for name in ("Eve Ng", "Fay Ho", "aspirin", "ibuprofen"):
            TYPES.pop(name)
    text, proposals = update(edited, load_schema(path), second)
    assert text.startswith(edited.rstrip("\n"))  # the existing types, exactly as edited
    assert [p.name for p in proposals] == ["drug"]
    assert PROPOSALS_MARK in text and "#  - name: drug" in text
    path.write_text(text)
    assert load_schema(path).entity_names == [t.name for t in first.entities]  # nothing added silently
    again, _ = update(text, load_schema(path), second)
    assert again == text  # a re-run replaces its proposals instead of adding them twice
    assert yaml.safe_load(again)["name"] == "jobs"


def test_sample_spreads_over_the_collection() -> None:
    chunks = _chunks([f"t{i}" for i in range(10)])
    assert [c.chunk_id for c in sample_chunks(chunks, 3)] == ["c0", "c3", "c6"]
    assert len(sample_chunks(chunks, 20)) == 10


def test_induce_errors_are_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    Workspace(empty).close()
    bad = tmp_path / "bad.yaml"
    bad.write_text("entity_types: [\n")
    cases = [
        (["-w", str(empty), "--out", str(tmp_path / "o.yaml")], "no documents to learn from"),
        (["-w", str(tmp_path / "missing"), "--out", str(tmp_path / "o.yaml")], "no such workspace"),
        (["-w", str(empty), "--out", str(tmp_path / "o.yaml"), "--update", str(bad)], "not valid YAML"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(main, ["schema", "induce", *args])
        assert result.exit_code == 1 and message in result.output, result.output
    assert not (tmp_path / "o.yaml").exists()
