"""``factloom export``: write the workspace's knowledge graph in a registered format (JSONL, ...)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from factloom.graphs.cli.shared import user_errors
from factloom.tools.export import EXPORTERS


@click.command("export")
@click.option(
    "-w", "--workspace", "workspace", required=True, type=click.Path(path_type=Path), help="Workspace folder."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(EXPORTERS)),
    default="jsonl",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--out", type=click.Path(path_type=Path), help="Output file, or folder for neo4j-csv (default: stdout)."
)
@click.option(
    "--to",
    "to",
    default=None,
    metavar="URL",
    help="Load into a graph database instead: falkordb://HOST:PORT/GRAPH or neo4j://[USER:PASS@]HOST:PORT.",
)
@click.option(
    "--verified-only",
    is_flag=True,
    help="Keep only relations the verifier checked and found supported. By default unverified relations "
    "are included and labelled; --verified-only drops them (entities are all kept).",
)
@user_errors
def export(workspace: Path, fmt: str, out: Path | None, to: str | None, verified_only: bool) -> None:
    """Write the knowledge graph (entities, relations, evidence with document offsets).

    Every relation carries its status: verified (the verifier found its evidence supports it) or
    unverified (no check ran, or the check failed to answer), with the agent that proposed it, the
    verifier's rationale, and how each quote was found in the text. Unverified relations are included
    and labelled; --verified-only drops them.
    """
    from factloom.ingest.workspace import Workspace
    from factloom.tools.store.view import load_graph
    from factloom.tools.store.view import verified_only as keep_verified

    exporter = EXPORTERS[fmt]
    with Workspace(workspace, create=False) as ws:
        entities, relations = load_graph(ws)
    if verified_only:
        kept = keep_verified(relations)
        click.echo(f"--verified-only: {len(relations) - len(kept)} unverified relations left out", err=True)
        relations = kept
    if to is not None:
        from factloom.tools.export.sinks import load_into

        loaded = load_into(to, entities, relations)
        click.echo(f"{loaded.target}: {loaded.nodes} entities, {loaded.edges} relations loaded", err=True)
        return
    if exporter.files is not None and out is not None:
        n = exporter.files(entities, relations, out)
        click.echo(f"{out}: {len(entities)} entities, {len(relations)} relations ({n} records)", err=True)
        return
    if out is None:
        exporter.write(entities, relations, sys.stdout)
        return
    tmp = out.with_name(out.name + ".partial")
    with tmp.open("w", encoding="utf-8") as f:
        n = exporter.write(entities, relations, f)
    tmp.replace(out)
    click.echo(f"{out}: {len(entities)} entities, {len(relations)} relations ({n} records)", err=True)
