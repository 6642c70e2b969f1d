"""Convert gold corpus labels to a schema's types (through the schema's ``aliases``).

Readers keep the corpus labels (``Peop``, ``USED-FOR``); evaluation and demonstrations need the
schema's names (``person``, ``used_for``). What the schema cannot express is dropped and counted.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace

from factloom.ingest.corpora import GoldDoc, GoldRelation
from factloom.tools.extraction.schema import Schema, normalise_type

log = logging.getLogger(__name__)


@dataclass
class Dropped:
    """Counts of gold labels a schema could not express."""

    entity_labels: Counter[str] = field(default_factory=Counter)
    relation_labels: Counter[str] = field(default_factory=Counter)

    def __bool__(self) -> bool:
        return bool(self.entity_labels or self.relation_labels)


def entity_type(schema: Schema, label: str) -> str | None:
    """Return the schema's entity type for a corpus label (open schemas keep any label, normalised)."""
    found = schema.entity_type_for_label(label)
    return found if found is not None or not schema.open else normalise_type(label) or None


def relation_type(schema: Schema, label: str) -> str | None:
    """Return the schema's relation type for a corpus label (open schemas keep any label, normalised)."""
    found = schema.relation_type_for_label(label)
    return found if found is not None or not schema.open else normalise_type(label) or None


def to_schema(docs: list[GoldDoc], schema: Schema) -> tuple[list[GoldDoc], Dropped]:
    """Return the documents with labels mapped to the schema's types, and what had to be dropped.

    An entity whose label does not map is dropped with its relations; a relation whose label does
    not map is dropped.
    """
    dropped = Dropped()
    converted = []
    for doc in docs:
        entities = []
        for ent in doc.entities:
            name = entity_type(schema, ent.type)
            if name is None:
                dropped.entity_labels[ent.type] += 1
                continue
            entities.append(replace(ent, type=name))
        kept = {e.id for e in entities}
        relations = []
        for rel in doc.relations:
            name = relation_type(schema, rel.type)
            if name is None or rel.head not in kept or rel.tail not in kept:
                dropped.relation_labels[rel.type] += 1
                continue
            relations.append(GoldRelation(rel.head, rel.tail, name))
        converted.append(doc.with_annotations(tuple(entities), tuple(relations)))
    if dropped:
        log.info(
            "schema %s cannot express: entities %s, relations %s",
            schema.name,
            dict(dropped.entity_labels),
            dict(dropped.relation_labels),
        )
    return converted, dropped


def best_preset(docs: list[GoldDoc]) -> str:
    """Return the preset whose aliases map the most gold labels of ``docs`` (the first one on a tie)."""
    from factloom.tools.extraction.schema import PRESETS, load_schema

    labels = [e.type for d in docs for e in d.entities] + [r.type for d in docs for r in d.relations]
    best, best_n = "open", 0
    for name in PRESETS:
        schema = load_schema(name)
        n = sum(1 for x in labels if (schema.entity_type_for_label(x) or schema.relation_type_for_label(x)))
        if n > best_n:
            best, best_n = name, n
    return best


def restrict_to_gold(schema: Schema, docs: list[GoldDoc]) -> Schema:
    """Return ``schema`` cut down to the entity and relation types the mapped gold ``docs`` use.

    Papers evaluate with the corpus's own label set: on ADE a system is offered ``adverse_effect`` and
    its two entity types, not every relation of the biomedical preset. ``docs`` must already carry the
    schema's type names (``to_schema``). Open schemas are returned unchanged (their label set is the
    model's to choose). Entity types named in a kept relation's domain or range are kept too, so the
    result stays a valid schema; the name is unchanged, the version (content hash) is not.
    """
    if schema.open:
        return schema
    used_entities = {e.type for d in docs for e in d.entities}
    used_relations = {r.type for d in docs for r in d.relations}
    relations = [r for r in schema.relation_types if r.name in used_relations]
    needed = used_entities | {t for r in relations for t in (*r.domain, *r.range)}
    entities = [t for t in schema.entity_types if t.name in needed]
    if not entities:
        return schema
    dropped = sorted(set(schema.entity_names) - needed) + sorted(set(schema.relation_names) - used_relations)
    log.info("schema %s restricted to the corpus's labels; not offered: %s", schema.name, dropped)
    return schema.model_copy(update={"entity_types": entities, "relation_types": relations})
