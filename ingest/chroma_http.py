"""The Chroma server client, for a vector index that several processes or machines share.

Chroma's embedded ``PersistentClient`` is not safe across processes; ``chroma run --path DIR --port PORT``
serves one store to many clients. A workspace opened with ``chroma_url="http://HOST:PORT"`` keeps its
collections in its own Chroma *database* on that server (named after the workspace folder's absolute
path unless the URL names one, ``http://HOST:PORT/DATABASE``), so workspaces sharing a server never mix
their ``chunks`` or ``demos``.

chromadb is imported inside ``http_client`` so that parsing a URL (the CLI does it while reading its
options) stays fast.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from factloom.ingest.errors import ChromaServerError

log = logging.getLogger(__name__)

DEFAULT_PORT = 8000
TENANT = "default_tenant"


@dataclass(frozen=True)
class ChromaServer:
    """Where a Chroma server listens, parsed from ``http(s)://HOST[:PORT][/DATABASE]``."""

    host: str
    port: int
    ssl: bool = False
    database: str | None = None

    @property
    def url(self) -> str:
        """Return the server's URL without the database."""
        return f"{'https' if self.ssl else 'http'}://{self.host}:{self.port}"


def parse_chroma_url(url: str) -> ChromaServer:
    """Return the server ``url`` names.

    Raises:
        ChromaServerError: the URL is not ``http(s)://HOST[:PORT][/DATABASE]``.
    """
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as e:
        raise ChromaServerError(f"--chroma-url {url!r}: bad port; use http://HOST:PORT") from e
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ChromaServerError(f"--chroma-url {url!r}: use http://HOST:PORT (the address of `chroma run`)")
    database = parts.path.strip("/") or None
    if database is not None and "/" in database:
        raise ChromaServerError(f"--chroma-url {url!r}: at most one path segment (a database name)")
    return ChromaServer(
        host=parts.hostname, port=port or DEFAULT_PORT, ssl=parts.scheme == "https", database=database
    )


def database_for(root: Path) -> str:
    """Return the Chroma database name of the workspace at ``root`` (stable for its absolute path)."""
    digest = hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()[:16]
    return f"factloom_{digest}"


def http_client(url: str, root: Path) -> Any:
    """Return a Chroma ``HttpClient`` on the workspace's database, creating the database if missing.

    Args:
        url: the server, ``http(s)://HOST[:PORT][/DATABASE]``.
        root: the workspace folder (names the database when the URL does not).

    Raises:
        ChromaServerError: the URL is malformed or nothing answers at it.
    """
    import chromadb
    import httpx
    from chromadb.config import Settings

    server = parse_chroma_url(with_database(url, root))
    database = str(server.database)
    settings = Settings(anonymized_telemetry=False)
    try:
        admin = chromadb.AdminClient(
            Settings(
                chroma_api_impl="chromadb.api.fastapi.FastAPI",
                chroma_server_host=server.host,
                chroma_server_http_port=server.port,
                chroma_server_ssl_enabled=server.ssl,
                anonymized_telemetry=False,
            )
        )
        try:
            admin.get_database(database, tenant=TENANT)
        except chromadb.errors.NotFoundError:
            admin.create_database(database, tenant=TENANT)
            log.info("created Chroma database %s on %s", database, server.url)
        return chromadb.HttpClient(
            host=server.host, port=server.port, ssl=server.ssl, settings=settings, database=database
        )
    except (ValueError, httpx.HTTPError, chromadb.errors.ChromaError) as e:
        raise ChromaServerError(
            f"{server.url}: cannot use the Chroma server ({e}); "
            "start one with `chroma run --path DIR --host HOST --port PORT` or drop --chroma-url"
        ) from e


def with_database(url: str, root: Path) -> str:
    """Return ``url`` naming its database: the workspace's, unless the URL already names one.

    Processes that open the store from another folder (Ray workers) use this URL to reach the same data.
    """
    server = parse_chroma_url(url)
    return f"{server.url}/{server.database or database_for(root)}"
