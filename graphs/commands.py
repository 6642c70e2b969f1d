"""The CLI's commands: each ``cmd_*`` module defines its commands and is listed here once."""

from __future__ import annotations

import click

ALL: list[click.Command] = []

from factloom.graphs.cmd_demos import demos  # noqa: E402

ALL.append(demos)

from factloom.graphs.cmd_schema import schema  # noqa: E402

ALL.append(schema)

from factloom.graphs.cmd_collection import conflicts, merges, resolve, stats  # noqa: E402

ALL.extend([resolve, merges, conflicts, stats])

from factloom.graphs.cmd_ingest import ingest, inspect, search  # noqa: E402

ALL.extend([ingest, search, inspect])

from factloom.graphs.cmd_llm import usage  # noqa: E402

ALL.append(usage)

from factloom.graphs.cmd_export import export  # noqa: E402
from factloom.graphs.cmd_extract import extract, graph  # noqa: E402

ALL.extend([extract, graph, export])

from factloom.graphs.cmd_ask import ask, chat, serve  # noqa: E402

ALL.extend([ask, chat, serve])

from factloom.graphs.cmd_eval import eval_cmd  # noqa: E402

ALL.append(eval_cmd)
