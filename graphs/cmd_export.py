"""``factloom export``: write the workspace's knowledge graph in a registered format (JSONL, ...)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from factloom.graphs.cli import user_errors
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
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: stdout).")
@user_errors
def export(workspace: Path, fmt: str, out: Path | None) -> None:
    """Write the knowledge graph (entities, relations, evidence with document offsets)."""
    from factloom.ingest.workspace import Workspace
    from factloom.tools.kg_store import load_graph

    exporter = EXPORTERS[fmt]
    with Workspace(workspace, create=False) as ws:
        entities, relations = load_graph(ws)
    if out is None:
        exporter.write(entities, relations, sys.stdout)
        return
    tmp = out.with_name(out.name + ".partial")
    with tmp.open("w", encoding="utf-8") as f:
        n = exporter.write(entities, relations, f)
    tmp.replace(out)
    click.echo(f"{out}: {len(entities)} entities, {len(relations)} relations ({n} records)", err=True)
