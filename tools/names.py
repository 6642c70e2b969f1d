"""How names are compared: one folding rule, and the keys built on it for each use.

``fold`` is the rule: case folded, every run of punctuation and spaces one space, trimmed. The keys add
only what their use needs:

- ``lookup_key``: Unicode compatibility forms first (``ＡＢＣ`` -> ``abc``); question words and aliases
  are looked up by it (the query index, entity linking, evidence gathering).
- ``name_key``: without a leading article; a document's mentions are grouped into entities by it, and
  it is part of the entity id, so it must not change.
- ``resolution_key``: accents, ``&``, initials' full stops, a leading ``the`` and trailing legal suffixes
  removed (``The Coca-Cola Company Inc.`` -> ``coca cola company``); entities are resolved across
  documents by it.
"""

from __future__ import annotations

import re
import unicodedata

LEGAL_SUFFIXES = frozenset(
    "inc incorporated ltd limited llc llp lp corp corporation co plc gmbh ag sa nv bv pty srl spa kg".split()  # noqa: SIM905
)
_NON_WORD = re.compile(r"[^\w]+")
_ARTICLE = re.compile(r"^(the|a|an) ")
_INITIAL_DOT = re.compile(r"\b([^\W\d_])\.")


def fold(name: str) -> str:
    """Return ``name`` case-folded, with every run of punctuation and spaces made one space, trimmed."""
    return " ".join(_NON_WORD.sub(" ", name.casefold()).split())


def lookup_key(name: str) -> str:
    """Return the lookup key of a name: NFKC, case-folded, punctuation and extra spaces removed."""
    return fold(unicodedata.normalize("NFKC", name))


def name_key(name: str) -> str:
    """Return the blocking key of a name: lower case, punctuation removed, no leading article."""
    return _ARTICLE.sub("", fold(name))


def resolution_key(name: str) -> str:
    """Return the matching key of a name across documents.

    Accents and case are folded; punctuation, a leading ``the`` and trailing legal suffixes are removed.
    """
    text = name
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.casefold().replace("&", " and ")
    tokens = fold(_INITIAL_DOT.sub(r"\1", text)).replace("_", " ").split()
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
    if len(tokens) > 1 and tokens[0] == "the":
        tokens.pop(0)
    return " ".join(tokens)
