"""The sentence splitter: where sentences of a text start and end, as character spans.

One rule for the whole package (chunking, grounding, evidence quotes, demonstrations, questions): a
sentence ends at ``.``, ``!`` or ``?`` (and any closing quotes or brackets) before a space and a capital
or digit, unless the full stop ends an abbreviation or an initial ("Dr. Smith", "et al. 2010", "R. G.
Douglas"); a line break ends one too (block texts hold none: only table rows are lines), and a blank
line always does.
"""

from __future__ import annotations

import re

_END = re.compile(r"[.!?][\"'”’)\]]*(\s+)(?=[\"'“‘(\[]?[A-Z0-9])|(\n+)")
"""A sentence end; a line break ends one too (block texts hold none: only table rows are lines)."""
_ABBREV = re.compile(
    r"(?:^|[\s(])(?:e\.g|i\.e|et al|etc|vs?|cf|Fig|Figs|Tab|Eq|Eqs|Ref|Refs|No|Nos|Vol|pp?|Dr|Mr|Mrs|Ms|"
    r"Prof|St|Jr|Sr|Inc|Ltd|Co|Corp|Art|Sec|approx|U\. ?S|[A-Z])\.$"
)


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` spans of the sentences of ``text``, without surrounding spaces."""
    spans = []
    start = len(text) - len(text.lstrip())
    for m in _END.finditer(text):
        if m.group(1) is not None:
            end = m.start(1)
            if "\n\n" not in m.group(1) and _ABBREV.search(text, max(0, end - 12), end):
                continue  # "Dr. Smith", "et al. 2010": not a sentence end, unless a paragraph ends
            nxt = m.end(1)
        else:
            end, nxt = m.start(2), m.end(2)
        if end > start:
            spans.append((start, end))
        start = nxt
    end = len(text.rstrip())
    if end > start:
        spans.append((start, end))
    return spans


def sentence_span(text: str, start: int, end: int, reach: int = 1000) -> tuple[int, int]:
    """Return the span of the sentence(s) holding ``text[start:end]``, reaching at most ``reach`` out.

    Only the text within ``reach`` characters of the span is split, so this is cheap on a long document.
    """
    lo, hi = max(0, start - reach), min(len(text), end + reach)
    left, right = lo, hi
    for s, e in sentence_bounds(text[lo:hi]):
        if lo + s <= start:
            left = lo + s
        if lo + e >= end:
            right = lo + e
            break
    return left, max(right, end)
