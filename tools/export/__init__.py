"""Exporters of the knowledge graph, by format name.

An exporter writes entities and relations to a text stream. A new format is one module here and one
``register`` call below; ``factloom export --format NAME`` offers every registered name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from factloom.tools.extraction.kg import Entity, Relation

Writer = Callable[[Sequence[Entity], Sequence[Relation], TextIO], int]
"""Write the graph to the stream; return the number of records written."""


@dataclass(frozen=True)
class Exporter:
    """A registered export format."""

    name: str
    suffix: str
    write: Writer
    description: str = ""
    files: Callable[[Sequence[Entity], Sequence[Relation], Path], int] | None = None
    """For formats made of several files: write them into a folder (``write`` is then not used)."""


EXPORTERS: dict[str, Exporter] = {}


def register(exporter: Exporter) -> None:
    """Make ``exporter`` available under its name."""
    EXPORTERS[exporter.name] = exporter


def _register_builtin() -> None:
    from factloom.tools.export import jsonl

    register(Exporter("jsonl", ".jsonl", jsonl.write, "one JSON object per entity and per relation"))
    _register_graph_formats()


def _register_graph_formats() -> None:
    from factloom.tools.export import graphml, neo4j_csv, rdf

    provenance = "with the PROV-O provenance of every fact"
    register(Exporter("graphml", ".graphml", graphml.write, "GraphML (networkx), evidence as JSON"))
    register(Exporter("ttl", ".ttl", rdf.write_turtle, f"RDF Turtle {provenance}"))
    register(Exporter("jsonld", ".jsonld", rdf.write_jsonld, f"RDF JSON-LD {provenance}"))
    register(
        Exporter(
            "neo4j-csv",
            "",
            neo4j_csv.write_stream,
            "entities.csv + relations.csv for neo4j-admin import",
            files=neo4j_csv.write_files,
        )
    )


_register_builtin()
