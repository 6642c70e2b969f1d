"""The vector index: a Chroma collection in the workspace, used through llama-index's ChromaVectorStore.

The collection lives in the workspace's embedded store (``ws.chroma_path``), or on the Chroma server
the workspace was opened with (``ws.chroma_url``, see ``ingest.chroma_http``).

Embeddings always come from the local embedder (``ingest.embed``) and are handed to Chroma with the
records, and the collection is created without an embedding function, so Chroma's own default
embedder (which downloads a model from the internet) can never run.

The embedder reads at most 256 word pieces, so an item longer than that is stored as several
overlapping windows (``ingest.embed.window_spans``), each with its own vector: every part of a chunk can
be found. Window 0 is stored under the item's id and holds the item's whole text; window ``n`` is
``ID#wN``. Every window carries the item's metadata plus ``item_id``, ``window`` and its character span
in the item's text (``w_start``, ``w_end``). A query returns each item once, scored by its best window.
Collections written before windows existed (entries without ``window``) still answer queries; their
items are searchable by their first window only until re-indexed (``unwindowed_ids``).
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
from factloom.ingest.errors import VectorIndexError
from factloom.ingest.workspace import Workspace

log = logging.getLogger(__name__)

MetaValue = str | int | float | bool
DOC_KEY = "doc_id"
"""Metadata key that llama-index also stores as the node's source document (``ref_doc_id``)."""
ITEM_KEY, WINDOW_KEY, START_KEY, END_KEY = "item_id", "window", "w_start", "w_end"
_RESERVED = frozenset({ITEM_KEY, WINDOW_KEY, START_KEY, END_KEY})
"""Metadata keys of the windows, kept out of ``Hit.metadata``; items may not use them."""
_FETCH = 4
"""Windows fetched per wanted item: several windows of one item may rank next to each other."""


@dataclass(frozen=True)
class IndexItem:
    """A text to index under a stable id, with flat metadata usable in ``where`` filters.

    The metadata keys ``document_id`` and ``ref_doc_id`` are reserved by llama-index, and ``item_id``,
    ``window``, ``w_start`` and ``w_end`` by the windows.
    """

    id: str
    text: str
    metadata: dict[str, MetaValue]


@dataclass(frozen=True)
class Window:
    """One embedder-sized part of an item: ``item.text[start:end]``."""

    item: IndexItem
    number: int
    start: int
    end: int

    @property
    def id(self) -> str:
        """Return the stored id: the item's for window 0, ``ID#wN`` for the others."""
        return self.item.id if self.number == 0 else f"{self.item.id}#w{self.number}"

    @property
    def text(self) -> str:
        """Return the window's text (the text that is embedded)."""
        return self.item.text[self.start : self.end]


@dataclass(frozen=True)
class Hit:
    """A search result: an item, its whole text, and its best window.

    ``score`` is the cosine similarity of the best-matching window (higher is more similar), and
    ``span`` that window's character span in ``text``.
    """

    id: str
    text: str
    score: float
    metadata: dict[str, MetaValue]
    span: tuple[int, int] = (0, 0)


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

    def windows(self, items: list[IndexItem]) -> list[Window]:
        """Return the windows of items, each short enough for the embedder (one for a short item)."""
        split = self._splitter()
        out = []
        for item in items:
            if _RESERVED & item.metadata.keys():
                raise ValueError(f"{item.id}: metadata keys {sorted(_RESERVED)} are reserved")
            spans = split(item.text) or [(0, len(item.text))]
            out.extend(Window(item, n, s, e) for n, (s, e) in enumerate(spans))
        return out

    def _splitter(self) -> Any:
        """Return the embedder's window splitter (a wrapping embedder may lack one: use the shared one)."""
        return getattr(self.embedder, "windows", None) or get_embedder().windows

    def upsert(self, items: list[IndexItem]) -> None:
        """Embed and store items, window by window; an item whose id exists replaces the stored one."""
        if items:
            windows = self.windows(items)
            self.upsert_windows(windows, self.embedder.embed([w.text for w in windows]))

    def upsert_windows(self, windows: list[Window], vectors: list[list[float]]) -> None:
        """Store windows (from ``windows``) with embeddings computed beforehand by the same embedder."""
        if not windows:
            return
        nodes = [_node(w, vec) for w, vec in zip(windows, vectors, strict=True)]
        self.delete_ids(list(dict.fromkeys(w.item.id for w in windows)))
        self._store.add(nodes)
        log.debug("upserted %d windows into %s", len(windows), self.collection)

    def delete_where(self, where: dict[str, MetaValue]) -> None:
        """Delete every item whose metadata matches all ``key: value`` pairs."""
        if not where:
            raise ValueError("delete_where needs at least one condition")
        self._store.client.delete(where=chroma_where(where))

    def delete_ids(self, ids: list[str]) -> None:
        """Delete items, all their windows, by id (unknown ids are ignored)."""
        for lo in range(0, len(ids), 500):
            part = ids[lo : lo + 500]
            self._store.client.delete(ids=part)
            self._store.client.delete(where={ITEM_KEY: {"$in": part}})

    def query(self, text: str, k: int = 5, where: dict[str, Any] | None = None) -> list[Hit]:
        """Return the ``k`` items most similar to ``text``, best first, each once, optionally filtered.

        An item scores as its best window. A query longer than one window is embedded window by window,
        and an item scores as its best match with any of them.
        """
        total = int(self._store.client.count())
        if k <= 0 or total == 0:
            return []
        spans = self._splitter()(text)
        texts = [text[s:e] for s, e in spans] if len(spans) > 1 else [text]
        best: dict[str, tuple[float, TextNode]] = {}
        for vector in self.embedder.embed(texts):
            self._best_windows(vector, k, total, where, best)
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])[:k]
        full = self._whole_texts([item for item, (_, node) in ranked if _window(node) > 0])
        return [_hit(item, score, node, full) for item, (score, node) in ranked]

    def _best_windows(
        self, vector: list[float], k: int, total: int, where: dict[str, Any] | None,
        best: dict[str, tuple[float, TextNode]],
    ) -> None:
        """Add the best window of each of the ``k`` items nearest to ``vector`` to ``best``."""
        kwargs = {"where": chroma_where(where)} if where else {}
        n = min(_FETCH * k, total)
        while True:
            result = self._store.query(VectorStoreQuery(query_embedding=vector, similarity_top_k=n), **kwargs)
            found: dict[str, tuple[float, TextNode]] = {}
            for node, sim in zip(result.nodes or [], result.similarities or [], strict=True):
                score = 1.0 + math.log(sim) if sim > 0 else -1.0  # llama-index gives exp(-cosine distance)
                item = str(node.metadata.get(ITEM_KEY, node.node_id))
                if item not in found or score > found[item][0]:
                    found[item] = (score, node)
            if len(found) >= k or n >= total or len(result.nodes or []) < n:
                break
            n = min(2 * n, total)
        for item, (score, node) in found.items():
            if item not in best or score > best[item][0]:
                best[item] = (score, node)

    def _whole_texts(self, item_ids: list[str]) -> dict[str, str]:
        if not item_ids:
            return {}
        got = self._store.client.get(ids=item_ids, include=["documents"])
        return dict(zip(got["ids"], got["documents"] or [], strict=True))

    def count(self) -> int:
        """Return the number of items in the collection (not of their windows)."""
        total = int(self._store.client.count())
        if total == 0:
            return 0
        extra = self._store.client.get(where={WINDOW_KEY: {"$gt": 0}}, include=[])
        return total - len(extra["ids"])

    def ids(self, where: dict[str, MetaValue] | None = None) -> list[str]:
        """Return the ids of the items matching ``where`` (all items without it), each once."""
        got = self._store.client.get(where=chroma_where(where) if where else None, include=["metadatas"])
        metas = got["metadatas"] or [{}] * len(got["ids"])
        pairs = zip(got["ids"], metas, strict=True)
        return list(dict.fromkeys(str((m or {}).get(ITEM_KEY, i)) for i, m in pairs))

    def unwindowed_ids(self) -> list[str]:
        """Return the ids of items stored before windows existed (only their first window is searchable)."""
        client = self._store.client
        if int(client.count()) == 0:
            return []
        windowed = set(client.get(where={WINDOW_KEY: {"$gte": 0}}, include=[])["ids"])
        return [i for i in client.get(include=[])["ids"] if i not in windowed]


def _window(node: TextNode) -> int:
    return int(node.metadata.get(WINDOW_KEY, 0))


def _hit(item: str, score: float, node: TextNode, full: dict[str, str]) -> Hit:
    meta = {key: value for key, value in node.metadata.items() if key not in _RESERVED}
    text = full.get(item, node.get_content()) if _window(node) > 0 else node.get_content()
    start, end = node.metadata.get(START_KEY, 0), node.metadata.get(END_KEY, len(text))
    return Hit(id=item, text=text, score=score, metadata=meta, span=(int(start), int(end)))


def _node(window: Window, vector: list[float]) -> TextNode:
    """Return the stored node of a window: window 0 holds the item's whole text, the others their own."""
    item = window.item
    meta = {**item.metadata, ITEM_KEY: item.id, WINDOW_KEY: window.number, START_KEY: window.start,
            END_KEY: window.end}
    text = item.text if window.number == 0 else window.text
    node = TextNode(id_=window.id, text=text, metadata=meta, embedding=vector)
    doc = item.metadata.get(DOC_KEY)
    if doc is not None:
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=str(doc))
    return node
