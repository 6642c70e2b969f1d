"""The ``--wait SECONDS`` option shared by every command that writes a workspace.

Usage in a writing command::

    @wait_option
    def extract(..., wait: float) -> None:
        with Workspace(root) as ws, workspace_lock(ws, wait=wait):
            ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

wait_option: Callable[[F], F] = click.option(
    "--wait",
    "wait",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    metavar="SECONDS",
    help="If another command is writing this workspace, wait up to SECONDS for it instead of failing.",
)
