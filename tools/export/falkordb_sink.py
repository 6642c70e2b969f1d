"""Load the knowledge graph into FalkorDB (``falkordb://HOST:PORT/GRAPH``) with parameterised Cypher."""

from __future__ import annotations

import logging
from urllib.parse import unquote, urlsplit

from factloom.tools.errors import SinkError
from factloom.tools.export.cypher import LoadResult, statements
from factloom.tools.extraction.kg import Entity, Relation

log = logging.getLogger(__name__)

SCHEME = "falkordb"


def parse_url(url: str) -> tuple[str, int, str, str | None, str | None]:
    """Return ``(host, port, graph, username, password)`` of ``falkordb://[USER:PASS@]HOST:PORT/GRAPH``."""
    parts = urlsplit(url)
    graph = parts.path.strip("/")
    if parts.scheme != SCHEME or not parts.hostname or not graph:
        raise SinkError(f"{url}: expected falkordb://HOST:PORT/GRAPH")
    try:
        port = parts.port or 6379
    except ValueError as e:
        raise SinkError(f"{url}: the port is not a number") from e
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return parts.hostname, port, graph, user, password


def load(url: str, entities: list[Entity], relations: list[Relation]) -> LoadResult:
    """MERGE the entities and relations into the FalkorDB graph named by ``url`` (an upsert by id)."""
    import redis
    from falkordb import FalkorDB

    host, port, name, user, password = parse_url(url)
    try:
        graph = FalkorDB(host=host, port=port, username=user, password=password).select_graph(name)
        try:
            graph.create_node_range_index("Entity", "id")
        except redis.exceptions.ResponseError as e:
            log.debug("index on :Entity(id) exists: %s", e)
        for statement in statements(entities, relations):
            for params in statement.batches():
                graph.query(statement.query, params)
    except redis.exceptions.ConnectionError as e:
        raise SinkError(f"cannot reach FalkorDB at {host}:{port} ({e}); is the server running?") from e
    except redis.exceptions.ResponseError as e:
        raise SinkError(f"FalkorDB refused the load into graph {name!r}: {e}") from e
    log.info("loaded %d entities and %d relations into %s", len(entities), len(relations), url)
    return LoadResult(target=f"{host}:{port}/{name}", nodes=len(entities), edges=len(relations))
