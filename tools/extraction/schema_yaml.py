"""Write an induced schema as YAML in the presets' format, with the evidence behind each type as comments.

``render`` writes a new schema file: each type carries a comment with how many mentions (or facts) it
covers, the labels the open extraction proposed for it, and example quotes; its ``aliases`` are those
labels, so a later induction (and ``demos add`` / gold mapping) recognises them. ``update`` keeps an
existing (possibly hand-edited) file as it is and appends the types it does not cover as a commented
block of proposals: nothing is added silently, and a re-run replaces the previous block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml

from factloom.tools.extraction.schema import Schema, normalise_type

PROPOSALS_MARK = "# --- proposed by factloom schema induce (not part of the schema; uncomment to add) ---"
MAX_EXAMPLE_CHARS = 80


@dataclass(frozen=True)
class InducedType:
    """One induced entity or relation type and the evidence behind it."""

    name: str
    description: str
    labels: tuple[str, ...]
    count: int
    examples: tuple[str, ...] = ()
    domain: tuple[str, ...] = ()
    range: tuple[str, ...] = ()


@dataclass(frozen=True)
class InducedSchema:
    """Entity and relation types induced from ``chunks`` chunks."""

    entities: list[InducedType] = field(default_factory=list)
    relations: list[InducedType] = field(default_factory=list)
    chunks: int = 0


def _comment(t: InducedType, unit: str) -> str:
    labels = ", ".join(t.labels)
    examples = "; ".join(f'"{_cut(x)}"' for x in t.examples)
    return f"# {t.count} {unit}; proposed as: {labels}" + (f"; e.g. {examples}" if examples else "")


def _cut(text: str) -> str:
    text = " ".join(text.replace('"', "'").split())
    return text if len(text) <= MAX_EXAMPLE_CHARS else text[: MAX_EXAMPLE_CHARS - 3] + "..."


def _item(t: InducedType, relation: bool) -> dict[str, object]:
    item: dict[str, object] = {"name": t.name, "description": t.description}
    if relation:
        item["domain"] = list(t.domain)
        item["range"] = list(t.range)
    item["aliases"] = [x for x in t.labels if x != t.name]
    return item


def _block(types: Sequence[InducedType], relation: bool, indent: str = "  ") -> list[str]:
    lines = []
    for t in types:
        lines.append(indent + _comment(t, "facts" if relation else "mentions"))
        dumped = yaml.safe_dump(
            [_item(t, relation)], sort_keys=False, allow_unicode=True, width=1000, default_flow_style=None
        )
        lines.extend(indent + line for line in dumped.rstrip("\n").splitlines())
    return lines


def render(induced: InducedSchema, name: str, source: str) -> str:
    """Return the YAML text of a new schema built from ``induced`` (checked to load as a schema)."""
    lines = [
        f"# Induced by `factloom schema induce` from {induced.chunks} chunks of {source}.",
        "# Counts and example quotes say what each type covers; edit names, descriptions and",
        "# domain/range freely, then use the file with --schema.",
        f"name: {name}",
        "description: " + yaml.safe_dump(f"Types induced from {source}.", width=1000).split("\n")[0],
        "open: false",
        "entity_types:",
        *_block(induced.entities, relation=False),
        "relation_types:" if induced.relations else "relation_types: []",
        *_block(induced.relations, relation=True),
    ]
    text = "\n".join(lines) + "\n"
    Schema.model_validate(yaml.safe_load(text))  # a bug here must not write a file the user cannot load
    return text


def _known(schema: Schema, relation: bool) -> dict[str, str]:
    """Return normalised name and alias -> type name of the existing schema."""
    types = schema.relation_types if relation else schema.entity_types
    out = {}
    for t in types:
        for key in (t.name, *t.aliases):
            out.setdefault(normalise_type(key), t.name)
    return out


def match(t: InducedType, known: dict[str, str]) -> str | None:
    """Return the existing type an induced one is (its name or one of its labels is a known name/alias)."""
    for key in (t.name, *t.labels):
        found = known.get(normalise_type(key))
        if found is not None:
            return found
    return None


def update(existing_text: str, existing: Schema, induced: InducedSchema) -> tuple[str, list[InducedType]]:
    """Return the existing file with the uncovered induced types appended as commented proposals.

    The existing types stay exactly as written. An induced relation's domain and range are given in the
    existing names where its entity types match existing ones. Returns the text and the proposals.
    """
    entity_known, relation_known = _known(existing, False), _known(existing, True)
    renamed = {t.name: match(t, entity_known) or t.name for t in induced.entities}
    new_entities = [t for t in induced.entities if match(t, entity_known) is None]
    new_relations = [
        InducedType(
            t.name,
            t.description,
            t.labels,
            t.count,
            t.examples,
            tuple(dict.fromkeys(renamed.get(x, x) for x in t.domain)),
            tuple(dict.fromkeys(renamed.get(x, x) for x in t.range)),
        )
        for t in induced.relations
        if match(t, relation_known) is None
    ]
    kept = existing_text.split(PROPOSALS_MARK)[0].rstrip("\n") + "\n"
    if not new_entities and not new_relations:
        return kept, []
    block = [PROPOSALS_MARK, f"# from {induced.chunks} chunks"]
    if new_entities:
        block += ["# entity_types:", *("#" + line for line in _block(new_entities, relation=False))]
    if new_relations:
        block += ["# relation_types:", *("#" + line for line in _block(new_relations, relation=True))]
    return kept + "\n" + "\n".join(block) + "\n", [*new_entities, *new_relations]
