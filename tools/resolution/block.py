"""Blocking for entity resolution: which pairs of name units are worth scoring.

Blocks: the same name under several types, the same words in another order, acronym <-> expansion,
and character-3-gram MinHash LSH within a type. Pairs are int64 codes ``i * n + j`` (``i < j``) in
numpy arrays, so a million candidate pairs cost a few megabytes, not a million Python tuples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from factloom.tools.resolution import keys as rk


def codes_of(pairs: Iterable[tuple[int, int]], n: int) -> np.ndarray:
    """Return the sorted unique codes of index pairs (order within a pair does not matter)."""
    flat = np.fromiter((min(a, b) * n + max(a, b) for a, b in pairs if a != b), dtype=np.int64)
    return np.unique(flat)


def _within(groups: Iterable[list[int]], cap: int) -> Iterable[tuple[int, int]]:
    for members in groups:
        head = members[:cap]
        yield from ((a, b) for k, a in enumerate(head) for b in head[k + 1 :])


def candidate_pairs(
    keys: Sequence[str],
    types: Sequence[str],
    shorts: Sequence[str | None],
    initials: Sequence[str | None],
    *,
    bands: int,
    rows: int,
    max_block: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(pairs, is_acronym)``: an ``(m, 2)`` array of unit index pairs and a mask of acronym pairs.

    Args:
        keys: the normalised name of each unit.
        types: the entity type of each unit.
        shorts: ``as_acronym`` of each unit's raw name (None when it is not written like an acronym).
        initials: ``acronym_of`` of each key (None for one-word names).
        bands, rows: MinHash LSH bands and rows per band.
        max_block: the most units paired inside one block (larger blocks are windowed).
    """
    n = len(keys)
    same_key: dict[str, list[int]] = defaultdict(list)
    word_order: dict[str, list[int]] = defaultdict(list)
    longs: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        same_key[key].append(i)
        if " " in key:
            word_order[rk.sorted_tokens(key)].append(i)
        if initials[i]:
            longs[initials[i]].append(i)
    type_codes = {t: k for k, t in enumerate(sorted(set(types)))}
    lsh = rk.lsh_codes(list(keys), bands, rows, max_block, groups=[type_codes[t] for t in types])
    keyed = codes_of(_within([*same_key.values(), *word_order.values()], max_block), n)
    shorts_of: dict[str, list[int]] = defaultdict(list)
    for i, short in enumerate(shorts):
        if short:
            shorts_of[short].append(i)
    acronym = codes_of(
        (
            (a, b)
            for s, longs_ in longs.items()
            for a in shorts_of.get(s, ())[:max_block]
            for b in longs_[:max_block]
        ),
        n,
    )
    codes = np.unique(np.concatenate((lsh, keyed, acronym)))
    pairs = np.stack((codes // n, codes % n), axis=1) if n else np.empty((0, 2), dtype=np.int64)
    return pairs, np.isin(codes, acronym)
