"""Exporters of the knowledge graph, by format name.

An exporter writes entities and relations to a text stream. A new format is one module here and one
``register`` call below; ``factloom export --format NAME`` offers every registered name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from factloom.tools.kg import Entity, Relation

Writer = Callable[[Sequence[Entity], Sequence[Relation], TextIO], int]
"""Write the graph to the stream; return the number of records written."""


@dataclass(frozen=True)
class Exporter:
    """A registered export format."""

    name: str
    suffix: str
    write: Writer
    description: str = ""


EXPORTERS: dict[str, Exporter] = {}


def register(exporter: Exporter) -> None:
    """Make ``exporter`` available under its name."""
    EXPORTERS[exporter.name] = exporter


def _register_builtin() -> None:
    from factloom.tools.export import jsonl

    register(Exporter("jsonl", ".jsonl", jsonl.write, "one JSON object per entity and per relation"))


_register_builtin()
