"""The table branch of the extraction graph: each table chunk is read as one unit by the table agents.

::

    table_entities [find_table_entities -> record]        (instead of the entity finder)
    table_relations [reason_table -> verify_table -> record]  (instead of reason -> verify)

A chunk is a table unit when it holds a table and at most its caption (``agents.table_unit``); such
chunks are sent here, every other chunk takes the prose path. The results are recorded in the job table
exactly as a prose chunk's are.
"""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Send

from factloom.agents.facts import Counts, Fact, add_counts
from factloom.agents.table_entities import find_table_entities
from factloom.agents.table_facts import TableCandidate
from factloom.agents.table_relations import reason_table
from factloom.agents.table_unit import TableUnit
from factloom.agents.verifier import verify_table
from factloom.graphs import extract_jobs as jobs
from factloom.graphs.extract_options import ExtractContext
from factloom.graphs.state import ChunkEntitiesOutput, ChunkRelationsOutput
from factloom.ingest.models import Chunk, Page
from factloom.tools.extraction.kg import Mention
from factloom.tools.llm.base import Usage

ENTITIES = "table_entities"
RELATIONS = "table_relations"


class TableInput(TypedDict):
    """What a table branch starts from: the table's chunk, its unit and the document's pages."""

    chunk: Chunk
    unit: TableUnit
    pages: list[Page]


class TableEntitiesState(TableInput, total=False):
    """The state of one table's entity finding."""

    mentions: list[Mention]
    drops: Annotated[Counts, add_counts]
    usage: Annotated[Usage, operator.add]


class TableRelationsInput(TableInput):
    """What one table's relation branch starts from: also the mentions in the table and its caption."""

    mentions: list[Mention]


class TableRelationsState(TableRelationsInput, total=False):
    """The state of one table's relation reasoning and verification."""

    candidates: list[TableCandidate]
    accepted: Annotated[list[Fact], operator.add]
    drops: Annotated[Counts, add_counts]
    usage: Annotated[Usage, operator.add]


def send_table_entities(chunk: Chunk, unit: TableUnit, pages: list[Page]) -> Send:
    """Return the message that sends one table chunk to the table entity finder."""
    return Send(ENTITIES, TableInput(chunk=chunk, unit=unit, pages=pages))


def send_table_relations(chunk: Chunk, unit: TableUnit, pages: list[Page], mentions: list[Mention]) -> Send:
    """Return the message that sends one table chunk, with the mentions of the whole table, to its reasoner.

    A table cut over several chunks is reasoned about chunk by chunk, with the mentions of all its chunks
    (the header's entities are found in its first chunk only).
    """
    inside = [m for m in mentions if unit.start <= m.start and m.end <= unit.table.end]
    return Send(RELATIONS, TableRelationsInput(chunk=chunk, unit=unit, pages=pages, mentions=inside))


def table_entities_subgraph() -> CompiledStateGraph:
    """Return the entity branch of a table chunk."""
    g = StateGraph(
        TableEntitiesState,
        context_schema=ExtractContext,
        input_schema=TableInput,
        output_schema=ChunkEntitiesOutput,
    )
    g.add_node("find_table_entities", find_table_entities)
    g.add_node("record", jobs.record_entities)
    g.add_edge(START, "find_table_entities")
    g.add_edge("find_table_entities", "record")
    g.add_edge("record", END)
    return g.compile(name=ENTITIES)


def table_relations_subgraph() -> CompiledStateGraph:
    """Return the relation branch of a table chunk."""
    g = StateGraph(
        TableRelationsState,
        context_schema=ExtractContext,
        input_schema=TableRelationsInput,
        output_schema=ChunkRelationsOutput,
    )
    g.add_node("reason_table", reason_table)
    g.add_node("verify_table", verify_table)
    g.add_node("record", jobs.record_relations)
    g.add_edge(START, "reason_table")
    g.add_edge("reason_table", "verify_table")
    g.add_edge("verify_table", "record")
    g.add_edge("record", END)
    return g.compile(name=RELATIONS)
