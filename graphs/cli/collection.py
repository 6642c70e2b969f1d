"""``factloom resolve | merges list | merges undo | conflicts | stats``: the collection graph.

The extraction command builds the collection graph at its end by calling ``resolve_workspace``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from factloom.graphs.cli.shared import backend_options, chroma_url_option, user_errors, wait_option

if TYPE_CHECKING:
    from factloom.ingest.workspace import Workspace
    from factloom.tools.extraction.schema import Schema
    from factloom.tools.llm.base import LLM
    from factloom.tools.resolution.collection import BuildSummary

workspace_option = click.option(
    "-w", "--workspace", "workspace", required=True, type=click.Path(path_type=Path), help="Workspace folder."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def resolve_workspace(
    ws: Workspace, schema: Schema | None = None, llm: LLM | None = None, *, embeddings: bool = False
) -> BuildSummary:
    """Build the collection graph of ``ws``; ``llm`` (if given) judges the ambiguous pairs.

    Call it outside an event loop; from async code (e.g. at the end of extraction) await
    ``aresolve_workspace`` instead.
    """
    import asyncio

    return asyncio.run(aresolve_workspace(ws, schema, llm, embeddings=embeddings))


async def aresolve_workspace(
    ws: Workspace, schema: Schema | None = None, llm: LLM | None = None, *, embeddings: bool = False
) -> BuildSummary:
    """Judge the new ambiguous pairs with ``llm`` (in batches), then build the collection graph."""
    from factloom.agents.entity_judge import EntityJudge
    from factloom.tools.resolution.collection import build_collection, pending_questions, record_verdicts
    from factloom.tools.resolution.embed import entity_neighbours

    neighbours = entity_neighbours(ws) if embeddings else None
    pairs = pending_questions(ws, neighbours=neighbours) if llm is not None else []
    if pairs:
        record_verdicts(ws, pairs, await EntityJudge(llm).ajudge(pairs))
    summary = build_collection(ws, schema, neighbours=neighbours)
    return dataclasses.replace(summary, judged_pairs=len(pairs))


@click.command("resolve")
@workspace_option
@click.option("--schema", "schema_name", default=None, help="Schema preset or YAML file (for conflicts).")
@click.option(
    "--judge/--no-judge", default=False, show_default=True, help="Ask the LLM about ambiguous pairs."
)
@click.option("--embeddings", is_flag=True, help="Also block by nearest neighbours of entity embeddings.")
@chroma_url_option
@backend_options
@wait_option
@user_errors
def resolve(
    workspace: Path,
    schema_name: str | None,
    judge: bool,
    embeddings: bool,
    chroma_url: str | None,
    wait: float,
    **backend: object,
) -> None:
    """Merge the document graphs of the workspace into one collection graph."""
    from factloom.graphs.cli.shared import backend_config_from_options
    from factloom.ingest.lock import workspace_lock
    from factloom.ingest.workspace import Workspace
    from factloom.tools.extraction.schema import load_schema
    from factloom.tools.llm.factory import make_llm
    from factloom.tools.store.collection import stored_schema

    with Workspace(workspace, create=False, chroma_url=chroma_url) as ws, workspace_lock(ws, wait=wait):
        schema = load_schema(schema_name) if schema_name else stored_schema(ws)
        llm = make_llm(backend_config_from_options(**backend), ws) if judge else None  # type: ignore[arg-type]
        s = resolve_workspace(ws, schema, llm, embeddings=embeddings)
    click.echo(
        f"{s.documents} documents: {s.document_entities} document entities -> {s.entities} entities, "
        f"{s.relations} relations, {s.merges} merges, {s.conflicts} conflicts"
        + (f", {s.judged_pairs} pairs judged" if judge else "")
    )


@click.group("merges")
def merges() -> None:
    """List or undo the merges of entities across documents."""


@merges.command("list")
@workspace_option
@click.option("--all", "include_undone", is_flag=True, help="Also list the merges that were undone.")
@json_option
@user_errors
def list_merges(workspace: Path, include_undone: bool, as_json: bool) -> None:
    """Show every merge: its id, the merged entities with their documents, the score and the reason."""
    from factloom.ingest.workspace import Workspace
    from factloom.tools.store.collection import list_merges as read_merges

    with Workspace(workspace, create=False) as ws:
        found = read_merges(ws, include_undone=include_undone)
    if as_json:
        click.echo(json.dumps([m.model_dump() for m in found], indent=2, ensure_ascii=False))
        return
    for m in found:
        state = "  (undone)" if m.undone else ""
        click.echo(f"{m.merge_id}  {m.name!r}  score {m.score:.2f}{state}")
        for e in m.entities:
            click.echo(f"    {e.entity_id}  {e.name!r} [{e.type}] in {e.doc_id}")
        click.echo(f"    reason: {m.reason}")
    click.echo(f"{len(found)} merges")


@merges.command("undo")
@click.argument("merge_id")
@workspace_option
@wait_option
@user_errors
def undo(merge_id: str, workspace: Path, wait: float) -> None:
    """Split MERGE_ID back into its document entities; later rebuilds keep them apart."""
    from factloom.ingest.lock import workspace_lock
    from factloom.ingest.workspace import Workspace
    from factloom.tools.resolution.collection import undo_merge

    with Workspace(workspace, create=False) as ws, workspace_lock(ws, wait=wait):
        merge = undo_merge(ws, merge_id)
    click.echo(
        f"undone {merge.merge_id}: {len(merge.entities)} entities are separate again "
        f"({', '.join(repr(e.name) for e in merge.entities)})"
    )


@click.command("conflicts")
@workspace_option
@json_option
@user_errors
def conflicts(workspace: Path, as_json: bool) -> None:
    """Show functional relations with different values in different documents, with both sources."""
    from factloom.ingest.workspace import Workspace
    from factloom.tools.store.collection import list_conflicts

    with Workspace(workspace, create=False) as ws:
        found = list_conflicts(ws)
    if as_json:
        click.echo(json.dumps([c.model_dump() for c in found], indent=2, ensure_ascii=False))
        return
    for c in found:
        click.echo(f"{c.head_name!r} {c.type}: {len(c.values)} different values")
        for v in c.values:
            for ev in v.evidence:
                click.echo(f'    {v.tail_name!r}  [{ev.doc_id} p.{ev.page}] "{ev.quote}"')
    click.echo(f"{len(found)} conflicts")


@click.command("stats")
@workspace_option
@json_option
@user_errors
def stats(workspace: Path, as_json: bool) -> None:
    """Show documents, entities and relations by type, merges and conflicts."""
    from factloom.ingest.workspace import Workspace
    from factloom.tools.store.view import stats as read_stats

    with Workspace(workspace, create=False) as ws:
        s = read_stats(ws)
    if as_json:
        click.echo(s.model_dump_json(indent=2))
        return
    graph = (
        "collection graph"
        if s.collection_fresh
        else (
            "document graphs (collection graph out of date: run `factloom resolve`)"
            if s.collection_built
            else "document graphs (no collection graph yet: run `factloom resolve`)"
        )
    )
    click.echo(f"graph: {graph}")
    click.echo(f"documents: {s.documents}")
    click.echo(f"entities: {s.entities}")
    for name, n in s.entities_by_type.items():
        click.echo(f"    {name}: {n}")
    click.echo(f"relations: {s.relations}")
    for name, n in s.relations_by_type.items():
        click.echo(f"    {name}: {n}")
    click.echo(f"merges: {s.merges} ({s.merged_entities} document entities merged, {s.undone_merges} undone)")
    click.echo(f"conflicts: {s.conflicts}")
