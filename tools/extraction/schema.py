"""The extraction schema: entity and relation types with descriptions, guidelines and constraints.

A schema is a YAML file (or a preset shipped in ``factloom/tools/presets``)::

    name: news
    entity_types:
      - name: person
        description: A named human being.
        guidelines: [Do not annotate pronouns.]
    relation_types:
      - name: work_for
        description: The person is employed by the organization.
        domain: [person]
        range: [organization]
        functional: false
        symmetric: false

``open: true`` lets the model propose types (normalised to snake_case).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from factloom.tools.errors import SchemaError

PRESETS = ("news", "science", "biomed", "contracts", "open")


class EntityType(BaseModel):
    """One entity type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    span: Literal["name", "clause"] = Field(
        "name", description="name: a short name (a few words); clause: a passage (a clause or a sentence)"
    )
    description: str = ""
    guidelines: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list, description="labels of this type in annotated corpora")


class RelationType(BaseModel):
    """One relation type, with its allowed head (domain) and tail (range) entity types."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    guidelines: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    domain: list[str] = Field(default_factory=list, description="allowed head types; empty = any")
    range: list[str] = Field(default_factory=list, description="allowed tail types; empty = any")
    functional: bool = Field(False, description="one tail expected per head (conflicts are flagged)")
    symmetric: bool = False
    aliases: list[str] = Field(default_factory=list, description="labels of this type in annotated corpora")


class Schema(BaseModel):
    """A set of entity and relation types."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "custom"
    description: str = ""
    open: bool = False
    entity_types: list[EntityType] = Field(default_factory=list)
    relation_types: list[RelationType] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_references(self) -> Schema:
        names = [t.name for t in self.entity_types]
        if len(set(names)) != len(names):
            raise ValueError(f"entity type names repeat: {sorted(n for n in names if names.count(n) > 1)}")
        rel_names = [r.name for r in self.relation_types]
        if len(set(rel_names)) != len(rel_names):
            raise ValueError("relation type names repeat")
        known = set(names)
        for rel in self.relation_types:
            unknown = [t for t in (*rel.domain, *rel.range) if t not in known]
            if unknown and not self.open:
                raise ValueError(f"relation {rel.name!r} names unknown entity types {unknown}")
        if not self.open and not self.entity_types:
            raise ValueError("a closed schema needs at least one entity type (or set open: true)")
        return self

    @property
    def entity_names(self) -> list[str]:
        """Return the entity type names in schema order."""
        return [t.name for t in self.entity_types]

    @property
    def clause_names(self) -> list[str]:
        """Return the names of the entity types whose mentions are passages (``span: clause``)."""
        return [t.name for t in self.entity_types if t.span == "clause"]

    @property
    def relation_names(self) -> list[str]:
        """Return the relation type names in schema order."""
        return [r.name for r in self.relation_types]

    def relation(self, name: str) -> RelationType | None:
        """Return the relation type called ``name``."""
        return next((r for r in self.relation_types if r.name == name), None)

    def allows(self, head_type: str, relation: str, tail_type: str) -> bool:
        """Return whether (head type, relation, tail type) is legal under this schema."""
        rel = self.relation(relation)
        if rel is None:
            return self.open
        return (not rel.domain or head_type in rel.domain) and (not rel.range or tail_type in rel.range)

    def entity_type_for_label(self, label: str) -> str | None:
        """Map a corpus label (e.g. ``Peop``) to this schema's entity type name."""
        return _match_label(label, [(t.name, t.aliases) for t in self.entity_types])

    def relation_type_for_label(self, label: str) -> str | None:
        """Map a corpus label (e.g. ``Work_For``) to this schema's relation type name."""
        return _match_label(label, [(r.name, r.aliases) for r in self.relation_types])

    def version(self) -> str:
        """Return a content hash of the schema, used to invalidate finished work when it changes."""
        import hashlib

        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]


def normalise_type(name: str) -> str:
    """Normalise a proposed type name to snake_case (open mode)."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def _match_label(label: str, candidates: list[tuple[str, list[str]]]) -> str | None:
    key = normalise_type(label)
    for name, aliases in candidates:
        if key == normalise_type(name) or key in {normalise_type(a) for a in aliases}:
            return name
    return None


def load_schema(name_or_path: str | Path) -> Schema:
    """Load a preset by name or a schema YAML file.

    Raises:
        SchemaError: the file is missing, not YAML, or breaks the schema rules; the message names the
            line (for YAML errors) or the field.
    """
    text, origin = _read_schema_text(name_or_path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SchemaError(f"{origin}:{_yaml_where(text, e)} not valid YAML ({_yaml_problem(e)})") from e
    except (ValueError, RecursionError) as e:  # an impossible date ("2001-02-30"), nesting too deep
        raise SchemaError(f"{origin}: not a usable YAML value ({type(e).__name__}: {e})") from e
    if not isinstance(data, dict):
        raise SchemaError(f"{origin}: expected a mapping with entity_types and relation_types")
    try:
        return Schema.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(_field_part(p) for p in first["loc"]) or "(top level)"
        line = _line_of(text, first["loc"])
        where = f" line {line}," if line else ""
        raise SchemaError(f"{origin}:{where} field {field}: {' '.join(first['msg'].split())}") from e


def _read_schema_text(name_or_path: str | Path) -> tuple[str, str]:
    name = str(name_or_path)
    if name in PRESETS:
        ref = resources.files("factloom.tools.extraction").joinpath("presets", f"{name}.yaml")
        return ref.read_text(encoding="utf-8"), f"preset {name}"
    path = Path(name)
    if not path.is_file():
        raise SchemaError(f"{name}: no such schema file or preset (presets: {', '.join(PRESETS)})")
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except UnicodeDecodeError as e:
        raise SchemaError(f"{path}: not a UTF-8 text file") from e


def _field_part(part: object) -> str:
    """Return one part of an error's field path, quoted when it is not a plain name (``'a b'``)."""
    text = str(part)
    return text if re.fullmatch(r"\w+", text) else repr(text)


def _yaml_where(text: str, error: yaml.YAMLError) -> str:
    """Return `` line L, column C:`` of a YAML error (empty when PyYAML gives no position)."""
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        return f" line {mark.line + 1}, column {mark.column + 1}:"
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, error.position) + 1
        return f" line {line}, column {error.position - text.rfind(chr(10), 0, error.position)}:"
    return ""


def _yaml_problem(error: yaml.YAMLError) -> str:
    """Return the problem of a YAML error as one line."""
    if isinstance(error, yaml.reader.ReaderError):
        code = error.character if isinstance(error.character, int) else ord(error.character[:1] or " ")
        return f"unacceptable character #x{code:04x}"
    problem = getattr(error, "problem", None) or str(error)
    return " ".join(str(problem).split())


def _line_of(text: str, loc: tuple[object, ...]) -> int | None:
    """Return the line of the deepest YAML node on the path ``loc`` (keys and list indexes)."""
    try:
        node = yaml.compose(text)
    except (yaml.YAMLError, RecursionError):
        return None
    line = None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == key), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line
