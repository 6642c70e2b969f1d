"""The ``--chroma-url URL`` option shared by every command that opens the vector index.

Usage in a command::

    @chroma_url_option
    def search(..., chroma_url: str | None) -> None:
        with Workspace(root, chroma_url=chroma_url) as ws:
            ...

The URL is checked while the options are read, so a typo fails before any work starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from factloom.ingest.chroma_http import parse_chroma_url
from factloom.ingest.errors import ChromaServerError

F = TypeVar("F", bound=Callable[..., Any])


def _check(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_chroma_url(value)
    except ChromaServerError as e:
        raise click.BadParameter(str(e)) from e
    return value


chroma_url_option: Callable[[F], F] = click.option(
    "--chroma-url",
    "chroma_url",
    default=None,
    metavar="URL",
    callback=_check,
    help="Use the Chroma server at URL (http://HOST:PORT, started with `chroma run`) instead of the "
    "workspace's embedded store; needed when several processes or machines share the index.",
)
