"""``factloom ask``, ``factloom chat`` and ``factloom serve``: questions over the knowledge graph."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from factloom.graphs.cli.shared import (
    backend_config_from_options,
    backend_options,
    chroma_url_option,
    user_errors,
)
from factloom.ingest.errors import FactloomError

if TYPE_CHECKING:
    from factloom.graphs.query import QueryContext, QueryResult
    from factloom.ingest.workspace import Workspace

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
QUIT_WORDS = ("exit", "quit", ":q")

workspace_option = click.option(
    "-w",
    "--workspace",
    "workspace",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The workspace folder (from `factloom ingest` and `factloom extract`).",
)


class EmptyWorkspaceError(FactloomError):
    """The workspace has nothing to ask about."""


def _one_embedding_thread() -> None:
    """Embed questions on one thread: one short text gains nothing from more, and loses a lot on a busy CPU.

    Measured with MiniLM on 2 shared cores (load ~12): p50 31 ms on one thread, 316 ms on two.
    """
    import torch

    torch.set_num_threads(1)


verified_only_option = click.option(
    "--verified-only",
    is_flag=True,
    help="Answer from verified relations only. By default unverified relations are included and "
    "labelled; --verified-only drops them (document passages are still searched).",
)


def _open(ws: Workspace, backend: dict[str, Any], verified_only: bool = False) -> QueryContext:
    from factloom.graphs.query import open_context
    from factloom.ingest.store import list_documents
    from factloom.tools.llm.factory import make_llm

    _one_embedding_thread()
    if not list_documents(ws):
        raise EmptyWorkspaceError(
            f"{ws.root}: no documents; run `factloom ingest FILE.pdf -w {ws.root}` first"
        )
    llm = make_llm(backend_config_from_options(**backend), ws)
    return open_context(ws, llm, verified_only=verified_only)


def _echo_result(result: QueryResult) -> None:
    click.echo(result.answer.text)
    for i, c in enumerate(result.to_json()["citations"], 1):
        click.echo(
            f"  [{i}] {c['doc_id']} p.{c['page']} [{c['start']}:{c['end']}]: “{' '.join(c['quote'].split())}”"
        )
        for fact in c["facts"]:
            click.echo(click.style(f"      {fact['status']}: {fact['fact']}", dim=True))
    if result.linked:
        names = ", ".join(f"{e.name} ({e.type})" for e in result.linked)
        click.echo(click.style(f"  entities: {names}", dim=True))


@click.command()
@click.argument("question")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print {answer, citations, entities} as JSON.")
@verified_only_option
@backend_options
@chroma_url_option
@user_errors
def ask(
    question: str,
    workspace: Path,
    as_json: bool,
    verified_only: bool,
    chroma_url: str | None,
    **backend: Any,
) -> None:
    """Answer QUESTION from the workspace's knowledge graph, citing document and page.

    A citation that is the quote of a graph fact shows the fact and its status (verified or unverified).
    """
    import asyncio

    from factloom.graphs.query import ask as run_query
    from factloom.ingest.workspace import Workspace

    with Workspace(workspace, create=False, chroma_url=chroma_url) as ws:
        result = asyncio.run(run_query(question, _open(ws, backend, verified_only)))
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        _echo_result(result)


@click.command()
@workspace_option
@verified_only_option
@backend_options
@chroma_url_option
@user_errors
def chat(workspace: Path, verified_only: bool, chroma_url: str | None, **backend: Any) -> None:
    """Talk with the knowledge graph: follow-up questions see the earlier turns (`exit` ends)."""
    import asyncio

    from factloom.graphs.query import ChatSession
    from factloom.ingest.workspace import Workspace

    async def loop(session: ChatSession) -> None:
        while True:
            try:
                question = click.prompt("you", prompt_suffix="> ").strip()
            except (EOFError, click.Abort):
                click.echo()
                return
            if question.casefold() in QUIT_WORDS:
                return
            _echo_result(await session.ask(question))

    with Workspace(workspace, create=False, chroma_url=chroma_url) as ws:
        click.echo("Ask about the documents; `exit` or Ctrl-D ends.")
        asyncio.run(loop(ChatSession(_open(ws, backend, verified_only))))


@click.command()
@workspace_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token", default=None, help="Require this token on every request (Bearer header or ?token=).")
@click.option("--allow-edits", is_flag=True,
              help="Without --token, let anyone who reaches the server undo merges and reject or check facts "
              "(with --token only token holders can; without either the server is read-only).")
@backend_options
@chroma_url_option
@user_errors
def serve(
    workspace: Path, host: str, port: int, token: str | None, allow_edits: bool, chroma_url: str | None,
    **backend: Any,
) -> None:
    """Serve the HTTP API (/ask, /entities, /relations, /graph; docs at /docs) and the web page."""
    import uvicorn

    from factloom.graphs.server import create_app
    from factloom.ingest.workspace import Workspace

    if host not in LOOPBACK and allow_edits and not token:
        click.echo(f"warning: serving {host} with --allow-edits and no --token: anyone can change the graph",
                   err=True)
    if host not in LOOPBACK and not token:
        click.echo(
            f"warning: serving {host} without --token: anyone who can reach it can read the graph", err=True
        )
    with Workspace(workspace, create=False, chroma_url=chroma_url) as ws:
        app = create_app(_open(ws, backend), token=token, allow_edits=allow_edits)
        query = f"/?token={token}" if token else "/"
        click.echo(f"factloom: open http://{host}:{port}{query}", err=True)
        uvicorn.run(app, host=host, port=port, log_level="warning")
