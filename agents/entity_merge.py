"""Mentions -> document entities, deterministically: repeated names, abbreviations, short name forms.

Blocking is by type and normalised name; within a type, groups are joined when one is the parenthesised
abbreviation of another ("Acme Corp (ACME)"), an acronym of it, or its last word ("Smith" -> "John Smith",
when only one longer name ends so). The result does not depend on the order of the mentions.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from factloom.tools.extraction.kg import Entity, Mention, stable_id
from factloom.tools.names import name_key

_PAREN = re.compile(r"\s*\(\s*([^()]{1,16}?)\s*\)")
_STOP = frozenset({"of", "the", "and", "for", "in", "on", "at", "to", "a", "an", "&"})


def acronym(name: str) -> str:
    """Return the initials of a name's content words, lower case ("Acme Widget Corp" -> "awc")."""
    words = [w for w in re.split(r"[\s\-/]+", name) if w and w.casefold() not in _STOP and not w.isdigit()]
    return "".join(w[0] for w in words).casefold() if len(words) > 1 else ""


def entity_id(doc_id: str, type_: str, name: str) -> str:
    """Return the deterministic id of a document entity."""
    return stable_id("e", doc_id, type_, name_key(name))


class _Groups:
    """Union-find over blocking keys (type, name key)."""

    def __init__(self, keys: Iterable[tuple[str, str]]) -> None:
        self.parent = {k: k for k in sorted(set(keys))}

    def find(self, k: tuple[str, str]) -> tuple[str, str]:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def union(self, a: tuple[str, str], b: tuple[str, str]) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _links(mentions: Sequence[Mention], text: str, keys: set[tuple[str, str]]) -> list[tuple[tuple, tuple]]:
    """Return pairs of blocking keys that name the same entity."""
    links = []
    by_type: dict[str, list[str]] = defaultdict(list)
    for type_, key in sorted(keys):
        by_type[type_].append(key)
    for m in mentions:
        paren = _PAREN.match(text, m.end)
        if paren and (m.type, name_key(paren.group(1))) in keys:
            links.append(((m.type, name_key(m.text)), (m.type, name_key(paren.group(1)))))
    for type_, names in by_type.items():
        for name in names:
            if " " not in name:
                longer = [n for n in names if n != name and (acronym(n) == name or n.endswith(" " + name))]
                if len(longer) == 1:
                    links.append(((type_, name), (type_, longer[0])))
    return links


def _canonical(surfaces: Counter[str]) -> str:
    """Pick the entity name: among the longest normalised forms, the most frequent spelling."""
    longest = max(len(name_key(s)) for s in surfaces)
    full = [s for s in surfaces if len(name_key(s)) == longest]
    return min(full, key=lambda s: (-surfaces[s], s))


def build_entities(
    doc_id: str, mentions: Sequence[Mention], text: str, *, merge: bool = True
) -> list[Entity]:
    """Group a document's mentions into entities (sorted by id).

    Args:
        doc_id: the document.
        mentions: all its mentions, in any order.
        text: the document text (to find "Long Name (ABBR)" patterns).
        merge: join abbreviations, acronyms and short forms; when False, only equal names are grouped.
    """
    unique: dict[str, Mention] = {}
    for m in sorted(mentions, key=lambda m: (m.start, m.end, m.type, m.chunk_id)):
        unique.setdefault(m.mention_id, m)  # overlapping chunks find the same mention twice
    ordered = list(unique.values())
    keys = {(m.type, name_key(m.text)) for m in ordered if name_key(m.text)}
    groups = _Groups(keys)
    if merge:
        for a, b in _links(ordered, text, keys):
            groups.union(a, b)
    members: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for m in ordered:
        key = (m.type, name_key(m.text))
        if key in keys:
            members[groups.find(key)].append(m)
    entities = []
    for (type_, _), group in members.items():
        surfaces = Counter(m.text for m in group)
        name = _canonical(surfaces)
        aliases = sorted(s for s in surfaces if s != name)
        entities.append(
            Entity(
                entity_id=entity_id(doc_id, type_, name),
                name=name,
                type=type_,
                aliases=aliases,
                mentions=group,
            )
        )
    return sorted(entities, key=lambda e: e.entity_id)


def alias_pairs(entities: Iterable[Entity]) -> set[frozenset[str]]:
    """Return the pairs of entity ids that share a name, an alias or an acronym, across types.

    Mentions are merged within a type only, so "ACE" typed chemical and "ACE" typed disease (or "ACE" and
    "angiotensin-1-converting enzyme") stay two entities; a relation between them relates one thing to
    itself (bench/results/verified_sample_qwen-1.5b.md: 3 such relations were verified, all wrong).
    """
    by_key: dict[str, set[str]] = defaultdict(set)
    for e in entities:
        for name in (e.name, *e.aliases):
            for key in (name_key(name), acronym(name_key(name))):
                if key:
                    by_key[key].add(e.entity_id)
    return {frozenset(pair) for ids in by_key.values() for pair in itertools.combinations(sorted(ids), 2)}


def entity_index(entities: Iterable[Entity]) -> dict[str, str]:
    """Return the map mention id -> entity id."""
    return {m.mention_id: e.entity_id for e in entities for m in e.mentions}
