"""Checks of a written demonstration: what keeps a passage, and why one is rejected (no LLM here).

A candidate is checked the way extraction output is, and any failure rejects the whole passage (a
half-annotated example teaches the model to miss things):

- shape: a passage of at most ``MAX_PASSAGE_CHARS`` characters, not copied from a text of the collection,
  not a duplicate of one already kept; invented names not taken from the collection, not reused;
- entities: every quote grounded in the passage, of a schema type, name-shaped
  (``agents.entity_finder.check_mentions``);
- relations: head and tail are annotated entities, the schema's domain/range allows the pair
  (``agents.relation_reasoner.check_candidates``), both are named in one evidence sentence
  (``agents.verifier.check_evidence``); the LLM verifier's judgement comes after (``agents.demo_synth``);
- target: the passage states the fact it was written for;
- completeness: no capitalised word outside a sentence start is left out of the entities (a name the
  annotation omits would teach the model to omit such names).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from factloom.agents.entity_finder import check_mentions
from factloom.agents.facts import Rejection
from factloom.agents.relation_reasoner import check_candidates
from factloom.agents.verifier import check_evidence
from factloom.agents.verifier_judge import Statement
from factloom.ingest.chunking import sentence_bounds as chunk_sentences
from factloom.ingest.models import Chunk
from factloom.ingest.sentences import sentence_span
from factloom.tools.extraction.demos import (
    MAX_PASSAGE_CHARS,
    DemoEntity,
    Demonstration,
    DemoRelation,
    shares_sentence,
)
from factloom.tools.extraction.kg import Mention
from factloom.tools.extraction.output_models import MAX_EVIDENCE_CHARS
from factloom.tools.extraction.schema import Schema

DOC_ID = "synthetic"
"""The document id of a written passage (it belongs to no document)."""

Reason = Literal[
    "shape",
    "copied",
    "duplicate",
    "entity",
    "relation_schema",
    "relation_unstated",
    "off_target",
    "unannotated",
    "verifier",
    "invalid_output",
]


@dataclass(frozen=True)
class Target:
    """What one passage is written to state: a relation type or an entity type of the schema.

    ``types`` are the entity types of the names invented for it (head and tail, or the one entity).
    """

    kind: Literal["relation", "entity"]
    name: str
    types: tuple[str, ...]
    description: str = ""


def targets(schema: Schema) -> list[Target]:
    """Return one target per relation type, then one per entity type, in schema order."""
    first = schema.entity_names[0] if schema.entity_names else "entity"
    out = [
        Target("relation", r.name, ((r.domain or [first])[0], (r.range or [first])[0]), r.description)
        for r in schema.relation_types
    ]
    out += [Target("entity", t.name, (t.name,), t.description) for t in schema.entity_types]
    return out


def check_names(names: Sequence[str], style: Sequence[str], avoid: Sequence[str]) -> list[str] | Reason:
    """Return the invented names, or why they are unusable (copied from the style texts, or reused)."""
    clean = [" ".join(n.split()) for n in names]
    if any(not n for n in clean) or len({n.casefold() for n in clean}) < len(clean):
        return "shape"
    if any(n.casefold() in s.casefold() for n in clean for s in style):
        return "copied"
    if any(n.casefold() in {a.casefold() for a in avoid} for n in clean):
        return "duplicate"
    return clean


@dataclass
class Checked:
    """A candidate that passed the deterministic checks: the demonstration and the facts left to judge."""

    demo: Demonstration
    statements: list[Statement]


def check_passage(
    raw: Any,
    target: Target,
    schema: Schema,
    *,
    style: Sequence[str] = (),
    known: Collection[str] = (),
    names: Sequence[str] = (),
    threshold: float = 90.0,
) -> Checked | Reason:
    """Run the checks that need no LLM on one written passage; return it checked, or why it is rejected.

    ``names`` are the names the passage was asked to state its target fact about: they and the chosen fact
    are part of the annotation whether the model listed them or not (none: any fact of the target's type
    will do, from the model's own ``relations``).
    """
    text = " ".join(str(raw.text).split())
    chosen = _chosen(target, names)
    listed = [(e.text, e.type) for e in raw.entities]
    entities = listed + [e for e in chosen[0] if e[0] not in {x for x, _ in listed}]
    if not text or len(text) > MAX_PASSAGE_CHARS or not entities:
        return "shape"
    if any(shares_sentence(s, text) or shares_sentence(text, s) for s in style):
        return "copied"
    if " ".join(text.casefold().split()) in known:
        return "duplicate"
    chunk = Chunk(chunk_id=DOC_ID, doc_id=DOC_ID, index=0, start=0, end=len(text), text=text, page=1)
    surface: dict[str, Mention] = {}
    for quote, type_ in entities:
        found, drops = check_mentions([(quote, type_)], chunk, [], schema, threshold)
        if drops or not found:
            return "entity"
        first = min(found, key=lambda m: m.start)
        if surface.get(first.text, first).type != first.type:
            return "entity"  # the same words typed twice: a contradiction
        surface.setdefault(quote, first)
        surface.setdefault(first.text, first)
    mentions = list({m.mention_id: m for m in surface.values()}.values())
    proposed = [(r.head, r.type, r.tail) for r in getattr(raw, "relations", ())] + chosen[1]
    items = [
        (surface[h].text if h in surface else h, r, surface[t].text if t in surface else t, "")
        for h, r, t in dict.fromkeys(proposed)
    ]
    candidates, drops = check_candidates(items, mentions, schema)
    if drops or len(candidates) != len({i[:3] for i in items}):
        return "relation_schema"
    statements = []
    for cand in candidates:
        evidence = _evidence(text, cand.head, cand.tail)
        fact = check_evidence(cand.model_copy(update={"quote": evidence}), chunk, [], mentions, threshold)
        if len(evidence) > MAX_EVIDENCE_CHARS or isinstance(fact, Rejection):
            return "relation_unstated"
        statements.append(Statement(cand.head.text, cand.type, cand.tail.text, evidence, text))
    if _unannotated_name(text, mentions):
        return "unannotated"  # a name left out would teach the model to leave such names out
    if target.kind == "relation":
        stated = {(c.head.text, c.type, c.tail.text) for c in candidates}
        wanted = {(names[0], target.name, names[1])} if names else {(h, target.name, t) for h, _, t in stated}
    else:
        stated = {(m.text, m.type) for m in mentions}
        wanted = {(names[0], target.name)} if names else {(m, target.name) for m, _ in stated}
    if not wanted & stated:
        return "off_target"  # the chosen fact is not among those the passage states
    demo = Demonstration(
        text=text,
        entities=tuple(dict.fromkeys(DemoEntity(text=m.text, type=m.type) for m in mentions)),
        relations=tuple(DemoRelation(head=s.head, type=s.type, tail=s.tail) for s in statements),
        source=f"synth:{schema.name}#{target.name}",
    )
    return Checked(demo, statements)


_NAME = re.compile(r"\b[A-Z][\w.&'-]*")


def _unannotated_name(text: str, mentions: Sequence[Mention]) -> bool:
    """Return whether a capitalised word that does not start a sentence lies outside every entity."""
    starts = {s for s, _ in chunk_sentences(text)}
    covered = [(m.start, m.end) for m in mentions]
    for match in _NAME.finditer(text):
        if match.start() in starts or any(a <= match.start() < b for a, b in covered):
            continue
        return True
    return False


def _chosen(target: Target, names: Sequence[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """Return the entities and the relation of the fact a passage was asked to state (none without names)."""
    if not names:
        return [], []
    entities = list(zip(names, target.types, strict=False))
    if target.kind == "relation" and len(names) == 2:
        return entities, [(names[0], target.name, names[1])]
    return entities, []


def _evidence(text: str, head: Mention, tail: Mention) -> str:
    """Return the sentence(s) of ``text`` that hold both arguments (the evidence a demonstration shows)."""
    start, end = min(head.start, tail.start), max(head.end, tail.end)
    left, right = sentence_span(text, start, end)
    return text[left:right].strip()
