"""The vector index: a Chroma collection in the workspace, used through llama-index's ChromaVectorStore.

The collection lives in the workspace's embedded store (``ws.chroma_path``), or on the Chroma server
the workspace was opened with (``ws.chroma_url``, see ``ingest.chroma_http``).

Embeddings always come from the local embedder (``ingest.embed``) and are handed to Chroma with the
records, and the collection is created without an embedding function, so Chroma's own default
embedder (which downloads a model from the internet) can never run.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import chromadb
from chromadb.config import Settings
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import VectorStoreQuery
from llama_index.vector_stores.chroma import ChromaVectorStore

from factloom.ingest.chroma_http import http_client
from factloom.ingest.embed import Embedder, get_embedder
from factloom.ingest.errors import FactloomError
from factloom.ingest.workspace import Workspace

log = logging.getLogger(__name__)

MetaValue = str | int | float | bool
DOC_KEY = "doc_id"
"""Metadata key that llama-index also stores as the node's source document (``ref_doc_id``)."""


class VectorIndexError(FactloomError):
    """The vector index cannot be opened or used."""


@dataclass(frozen=True)
class IndexItem:
    """A text to index under a stable id, with flat metadata usable in ``where`` filters.

    The metadata keys ``document_id`` and ``ref_doc_id`` are reserved by llama-index.
    """

    id: str
    text: str
    metadata: dict[str, MetaValue]


@dataclass(frozen=True)
class Hit:
    """A search result; ``score`` is the cosine similarity (higher is more similar)."""

    id: str
    text: str
    score: float
    metadata: dict[str, MetaValue]


def chroma_where(where: dict[str, Any]) -> dict[str, Any]:
    """Turn ``{key: value, ...}`` into a Chroma ``where`` clause (an ``$and`` of equalities).

    A clause that already uses Chroma operators (a key starting with ``$``) is returned unchanged.
    """
    if len(where) <= 1 or any(k.startswith("$") for k in where):
        return dict(where)
    return {"$and": [{k: v} for k, v in where.items()]}


def _client(ws: Workspace) -> Any:
    if ws.chroma_url:
        return http_client(ws.chroma_url, ws.root)
    ws.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(
        path=str(ws.chroma_path), settings=Settings(anonymized_telemetry=False)
    )


class VectorIndex:
    """One named collection of the workspace's Chroma store (e.g. ``chunks``, ``demos``, ``entities``).

    Args:
        ws: the workspace; the store lives in ``ws.chroma_path``, or on the Chroma server ``ws.chroma_url``.
        collection: the collection name.
        embedder: the embedder; the process-wide local one by default (loaded on first use).
    """

    def __init__(self, ws: Workspace, collection: str, embedder: Embedder | None = None) -> None:
        self._embedder = embedder
        try:
            coll = _client(ws).get_or_create_collection(
                name=collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        except (ValueError, chromadb.errors.ChromaError) as e:
            where = ws.chroma_url or ws.chroma_path
            raise VectorIndexError(f"{where}: cannot open collection {collection!r}: {e}") from e
        self._store = ChromaVectorStore(chroma_collection=coll)
        self.collection = collection

    @property
    def embedder(self) -> Embedder:
        """Return the embedder, loading the shared one on first use."""
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    def upsert(self, items: list[IndexItem]) -> None:
        """Embed and store items; an item whose id exists replaces the stored one."""
        if items:
            self.upsert_vectors(items, self.embedder.embed([it.text for it in items]))

    def upsert_vectors(self, items: list[IndexItem], vectors: list[list[float]]) -> None:
        """Store items with embeddings computed beforehand by the same embedder."""
        if not items:
            return
        nodes = [_node(it, vec) for it, vec in zip(items, vectors, strict=True)]
        self._store.delete_nodes(node_ids=[it.id for it in items])
        self._store.add(nodes)
        log.debug("upserted %d items into %s", len(items), self.collection)

    def delete_where(self, where: dict[str, MetaValue]) -> None:
        """Delete every item whose metadata matches all ``key: value`` pairs."""
        if not where:
            raise ValueError("delete_where needs at least one condition")
        self._store.client.delete(where=chroma_where(where))

    def delete_ids(self, ids: list[str]) -> None:
        """Delete items by id (unknown ids are ignored)."""
        if ids:
            self._store.delete_nodes(node_ids=ids)

    def query(self, text: str, k: int = 5, where: dict[str, Any] | None = None) -> list[Hit]:
        """Return the ``k`` items most similar to ``text``, best first, optionally filtered."""
        if k <= 0 or self.count() == 0:
            return []
        vector = self.embedder.embed([text])[0]
        q = VectorStoreQuery(query_embedding=vector, similarity_top_k=k)
        kwargs = {"where": chroma_where(where)} if where else {}
        result = self._store.query(q, **kwargs)
        hits = []
        for node, sim in zip(result.nodes or [], result.similarities or [], strict=True):
            score = 1.0 + math.log(sim) if sim > 0 else -1.0  # llama-index gives exp(-cosine distance)
            hits.append(Hit(id=node.node_id, text=node.get_content(), score=score, metadata=node.metadata))
        return hits

    def count(self) -> int:
        """Return the number of items in the collection."""
        return int(self._store.client.count())

    def ids(self, where: dict[str, MetaValue] | None = None) -> list[str]:
        """Return the ids of the items matching ``where`` (all items without it)."""
        got = self._store.client.get(where=chroma_where(where) if where else None, include=[])
        return list(got["ids"])


def _node(item: IndexItem, vector: list[float]) -> TextNode:
    node = TextNode(id_=item.id, text=item.text, metadata=dict(item.metadata), embedding=vector)
    doc = item.metadata.get(DOC_KEY)
    if doc is not None:
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=str(doc))
    return node
