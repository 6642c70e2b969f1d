"""``demos synth``'s engine: demonstrations written for a schema, or drawn from the collection's own chunks.

- ``synth_from_schema``: the demonstration writer (``agents.demo_synth``) sees a few of the workspace's
  chunks as style examples; what passes its checks is stored with origin ``synthetic``.
- ``synth_from_collection``: documents are extracted with the verifier on (``graphs.extract``), and the
  passages whose every fact was verified with high confidence (``agents.demo_collection``) are stored
  with origin ``self``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from factloom.agents.context import AgentContext
from factloom.agents.demo_collection import MIN_CONFIDENCE, demonstrations_from_document
from factloom.agents.demo_synth import SynthReport, style_examples, synthesize
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.errors import FactloomError
from factloom.ingest.store import get_chunks, list_documents
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.demos import DemoStore
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import LLM, Usage

log = logging.getLogger(__name__)

STYLE_EXAMPLES = 6


class SynthError(FactloomError):
    """Demonstrations cannot be made: an empty workspace, or a schema without types to write for."""


def check_schema(schema: Schema) -> None:
    """Raise ``SynthError`` unless the schema names entity types to write examples for."""
    if schema.open or not schema.entity_types:
        raise SynthError(
            f"schema {schema.name}: demonstrations are written for named types; an open schema has none "
            "(write a schema YAML, or induce one: factloom schema induce)"
        )


def style_texts(ws: Workspace) -> list[str]:
    """Return a few chunk texts spread over the workspace's documents, as the writer's style examples.

    Raises:
        SynthError: the workspace holds no documents (the writer would have no style to follow).
    """
    chunks = get_chunks(ws)
    if not chunks:
        raise SynthError(
            f"{ws.root}: no documents to take the writing style from; ingest a few of the collection's "
            f"documents first (factloom ingest FILES -w {ws.root})"
        )
    return style_examples([c.text for c in chunks], STYLE_EXAMPLES)


async def synth_from_schema(
    ws: Workspace,
    schema: Schema,
    llm: LLM,
    options: ExtractOptions,
    n: int,
    progress: Callable[[int, int], None] | None = None,
    max_attempts: int | None = None,
) -> tuple[SynthReport, int]:
    """Write, check and store up to ``n`` synthetic demonstrations; return the report and how many are new.

    At most ``max_attempts`` passages are written (3 ``n`` by default).
    """
    check_schema(schema)
    style = style_texts(ws)
    store = DemoStore(ws, schema.name)
    known = [d.text for _, name, _, d in store.items() if name == schema.name]
    ctx = AgentContext(llm=llm, schema=schema, settings=replace(options.settings(), verify=True))
    report = await synthesize(ctx, style, n, known=known, progress=progress, max_attempts=max_attempts)
    new = store.add(report.demos, schema.name, origin="synthetic") if report.demos else 0
    return report, new


@dataclass
class CollectionDemos:
    """What ``synth_from_collection`` did: documents read, demonstrations kept, and the cost."""

    documents: int = 0
    demos: int = 0
    new: int = 0
    usage: Usage = field(default_factory=Usage)


async def synth_from_collection(
    ws: Workspace,
    schema: Schema,
    llm: LLM,
    options: ExtractOptions,
    n: int,
    progress: Callable[[int, int], None] | None = None,
    min_confidence: float = MIN_CONFIDENCE,
) -> CollectionDemos:
    """Extract documents in turn (verifier on) until ``n`` verified passages are stored (origin ``self``)."""
    from factloom.graphs.extract import extract_document

    check_schema(schema)
    docs = list_documents(ws)
    if not docs:
        style_texts(ws)  # raises the empty-workspace error
    strict = replace(options, verify=True, self_annotation=False)
    store = DemoStore(ws, schema.name)
    out = CollectionDemos()
    for info in docs:
        if out.demos >= n:
            break
        graph = await extract_document(ws, info.doc_id, schema, llm, strict)
        found = demonstrations_from_document(
            info.doc_id, graph.entities, graph.relations, graph.mentions, min_confidence
        )[: n - out.demos]
        out.documents += 1
        out.demos += len(found)
        out.new += store.add(found, schema.name, origin="self") if found else 0
        out.usage = out.usage + graph.stats.usage
        if progress is not None:
            progress(out.demos, out.documents)
    return out
