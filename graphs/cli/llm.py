"""``factloom usage``: the token accounting of a workspace, per agent and per document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from factloom.graphs.cli.shared import user_errors

if TYPE_CHECKING:
    from factloom.tools.llm.base import Usage
    from factloom.tools.llm.cache import UsageReport

_COLUMNS = ("calls", "cache_hits", "prompt_tokens", "cached_prompt_tokens", "completion_tokens", "seconds")
_HEADER = ("calls", "cached", "prompt", "prompt cached", "completion", "seconds")


@click.command()
@click.option(
    "-w",
    "--workspace",
    "workspace",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The workspace folder.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@user_errors
def usage(workspace: Path, as_json: bool) -> None:
    """Show the model calls and tokens spent, per agent and per document (cache hits cost none)."""
    from factloom.ingest.workspace import Workspace
    from factloom.tools.llm.cache import usage_report

    with Workspace(workspace, create=False) as ws:
        report = usage_report(ws)
    if as_json:
        click.echo(json.dumps(_to_json(report), indent=2))
        return
    click.echo(_table("agent", report.by_agent))
    click.echo()
    click.echo(_table("document", report.by_document))
    click.echo()
    click.echo(_table("", {"total": report.total}))
    if report.failed_calls:
        click.echo(f"{report.failed_calls} calls gave no valid output (counted above)")


def _to_json(report: UsageReport) -> dict[str, object]:
    return {
        "total": report.total.model_dump(),
        "by_agent": {k: v.model_dump() for k, v in report.by_agent.items()},
        "by_document": {k: v.model_dump() for k, v in report.by_document.items()},
        "failed_calls": report.failed_calls,
    }


def _table(title: str, rows: dict[str, Usage]) -> str:
    width = max([len(title), *(len(k or "(none)") for k in rows)])
    lines = [f"{title:<{width}}  " + "  ".join(f"{h:>13}" for h in _HEADER)]
    for key, use in rows.items():
        values = [getattr(use, c) for c in _COLUMNS]
        cells = [f"{v:>13.1f}" if isinstance(v, float) else f"{v:>13d}" for v in values]
        lines.append(f"{key or '(none)':<{width}}  " + "  ".join(cells))
    return "\n".join(lines)
