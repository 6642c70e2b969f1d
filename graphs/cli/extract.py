"""``factloom extract`` (ingest what is new, then run the extraction graph) and ``factloom graph``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from factloom.graphs.cli.shared import (
    backend_config_from_options,
    backend_options,
    chroma_url_option,
    ray_options,
    ray_options_from,
    user_errors,
    wait_option,
)

if TYPE_CHECKING:
    from factloom.agents.context import ReadingUnit, RelationMode
    from factloom.graphs.distributed import RayOptions
    from factloom.graphs.extract_options import CollectionReport, DocumentGraph, ExtractOptions
    from factloom.ingest.workspace import Workspace
    from factloom.tools.extraction.schema import Schema
    from factloom.tools.llm.base import LLM
    from factloom.tools.llm.config import BackendConfig


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-w",
    "--workspace",
    "root",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Workspace.",
)
@click.option(
    "--schema", "schema_name", default="news", show_default=True, help="Schema preset or YAML file."
)
@click.option(
    "--demos",
    "demo_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Annotated examples to add as demonstrations first (repeatable; any `demos add` format).",
)
@click.option(
    "--k-demos",
    default=None,
    type=click.IntRange(min=0),
    help="Demonstrations per prompt [default: the profile's, 4].",
)
@click.option(
    "--cot/--no-cot", default=None, help="Reasoning before relations [default: the profile's: large only]."
)
@click.option(
    "--verifier/--no-verifier",
    default=None,
    help="The LLM judges each fact; without it relations are kept and labelled unverified "
    "[default: the profile's: small and large].",
)
@click.option(
    "--consolidation/--no-consolidation",
    default=True,
    show_default=True,
    help="Merge aliases and judge cross-chunk pairs.",
)
@click.option(
    "--relation-mode",
    type=click.Choice(["joint", "pairs"]),
    default=None,
    help="One call per chunk, or one multiple-choice call per mention pair in a sentence "
    "[default: the profile's: pairs for tiny and small, joint for large].",
)
@click.option(
    "--unit",
    type=click.Choice(["chunk", "sentences"]),
    default=None,
    help="What the entity finder reads per call: the whole chunk, or windows of a few sentences "
    "[default: the profile's: sentences for tiny and small, chunk for large].",
)
@click.option(
    "--verifier-model",
    default=None,
    metavar="MODEL",
    help="Run the verifier on another model than extraction (often a larger one): a GGUF file for the "
    "embedded backend, or a model name on the same server for openai/vllm.",
)
@click.option(
    "--self-annotation", is_flag=True, help="Keep verified high-confidence facts as demonstrations."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print documents, pages, chunks and the estimated LLM calls and tokens; call and write nothing.",
)
@click.option(
    "--budget-tokens",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Stop cleanly once N prompt + completion tokens are spent; the same command then resumes.",
)
@backend_options
@wait_option
@chroma_url_option
@ray_options
@user_errors
def extract(
    paths: tuple[str, ...],
    root: Path,
    schema_name: str,
    demo_files: tuple[Path, ...],
    k_demos: int | None,
    cot: bool | None,
    verifier: bool | None,
    consolidation: bool,
    relation_mode: RelationMode | None,
    unit: ReadingUnit | None,
    verifier_model: str | None,
    self_annotation: bool,
    wait: float,
    chroma_url: str | None,
    use_ray: bool,
    ray_address: str | None,
    workers: int | None,
    dry_run: bool,
    budget_tokens: int | None,
    **backend: object,
) -> None:
    """Ingest PATHS (what is new) and extract a cited knowledge graph from every document."""
    import asyncio
    from dataclasses import replace

    from factloom.graphs.extract_options import ExtractOptions
    from factloom.ingest.lock import workspace_lock
    from factloom.ingest.workspace import Workspace
    from factloom.tools.extraction.schema import load_schema
    from factloom.tools.llm.factory import make_llm, resolve_profile, verifier_config
    from factloom.tools.llm.routing import AgentRouter

    schema = load_schema(schema_name)
    config = backend_config_from_options(**backend)
    config = replace(config, profile=resolve_profile(config))  # the GGUF header is read once
    options = ExtractOptions(
        profile=config.profile,
        demos=k_demos != 0,
        k_demos=k_demos,
        cot=cot,
        verifier=verifier,
        consolidation=consolidation,
        concurrency=config.concurrency,  # chunks in flight = model requests in flight
        self_annotation=self_annotation,
        relation_mode=relation_mode,
        unit=unit,
    )
    click.echo(_profile_line(options), err=True)
    ray_opts = ray_options_from(use_ray, ray_address, workers)
    if dry_run:
        from factloom.graphs.dry_run import llm_name, plan_extraction

        for line in plan_extraction(root, list(paths), schema, options, llm_name(config)).lines():
            click.echo(line)
        return
    if budget_tokens is not None and ray_opts is not None:
        raise click.UsageError("--budget-tokens does not work with --ray yet")
    if verifier_model is not None and ray_opts is not None:
        raise click.UsageError("--verifier-model does not work with --ray yet")
    with Workspace(root, chroma_url=chroma_url) as ws, workspace_lock(ws, wait=wait):
        doc_ids = _ingest(ws, list(paths))
        if demo_files:
            _add_demos(ws, demo_files, schema)
        if ray_opts is not None:
            from factloom.graphs.dry_run import llm_name

            _say_reruns(ws, doc_ids, schema, options, llm_name(config))
            report = _run_ray(ws, doc_ids, schema, config, options, ray_opts)
        else:
            llm = make_llm(config, ws)
            if verifier_model is not None:
                llm = AgentRouter(llm, {"verifier": make_llm(verifier_config(config, verifier_model), ws)})
            _say_reruns(ws, doc_ids, schema, options, llm.name)
            if budget_tokens is not None:
                from factloom.tools.llm.budget import BudgetedLLM, TokenBudget

                llm = BudgetedLLM(llm, TokenBudget(budget_tokens))
            report = asyncio.run(_run(ws, doc_ids, schema, llm, options))
        _summary(report)
        _merge_collection(ws, schema)
    if report.failed:
        raise SystemExit(1)


def _profile_line(options: ExtractOptions) -> str:
    """Return the one line that says which profile runs and what it sets."""
    s = options.settings()
    verifier = "verifier" if s.verify else "no verifier (relations unverified)"
    return (
        f"profile {s.profile}: reads {s.unit}, relations {s.relation_mode}, "
        f"{'CoT' if s.cot else 'no CoT'}, {verifier}, "
        f"{s.k_demos} demonstrations, {s.cross_chunk_pairs} cross-chunk pairs"
    )


def _ingest(ws: Workspace, paths: list[str]) -> list[str]:
    """Ingest what is new or changed; return the ids of every document the paths name."""
    from factloom.ingest.pipeline import ingest_paths

    report = ingest_paths(ws, paths)
    for w in (w for r in report.ingested for w in r.warnings):
        click.echo(f"warning: {w}", err=True)
    for r in report.failed:
        click.echo(f"error: {r.message}", err=True)
    return [r.doc_id for r in report.results if r.doc_id and r.status in ("ingested", "skipped")]


def _say_reruns(
    ws: Workspace, doc_ids: list[str], schema: Schema, options: ExtractOptions, model: str
) -> None:
    """Print why finished chunks run again (demonstrations, settings, model, schema or prompts changed)."""
    from factloom.graphs.extract_jobs import explain_reruns

    for line in explain_reruns(ws, doc_ids, schema, options.settings(), model):
        click.echo(line)


def _add_demos(ws: Workspace, files: tuple[Path, ...], schema: Schema) -> None:
    from factloom.ingest.corpora import read_corpus
    from factloom.tools.extraction.demos import DemoStore, demos_from_gold

    store = DemoStore(ws)
    for path in files:
        found = demos_from_gold(read_corpus(path, "auto"), schema, source=path.name)
        click.echo(f"{path.name}: {store.add(found, schema.name)} new demonstrations", err=True)


async def _run(
    ws: Workspace, doc_ids: list[str], schema: Schema, llm: LLM, options: ExtractOptions
) -> CollectionReport:
    from tqdm import tqdm

    from factloom.graphs.extract import extract_collection

    with tqdm(total=len(doc_ids), unit="doc", desc="extract", disable=None, leave=False) as bar:

        def step(graph: DocumentGraph) -> None:
            bar.update(1)
            bar.set_postfix_str(f"{graph.doc_id[:16]}: {graph.stats.relations} relations")

        return await extract_collection(ws, doc_ids, schema, llm, options, progress=step)


def _run_ray(
    ws: Workspace,
    doc_ids: list[str],
    schema: Schema,
    config: BackendConfig,
    options: ExtractOptions,
    ray_opts: RayOptions,
) -> CollectionReport:
    from tqdm import tqdm

    from factloom.graphs.distributed import extract_collection_ray

    with tqdm(total=len(doc_ids), unit="doc", desc="extract (ray)", disable=None, leave=False) as bar:
        return extract_collection_ray(
            ws, doc_ids, schema, config, options, ray_opts, progress=lambda _graph: bar.update(1)
        )


def _summary(report: CollectionReport) -> None:
    t = report.totals()
    drops = ", ".join(f"{k} {v}" for k, v in sorted(t.drops.items())) or "none"
    click.echo(
        f"{len(report.documents)} documents, {t.chunks} chunks ({t.chunks_resumed} resumed), "
        f"{t.entities} entities, {t.relations} relations; dropped: {drops}; "
        f"{t.usage.calls} LLM calls, {t.usage.prompt_tokens} prompt + {t.usage.completion_tokens} "
        "completion tokens"
    )
    for doc_id, message in report.failed.items():
        click.echo(f"error: {doc_id}: {message}", err=True)


def _merge_collection(ws: Workspace, schema: Schema) -> None:
    """Merge the document graphs into the collection graph by rules (`resolve --judge` asks the LLM)."""
    from factloom.tools.resolution.collection import build_collection

    built = build_collection(ws, schema)
    click.echo(
        f"collection: {built.entities} entities from {built.document_entities} document entities "
        f"({built.merges} merges), {built.relations} relations, {built.conflicts} conflicts"
    )


@click.command("graph")
@click.option("--mermaid", is_flag=True, required=True, help="Print the extraction graph as Mermaid.")
def graph(mermaid: bool) -> None:
    """Print the extraction graph (LangGraph's own drawing, subgraphs expanded)."""
    from factloom.graphs.extract import build_graph

    click.echo(build_graph().get_graph(xray=True).draw_mermaid())
