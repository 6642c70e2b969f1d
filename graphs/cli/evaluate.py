"""``factloom eval``: score a system on an annotated corpus (same model and inputs for every system)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from factloom.graphs.cli.shared import (
    backend_config_from_options,
    backend_options,
    corpus_format_option,
    setting_options,
    user_errors,
)
from factloom.graphs.eval.report import SCORE_KEYS
from factloom.graphs.eval.systems import SYSTEMS

if TYPE_CHECKING:
    from factloom.graphs.eval.run import EvalSpec
    from factloom.ingest.corpora import GoldDoc
    from factloom.tools.extraction.schema import Schema
    from factloom.tools.llm.config import BackendConfig


@click.command("eval")
@click.argument("corpus", type=click.Path(exists=True, path_type=Path))
@corpus_format_option
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
    help="Documents after the scored ones used as demonstrations (every system).",
)
@click.option(
    "--labels",
    type=click.Choice(["corpus", "preset"]),
    default="corpus",
    show_default=True,
    help="corpus: offer only the schema types the gold uses (as papers do); preset: every schema type.",
)
@click.option(
    "--demos/--no-demos",
    default=True,
    help="Retrieved demonstrations, the same for every system (langextract cannot run without an "
    "example: it falls back to an invented one).",
)
@setting_options("k_demos", "relation_mode", "cot", "verify", "verifier_style", "check_types", "consolidate")
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
    labels: str,
    demos: bool,
    as_json: bool,
    root: Path | None,
    **flags: Any,
) -> None:
    """Run a system on the texts of an annotated CORPUS and print its scores."""
    from factloom.ingest.corpora import detect_format, read_corpus
    from factloom.tools.extraction.gold import best_preset, to_schema
    from factloom.tools.extraction.schema import load_schema

    fmt = detect_format(corpus) if fmt == "auto" else fmt
    docs = read_corpus(corpus, fmt)
    schema = load_schema(best_preset(docs) if schema_name == "auto" else schema_name)
    mapped, dropped = to_schema(docs, schema)
    if task == "resolution":
        report = _resolution(mapped[:limit] if limit else mapped)
    else:
        from factloom.graphs.eval.run import EvalSpec, eval_options
        from factloom.graphs.extract_options import SETTING_KNOBS

        knobs = {name: flags.pop(name) for name in SETTING_KNOBS if name in flags}
        config = backend_config_from_options(**flags)
        options = eval_options(config, demos=demos, **knobs)
        name: Any = system  # click.Choice(SYSTEMS) checked it
        spec = EvalSpec(str(corpus), fmt, name, limit, demo_pool, options, labels == "corpus")
        report = _extraction(spec, mapped, schema, root, config)
    report["gold_dropped"] = {**dropped.entity_labels, **dropped.relation_labels}
    click.echo(json.dumps(report) if as_json else _table(report))


def _resolution(docs: list[GoldDoc]) -> dict[str, Any]:
    """Score entity resolution of the gold mentions across documents (no LLM judge)."""
    from factloom.tools.eval.resolution import evaluate_resolution

    return {"task": "resolution", **evaluate_resolution(docs).to_dict()}


def _extraction(
    spec: EvalSpec, docs: list[GoldDoc], schema: Schema, root: Path | None, config: BackendConfig
) -> dict[str, Any]:
    """Run the evaluation in ``root`` (or a temporary workspace, removed afterwards)."""
    import asyncio

    from factloom.graphs.eval.progress import ProgressBar
    from factloom.graphs.eval.run import eval_schema, evaluate
    from factloom.ingest.workspace import Workspace
    from factloom.tools.llm.factory import make_llm

    folder = root or Path(tempfile.mkdtemp(prefix="factloom-eval-"))
    try:
        with Workspace(folder) as ws, ProgressBar(spec.system) as bar:
            llm = make_llm(config, ws)
            if spec.system != "langextract":
                return {"task": "extraction", **asyncio.run(evaluate(ws, spec, docs, schema, llm, None, bar))}
            from factloom.graphs.eval.peer_langextract import peer_examples
            from factloom.tools.eval.peer_langextract import serve_peer

            offered = eval_schema(spec, docs, schema)
            with serve_peer(config, offered, peer_examples(offered)) as peer:
                report = asyncio.run(evaluate(ws, spec, docs, schema, llm, peer, bar))
                return {"task": "extraction", **report}
    finally:
        if root is None:
            shutil.rmtree(folder, ignore_errors=True)


def _score_line(key: str, s: dict[str, Any]) -> str:
    ci = s.get("f1_ci")
    interval = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
    return (
        f"{key:20} P {s['p']:.3f}  R {s['r']:.3f}  F1 {s['f1']:.3f}{interval}  (tp {s['tp']}, "
        f"pred {s['n_pred']}, gold {s['n_gold']})"
    )


def _table(report: dict[str, Any]) -> str:
    lines = [f"{k}: {v}" for k, v in report.items() if not isinstance(v, dict | list)]
    if "labels" in report:
        labels = report["labels"]
        lines.append(f"labels: {', '.join(labels['entities'])} | {', '.join(labels['relations'])}")
    lines += [_score_line(key, report[key]) for key in SCORE_KEYS if key in report]
    if "cuad" in report:
        lines.append(
            f"cuad hit rate {report['cuad']['hit_rate']:.3f}, precision {report['cuad']['precision']:.3f}"
        )
    if "relation_confusion" in report:
        c = report["relation_confusion"]
        lines.append(
            f"wrong relations: other type {c['other_type']}, reversed {c['reversed']}, reversed and other "
            f"type {c['reversed_other_type']}, wrong arguments {c['wrong_arguments']}"
        )
    if report.get("drop_stages"):
        lines.append("dropped: " + ", ".join(f"{k} {v}" for k, v in report["drop_stages"].items()))
    for agent, u in report.get("usage_by_agent", {}).items():
        lines.append(
            f"{agent:20} {u['calls']} calls ({u['cache_hits']} cached), {u['prompt_tokens']} prompt + "
            f"{u['completion_tokens']} completion tokens"
        )
    return "\n".join(lines)
