"""``factloom schema induce``: learn a schema (entity and relation types) from a sample of the collection."""

from __future__ import annotations

from pathlib import Path

import click

from factloom.graphs.cli.shared import backend_config_from_options, backend_options, user_errors, wait_option
from factloom.ingest.errors import FactloomError


class InduceError(FactloomError):
    """No schema can be induced: an empty workspace, or nothing seen often enough."""


@click.group("schema")
def schema() -> None:
    """Learn an extraction schema from the collection."""


@schema.command("induce")
@click.option(
    "-w", "--workspace", "workspace", required=True, type=click.Path(path_type=Path), help="Workspace folder."
)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Schema YAML to write."
)
@click.option("--sample", type=click.IntRange(min=1), default=40, show_default=True, help="Chunks to read.")
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Leave out type labels proposed fewer times than this.",
)
@click.option(
    "--update",
    "existing",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A schema induced (and edited) before: its types are kept as written; types it does not cover "
    "are appended as commented proposals, never added silently.",
)
@backend_options
@wait_option
@user_errors
def induce(
    workspace: Path,
    out: Path,
    sample: int,
    min_count: int,
    existing: Path | None,
    wait: float,
    **backend: object,
) -> None:
    """Run open extraction on a sample of chunks, cluster the types found, and write them as a schema.

    Entity type labels and relation phrases are clustered by their embeddings (the local MiniLM); the
    model names each cluster and defines it in one line (a relation with its domain and range); clusters
    named alike are merged. The YAML has the presets' format, with each type's count, the labels behind
    it and example quotes as comments, for you to edit.
    """
    import asyncio
    from dataclasses import replace

    from tqdm import tqdm

    from factloom.agents.context import AgentContext
    from factloom.agents.schema_induce import OPEN, sample_chunks
    from factloom.agents.schema_induce import induce as run_induce
    from factloom.graphs.extract_options import ExtractOptions
    from factloom.ingest.embed import get_embedder
    from factloom.ingest.lock import workspace_lock
    from factloom.ingest.store import get_chunks
    from factloom.ingest.workspace import Workspace
    from factloom.tools.extraction.schema import load_schema
    from factloom.tools.extraction.schema_yaml import render, update
    from factloom.tools.llm.factory import make_llm, resolve_profile

    before = load_schema(existing) if existing is not None else None
    config = backend_config_from_options(**backend)
    config = replace(config, profile=resolve_profile(config))
    with Workspace(workspace, create=False) as ws, workspace_lock(ws, wait=wait):
        chunks = get_chunks(ws)
        if not chunks:
            raise InduceError(f"{workspace}: no documents to learn from; ingest some first (factloom ingest)")
        chosen = sample_chunks(chunks, sample)
        settings = ExtractOptions(profile=config.profile).settings()
        ctx = AgentContext(llm=make_llm(config, ws), schema=OPEN, settings=settings)
        with tqdm(total=len(chosen), desc="schema induce", unit="chunk", disable=None, leave=False) as bar:
            found, usage = asyncio.run(
                run_induce(
                    chosen,
                    ctx,
                    get_embedder().embed,
                    min_count=min_count,
                    progress=lambda k, _: bar.update(k - bar.n),
                )
            )
    if not found.entities:
        raise InduceError(
            f"no entity type was proposed at least {min_count} times in {len(chosen)} chunks; "
            "read more chunks (--sample) or lower --min-count"
        )
    if before is not None and existing is not None:
        text, proposals = update(existing.read_text(encoding="utf-8"), before, found)
        out.write_text(text, encoding="utf-8")
        click.echo(
            f"{out}: {len(before.entity_types)} entity and {len(before.relation_types)} relation types "
            f"kept as written; {len(proposals)} new types proposed as comments"
        )
    else:
        out.write_text(render(found, out.stem.replace("-", "_"), str(workspace)), encoding="utf-8")
        click.echo(f"{out}: {len(found.entities)} entity types, {len(found.relations)} relation types")
    click.echo(
        f"from {len(chosen)} chunks; {usage.calls} LLM calls, "
        f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens"
    )
