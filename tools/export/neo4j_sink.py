"""Load the knowledge graph into Neo4j (``neo4j://[USER:PASS@]HOST:PORT[/DB]``) with parameterised Cypher."""

from __future__ import annotations

import logging
from urllib.parse import unquote, urlsplit, urlunsplit

from factloom.tools.errors import SinkError
from factloom.tools.export.cypher import LoadResult, statements
from factloom.tools.extraction.kg import Entity, Relation

log = logging.getLogger(__name__)

SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")
CONSTRAINT = "CREATE CONSTRAINT factloom_entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE"


def parse_url(url: str) -> tuple[str, tuple[str, str] | None, str | None]:
    """Return ``(driver URI, auth, database)``; user and password may be given in the URL."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise SinkError(f"{url}: expected neo4j://[USER:PASSWORD@]HOST:PORT[/DATABASE]")
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
    database = parts.path.strip("/") or None
    return urlunsplit((parts.scheme, netloc, "", "", "")), auth, database


def load(url: str, entities: list[Entity], relations: list[Relation]) -> LoadResult:
    """MERGE the entities and relations into the Neo4j database named by ``url`` (an upsert by id)."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

    uri, auth, database = parse_url(url)
    try:
        with GraphDatabase.driver(uri, auth=auth) as driver, driver.session(database=database) as session:
            session.run(CONSTRAINT).consume()
            for statement in statements(entities, relations):
                for params in statement.batches():
                    session.execute_write(lambda tx, q=statement.query, p=params: tx.run(q, p).consume())
    except (ServiceUnavailable, OSError) as e:
        raise SinkError(f"cannot reach Neo4j at {uri} ({e}); is the server running?") from e
    except AuthError as e:
        raise SinkError(
            f"Neo4j at {uri} refused the credentials; pass neo4j://USER:PASSWORD@HOST:PORT"
        ) from e
    except Neo4jError as e:
        raise SinkError(f"Neo4j refused the load: {e}") from e
    log.info("loaded %d entities and %d relations into %s", len(entities), len(relations), uri)
    return LoadResult(
        target=uri + (f"/{database}" if database else ""), nodes=len(entities), edges=len(relations)
    )
