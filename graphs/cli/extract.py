"""``factloom extract`` (ingest what is new, then run the extraction graph) and ``factloom graph``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from factloom.graphs.cli.shared import (
    backend_config_from_options,
    backend_options,
    chroma_url_option,
    ray_options,
    ray_options_from,
    setting_options,
    user_errors,
    wait_option,
)

if TYPE_CHECKING:
    from factloom.graphs.extract_options import DocumentGraph


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
@setting_options(
    "k_demos",
    "cot",
    "verify",
    "verifier_style",
    "check_types",
    "consolidate",
    "cross_chunk_pairs",
    "evidence_reach",
    "relation_mode",
    "unit",
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
    verifier_model: str | None,
    self_annotation: bool,
    wait: float,
    chroma_url: str | None,
    use_ray: bool,
    ray_address: str | None,
    workers: int | None,
    dry_run: bool,
    budget_tokens: int | None,
    **flags: Any,
) -> None:
    """Ingest PATHS (what is new) and extract a cited knowledge graph from every document."""
    from factloom.graphs.extract_options import SETTING_KNOBS, ExtractOptions
    from factloom.graphs.run import ExtractionRun, RunOptionsError, run_extraction

    knobs = {name: flags.pop(name) for name in SETTING_KNOBS if name in flags}
    run = ExtractionRun(
        root=root,
        paths=paths,
        backend=backend_config_from_options(**flags),
        schema=schema_name,
        options=ExtractOptions(demos=knobs["k_demos"] != 0, self_annotation=self_annotation, **knobs),
        demo_files=demo_files,
        verifier_model=verifier_model,
        ray=ray_options_from(use_ray, ray_address, workers),
        budget_tokens=budget_tokens,
        chroma_url=chroma_url,
        wait=wait,
        dry_run=dry_run,
    )
    try:
        result = run_extraction(run, EchoEvents())
    except RunOptionsError as e:
        raise click.UsageError(str(e)) from e
    if result.failed:
        raise SystemExit(1)


class EchoEvents:
    """The run's lines on stdout, warnings and errors on stderr, a progress bar per extraction."""

    def say(self, line: str) -> None:
        """Print a line of the report."""
        click.echo(line)

    def warn(self, line: str) -> None:
        """Print a warning or an error line on stderr."""
        click.echo(line, err=True)

    @contextmanager
    def documents(self, total: int, label: str) -> Iterator[Callable[[DocumentGraph], None]]:
        """Show a progress bar over ``total`` documents."""
        from tqdm import tqdm

        with tqdm(total=total, unit="doc", desc=label, disable=None, leave=False) as bar:

            def step(graph: DocumentGraph) -> None:
                bar.update(1)
                bar.set_postfix_str(f"{graph.doc_id[:16]}: {graph.stats.relations} relations")

            yield step


@click.command("graph")
@click.option("--mermaid", is_flag=True, required=True, help="Print the extraction graph as Mermaid.")
def graph(mermaid: bool) -> None:
    """Print the extraction graph (LangGraph's own drawing, subgraphs expanded)."""
    from factloom.graphs.extract import build_graph

    click.echo(build_graph().get_graph(xray=True).draw_mermaid())
