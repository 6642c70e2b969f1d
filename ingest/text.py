"""Text clean-up shared by the readers: ligatures, invisible characters, line joins, sentence ends.

Everything here works on whole strings or lists of lines with C-level string methods and
compiled regular expressions; nothing loops over characters in Python.
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
_SPACES = dict.fromkeys("\u00a0\u2002\u2003\u2009\u202f\t\r\n\f\v", " ")
_TABLE = str.maketrans({**LIGATURES, **_INVISIBLE, **_SPACES})
_MULTISPACE = re.compile(r" {2,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HYPHEN_END = re.compile(r"[^\W_]-$")


def normalize(text: str) -> str:
    """Expand ligatures, drop soft hyphens and zero-width characters, and collapse spaces on one line."""
    text = _CONTROL.sub("", text.translate(_TABLE))
    return _MULTISPACE.sub(" ", text).strip()


def join_lines(lines: list[str]) -> str:
    """Join the lines of a paragraph with spaces, re-joining words hyphenated at a line end.

    ``"treat-" + "ment"`` becomes ``"treatment"``. A hyphen before a capital or a digit, or after
    a digit, is kept without a space (``"COVID-" + "19"`` is ``"COVID-19"``, ``"10-" + "fold"``
    is ``"10-fold"``).
    """
    out: list[str] = []
    for line in lines:
        if not line:
            continue
        if out and _HYPHEN_END.search(out[-1]) and line[0].isalnum():
            if line[0].islower() and out[-1][-2].isalpha():
                out[-1] = out[-1][:-1] + line
            else:
                out[-1] += line
            continue
        out.append(line)
    return " ".join(out)


def normalize_lines(lines: list[str]) -> str:
    """Normalise each line and join them into one paragraph string.

    A line that ends in a soft hyphen (U+00AD, the typesetter's break) always joins the next line
    without a hyphen or space.
    """
    out: list[str] = []
    glue = False
    for raw in lines:
        line = normalize(raw)
        if glue and out and line:
            out[-1] += line
        elif line:
            out.append(line)
        glue = raw.rstrip().endswith("\u00ad")
    return join_lines(out)


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
