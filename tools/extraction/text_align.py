"""Map character offsets between two renderings of the same text (e.g. an ingested copy and the original).

Ingesting a text normalises whitespace and joins lines, so offsets into ``Document.text`` differ from
offsets into the file's text. The two texts are aligned on their non-whitespace characters (exactly
when those agree, else with ``difflib``'s longest matching blocks), which maps every span whose ends
fall on aligned characters.
"""

from __future__ import annotations

import bisect
import difflib


class OffsetMap:
    """Map spans of ``source`` to spans of ``target``.

    Args:
        source: the text the offsets index (e.g. the ingested ``Document.text``).
        target: the text to map them into (e.g. the gold corpus text).
    """

    def __init__(self, source: str, target: str) -> None:
        self.identity = source == target
        self._src = [i for i, c in enumerate(source) if not c.isspace()]
        dst = [i for i, c in enumerate(target) if not c.isspace()]
        src_chars = "".join(source[i] for i in self._src)
        dst_chars = "".join(target[i] for i in dst)
        if src_chars == dst_chars:
            self._to = dst
        else:
            self._to = [-1] * len(self._src)
            matcher = difflib.SequenceMatcher(None, src_chars, dst_chars, autojunk=False)
            for a, b, size in matcher.get_matching_blocks():
                self._to[a : a + size] = dst[b : b + size]

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """Return ``(start, end)`` mapped into the target, or None when no character of it aligns."""
        if self.identity:
            return start, end
        first = bisect.bisect_left(self._src, start)
        last = bisect.bisect_left(self._src, end) - 1
        while first <= last and self._to[first] < 0:
            first += 1
        while last >= first and self._to[last] < 0:
            last -= 1
        if first > last:
            return None
        return self._to[first], self._to[last] + 1
