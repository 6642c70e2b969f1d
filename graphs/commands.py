"""The CLI's commands: each ``cmd_*`` module defines its commands and is listed here once."""

from __future__ import annotations

import click

ALL: list[click.Command] = []
