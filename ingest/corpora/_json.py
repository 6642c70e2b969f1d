"""Helpers to load JSON corpus files with errors that name the file and record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from factloom.ingest.errors import CorpusError


def load_json(path: Path) -> Any:
    """Load one JSON file.

    Raises:
        CorpusError: the file cannot be read or is not JSON.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise CorpusError(path, "-", f"cannot read the file ({e})") from e
    except json.JSONDecodeError as e:
        raise CorpusError(path, f"line {e.lineno}", f"not valid JSON ({e.msg})") from e


def iter_json_lines(path: Path) -> list[tuple[int, Any]]:
    """Load a JSON Lines file as (line number, object) pairs, skipping blank lines.

    Raises:
        CorpusError: a line is not JSON.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise CorpusError(path, "-", f"cannot read the file ({e})") from e
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as e:
            raise CorpusError(path, f"line {number}", f"not valid JSON ({e.msg})") from e
    return records


def field(record: Any, name: str, kind: type | tuple[type, ...], where: tuple[object, object]) -> Any:
    """Return ``record[name]`` after checking it exists and has the expected JSON kind.

    Raises:
        CorpusError: the record is not an object, lacks the field, or the field has another kind.
    """
    if not isinstance(record, dict):
        raise CorpusError(where[0], where[1], f"expected a JSON object, got {type(record).__name__}")
    if name not in record:
        raise CorpusError(where[0], where[1], f"missing field {name!r}")
    value = record[name]
    if not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise CorpusError(where[0], where[1], f"field {name!r} should be {expected}")
    return value
