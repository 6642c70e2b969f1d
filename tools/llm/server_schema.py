"""Rewrite an output schema into one that llama.cpp-based servers' grammar converters can take.

llama.cpp's JSON-schema-to-GBNF converters (the C++ one in ``llama-server`` and Ollama, the Python one
in ``llama_cpp.server``) copy a ``pattern``'s escapes into the grammar verbatim, and the GBNF parser
knows only ``\\t \\n \\r \\x \\u \\U`` and the escaped punctuation: ``\\S`` gives ``unknown escape``, the
request fails and ``llama_cpp.server`` 0.3.x can die with it. They also refuse ``(?:`` and lookarounds,
copy ``.`` as "any character but a line break" (a raw ``"`` then ends the JSON string early), and
apply a quantifier after an escaped character to the whole literal before it.

``portable_schema`` rewrites every pattern into that subset: shorthand classes become explicit
classes without ``"``, ``\\`` and control characters, ``(?:`` a plain group, an escaped character a
one-character class. Each rewritten pattern accepts a subset of what the original accepts, so a reply
decoded under it also passes the pydantic validation that follows every reply. A pattern outside the
subset is dropped (length bounds stay); the check then happens in validation only.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

log = logging.getLogger(__name__)

JsonSchema = dict[str, Any]

# Inside a JSON string a raw '"' ends the string and a raw '\' starts an escape; control characters
# are not allowed at all. Every class the rewriter emits leaves them out.
_NOT_JSON_RAW = r'\x00-\x1f"\\'
# The Unicode white space that ``\s`` matches (Python's re and pydantic's Rust regex) beyond ASCII.
_UNICODE_SPACE = r"\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_OUTSIDE = {
    "S": rf"[^{_NOT_JSON_RAW} {_UNICODE_SPACE}]",
    "s": "[ ]",
    "d": "[0-9]",
    "w": "[0-9A-Za-z_]",
}
_INSIDE_POSITIVE = {"s": " ", "d": "0-9", "w": "0-9A-Za-z_"}
_DOT = rf"[^{_NOT_JSON_RAW}]"
_PUNCTUATION = frozenset(r".^$*+?()[]{}|/-\\")
_CLASS_SPECIAL = frozenset(r"]\^-")


class UnsupportedPattern(ValueError):
    """A pattern uses regex syntax outside what llama.cpp's converters handle."""


def portable_schema(schema: JsonSchema) -> JsonSchema:
    """Return a copy of ``schema`` whose patterns every llama.cpp-based server can compile."""
    return _visit(copy.deepcopy(schema))


def _visit(node: Any) -> Any:
    if isinstance(node, list):
        return [_visit(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "pattern" and isinstance(value, str) and node.get("type", "string") == "string":
            try:
                out[key] = portable_pattern(_within_length(value, node.get("maxLength")))
            except UnsupportedPattern as e:
                log.info("pattern %r dropped from the schema sent to the server (%s)", value, e)
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _visit(prop) for name, prop in value.items()}
        else:
            out[key] = _visit(value)
    return out


# One to n+1 words of one character class, one space between: ``^\S+( \S+){0,5}$``.
_WORDS = re.compile(r"\^(\\[A-Za-z]|\[[^\]]+\])\+\( \1\+\)\{0,(\d+)\}\$")


def _within_length(pattern: str, max_length: int | None) -> str:
    """Return a words pattern whose every match is at most ``max_length`` long (others unchanged).

    The converters ignore ``maxLength`` beside a ``pattern``, so a model could write a mention of six
    long words and fail validation. The words pattern becomes one alternative per word count ``k``, each
    word at most ``(max_length - k + 1) // k`` long: a subset of both constraints.
    """
    match = _WORDS.fullmatch(pattern)
    if match is None or not max_length:
        return pattern
    word, most = match.group(1), int(match.group(2)) + 1
    shapes = []
    for k in range(1, most + 1):
        longest = (max_length - (k - 1)) // k
        if longest >= 1:
            one = f"{word}{{1,{longest}}}"
            shapes.append(one + (f"( {one}){{{k - 1}}}" if k > 1 else ""))
    return "^(" + "|".join(shapes) + ")$"


def portable_pattern(pattern: str) -> str:
    """Return ``pattern`` in the regex subset llama.cpp's converters handle.

    Raises:
        UnsupportedPattern: ``pattern`` is not anchored at both ends, or uses lookarounds,
            back-references, word boundaries, lazy quantifiers, ``\\D`` or ``\\W`` (their ASCII
            forms would admit Unicode digits and letters the original refuses), or a literal ``"`` or ``\\``.
    """
    if not (pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$")):
        raise UnsupportedPattern("not anchored with ^...$")
    body, out, i = pattern[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            out.append(_escape_outside(body[i + 1 : i + 2]))
            i += 2
        elif c == "[":
            cls, i = _char_class(body, i)
            out.append(cls)
        elif c == "(":
            if body.startswith("(?:", i):
                out.append("(")
                i += 3
                continue
            if body.startswith("(?", i):
                raise UnsupportedPattern("lookarounds and named groups")
            out.append(c)
            i += 1
        elif c == ".":
            out.append(_DOT)
            i += 1
        elif c in "*+?}" and body[i + 1 : i + 2] == "?":
            raise UnsupportedPattern("lazy quantifiers")
        elif c in "^$":
            raise UnsupportedPattern("anchors inside the pattern")
        elif c == '"':
            raise UnsupportedPattern('a literal "')
        else:
            out.append(c)
            i += 1
    return "^" + "".join(out) + "$"


def _escape_outside(char: str) -> str:
    if char in _OUTSIDE:
        return _OUTSIDE[char]
    if char in _PUNCTUATION and char != "\\":
        return f"[{_class_member(char)}]"
    raise UnsupportedPattern(f"escape \\{char}" if char else "a trailing backslash")


def _class_member(char: str) -> str:
    return "\\" + char if char in _CLASS_SPECIAL else char


def _char_class(body: str, start: int) -> tuple[str, int]:
    """Return the rewritten class that starts at ``body[start] == '['`` and the index after it."""
    i = start + 1
    negated = body[i : i + 1] == "^"
    i += negated
    members: list[str] = []
    first = True
    while i < len(body) and (body[i] != "]" or first):
        c = body[i]
        if c == "]":  # first in the class: a member, which GBNF needs escaped
            members.append("\\]")
            first = False
            i += 1
            continue
        first = False
        if c == "\\":
            char = body[i + 1 : i + 2]
            members.append(_escape_inside(char, negated))
            i += 2
            continue
        if c in '"[':
            raise UnsupportedPattern(f"{c!r} inside a character class")
        members.append(c)
        i += 1
    if i >= len(body):
        raise UnsupportedPattern("an unclosed character class")
    inner = "".join(members)
    if negated:
        return f"[^{inner}{_NOT_JSON_RAW}]", i + 1
    return f"[{inner}]", i + 1


def _escape_inside(char: str, negated: bool) -> str:
    if negated and char == "s":
        return rf" \t\n\r\x0b\x0c{_UNICODE_SPACE}"
    if not negated and char in _INSIDE_POSITIVE:
        return _INSIDE_POSITIVE[char]
    if char in "tnr":
        if negated:
            return "\\" + char
        raise UnsupportedPattern(f"\\{char} in a class (not allowed raw in JSON)")
    if char in _PUNCTUATION and char != "\\":
        return _class_member(char)
    raise UnsupportedPattern(f"escape \\{char} inside a character class" if char else "a trailing backslash")
