"""``factloom demos add|list|rm|synth``: the workspace's demonstrations (annotated, written or self-made)."""

from __future__ import annotations

from pathlib import Path

import click

from factloom.graphs.cli.shared import (
    backend_config_from_options,
    backend_options,
    chroma_url_option,
    corpus_format_option,
    user_errors,
    wait_option,
)
from factloom.tools.extraction.demos import ORIGINS


@click.group("demos")
def demos() -> None:
    """Manage the demonstrations (annotated examples) retrieved as in-context examples."""


@demos.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-w", "--workspace", "workspace", required=True, type=click.Path(path_type=Path), help="Workspace folder."
)
@corpus_format_option
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
    from factloom.tools.extraction.demos import DemoStore, demos_from_gold
    from factloom.tools.extraction.gold import best_preset
    from factloom.tools.extraction.schema import load_schema

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
@click.option(
    "--origin", type=click.Choice(ORIGINS), default=None, help="Only demonstrations of this origin."
)
@click.option("--each", is_flag=True, help="One line per demonstration: id, schema, origin, facts, text.")
@user_errors
def list_demos(workspace: Path, origin: str | None, each: bool) -> None:
    """Show the demonstrations per schema, origin (gold, synthetic, self) and source file."""
    from factloom.ingest.workspace import Workspace
    from factloom.tools.extraction.demos import DemoStore

    with Workspace(workspace, create=False) as ws:
        store = DemoStore(ws)
        if each:
            for demo_id, schema_name, got, d in store.items(origin):
                facts = f"{len(d.entities)} entities, {len(d.relations)} relations"
                click.echo(f"{demo_id[:12]}\t{schema_name}\t{got}\t{facts}\t{d.text[:80]}")
        for schema_name, got, source, count in store.summary():
            if origin in (None, got):
                click.echo(f"{schema_name}\t{got}\t{source}\t{count}")
        click.echo(f"{store.count()} demonstrations")


@demos.command("rm")
@click.argument("ids", nargs=-1)
@click.option(
    "-w", "--workspace", "workspace", required=True, type=click.Path(path_type=Path), help="Workspace folder."
)
@click.option("--origin", type=click.Choice(ORIGINS), default=None, help="Remove every one of this origin.")
@wait_option
@user_errors
def rm(ids: tuple[str, ...], workspace: Path, origin: str | None, wait: float) -> None:
    """Remove demonstrations by ID (or a unique prefix, as `list --each` shows) and/or by origin."""
    from factloom.ingest.lock import workspace_lock
    from factloom.ingest.workspace import Workspace
    from factloom.tools.extraction.demos import DemoStore

    if not ids and origin is None:
        raise click.UsageError("name demonstration IDs or an --origin to remove")
    with Workspace(workspace, create=False) as ws, workspace_lock(ws, wait=wait):
        store = DemoStore(ws)
        removed = store.remove(ids, origin)
        click.echo(f"{removed} demonstrations removed, {store.count()} left")


@demos.command("synth")
@click.option(
    "-w", "--workspace", "workspace", required=True, type=click.Path(path_type=Path), help="Workspace folder."
)
@click.option("--schema", "schema_name", required=True, help="Schema preset or YAML file.")
@click.option(
    "-n", "--n", "n", type=click.IntRange(min=1), default=40, show_default=True, help="Demonstrations wanted."
)
@click.option(
    "--from-collection",
    is_flag=True,
    help="Extract the workspace's documents (verifier on) and keep the passages whose every fact was "
    "verified with high confidence (origin self), instead of writing passages (origin synthetic).",
)
@backend_options
@wait_option
@user_errors
def synth(
    workspace: Path, schema_name: str, n: int, from_collection: bool, wait: float, **backend: object
) -> None:
    """Make demonstrations for a schema without annotated examples; each is checked before it is kept.

    For each schema type in turn the model invents new names, then writes one sentence stating a fact of
    that type about them, in the style of a few of the workspace's chunks; a passage is kept only when it
    copies no chunk, every entity quote is found in it, the relation fits the schema's domain/range and is
    named in one sentence, and the verifier finds it supported. The workspace must hold documents (the
    style to follow).
    """
    import asyncio
    from dataclasses import replace

    from tqdm import tqdm

    from factloom.graphs.demo_synth import check_schema, style_texts, synth_from_collection, synth_from_schema
    from factloom.graphs.extract_options import ExtractOptions
    from factloom.ingest.lock import workspace_lock
    from factloom.ingest.workspace import Workspace
    from factloom.tools.extraction.schema import load_schema
    from factloom.tools.llm.factory import make_llm, resolve_profile

    schema = load_schema(schema_name)
    config = backend_config_from_options(**backend)
    config = replace(config, profile=resolve_profile(config))
    options = ExtractOptions(profile=config.profile, concurrency=config.concurrency)
    check_schema(schema)
    with Workspace(workspace, create=False) as ws, workspace_lock(ws, wait=wait):
        style_texts(ws)  # an empty workspace fails here, before a model is loaded
        unit = "doc" if from_collection else "attempt"
        with tqdm(total=n, desc="demos synth", unit="demo", disable=None, leave=False) as bar:

            def step(kept: int, done: int) -> None:
                bar.update(kept - bar.n)
                bar.set_postfix_str(f"{done} {unit}s")

            llm = make_llm(config, ws)
            if from_collection:
                got = asyncio.run(synth_from_collection(ws, schema, llm, options, n, step))
                click.echo(
                    f"{got.documents} documents read -> {got.demos} verified passages kept "
                    f"({got.new} new, origin self); {got.usage.calls} LLM calls"
                )
            else:
                report, new = asyncio.run(synth_from_schema(ws, schema, llm, options, n, step))
                rejected = ", ".join(f"{k} {v}" for k, v in sorted(report.rejected.items())) or "none"
                click.echo(
                    f"{report.attempts} attempts -> {len(report.demos)} passages kept ({new} new, origin "
                    f"synthetic); rejected: {rejected}; {report.usage.calls} LLM calls"
                )
