"""The ``factloom`` click group and the one place that registers every command module's commands.

Heavy libraries (torch, chromadb, llama.cpp) are imported inside the commands so ``--help`` is instant.
"""

from __future__ import annotations

import logging

import click

from factloom.graphs.cli.ask import ask, chat, serve
from factloom.graphs.cli.collection import conflicts, merges, resolve, stats
from factloom.graphs.cli.demos import demos
from factloom.graphs.cli.evaluate import eval_cmd
from factloom.graphs.cli.export import export
from factloom.graphs.cli.extract import extract, graph
from factloom.graphs.cli.ingest import ingest, inspect, search
from factloom.graphs.cli.llm import usage
from factloom.graphs.cli.schema import schema


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="factloom")
def main(verbose: int) -> None:
    """Turn PDFs into a cited knowledge graph with a graph of LLM agents, then ask it questions."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


COMMANDS: list[click.Command] = [
    ingest, search, inspect, extract, graph, demos, schema, resolve, merges, conflicts, stats,
    export, ask, chat, serve, usage, eval_cmd,
]

for _command in COMMANDS:
    main.add_command(_command)
