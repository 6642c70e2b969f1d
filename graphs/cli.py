"""The ``factloom`` command line: one click group; each command lives in its own ``cmd_*`` module.

Heavy libraries (torch, chromadb, llama.cpp) are imported inside the commands so ``--help`` is instant.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from factloom.ingest.errors import FactloomError

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Print a ``FactloomError`` as one line on stderr and exit 1 instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FactloomError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="factloom")
def main(verbose: int) -> None:
    """Turn PDFs into a cited knowledge graph with a graph of LLM agents, then ask it questions."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _register() -> None:
    from factloom.graphs import commands

    for command in commands.ALL:
        main.add_command(command)


_register()
