"""Table relation reasoner: a whole table + its mentions -> relations, each resting on one cell.

The model answers with the relation (head, type, tail over the table's mention texts, as the schema's
domain and range allow) and the cell it reads it from: the row and the column by their labels (enums over
the table's row and column headers, ``agents.table_unit``) and the value copied as printed. Checking the
cell is the verifier's job (``agents.verifier.verify_table``); proposals naming unknown mentions or
relating a mention to itself are dropped and counted here.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Literal, TypedDict

from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field, create_model

from factloom.agents.context import AgentContext
from factloom.agents.facts import Counts, Drop, count
from factloom.agents.relation_reasoner import (
    legal_choices,
    mention_choices,
    mentions_by_text,
    resolve_proposal,
)
from factloom.agents.schema_prompt import relation_types_text
from factloom.agents.table_facts import AGENT, TableCandidate
from factloom.agents.table_unit import TableUnit
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.kg import Mention
from factloom.tools.extraction.output_models import MAX_REASONING_CHARS, RelationChoice, relation_item_type
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import CallTag, Message, Sampling, Usage

log = logging.getLogger(__name__)

MAX_TABLE_FACTS = 12
MAX_VALUE_CHARS = 60
SAMPLING = Sampling(max_tokens=900)

SYSTEM_TEMPLATE = """\
You read facts from a table. Rows are lines; cells are separated by " | "; the first line is the header.
Relation types (head -> tail):
{relation_types}
Each fact relates two listed entities and rests on one cell of the table: give the cell's row (the first \
cell of its line), its column (the header above it) and its value, copied exactly as printed.
Rules: head and tail must be listed entities named in that cell's row, its column or the caption; report \
only what the table states.
{answer_format}"""

ANSWER_FORMAT_COT = (
    "First write one short sentence of reasoning, then the facts. Reply with JSON: "
    '{"reasoning": "...", "facts": [{"head": "...", "type": "...", "tail": "...", "row": "...", '
    '"column": "...", "value": "..."}]}'
)
ANSWER_FORMAT_PLAIN = (
    'Reply with JSON: {"facts": [{"head": "...", "type": "...", "tail": "...", "row": "...", '
    '"column": "...", "value": "..."}]}'
)

USER_TEMPLATE = "Table:\n{table}\n\nEntities:\n{mentions}"


class TableReasonerInput(BaseModel):
    """One table unit and the mentions found in it (in its caption and all its rows)."""

    model_config = ConfigDict(frozen=True)

    unit: TableUnit
    mentions: list[Mention]


class TableReasonerUpdate(TypedDict):
    """What the table reasoner writes to the graph state."""

    candidates: list[TableCandidate]
    drops: Counts
    usage: Usage


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@functools.lru_cache(maxsize=64)
def table_output_model(
    choices: tuple[RelationChoice, ...] | None,
    mentions: tuple[str, ...],
    rows: tuple[str, ...],
    columns: tuple[str, ...],
    *,
    cot: bool = True,
    max_items: int = MAX_TABLE_FACTS,
) -> type[BaseModel]:
    """Return the table reasoner's output model: optional reasoning, then facts each naming its cell.

    With ``choices`` (closed schemas) each fact is one of the legal relation types with its legal heads and
    tails; without (open schemas) the type is a free string over all ``mentions``. Rows and columns are enums
    over the unit's labels, so decoding can only name a cell of the table.
    """
    if not rows or not columns:
        raise ValueError("a table output model needs at least one row and one column")
    item = relation_item_type(
        choices,
        mentions,
        "TableFact",
        row=(Literal[rows], ...),  # type: ignore[valid-type]
        column=(Literal[columns], ...),  # type: ignore[valid-type]
        value=(str, Field(min_length=1, max_length=MAX_VALUE_CHARS)),
    )
    fields: dict[str, Any] = {}
    if cot:
        fields["reasoning"] = (str, Field(default="", max_length=MAX_REASONING_CHARS))
    fields["facts"] = (list[item], Field(default_factory=list, max_length=max_items))
    return create_model("TableReasonerOutput", __base__=_Out, **fields)


def build_messages(unit: TableUnit, mentions: list[Mention], schema: Schema, *, cot: bool) -> list[Message]:
    """Return the prompt: a schema-only system prefix, then the table and its entities."""
    system = SYSTEM_TEMPLATE.format(
        relation_types=relation_types_text(schema),
        answer_format=ANSWER_FORMAT_COT if cot else ANSWER_FORMAT_PLAIN,
    )
    types = {m.text: m.type for m in mentions}
    listed = "\n".join(f"- {text} ({types[text]})" for text in mention_choices(mentions))
    return [
        Message(role="system", content=system),
        Message(role="user", content=USER_TEMPLATE.format(table=unit.text(), mentions=listed)),
    ]


def check_proposals(
    items: list[tuple[str, str, str, str, str, str]],
    mentions: list[Mention],
    schema: Schema,
    reasoning: str = "",
) -> tuple[list[TableCandidate], Counts]:
    """Turn ``(head, type, tail, row, column, value)`` proposals into candidates; drop and count bad ones."""
    by_text = mentions_by_text(mentions)
    out: dict[tuple[str, ...], TableCandidate] = {}
    drops: list[Drop] = []
    for head_text, raw_type, tail_text, row, column, value in items:
        resolved = resolve_proposal(head_text, raw_type, tail_text, by_text, schema)
        if isinstance(resolved, Drop):
            drops.append(resolved)
            continue
        head, type_, tail = resolved
        cand = TableCandidate(
            head=head, type=type_, tail=tail, row=row, column=column, value=value, reasoning=reasoning
        )
        out.setdefault((head.text, type_, tail.text, row, column), cand)
    return list(out.values()), count(drops)


async def reason_table(inp: TableReasonerInput, runtime: Runtime[AgentContext]) -> TableReasonerUpdate:
    """Propose the relations one table states, each with its cell (a LangGraph node)."""
    ctx = runtime.context
    empty: TableReasonerUpdate = {"candidates": [], "drops": {}, "usage": Usage()}
    rows, columns = tuple(inp.unit.row_labels()), tuple(inp.unit.column_labels())
    choices = legal_choices(inp.mentions, ctx.schema)
    if len(mention_choices(inp.mentions)) < 2 or choices == () or not rows or not columns:
        return empty
    output = table_output_model(choices, mention_choices(inp.mentions), rows, columns, cot=ctx.settings.cot)
    messages = build_messages(inp.unit, inp.mentions, ctx.schema, cot=ctx.settings.cot)
    tag = CallTag(agent=AGENT, doc_id=inp.unit.chunk.doc_id)
    try:
        completion = await ctx.llm.complete(messages, output, sampling=SAMPLING, tag=tag)
    except LLMOutputError as e:
        log.warning("table %d of %s: unusable model output: %s", inp.unit.index, inp.unit.chunk.doc_id, e)
        return {"candidates": [], "drops": count([Drop.INVALID_OUTPUT]), "usage": e.usage}
    value = completion.value
    items = [(f.head, f.type, f.tail, f.row, f.column, f.value) for f in value.facts]
    candidates, drops = check_proposals(items, inp.mentions, ctx.schema, getattr(value, "reasoning", ""))
    log.debug("table %d of %s: %d candidates", inp.unit.index, inp.unit.chunk.doc_id, len(candidates))
    return {"candidates": candidates, "drops": drops, "usage": completion.usage}
