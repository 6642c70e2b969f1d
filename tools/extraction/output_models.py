"""Pydantic output models built from a schema, for constrained decoding.

The models are what an LLM must produce, not the domain model: small, flat and bounded (``maxItems``,
``maxLength``) so that grammars stay small and small models decode fast. Closed schemas turn types into
``Literal`` enums, so decoding can only produce legal types; open schemas take a free string that callers
normalise with ``tools.extraction.schema.normalise_type``.

Models are cached by their parameters: building one per call would defeat the backends' grammar caches.
"""

from __future__ import annotations

import functools
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from factloom.tools.extraction.schema import Schema

MAX_MENTION_CHARS = 60
MAX_CLAUSE_CHARS = 400
"""A clause mention (``span: clause`` types, e.g. the contracts preset's CUAD clauses) is one passage."""
MAX_EVIDENCE_CHARS = 200
MAX_REASONING_CHARS = 300
MAX_TYPE_CHARS = 40
# A capturing group on purpose: llama.cpp's JSON-schema converter (used by llama_cpp.server) rejects
# "(?:" and then silently falls back to unconstrained JSON.
MENTION_PATTERN = r"^\S+( \S+){0,5}$"
"""A mention is one to six words: decoding cannot wander into copying a whole sentence."""

Verdict = Literal["supported", "unsupported", "wrong_type"]
NONE_CHOICE = "none"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _enum(values: tuple[str, ...] | None, max_chars: int) -> Any:
    """Return a ``Literal`` of ``values``, or a bounded free string when ``values`` is None."""
    if values is None:
        return str, Field(min_length=1, max_length=max_chars)
    return Literal[values], ...  # type: ignore[valid-type]


def entity_types_of(schema: Schema) -> tuple[str, ...] | None:
    """Return the schema's entity type names, or None for an open schema without types."""
    return tuple(schema.entity_names) if not schema.open and schema.entity_names else None


def clause_types_of(schema: Schema) -> tuple[str, ...]:
    """Return the names of the schema's clause types (empty for an open schema)."""
    return tuple(schema.clause_names) if not schema.open else ()


def relation_types_of(schema: Schema) -> tuple[str, ...] | None:
    """Return the schema's relation type names, or None for an open schema without types."""
    return tuple(schema.relation_names) if not schema.open and schema.relation_names else None


@functools.lru_cache(maxsize=32)
def entity_output_model(
    types: tuple[str, ...] | None, max_items: int = 16, clause_types: tuple[str, ...] = ()
) -> type[BaseModel]:
    """Return the entity finder's output model: ``{"entities": [{"text", "type"}]}``.

    Args:
        types: the legal entity types (an enum), or None for free, normalised types.
        max_items: the most mentions one answer may hold.
        clause_types: those of ``types`` whose mentions are passages: their text may be a whole clause
            (up to ``MAX_CLAUSE_CHARS``), where a name is one to six words.
    """
    names = tuple(t for t in types if t not in clause_types) if types is not None else None
    items: list[Any] = []
    if names is None or names:
        items.append(
            create_model(
                "EntityItem",
                __base__=_Out,
                text=(str, Field(min_length=1, max_length=MAX_MENTION_CHARS, pattern=MENTION_PATTERN)),
                type=_enum(names, MAX_TYPE_CHARS),
            )
        )
    if clause_types:
        items.append(
            create_model(
                "ClauseItem",
                __base__=_Out,
                text=(str, Field(min_length=1, max_length=MAX_CLAUSE_CHARS)),
                type=(Literal[clause_types], ...),  # type: ignore[valid-type]
            )
        )
    item = items[0] if len(items) == 1 else Union[tuple(items)]  # noqa: UP007
    return create_model(
        "EntityFinderOutput",
        __base__=_Out,
        entities=(list[item], Field(default_factory=list, max_length=max_items)),  # type: ignore[valid-type]
    )


RelationChoice = tuple[str, tuple[str, ...], tuple[str, ...]]
"""A relation type with the mention texts that may be its head and its tail."""


def _relation_item(
    name: str, type_: Any, heads: tuple[str, ...], tails: tuple[str, ...], extra: dict[str, Any]
) -> type[BaseModel]:
    return create_model(
        name,
        __base__=_Out,
        head=(Literal[heads], ...),  # type: ignore[valid-type]
        type=type_,
        tail=(Literal[tails], ...),  # type: ignore[valid-type]
        **extra,
    )


def relation_item_type(
    choices: tuple[RelationChoice, ...] | None, mentions: tuple[str, ...], name: str, **extra: Any
) -> Any:
    """Return the type of one relation of an answer: head, type and tail, then the ``extra`` fields.

    With ``choices`` (closed schemas) it is a union with one model per legal relation type (``{name}{i}``),
    whose head and tail are enums over the mention texts its domain and range allow; without (open schemas)
    one model (``{name}Item``) with a free type and head and tail over all ``mentions``.
    """
    if choices is None:
        return _relation_item(f"{name}Item", _enum(None, MAX_TYPE_CHARS), mentions, mentions, extra)
    items = [
        _relation_item(f"{name}{i}", (Literal[rel], ...), heads, tails, extra)  # type: ignore[valid-type]
        for i, (rel, heads, tails) in enumerate(choices)
    ]
    return items[0] if len(items) == 1 else Union[tuple(items)]  # noqa: UP007


@functools.lru_cache(maxsize=256)
def reasoner_output_model(
    choices: tuple[RelationChoice, ...] | None,
    mentions: tuple[str, ...],
    *,
    cot: bool = True,
    max_items: int = 8,
) -> type[BaseModel]:
    """Return the relation reasoner's output model: short reasoning, then relations.

    With ``choices`` (closed schemas), each relation is one of the legal combinations: its head and tail
    are enums over the mentions whose types the relation's domain and range allow, so decoding cannot
    produce a relation the schema forbids. Without (open schemas), the type is a free string and head
    and tail range over all ``mentions``.

    Args:
        choices: per relation type, the legal head and tail mention texts; None for an open schema.
        mentions: the mention texts (unique, non-empty), used when ``choices`` is None.
        cot: put a short free-text ``reasoning`` field before the relations (chain of thought).
        max_items: the most relations one answer may hold.
    """
    if choices is None and not mentions:
        raise ValueError("a reasoner output model needs at least one mention")
    if choices == ():
        raise ValueError("a reasoner output model needs at least one legal relation")
    evidence = (str, Field(min_length=1, max_length=MAX_EVIDENCE_CHARS))
    item = relation_item_type(choices, mentions, "Relation", evidence=evidence)
    fields: dict[str, Any] = {}
    if cot:
        fields["reasoning"] = (str, Field(default="", max_length=MAX_REASONING_CHARS))
    fields["relations"] = (list[item], Field(default_factory=list, max_length=max_items))
    return create_model("RelationReasonerOutput", __base__=_Out, **fields)


MAX_RATIONALE_CHARS = 200


@functools.lru_cache(maxsize=64)
def verifier_output_model(n_facts: int) -> type[BaseModel]:
    """Return the verifier's output model: per numbered fact (1..n_facts) a short rationale, then a verdict.

    The rationale comes first so the verdict is decided after the model has written why.
    """
    if n_facts < 1:
        raise ValueError("a verifier output model needs at least one fact")
    item = create_model(
        "Judgement",
        __base__=_Out,
        fact=(int, Field(ge=1, le=n_facts)),
        rationale=(str, Field(min_length=1, max_length=MAX_RATIONALE_CHARS)),
        verdict=(Verdict, ...),
        confidence=(float, Field(ge=0.0, le=1.0)),
    )
    return create_model(
        "VerifierOutput",
        __base__=_Out,
        verdicts=(list[item], Field(default_factory=list, max_length=n_facts)),  # type: ignore[valid-type]
    )


def _letters(n_options: int) -> tuple[str, ...]:
    """Return the answer letters of a choice among ``n_options`` (A, B, ...)."""
    if not 1 <= n_options <= 26:
        raise ValueError("a choice needs between 1 and 26 options")
    return tuple(chr(ord("A") + i) for i in range(n_options))


@functools.lru_cache(maxsize=64)
def reasoned_choice_output_model(n_options: int) -> type[BaseModel]:
    """Return a multiple choice with a short rationale first: ``{"rationale", "answer", "confidence"}``."""
    return create_model(
        "ReasonedChoice",
        __base__=_Out,
        rationale=(str, Field(min_length=1, max_length=MAX_RATIONALE_CHARS)),
        answer=(Literal[_letters(n_options)], ...),  # type: ignore[valid-type]
        confidence=(float, Field(ge=0.0, le=1.0)),
    )


@functools.lru_cache(maxsize=64)
def choice_output_model(n_options: int) -> type[BaseModel]:
    """Return a multiple-choice output model: ``{"answer": "A" | "B" | ...}`` over ``n_options`` letters."""
    letters = _letters(n_options)
    return create_model("Choice", __base__=_Out, answer=(Literal[letters], ...))  # type: ignore[valid-type]
