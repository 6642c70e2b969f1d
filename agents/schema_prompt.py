"""Render a schema as compact prompt text (types, descriptions, guidelines, domain and range).

The text depends only on the schema, so it is byte-identical across chunks and servers' prefix caches
serve it.
"""

from __future__ import annotations

from factloom.tools.extraction.schema import EntityType, RelationType, Schema

OPEN_ENTITY_TYPES = (
    "Choose a short snake_case type for each entity (for example person, organization, location, "
    "chemical, disease, method, date)."
)
OPEN_RELATION_TYPES = "Choose a short snake_case relation type (for example works_for, treats, part_of)."


MAX_EXAMPLES = 3


def _entity_line(t: EntityType) -> str:
    line = f"- {t.name}: {t.description}".rstrip(": ")
    if t.span == "clause":
        line += " (Copy the whole clause as the entity text.)"
    if t.guidelines:
        line += " " + " ".join(t.guidelines)
    if t.examples:
        line += " Examples: " + "; ".join(t.examples[:MAX_EXAMPLES]) + "."
    return line


def _relation_line(r: RelationType) -> str:
    head = "/".join(r.domain) or "any"
    tail = "/".join(r.range) or "any"
    line = f"- {r.name} ({head} -> {tail}): {r.description}".rstrip(": ")
    if r.guidelines:
        line += " " + " ".join(r.guidelines)
    return line


def entity_types_text(schema: Schema) -> str:
    """Return the entity types block of a prompt."""
    if not schema.entity_types:
        return OPEN_ENTITY_TYPES
    lines = [_entity_line(t) for t in schema.entity_types]
    if schema.open:
        lines.append("Other types are allowed when none of these fits.")
    return "\n".join(lines)


def relation_types_text(schema: Schema) -> str:
    """Return the relation types block of a prompt."""
    if not schema.relation_types:
        return OPEN_RELATION_TYPES
    return "\n".join(_relation_line(r) for r in schema.relation_types)
