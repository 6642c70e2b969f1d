"""``factloom demos add|list``: load annotated examples into the workspace's demonstration store."""

from __future__ import annotations

from pathlib import Path

import click

from factloom.graphs.chroma_option import chroma_url_option
from factloom.graphs.cli import user_errors
from factloom.graphs.lock_option import wait_option

FORMATS = ("auto", "jsonl", "spert", "scierc", "pubtator", "bioc", "redocred", "cuad")


@click.group("demos")
def demos() -> None:
    """Manage the demonstrations (annotated examples) retrieved as in-context examples."""


@demos.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-w", "--workspace", "workspace", required=True, type=click.Path(path_type=Path), help="Workspace folder."
)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True, help="Corpus format."
)
@click.option(
    "--schema",
    "schema_name",
    default="auto",
    show_default=True,
    help="Schema preset or YAML file; auto picks, per file, the preset that maps the most labels.",
)
@click.option("--limit", type=int, default=None, help="Read only the first N documents of each file.")
@wait_option
@chroma_url_option
@user_errors
def add(
    files: tuple[Path, ...],
    workspace: Path,
    fmt: str,
    schema_name: str,
    limit: int | None,
    wait: float,
    chroma_url: str | None,
) -> None:
    """Add the annotated examples of FILE... (gold JSONL or a supported corpus) as demonstrations."""
    from factloom.ingest.corpora import read_corpus
    from factloom.ingest.lock import workspace_lock
    from factloom.ingest.workspace import Workspace
    from factloom.tools.demos import DemoStore, demos_from_gold
    from factloom.tools.gold import best_preset
    from factloom.tools.schema import load_schema

    with Workspace(workspace, chroma_url=chroma_url) as ws, workspace_lock(ws, wait=wait):
        store = DemoStore(ws)
        for path in files:
            docs = read_corpus(path, fmt, limit=limit)
            schema = load_schema(best_preset(docs) if schema_name == "auto" else schema_name)
            found = demos_from_gold(docs, schema, source=path.name)
            new = store.add(found, schema.name)
            click.echo(
                f"{path.name}: {len(docs)} documents -> {len(found)} {schema.name} demonstrations ({new} new)"
            )
        click.echo(f"{store.count()} demonstrations in {workspace}")


@demos.command("list")
@click.option(
    "-w", "--workspace", "workspace", required=True, type=click.Path(path_type=Path), help="Workspace folder."
)
@user_errors
def list_demos(workspace: Path) -> None:
    """Show how many demonstrations the workspace holds, per schema and source file."""
    from factloom.ingest.workspace import Workspace
    from factloom.tools.demos import DemoStore

    with Workspace(workspace, create=False) as ws:
        store = DemoStore(ws)
        rows = store.summary()
        for schema_name, source, count in rows:
            click.echo(f"{schema_name}\t{source}\t{count}")
        click.echo(f"{store.count()} demonstrations")
