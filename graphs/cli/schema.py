"""``factloom schema induce | canonicalise``: learn a schema from a sample of the collection, and map an open
extraction's types to a schema's."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from factloom.graphs.cli.shared import backend_config_from_options, backend_options, user_errors, wait_option
from factloom.ingest.errors import FactloomError
from factloom.tools.extraction.canonicalise import THRESHOLD

if TYPE_CHECKING:
    from factloom.tools.extraction.canonicalise import Canonicalisation


class InduceError(FactloomError):
    """No schema can be induced: an empty workspace, or nothing seen often enough."""


@click.group("schema")
def schema() -> None:
    """Learn an extraction schema from the collection; map open extraction to one."""


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


class CanonicaliseError(FactloomError):
    """Nothing to canonicalise: no open extraction in the workspace, or a schema without fixed types."""


@schema.command("canonicalise")
@click.argument("schema_file", metavar="SCHEMA")
@click.option(
    "-w", "--workspace", "workspace", required=True, type=click.Path(path_type=Path), help="Workspace folder."
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    default=THRESHOLD,
    show_default=True,
    help="Lowest similarity at which a phrase is taken as a schema type; phrases under it stay as extracted.",
)
@click.option("--dry-run", is_flag=True, help="Print the mapping; store nothing.")
@wait_option
@user_errors
def canonicalise(schema_file: str, workspace: Path, threshold: float, dry_run: bool, wait: float) -> None:
    """Map the open extraction's relation phrases and entity types to SCHEMA's types, without extracting.

    SCHEMA is a YAML file (e.g. one `schema induce` wrote and you edited) or a preset. Each phrase takes
    the schema type whose name, description and aliases are the most similar by the local MiniLM, when
    that similarity reaches --threshold; a relation keeps its phrase where the type's domain/range refuse
    its head or tail. Exports, questions, the web page and `stats` then show the schema types (JSONL keeps
    each phrase as `phrase`); a second run replaces the mapping.
    """
    from contextlib import nullcontext

    from factloom.ingest.embed import get_embedder
    from factloom.ingest.lock import workspace_lock
    from factloom.ingest.workspace import Workspace
    from factloom.tools.extraction.canonicalise import apply_mapping, refused
    from factloom.tools.extraction.canonicalise import canonicalise as match_types
    from factloom.tools.extraction.schema import load_schema
    from factloom.tools.store import canonical
    from factloom.tools.store.view import load_graph

    target = load_schema(schema_file)
    if target.open:
        raise CanonicaliseError(
            f"{schema_file}: an open schema has no fixed types to map to; pass a closed one"
        )
    with (
        Workspace(workspace, create=False) as ws,
        nullcontext() if dry_run else workspace_lock(ws, wait=wait),
    ):
        if not canonical.open_extraction(ws):
            raise CanonicaliseError(
                f"{workspace}: no open extraction to canonicalise; run `factloom extract --schema open` first"
            )
        entities, relations = load_graph(ws, raw=True)
        if not entities:
            raise CanonicaliseError(f"{workspace}: the open extraction found nothing yet; nothing to map")
        canon = match_types(entities, relations, target, get_embedder().embed, threshold)
        blocked = refused(relations, apply_mapping(entities, relations, canon)[1], canon)
        if not dry_run:
            canonical.save(ws, canon, schema_file)
    for line in _report(canon, blocked):
        click.echo(line)
    click.echo(
        "dry run: nothing stored" if dry_run else f"{workspace}: mapping stored (replaces any earlier one)"
    )


def _report(canon: Canonicalisation, blocked: Mapping[str, int]) -> list[str]:
    """Return the report's lines: per kind, the labels mapped (with similarity), then the unmapped ones."""
    lines = []
    for kind, unit, title in (
        ("entity", "entities", "entity types"),
        ("relation", "facts", "relation phrases"),
    ):
        matches = [m for m in canon.matches if m.kind == kind]
        mapped = [m for m in matches if m.mapped]
        lines.append(f"{title}: {len(mapped)} of {len(matches)} mapped (threshold {canon.threshold:.2f})")
        for m in mapped:
            kept = f"; {blocked[m.label]} kept as extracted (domain/range)" if blocked.get(m.label) else ""
            lines.append(f"  {m.label} -> {m.closest} ({m.similarity:.2f}), {m.count} {unit}{kept}")
        for m in (m for m in matches if not m.mapped):
            closest = f"; closest {m.closest} ({m.similarity:.2f})" if m.closest else ""
            lines.append(f"  unmapped: {m.label}, {m.count} {unit}{closest}")
    return lines
