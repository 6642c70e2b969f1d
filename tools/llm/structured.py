"""Structured output shared by every backend: the JSON schema, parsing, and the one repair attempt.

The schema sent to a model is derived from the pydantic output type and simplified for small
models and grammar engines: ``$ref`` inlined, titles and defaults dropped, every property
required (fixed shape, fewer branches), no additional properties, and optional bounds on
strings and arrays so that a looping small model is forced to close its JSON.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from factloom.tools.errors import LLMOutputError
from factloom.tools.llm.base import CallTag, Completion, Message, Sampling, Usage

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

JsonSchema = dict[str, Any]

_DROPPED_KEYS = frozenset({"title", "default", "examples"})

REPAIR_PROMPT = (
    "Your previous reply could not be used: {error}\n"
    "Reply again with only one JSON value that matches the schema, and nothing else."
)


@dataclass(frozen=True)
class Bounds:
    """Upper bounds added to strings and arrays that have none (``None`` adds nothing)."""

    max_string: int | None = None
    max_items: int | None = None


@dataclass(frozen=True)
class RawReply:
    """What a backend generated for one request, before parsing."""

    text: str
    usage: Usage = field(default_factory=Usage)
    truncated: bool = False


Generate = Callable[[list[Message]], Awaitable[RawReply]]

DEFAULT_SAMPLING = Sampling()
DEFAULT_TAG = CallTag()


def output_schema(output: type[BaseModel], bounds: Bounds = Bounds()) -> JsonSchema:
    """Return the simplified JSON schema of ``output`` (a fresh copy the caller may change)."""
    return copy.deepcopy(_cached_schema(output, bounds))


def schema_json(output: type[BaseModel]) -> str:
    """Return the canonical JSON text of ``output``'s simplified schema (for cache keys)."""
    return json.dumps(_cached_schema(output, Bounds()), sort_keys=True, separators=(",", ":"))


@lru_cache(maxsize=256)
def _cached_schema(output: type[BaseModel], bounds: Bounds) -> JsonSchema:
    raw = output.model_json_schema()
    defs = raw.pop("$defs", {})
    return _simplify(raw, defs, bounds, seen=())


def _simplify(node: Any, defs: dict[str, Any], bounds: Bounds, seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_simplify(item, defs, bounds, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            raise ValueError(f"recursive output type {name!r} cannot be used for constrained decoding")
        return _simplify(defs[name], defs, bounds, (*seen, name))
    out: JsonSchema = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: _simplify(prop, defs, bounds, seen) for name, prop in value.items()}
        elif key not in _DROPPED_KEYS:
            out[key] = _simplify(value, defs, bounds, seen)
    if "properties" in out:
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    _add_bounds(out, bounds)
    return out


def _add_bounds(node: dict[str, Any], bounds: Bounds) -> None:
    kind = node.get("type")
    if kind == "string" and bounds.max_string and "enum" not in node and "const" not in node:
        node.setdefault("maxLength", bounds.max_string)
    if kind == "array" and bounds.max_items:
        node.setdefault("maxItems", bounds.max_items)


def extract_json(text: str) -> str:
    """Return the JSON part of a reply: markdown fences and chatter around one object removed."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0].strip()
    if body[:1] not in ("{", "["):
        start, end = body.find("{"), body.rfind("}")
        if start != -1 and end > start:
            body = body[start : end + 1]
    return body


def parse_reply(reply: RawReply, output: type[T]) -> T:
    """Return ``output`` validated from ``reply``.

    Raises:
        LLMOutputError: the reply is empty, truncated, not JSON, or has the wrong shape.
    """
    text = reply.text
    if not text.strip():
        raise LLMOutputError("empty completion", raw=text)
    body = extract_json(text)
    try:
        data = json.loads(body)
    except json.JSONDecodeError as e:
        why = "cut off at the token limit" if reply.truncated else "not valid JSON"
        raise LLMOutputError(f"{why} ({e.msg} at character {e.pos})", raw=text) from e
    except (ValueError, RecursionError) as e:  # a number of 4,300+ digits; arrays nested too deep
        raise LLMOutputError(f"unusable JSON ({type(e).__name__}: {str(e)[:80]})", raw=text) from e
    try:
        return output.model_validate(data)
    except ValidationError as e:
        raise LLMOutputError(f"wrong shape: {_summarise(e)}", raw=text) from e


def _summarise(error: ValidationError, limit: int = 5) -> str:
    parts = []
    for item in error.errors()[:limit]:
        where = ".".join(str(p) for p in item["loc"]) or "(root)"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def repair_messages(messages: list[Message], raw: str, error: str) -> list[Message]:
    """Return ``messages`` followed by the bad reply and a request to fix it."""
    return [
        *messages,
        Message(role="assistant", content=raw),
        Message(role="user", content=REPAIR_PROMPT.format(error=error)),
    ]


async def complete_with_repair(generate: Generate, messages: list[Message], output: type[T]) -> Completion[T]:
    """Generate, parse, and on failure re-ask once with the error.

    Raises:
        LLMOutputError: both replies failed; ``usage`` counts both attempts.
    """
    reply = await generate(messages)
    usage = reply.usage
    try:
        return Completion(value=parse_reply(reply, output), usage=usage, raw=reply.text)
    except LLMOutputError as first:
        log.info("invalid %s output (%s); one repair attempt", output.__name__, first)
        retry = await generate(repair_messages(messages, reply.text, str(first)))
        usage = usage + retry.usage
        try:
            return Completion(value=parse_reply(retry, output), usage=usage, raw=retry.text)
        except LLMOutputError as second:
            raise LLMOutputError(
                f"{output.__name__}: invalid model output after one repair attempt: {second}",
                raw=retry.text,
                usage=usage,
            ) from second
