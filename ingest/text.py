"""Text clean-up shared by the readers: ligatures, invisible characters, line joins, sentence ends.

Everything here works on whole strings with C-level string methods and compiled regular
expressions; nothing loops over characters or lines in Python.
"""

from __future__ import annotations

import re

LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
    "\u0132": "IJ",
    "\u0133": "ij",
    "\u0152": "OE",
    "\u0153": "oe",
}
"""Typographic ligatures and their letters (PDF fonts often map a ligature glyph to one code point)."""

_INVISIBLE = dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", "")
_CONTROLS = dict.fromkeys([chr(c) for c in (*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F)], "")
_SPACES = dict.fromkeys("\u00a0\u2002\u2003\u2009\u202f", " ")
_TABLE = str.maketrans({**LIGATURES, **_INVISIBLE, **_CONTROLS, **_SPACES})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_SOFT_BREAK = re.compile(r"\u00ad *\n *")
_LINE_BREAK = re.compile(r"(?<=[^\W_])- *\n *(?=[^\W_])")


def normalize(text: str) -> str:
    """Expand ligatures, drop soft hyphens, zero-width and control characters, collapse whitespace."""
    if not text.isascii() or _CONTROL.search(text):
        text = text.translate(_TABLE)
    return " ".join(text.split())


def clean_block(raw: str) -> str:
    """Turn the lines of a paragraph (``\\n``-separated) into one normalised line.

    Words broken at a line end are joined again: ``"treat-\\nment"`` becomes ``"treatment"``, and a
    soft hyphen (U+00AD, the typesetter's break) always joins. A hyphen after a digit or before a
    capital or a digit is kept, without the line break (``"COVID-\\n19"`` is ``"COVID-19"``,
    ``"10-\\nfold"`` is ``"10-fold"``).
    """
    if "\u00ad" in raw:
        raw = _SOFT_BREAK.sub("", raw)
    if "-" in raw:
        raw = _LINE_BREAK.sub(_rejoin, raw)
    return normalize(raw)


def _rejoin(m: re.Match[str]) -> str:
    """Drop a line-end hyphen between letters when the next line starts in lower case."""
    before, after = m.string[m.start() - 1], m.string[m.end()]
    return "" if before.isalpha() and after.islower() else "-"


def is_page_number(text: str) -> bool:
    """Return True for a bare page label: ``12``, ``- 12 -``, ``Page 3 of 10``, ``iv``."""
    return bool(_PAGE_NUMBER.fullmatch(text.strip().lower()))


_PAGE_NUMBER = re.compile(r"[-–—\s]*(page\s*)?(\d{1,4}|[ivxlc]{1,6})(\s*(of|/)\s*\d{1,4})?[-–—\s]*")


def repeat_key(text: str) -> str:
    """Return a key that is equal for running headers that differ only in numbers (page, volume)."""
    return re.sub(r"\d+", "#", text.lower()).strip()


def page_ranges(numbers: list[int]) -> str:
    """Return ``"1-3, 7"`` for ``[1, 2, 3, 7]`` (sorted page numbers)."""
    out: list[list[int]] = []
    for n in numbers:
        if out and out[-1][1] == n - 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in out)
