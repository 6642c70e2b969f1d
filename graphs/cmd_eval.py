"""``factloom eval``: score a system on an annotated corpus (same model and inputs for every system)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from factloom.graphs.cli import user_errors
from factloom.graphs.eval_systems import SYSTEMS
from factloom.graphs.llm_options import backend_config_from_options, backend_options

if TYPE_CHECKING:
    from factloom.graphs.eval_run import EvalSpec
    from factloom.ingest.corpora import GoldDoc
    from factloom.tools.llm.factory import BackendConfig
    from factloom.tools.schema import Schema

FORMATS = ("auto", "jsonl", "spert", "scierc", "pubtator", "bioc", "redocred", "cuad")


@click.command("eval")
@click.argument("corpus", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True, help="Corpus format."
)
@click.option(
    "--schema",
    "schema_name",
    default="auto",
    show_default=True,
    help="Schema preset or YAML file; auto picks the preset that maps the most gold labels.",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Score only the first N documents.")
@click.option(
    "--system", type=click.Choice(SYSTEMS), default="factloom", show_default=True, help="System to run."
)
@click.option(
    "--task",
    type=click.Choice(["extraction", "resolution"]),
    default="extraction",
    show_default=True,
    help="Score extraction, or entity resolution of the gold mentions across documents.",
)
@click.option(
    "--demo-pool",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="Documents after the scored ones used as demonstrations (factloom only).",
)
@click.option("--demos/--no-demos", default=True, help="Retrieved demonstrations (factloom).")
@click.option("--cot/--no-cot", default=True, help="Reasoning before relations (factloom).")
@click.option("--verifier/--no-verifier", default=True, help="LLM verifier (factloom).")
@click.option("--consolidation/--no-consolidation", default=True, help="Entity consolidation (factloom).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "-w",
    "--workspace",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Workspace to run in (kept); a temporary one by default.",
)
@backend_options
@user_errors
def eval_cmd(
    corpus: Path,
    fmt: str,
    schema_name: str,
    limit: int | None,
    system: str,
    task: str,
    demo_pool: int,
    demos: bool,
    cot: bool,
    verifier: bool,
    consolidation: bool,
    as_json: bool,
    root: Path | None,
    **backend: object,
) -> None:
    """Run a system on the texts of an annotated CORPUS and print its scores."""
    from factloom.ingest.corpora import detect_format, read_corpus
    from factloom.tools.gold import best_preset, to_schema
    from factloom.tools.schema import load_schema

    fmt = detect_format(corpus) if fmt == "auto" else fmt
    docs = read_corpus(corpus, fmt)
    schema = load_schema(best_preset(docs) if schema_name == "auto" else schema_name)
    mapped, dropped = to_schema(docs, schema)
    if task == "resolution":
        report = _resolution(mapped[:limit] if limit else mapped)
    else:
        from factloom.graphs.eval_run import EvalSpec
        from factloom.graphs.extract_options import ExtractOptions

        options = ExtractOptions(
            resume=False, demos=demos, cot=cot, verifier=verifier, consolidation=consolidation
        )
        spec = EvalSpec(str(corpus), fmt, system, limit, demo_pool, options)  # type: ignore[arg-type]
        report = _extraction(spec, mapped, schema, root, backend_config_from_options(**backend))
    report["gold_dropped"] = {**dropped.entity_labels, **dropped.relation_labels}
    click.echo(json.dumps(report) if as_json else _table(report))


def _resolution(docs: list[GoldDoc]) -> dict[str, Any]:
    """Score entity resolution of the gold mentions across documents (no LLM judge)."""
    from factloom.tools.resolve_eval import evaluate_resolution

    return {"task": "resolution", **evaluate_resolution(docs).to_dict()}


def _extraction(
    spec: EvalSpec, docs: list[GoldDoc], schema: Schema, root: Path | None, config: BackendConfig
) -> dict[str, Any]:
    """Run the evaluation in ``root`` (or a temporary workspace, removed afterwards)."""
    import asyncio

    from factloom.graphs.eval_run import evaluate
    from factloom.ingest.workspace import Workspace
    from factloom.tools.llm.factory import make_llm

    folder = root or Path(tempfile.mkdtemp(prefix="factloom-eval-"))
    try:
        with Workspace(folder) as ws:
            llm = make_llm(config, ws)
            if spec.system != "langextract":
                return {"task": "extraction", **asyncio.run(evaluate(ws, spec, docs, schema, llm))}
            from factloom.graphs.eval_systems import peer_examples
            from factloom.tools.langextract_peer import serve_peer

            with serve_peer(config, schema, peer_examples(schema)) as peer:
                return {"task": "extraction", **asyncio.run(evaluate(ws, spec, docs, schema, llm, peer))}
    finally:
        if root is None:
            shutil.rmtree(folder, ignore_errors=True)


def _table(report: dict[str, Any]) -> str:
    lines = [f"{k}: {v}" for k, v in report.items() if not isinstance(v, dict)]
    for key in ("entity", "relation_strict", "relation_boundaries", "relation_doc"):
        if key in report:
            s = report[key]
            lines.append(
                f"{key:20} P {s['p']:.3f}  R {s['r']:.3f}  F1 {s['f1']:.3f}  (tp {s['tp']}, "
                f"pred {s['n_pred']}, gold {s['n_gold']})"
            )
    if "cuad" in report:
        lines.append(
            f"cuad hit rate {report['cuad']['hit_rate']:.3f}, precision {report['cuad']['precision']:.3f}"
        )
    return "\n".join(lines)
