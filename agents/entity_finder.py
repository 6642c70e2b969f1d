"""Entity finder: chunk + schema + retrieved demonstrations -> typed mentions grounded in the text.

It reads either the whole chunk in one call or, for small models (``unit="sentences"``), windows of a few
whole sentences, each with its own retrieved demonstrations (sentences like the ones in annotated corpora),
in concurrent calls. The model lists each entity once, quoting it; every quote is grounded in the text
(exact, normalised, then fuzzy) and each further exact occurrence of the grounded text becomes a mention.
Ungrounded and off-schema mentions are dropped and counted.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from typing import TypedDict

from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field

from factloom.agents.context import AgentContext
from factloom.agents.demos_prompt import entity_demo_messages
from factloom.agents.facts import Counts, Drop, add_counts, count
from factloom.agents.schema_prompt import entity_types_text
from factloom.ingest.models import Chunk, Page, page_at
from factloom.ingest.sentences import sentence_bounds
from factloom.tools.errors import LLMOutputError
from factloom.tools.extraction.demos import Demonstration
from factloom.tools.extraction.grounding import ground
from factloom.tools.extraction.kg import Mention
from factloom.tools.extraction.output_models import clause_types_of, entity_output_model, entity_types_of
from factloom.tools.extraction.schema import Schema, normalise_type
from factloom.tools.llm.base import CallTag, Message, Sampling, Usage

log = logging.getLogger(__name__)

AGENT = "entity_finder"
MAX_MENTIONS = 16
"""The most mentions of one answer unless the settings say otherwise (``AgentSettings.max_mentions``)."""
MAX_MENTION_WORDS = 8
"""A longer quote is a phrase or a sentence, not a name (small models copy whole sentences); clause types
(``span: clause``) are passages and have no such limit."""
SAMPLING = Sampling(max_tokens=512)

SYSTEM_TEMPLATE = """\
You find named entities in a text.
Entity types:
{entity_types}
Rules: copy each entity exactly as it is written in the text; list each distinct entity once; \
use only the types above; skip pronouns and generic words.
Reply with JSON: {{"entities": [{{"text": "...", "type": "..."}}]}}"""

USER_TEMPLATE = "Text:\n{text}"


class EntityFinderInput(BaseModel):
    """One chunk to read, and the pages of its document (to attribute mentions to pages)."""

    model_config = ConfigDict(frozen=True)

    chunk: Chunk
    pages: list[Page] = Field(default_factory=list)


class EntityFinderUpdate(TypedDict):
    """What the entity finder writes to the graph state."""

    mentions: list[Mention]
    drops: Counts
    usage: Usage


def build_messages(chunk: Chunk, schema: Schema, demos: Sequence[Demonstration]) -> list[Message]:
    """Return the prompt: a schema-only system prefix, demonstrations, then the chunk."""
    system = SYSTEM_TEMPLATE.format(entity_types=entity_types_text(schema))
    return [
        Message(role="system", content=system),
        *entity_demo_messages(demos, USER_TEMPLATE),
        Message(role="user", content=USER_TEMPLATE.format(text=chunk.text)),
    ]


def _checked_type(raw: str, schema: Schema) -> str | None:
    if raw in schema.entity_names:
        return raw
    if schema.open:
        return normalise_type(raw) or None
    return None


def _occurrences(chunk: Chunk, surface: str) -> list[int]:
    """Return the document offsets of every whole-word exact occurrence of ``surface`` in the chunk."""
    pattern = re.compile(rf"(?<!\w){re.escape(surface)}(?!\w)")
    return [chunk.start + m.start() for m in pattern.finditer(chunk.text)]


def check_mentions(
    items: list[tuple[str, str]], chunk: Chunk, pages: list[Page], schema: Schema, threshold: float
) -> tuple[list[Mention], Counts]:
    """Ground and type-check ``(quote, type)`` pairs; return mentions (sorted, unique) and drop counts.

    A span keeps the first type proposed for it: the same words typed twice is a contradiction, not two
    entities.
    """
    found: dict[tuple[int, int], Mention] = {}
    drops: list[Drop] = []
    clauses = set(schema.clause_names)
    for quote, raw_type in items:
        if raw_type not in clauses and (len(quote.split()) > MAX_MENTION_WORDS or ". " in quote.strip()):
            drops.append(Drop.MENTION_SHAPE)
            continue
        type_ = _checked_type(raw_type, schema)
        if type_ is None:
            drops.append(Drop.MENTION_SCHEMA)
            continue
        span = ground(chunk.text, chunk.start, quote, threshold=threshold)
        if span is None:
            drops.append(Drop.MENTION_GROUNDING)
            continue
        surface = chunk.text[span.start - chunk.start : span.end - chunk.start]
        if (span.start, span.end) in found:  # listed twice; with another type it contradicts itself
            if found[span.start, span.end].type != type_:
                drops.append(Drop.MENTION_SCHEMA)
            continue
        for start in {span.start, *_occurrences(chunk, surface)}:
            found.setdefault(
                (start, start + len(surface)),
                _mention(chunk, pages, start, start + len(surface), surface, type_),
            )
    mentions = sorted(found.values(), key=lambda m: (m.start, m.end, m.type))
    return mentions, count(drops)


def _mention(chunk: Chunk, pages: list[Page], start: int, end: int, text: str, type_: str) -> Mention:
    return Mention(
        mention_id=Mention.make_id(chunk.doc_id, start, end, type_),
        doc_id=chunk.doc_id,
        chunk_id=chunk.chunk_id,
        start=start,
        end=end,
        text=text,
        type=type_,
        page=page_at(pages, start),
    )


def reading_windows(chunk: Chunk, max_chars: int) -> list[Chunk]:
    """Return ``chunk`` cut into windows of whole sentences, each at most ``max_chars`` long.

    A sentence longer than ``max_chars`` is a window of its own. Windows keep the chunk's id, so mentions
    found in them belong to the chunk; their offsets are the window's place in the document.
    """
    groups: list[tuple[int, int]] = []
    for start, end in sentence_bounds(chunk.text):
        if groups and end - groups[-1][0] <= max_chars:
            groups[-1] = (groups[-1][0], end)
        else:
            groups.append((start, end))
    return [
        chunk.model_copy(update={"start": chunk.start + s, "end": chunk.start + e, "text": chunk.text[s:e]})
        for s, e in groups
    ]


async def _read(unit: Chunk, pages: list[Page], ctx: AgentContext) -> tuple[list[Mention], Counts, Usage]:
    """Ask the model for the entities of one unit of text (a chunk or a window); ground and check them."""
    settings = ctx.settings
    demos: list[Demonstration] = []
    if ctx.demos is not None and settings.k_demos > 0:
        demos = ctx.demos.retrieve(unit.text, settings.k_demos, settings.demo_token_budget)
    output = entity_output_model(
        entity_types_of(ctx.schema), settings.max_mentions, clause_types_of(ctx.schema)
    )
    messages = build_messages(unit, ctx.schema, demos)
    tag = CallTag(agent=AGENT, doc_id=unit.doc_id)
    try:
        completion = await ctx.llm.complete(messages, output, sampling=SAMPLING, tag=tag)
    except LLMOutputError as e:
        log.warning("%s: chunk %s: unusable model output, no mentions: %s", AGENT, unit.chunk_id, e)
        return [], count([Drop.INVALID_OUTPUT]), e.usage
    items = [(e.text, e.type) for e in completion.value.entities]
    mentions, drops = check_mentions(items, unit, pages, ctx.schema, settings.fuzzy_threshold)
    return mentions, drops, completion.usage


async def find_entities(inp: EntityFinderInput, runtime: Runtime[AgentContext]) -> EntityFinderUpdate:
    """Find, ground and type-check the entity mentions of one chunk (a LangGraph node)."""
    ctx = runtime.context
    units = [inp.chunk]
    if ctx.settings.unit == "sentences":
        units = reading_windows(inp.chunk, ctx.settings.window_chars) or units
    results = await asyncio.gather(*(_read(unit, inp.pages, ctx) for unit in units))
    found: dict[tuple[int, int], Mention] = {}
    drops: Counts = {}
    usage = Usage()
    for mentions, unit_drops, unit_usage in results:
        for m in mentions:
            found.setdefault((m.start, m.end), m)
        drops = add_counts(drops, unit_drops)
        usage = usage + unit_usage
    mentions = sorted(found.values(), key=lambda m: (m.start, m.end, m.type))
    log.debug("%s: chunk %s: %d mentions, dropped %s", AGENT, inp.chunk.chunk_id, len(mentions), drops)
    return {"mentions": mentions, "drops": drops, "usage": usage}
