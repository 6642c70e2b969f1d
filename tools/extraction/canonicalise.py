"""Canonicalise an open extraction's types: each label it proposed, to the schema type it means.

An open extraction (``--schema open``) stores entity types and relation types as the labels the model
proposed (``company``, ``works_for``, ``is_employed_by``). ``canonicalise`` finds, for every distinct label of
a graph, the schema type whose texts are the most similar by the embeddings (the local MiniLM in production):
its name, its description, both together, and its aliases (for an induced schema, the labels behind the
type). A label equal to a type's name or alias (after snake_case normalisation) maps with similarity 1; a
label whose best similarity is under the threshold stays unmapped, never forced. ``apply_mapping`` rewrites a
graph: an entity takes its label's type; a relation takes its label's type only where the schema's domain and
range allow its head's and tail's (canonical) types, and keeps its label as ``phrase``. Ids are kept, so a
person's review of a fact still finds it. Everything is pure given ``embed``, and deterministic.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict

from factloom.tools.extraction.kg import Entity, Relation
from factloom.tools.extraction.schema import EntityType, RelationType, Schema, normalise_type
from factloom.tools.extraction.type_clusters import Embed, label_text

Kind = Literal["entity", "relation"]

THRESHOLD = 0.6
"""Cosine similarity (MiniLM) at which a label means a schema type, as ``type_clusters.THRESHOLD``. Against
``Work_For`` ("The person works for or is employed by the organisation.") and ``Live_In`` ("The person lives
in the location."): "works for" 0.79 and "is employed by" 0.66 to Work_For; "born in" 0.46 to Live_In (0.55
once Live_In has the alias "resides in"). Entity labels: "organization" 0.91, "company" 0.68 to organisation;
"city" 0.65 to location; "people" 0.62 to person; "team" 0.43 to organisation. Short phrases are similar
by their words more than their meaning ("born in" / "lives in" 0.58, "died in" / "lives in" 0.61), so
domain and range guard each fact and the report shows every similarity."""


class TypeMatch(BaseModel):
    """The schema type closest to one label of the extraction, and whether it is close enough."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    label: str
    count: int
    """Entities (or relations) of the graph with this label."""
    closest: str
    """The most similar schema type (empty when the schema has no type of this kind)."""
    similarity: float
    mapped: bool
    """``similarity`` reached the threshold: the label is taken as ``closest``."""


class Canonicalisation(BaseModel):
    """A mapping of an extraction's labels to a schema's types, with the schema (for domain and range)."""

    model_config = ConfigDict(frozen=True)

    target: Schema
    threshold: float
    matches: list[TypeMatch]

    def mapping(self, kind: Kind) -> dict[str, str]:
        """Return label -> schema type of the mapped labels of one kind."""
        return self._maps[kind]

    @cached_property
    def _maps(self) -> dict[Kind, dict[str, str]]:
        out: dict[Kind, dict[str, str]] = {"entity": {}, "relation": {}}
        for m in self.matches:
            if m.mapped:
                out[m.kind][m.label] = m.closest
        return out


def type_texts(t: EntityType | RelationType) -> list[str]:
    """Return the texts a label is compared with: name, description, both, aliases (no duplicates)."""
    name = label_text(t.name)
    texts = [name, t.description, f"{name}: {t.description}" if t.description else ""]
    texts += [label_text(a) for a in t.aliases]
    return [x for x in dict.fromkeys(texts) if x]


def _similarity(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _exact(types: Sequence[EntityType | RelationType]) -> dict[str, int]:
    """Return normalised name or alias -> index of its type (the first type listed wins)."""
    out: dict[str, int] = {}
    for i, t in enumerate(types):
        for key in (t.name, *t.aliases):
            out.setdefault(normalise_type(key), i)
    return out


def match_labels(
    counts: Mapping[str, int],
    kind: Kind,
    types: Sequence[EntityType | RelationType],
    embed: Embed,
    threshold: float = THRESHOLD,
) -> list[TypeMatch]:
    """Return each label's closest type of ``types`` (ordered by count, then label).

    The similarity of a label and a type is the best over the type's ``type_texts``; ties go to the type
    listed first. A label equal to a type's name or alias (normalised) is that type, with similarity 1.
    """
    labels = sorted(counts, key=lambda x: (-counts[x], x))
    if not labels or not types:
        return [
            TypeMatch(kind=kind, label=x, count=counts[x], closest="", similarity=0.0, mapped=False)
            for x in labels
        ]
    texts = [(i, text) for i, t in enumerate(types) for text in type_texts(t)]
    vectors = embed([label_text(x) for x in labels] + [text for _, text in texts])
    label_vectors, text_vectors = vectors[: len(labels)], vectors[len(labels) :]
    exact = _exact(types)
    out = []
    for label, vector in zip(labels, label_vectors, strict=True):
        best: dict[int, float] = {}
        for (i, _), other in zip(texts, text_vectors, strict=True):
            best[i] = max(best.get(i, -1.0), _similarity(vector, other))
        if normalise_type(label) in exact:
            best[exact[normalise_type(label)]] = 1.0
        top = max(best, key=lambda i: (best[i], -i))
        score = round(best[top], 4)
        out.append(
            TypeMatch(
                kind=kind,
                label=label,
                count=counts[label],
                closest=types[top].name,
                similarity=score,
                mapped=score >= threshold,
            )
        )
    return out


def canonicalise(
    entities: Sequence[Entity],
    relations: Sequence[Relation],
    schema: Schema,
    embed: Embed,
    threshold: float = THRESHOLD,
) -> Canonicalisation:
    """Match every entity type and relation type of a graph to ``schema``'s types (see the module)."""
    entity_counts = Counter(e.type for e in entities)
    relation_counts = Counter(r.type for r in relations)
    matches = [
        *match_labels(entity_counts, "entity", schema.entity_types, embed, threshold),
        *match_labels(relation_counts, "relation", schema.relation_types, embed, threshold),
    ]
    return Canonicalisation(target=schema, threshold=threshold, matches=matches)


def canonical_relation_type(
    canon: Canonicalisation, label: str, head_type: str, tail_type: str
) -> str | None:
    """Return the schema type a relation labelled ``label`` takes, between entities of these (canonical)
    types; None when its label is unmapped or the schema's domain or range refuses the pair."""
    target = canon.mapping("relation").get(label)
    if target is None or not canon.target.allows(head_type, target, tail_type):
        return None
    return target


def apply_mapping(
    entities: Sequence[Entity], relations: Sequence[Relation], canon: Canonicalisation
) -> tuple[list[Entity], list[Relation]]:
    """Return the graph with canonical types (see the module); the inputs are not changed."""
    entity_map = canon.mapping("entity")
    relation_map = canon.mapping("relation")
    out_entities = [
        e.model_copy(update={"type": entity_map[e.type]}) if entity_map.get(e.type, e.type) != e.type else e
        for e in entities
    ]
    type_of = {e.entity_id: e.type for e in out_entities}
    out_relations = []
    for r in relations:
        target = None
        if r.type in relation_map:
            target = canonical_relation_type(canon, r.type, type_of.get(r.head, ""), type_of.get(r.tail, ""))
        if target is None or target == r.type:
            out_relations.append(r)
        else:
            out_relations.append(r.model_copy(update={"type": target, "phrase": r.type}))
    return out_entities, out_relations


def refused(before: Sequence[Relation], after: Sequence[Relation], canon: Canonicalisation) -> Counter[str]:
    """Return, per mapped label, the relations ``apply_mapping`` left as they were (domain or range)."""
    relation_map = canon.mapping("relation")
    return Counter(
        b.type
        for b, a in zip(before, after, strict=True)
        if b.type in relation_map and relation_map[b.type] != b.type and a.type == b.type
    )
