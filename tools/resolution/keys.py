"""Name keys for entity resolution: acronyms, name similarity and MinHash LSH blocking.

The keys themselves are ``tools.names.resolution_key``.

Pure functions with no state; everything here is deterministic (no ``hash()`` of strings, whose
value changes between processes).
"""

from __future__ import annotations

import re

import numpy as np
from rapidfuzz import fuzz, process

STOPWORDS = frozenset("of and the for in on de der la le du to a an".split())  # noqa: SIM905
_ACRONYM = re.compile(r"^[A-Z0-9][A-Za-z0-9&]{1,9}$")
_MERSENNE = np.uint64((1 << 61) - 1)
_CHUNK = 2048
_MAX_BYTES = 48


def sorted_tokens(key: str) -> str:
    """Return the tokens of a normalised key in sorted order (word-order-free key)."""
    return " ".join(sorted(key.split()))


def acronym_of(key: str) -> str | None:
    """Return the initials of a multi-word normalised key (stop words skipped), or None."""
    words = [w for w in key.split() if w not in STOPWORDS]
    if len(words) < 2:
        return None
    return "".join(w[0] for w in words)


def as_acronym(name: str) -> str | None:
    """Return the lower-case letters of ``name`` when it is written like an acronym (``IBM``, ``U.S.A.``)."""
    compact = name.replace(".", "").replace(" ", "")
    if not _ACRONYM.match(compact) or sum(c.isupper() for c in compact) < max(2, len(compact) // 2):
        return None
    return compact.casefold()


def is_acronym_pair(
    short_a: str | None, initials_a: str | None, short_b: str | None, initials_b: str | None
) -> bool:
    """Return whether one name is the acronym of the other (``IBM`` / ``International Business Machines``).

    ``short_*`` come from ``as_acronym`` of the raw names, ``initials_*`` from ``acronym_of`` of their keys.
    """
    return bool((short_a and short_a == initials_b) or (short_b and short_b == initials_a))


def name_similarity(key_a: str, key_b: str) -> float:
    """Return a 0..1 similarity of two normalised names (edit-based; word order costs a little)."""
    if key_a == key_b:
        return 1.0
    plain = fuzz.ratio(key_a, key_b) / 100.0
    if " " in key_a or " " in key_b:
        return max(plain, 0.97 * fuzz.token_sort_ratio(key_a, key_b) / 100.0)
    return plain


def name_similarities(keys_a: list[str], keys_b: list[str]) -> np.ndarray:
    """Return ``name_similarity`` of each pair ``(keys_a[i], keys_b[i])``, vectorised (both cores)."""
    if not keys_a:
        return np.empty(0)
    plain = process.cpdist(keys_a, keys_b, scorer=fuzz.ratio, workers=-1, dtype=np.float32)
    by_tokens = process.cpdist(keys_a, keys_b, scorer=fuzz.token_sort_ratio, workers=-1, dtype=np.float32)
    return np.maximum(plain, 0.97 * by_tokens).astype(np.float64) / 100.0


def context_overlap(a: frozenset[str], b: frozenset[str]) -> float | None:
    """Return the overlap coefficient of two context sets, or None when either is empty."""
    if not a or not b:
        return None
    return len(a & b) / min(len(a), len(b))


def minhash_signatures(keys: list[str], bands: int, rows: int, seed: int = 7) -> np.ndarray:
    """Return ``(len(keys), bands)`` band hashes of character-3-gram MinHash signatures.

    Vectorised over all keys with numpy: the 3-grams of the UTF-8 bytes (padded with spaces) are
    24-bit integers, hashed by ``bands * rows`` universal hash functions modulo a Mersenne prime.
    """
    perms = bands * rows
    rng = np.random.default_rng(seed)
    mult = rng.integers(1, 1 << 36, perms, dtype=np.uint64)
    add = rng.integers(0, 1 << 36, perms, dtype=np.uint64)
    mix = rng.integers(1, 1 << 62, rows, dtype=np.uint64) | np.uint64(1)
    out = np.empty((len(keys), bands), dtype=np.uint64)
    for start in range(0, len(keys), _CHUNK):
        sig = _signature_chunk(keys[start : start + _CHUNK], mult, add)
        with np.errstate(over="ignore"):
            banded = sig.reshape(len(sig), bands, rows) * mix
        out[start : start + len(sig)] = banded.sum(axis=2, dtype=np.uint64)
    return out


def _signature_chunk(keys: list[str], mult: np.ndarray, add: np.ndarray) -> np.ndarray:
    encoded = [f" {k} ".encode()[:_MAX_BYTES] for k in keys]
    width = max(4, max(len(e) for e in encoded))
    buf = b"".join(e.ljust(width, b"\0") for e in encoded)
    grid = np.frombuffer(buf, dtype=np.uint8).reshape(len(encoded), width).astype(np.uint64)
    grams = (grid[:, :-2] << np.uint64(16)) | (grid[:, 1:-1] << np.uint64(8)) | grid[:, 2:]
    lengths = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
    valid = np.arange(width - 2)[None, :] < (lengths - 2)[:, None]
    hashed = (grams[:, :, None] * mult[None, None, :] + add[None, None, :]) % _MERSENNE
    hashed[~valid] = _MERSENNE
    return hashed.min(axis=1)


def lsh_codes(
    keys: list[str], bands: int = 8, rows: int = 4, max_block: int = 20, groups: list[int] | None = None
) -> np.ndarray:
    """Return sorted unique pair codes ``i * len(keys) + j`` (``i < j``) of keys sharing an LSH band.

    Keys in different ``groups`` (e.g. entity types) never pair. Within a band bucket, each key is
    paired with the next ``max_block - 1`` keys of the bucket (all pairs of a small bucket, a sliding
    window over a huge one), so the pair count stays linear.
    """
    if len(keys) < 2:
        return np.empty(0, dtype=np.int64)
    signatures = minhash_signatures(keys, bands, rows)
    if groups is not None:
        with np.errstate(over="ignore"):
            signatures ^= np.asarray(groups, dtype=np.uint64)[:, None] * np.uint64(0x9E3779B97F4A7C15)
    codes = np.sort(np.concatenate([_bucket_pairs(signatures[:, band], max_block) for band in range(bands)]))
    return codes[np.concatenate(([True], codes[1:] != codes[:-1]))] if len(codes) else codes


def _bucket_pairs(column: np.ndarray, max_block: int) -> np.ndarray:
    """Return pair codes ``i * n + j`` (``i < j``) of rows with equal values, windowed by ``max_block``."""
    n = len(column)
    order = np.argsort(column, kind="stable")
    ordered = column[order]
    out = []
    for distance in range(1, max_block):
        same = ordered[distance:] == ordered[:-distance]
        if not same.any():
            break
        a, b = order[:-distance][same], order[distance:][same]
        out.append(np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b))
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)
