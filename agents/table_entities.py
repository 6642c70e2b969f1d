"""Table entity finder: a whole table (caption, header, rows) + schema -> typed mentions grounded in it.

A table is read in one call, whatever the profile's reading unit: cut into sentence windows, its rows
would lose their header. The prompt shows the table as the document text writes it (cells joined by
`` | ``, one row a line); quotes are grounded and type-checked as the entity finder does
(``agents.entity_finder.check_mentions``), in the table's chunk. The prompt points at the header line and
the caption: without it models list the row headers only and miss the groups the columns compare (a
drug per arm), which leaves the reasoner nothing to relate (bench/results/table_facts.md). The instruction
alone did not change that for Qwen2.5-1.5B; listing the column and row headers below the table, one line
each, did (Metformin and Placebo found on the sample table).
"""

from __future__ import annotations

import logging
import re
from typing import TypedDict

from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field

from factloom.agents.context import AgentContext
from factloom.agents.entity_finder import check_mentions
from factloom.agents.facts import Counts, Drop, count
from factloom.agents.schema_prompt import entity_types_text
from factloom.agents.table_unit import TableUnit
from factloom.ingest.models import Page
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.kg import Mention
from factloom.tools.extraction.output_models import clause_types_of, entity_output_model, entity_types_of
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import CallTag, Message, Sampling, Usage

log = logging.getLogger(__name__)

AGENT = "entity_finder"
"""Calls are tagged as the entity finder's: routing and accounting see one agent finding entities."""
MAX_TABLE_MENTIONS = 24
SAMPLING = Sampling(max_tokens=640)

SYSTEM_TEMPLATE = """\
You find named entities in a table. Rows are lines; cells are separated by " | "; the first line is \
the header.
Entity types:
{entity_types}
Entities stand in three places; read all three: the caption, the header line (column headers often \
name the groups compared: drugs, treatment arms, methods, datasets, parties) and the first cell of each \
row.
Rules: copy each entity exactly as it is written, without counts or units in brackets (for \
"Aspirin (n = 40)" write "Aspirin"); list each distinct entity once; use only the types above; skip \
numbers, units, statistics and generic words.
Reply with JSON: {{"entities": [{{"text": "...", "type": "..."}}]}}"""

USER_TEMPLATE = "Table:\n{table}\n\nColumn headers: {columns}\nRow headers: {rows}"


class TableEntitiesInput(BaseModel):
    """One table unit to read, and the pages of its document."""

    model_config = ConfigDict(frozen=True)

    unit: TableUnit
    pages: list[Page] = Field(default_factory=list)


class TableEntitiesUpdate(TypedDict):
    """What the table entity finder writes to the graph state."""

    mentions: list[Mention]
    drops: Counts
    usage: Usage


def build_messages(unit: TableUnit, schema: Schema) -> list[Message]:
    """Return the prompt: a schema-only system prefix, then the table."""
    return [
        Message(role="system", content=SYSTEM_TEMPLATE.format(entity_types=entity_types_text(schema))),
        Message(
            role="user",
            content=USER_TEMPLATE.format(
                table=unit.text(), columns=_listed(unit.column_labels()), rows=_listed(unit.row_labels())
            ),
        ),
    ]


def _listed(labels: dict[str, int]) -> str:
    """Return a table's column or row headers as one line, each once, without the numbers labels add."""
    headers = (_NUMBERED.sub("", label) for label in labels)
    return " | ".join(dict.fromkeys(h for h in headers if h and not _STAND_IN.fullmatch(h))) or "none"


_NUMBERED = re.compile(r" \((?:row|column) \d+\)$")
"""The suffix ``table_unit`` adds to a repeated header."""
_STAND_IN = re.compile(r"(?:row|column) \d+")
"""The label ``table_unit`` gives an empty header."""


async def find_table_entities(inp: TableEntitiesInput, runtime: Runtime[AgentContext]) -> TableEntitiesUpdate:
    """Find, ground and type-check the entity mentions of one table (a LangGraph node)."""
    ctx = runtime.context
    unit = inp.unit
    output = entity_output_model(
        entity_types_of(ctx.schema),
        max(MAX_TABLE_MENTIONS, ctx.settings.max_mentions),
        clause_types_of(ctx.schema),
    )
    tag = CallTag(agent=AGENT, doc_id=unit.chunk.doc_id)
    try:
        completion = await ctx.llm.complete(
            build_messages(unit, ctx.schema), output, sampling=SAMPLING, tag=tag
        )
    except LLMOutputError as e:
        log.warning(
            "table %d of %s: unusable model output, no mentions: %s", unit.index, unit.chunk.doc_id, e
        )
        return {"mentions": [], "drops": count([Drop.INVALID_OUTPUT]), "usage": e.usage}
    items = [(e.text, e.type) for e in completion.value.entities]
    mentions, drops = check_mentions(items, unit.chunk, inp.pages, ctx.schema, ctx.settings.fuzzy_threshold)
    log.debug("table %d of %s: %d mentions, dropped %s", unit.index, unit.chunk.doc_id, len(mentions), drops)
    return {"mentions": mentions, "drops": drops, "usage": completion.usage}
