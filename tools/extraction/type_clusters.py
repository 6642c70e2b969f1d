"""Cluster the type labels an open extraction proposed (``person``, ``people``, ``individual`` ...).

Labels are embedded (their words, underscores as spaces) and grouped greedily, most frequent first: a
label joins the cluster whose centroid it is most similar to when that similarity reaches ``threshold``,
else it starts a cluster. Frequent labels seed the clusters, so a grown collection keeps its clusters (the
same labels come first again) and only adds new ones. Everything is pure given the ``embed`` function
(the local MiniLM of ``ingest.embed`` in production), and deterministic: ties break by label.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Embed = Callable[[list[str]], list[list[float]]]

THRESHOLD = 0.6
"""Cosine similarity (MiniLM) at which two entity type labels are one type: "person" / "people" 0.62,
"organization" / "company" 0.63, "location" / "city" 0.65, but "date" / "year" 0.59."""
RELATION_THRESHOLD = 0.75
"""The same for relation phrases embedded with their roles ("person lives in location"): "lives in" /
"resides in" 0.93, "works for" / "employed by" 0.87, "based in" / "headquartered in" 0.80, while
"location located in location" / "organization based in location" is 0.60."""


@dataclass(frozen=True)
class Cluster:
    """Labels taken as one type, most frequent first, with their total count."""

    labels: tuple[str, ...]
    count: int

    @property
    def head(self) -> str:
        """Return the most frequent label."""
        return self.labels[0]


def label_text(label: str) -> str:
    """Return the words of a snake_case label (what is embedded)."""
    return " ".join(label.replace("_", " ").split())


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def cluster_labels(
    counts: Mapping[str, int],
    embed: Embed,
    threshold: float = THRESHOLD,
    texts: Mapping[str, str] | None = None,
) -> list[Cluster]:
    """Group labels whose embeddings are similar; return clusters, largest first.

    ``texts`` gives the text embedded for a label (its words by default), e.g. a relation phrase with
    the types of its head and tail.
    """
    order = sorted(counts, key=lambda label: (-counts[label], label))
    if not order:
        return []
    shown = [texts[x] if texts and x in texts else label_text(x) for x in order]
    vectors = dict(zip(order, embed(shown), strict=True))
    members: list[list[str]] = []
    sums: list[list[float]] = []
    for label in order:
        vec = vectors[label]
        scores = [_cosine(vec, s) for s in sums]
        best = max(range(len(scores)), key=lambda i: (scores[i], -i), default=None)
        if best is not None and scores[best] >= threshold:
            members[best].append(label)
            sums[best] = [x + y for x, y in zip(sums[best], vec, strict=True)]
        else:
            members.append([label])
            sums.append(list(vec))
    clusters = [Cluster(tuple(m), sum(counts[x] for x in m)) for m in members]
    return sorted(clusters, key=lambda c: (-c.count, c.head))


def merge_same_names(named: Sequence[tuple[str, Cluster]]) -> list[tuple[str, Cluster]]:
    """Merge clusters the namer gave the same name (near-duplicates); keep the first one's place."""
    out: dict[str, Cluster] = {}
    for name, cluster in named:
        if name in out:
            both = out[name]
            labels = sorted(
                dict.fromkeys((*both.labels, *cluster.labels)),
                key=lambda x: (x not in both.labels, both.labels.index(x) if x in both.labels else 0),
            )
            out[name] = Cluster(tuple(labels), both.count + cluster.count)
        else:
            out[name] = cluster
    return list(out.items())
