"""Fuzz the schema loader: any text gives a Schema or a one-line SchemaError naming the line or field.

``bench/fuzz.py`` runs these properties with 10,000+ examples (``FACTLOOM_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import copy
import os
import re
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from factloom.tools.errors import SchemaError
from factloom.tools.extraction.schema import PRESETS, Schema, load_schema

EXAMPLES = int(os.environ.get("FACTLOOM_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

_TMP = tempfile.TemporaryDirectory(prefix="factloom-fuzz-schema-")
SCHEMA_FILE = Path(_TMP.name) / "schema.yaml"

KEYS = (
    "name", "description", "open", "entity_types", "relation_types", "guidelines", "examples",
    "aliases", "domain", "range", "functional", "symmetric",
)  # fmt: skip
TOKENS = (
    *(f"{k}:" for k in KEYS), *KEYS, "- ", "  ", "    ", "\n", "\t", "[", "]", "{", "}", ",", ": ", "'",
    '"', "&a ", "*a", "!!python/object/apply:os.system ", "!!binary ", "true", "null", "~", "2001-02-30",
    "2001-01-01", "1e999", "0x1F", "#", "|", ">", "? ", "...", "---\n", "%YAML 1.1\n", "\\", "\x00",
    "\ufeff", "é", "person", "work_for", "<<: ", "=",
)  # fmt: skip
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
TYPE_NAMES = st.from_regex(r"[a-z][a-z_]{0,9}", fullmatch=True)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
PRESET_DIR = resources.files("factloom.tools.extraction").joinpath("presets")
PRESET_DATA = {
    name: yaml.safe_load(PRESET_DIR.joinpath(f"{name}.yaml").read_text())
    for name in PRESETS
}


def load_text(text: str) -> Schema:
    """Write ``text`` to the fuzz schema file and load it."""
    SCHEMA_FILE.write_text(text, encoding="utf-8", errors="surrogatepass")
    return load_schema(SCHEMA_FILE)


def check_load(text: str) -> Schema | SchemaError:
    """Load ``text``; assert it gives a Schema or a usable SchemaError (any other exception fails)."""
    try:
        return load_text(text)
    except SchemaError as e:
        message = str(e)
        assert message.startswith(str(SCHEMA_FILE)), message
        assert "\n" not in message, f"not one line: {message!r}"
        assert re.search(r"line \d+|field \S+|expected a mapping|not a UTF-8|not a usable YAML", message), (
            message
        )
        return e


def expected_line(text: str, loc: list[str | int]) -> int | None:
    """Return the line of the deepest YAML node on the path ``loc`` (the truth the message must match)."""
    node = yaml.compose(text)
    line = None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == key), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_text_gives_a_schema_or_a_schema_error(text: str) -> None:
    check_load(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS) | st.text(max_size=6), max_size=60).map("".join))
def test_yaml_like_text_gives_a_schema_or_a_schema_error(text: str) -> None:
    check_load(text)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Return every path (keys and indexes) into ``data``, the root included."""
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, (*prefix, i))
    return out


def _mutate(data: Any, draw: st.DrawFn) -> Any:
    """Apply one random mutation to a copy of ``data`` at a random path."""
    data = copy.deepcopy(data)
    path = draw(st.sampled_from(_paths(data)))
    if not path:
        return draw(VALUES)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    op = draw(st.sampled_from(("delete", "replace", "unknown_key", "duplicate", "typo")))
    if op == "delete":
        del parent[last]
    elif op == "replace":
        parent[last] = draw(VALUES)
    elif op == "unknown_key" and isinstance(parent[last], dict):
        parent[last][draw(st.text(min_size=1, max_size=8))] = draw(VALUES)
    elif op == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    elif op == "typo" and isinstance(parent, dict) and isinstance(last, str) and last:
        parent[last[:-1] + draw(st.characters(codec="ascii"))] = parent.pop(last)
    return data


@st.composite
def valid_schemas(draw: st.DrawFn) -> dict[str, Any]:
    """Draw a small schema that satisfies every rule (as parsed YAML data)."""
    entities = draw(st.lists(TYPE_NAMES, min_size=1, max_size=4, unique=True))
    relations = draw(st.lists(TYPE_NAMES, max_size=3, unique=True))
    return {
        "name": draw(TYPE_NAMES),
        "entity_types": [
            {
                "name": n,
                "description": draw(st.text(max_size=20)),
                "aliases": draw(st.lists(TYPE_NAMES, max_size=2)),
            }
            for n in entities
        ],
        "relation_types": [
            {
                "name": n,
                "domain": draw(st.lists(st.sampled_from(entities), max_size=2)),
                "range": draw(st.lists(st.sampled_from(entities), max_size=2)),
                "functional": draw(st.booleans()),
            }
            for n in relations
        ],
    }


def check_mutation(base: dict[str, Any], data: st.DataObject) -> None:
    """Mutate ``base`` 1-3 times; a field error must point at the line where that field is."""
    mutated: Any = base
    for _ in range(data.draw(st.integers(1, 3))):
        mutated = _mutate(mutated, data.draw)
    text = yaml.dump(mutated, Dumper=DUMPER, sort_keys=False, allow_unicode=True)
    result = check_load(text)
    if isinstance(result, SchemaError) and isinstance(result.__cause__, ValidationError):
        loc = list(result.__cause__.errors()[0]["loc"])
        match = re.search(r" line (\d+),", str(result))
        line = int(match.group(1)) if match else None
        assert line == expected_line(text, loc), f"{result}\n---\n{text}"


@FUZZ
@given(valid_schemas())
def test_valid_schemas_load(data: dict[str, Any]) -> None:
    schema = load_text(yaml.dump(data, Dumper=DUMPER, sort_keys=False, allow_unicode=True))
    assert schema.entity_names == [t["name"] for t in data["entity_types"]]


@FUZZ
@given(valid_schemas(), st.data())
def test_mutated_schemas_give_a_schema_or_an_error_at_the_right_line(
    base: dict[str, Any], data: st.DataObject
) -> None:
    check_mutation(base, data)


@settings(parent=FUZZ, max_examples=max(EXAMPLES // 10, 20))
@given(st.sampled_from(PRESETS), st.data())
def test_mutated_presets_give_a_schema_or_an_error_at_the_right_line(
    preset: str, data: st.DataObject
) -> None:
    check_mutation(PRESET_DATA[preset], data)


@FUZZ
@given(st.sampled_from(PRESETS))
def test_presets_round_trip_through_yaml(preset: str) -> None:
    schema = load_text(yaml.dump(PRESET_DATA[preset], Dumper=DUMPER, sort_keys=False, allow_unicode=True))
    assert schema == load_schema(preset)
