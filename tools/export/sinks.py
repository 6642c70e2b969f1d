"""Load the knowledge graph into a graph database named by a URL (``falkordb://``, ``neo4j://``, ``bolt://``)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from factloom.tools.errors import SinkError
from factloom.tools.export.cypher import LoadResult
from factloom.tools.extraction.kg import Entity, Relation

SCHEMES = ("falkordb", "neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


def load_into(url: str, entities: Sequence[Entity], relations: Sequence[Relation]) -> LoadResult:
    """Load the graph into the database ``url`` names, through its own client module.

    Raises:
        SinkError: unknown scheme, unreachable server, refused credentials or query.
    """
    scheme = urlsplit(url).scheme
    if scheme == "falkordb":
        from factloom.tools.export import falkordb_sink

        return falkordb_sink.load(url, list(entities), list(relations))
    if scheme in SCHEMES:
        from factloom.tools.export import neo4j_sink

        return neo4j_sink.load(url, list(entities), list(relations))
    raise SinkError(f"{url}: unknown database URL; use falkordb://HOST:PORT/GRAPH or neo4j://HOST:PORT")
