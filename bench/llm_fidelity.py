"""Does the JSON constraint change a good answer? (``bench/llm.py --fidelity``)

For each of the first ``n`` CoNLL04 dev sentences the entity finder's real prompt (its system text, two
fixed demonstrations from later dev sentences, the sentence) is answered once free and once under each
JSON layout of ``tools.llm.profile``. Where the free answer is valid, i.e. it validates against the
entity finder's output model (the schema the grammar enforces: legal types, mention shape), the
constrained answer should name the same (text, type) entities: ``agree`` is that share. The free answer
is asked for a second time last (``free_again``), after the KV cache has held other answers: its agreement
with the first free answer is the floor set by llama.cpp's numerics (a near-tie between two tokens can
flip when the prompt tail is evaluated in another batch shape).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from factloom.agents.entity_finder import MAX_MENTIONS, build_messages
from factloom.ingest.corpora import read_corpus
from factloom.ingest.models import Chunk
from factloom.tools.extraction.demos import demos_from_gold
from factloom.tools.extraction.output_models import entity_output_model, entity_types_of
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.base import Sampling
from factloom.tools.llm.embedded import BOUNDS, EmbeddedBackend
from factloom.tools.llm.profile import JSON_FORMATS
from factloom.tools.llm.structured import extract_json, output_schema

CONLL04_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "conll04" / "dev_triples.json"
DEMO_SENTENCES = (223, 225)
"""Dev sentences used as the two fixed demonstrations (never among the scored first ``n``)."""
SAMPLING = Sampling(max_tokens=256)


def _entities(text: str, output: type[BaseModel]) -> frozenset[tuple[str, str]] | None:
    """Return the (text, type) pairs of an answer, or None when it does not validate against ``output``."""
    try:
        value: Any = output.model_validate(json.loads(extract_json(text)))
    except (json.JSONDecodeError, ValueError, ValidationError):
        return None
    return frozenset((e.text, e.type) for e in value.entities)


def _is_json(text: str) -> bool:
    try:
        json.loads(extract_json(text))
    except (json.JSONDecodeError, ValueError):
        return False
    return True


def prompts(n: int) -> list[list]:
    """Return the entity finder's prompts for the first ``n`` CoNLL04 dev sentences."""
    schema = load_schema("news")
    docs = read_corpus(CONLL04_DEV, "spert")
    demos = demos_from_gold([docs[i] for i in DEMO_SENTENCES], schema, source="conll04-dev")
    out = []
    for k, doc in enumerate(docs[:n]):
        chunk = Chunk(
            chunk_id=f"c{k}", doc_id=f"d{k}", index=0, start=0, end=len(doc.text), text=doc.text, page=1
        )
        out.append(build_messages(chunk, schema, demos))
    return out


async def fidelity(model_path: Path | None, n: int) -> dict[str, Any]:
    """Answer ``n`` dev prompts free and under every layout; return agreement and answer statistics."""
    output = entity_output_model(entity_types_of(load_schema("news")), MAX_MENTIONS)
    schema = output_schema(output, BOUNDS)
    free = EmbeddedBackend(model_path, constraint="none")
    guided = {name: EmbeddedBackend(model_path, json_format=fmt) for name, fmt in JSON_FORMATS.items()}
    rows = []
    started = time.perf_counter()
    for messages in prompts(n):
        reply = await free.generate(messages, None, SAMPLING)
        row: dict[str, Any] = {
            "free": reply.text,
            "free_json": _is_json(reply.text),
            "free_entities": _entities(reply.text, output),
        }
        for name, llm in guided.items():
            row[name] = _entities((await llm.generate(messages, schema, SAMPLING)).text, output)
        again = await free.generate(messages, None, SAMPLING)  # the KV cache now holds another answer
        row["free_again"] = _entities(again.text, output)
        rows.append(row)
    return {
        "model": free.model_path.name,
        "profile": free.profile,
        "n": len(rows),
        "seconds": round(time.perf_counter() - started, 1),
        **summary(rows, [*guided, "free_again"]),
        "examples": [
            {"free": r["free"][:300], **{k: sorted(r[k]) if r[k] is not None else None for k in guided}}
            for r in rows[:5]
        ],
    }


def summary(rows: list[dict[str, Any]], layouts: list[str]) -> dict[str, Any]:
    """Return, per layout, agreement with valid free answers, and how many answers were empty."""
    valid = [r for r in rows if r["free_entities"] is not None]
    out: dict[str, Any] = {
        "free_json": sum(1 for r in rows if r["free_json"]),
        "free_valid": len(valid),
        "free_mean_entities": round(sum(len(r["free_entities"]) for r in valid) / max(len(valid), 1), 2),
        "layouts": {},
    }
    for name in layouts:
        answers = [r[name] for r in rows]
        out["layouts"][name] = {
            "agree": sum(1 for r in valid if r[name] == r["free_entities"]),
            "of": len(valid),
            "empty": sum(1 for a in answers if a is not None and not a),
            "invalid": sum(1 for a in answers if a is None),
            "mean_entities": round(sum(len(a) for a in answers if a) / max(len(answers), 1), 2),
        }
    return out


def markdown(results: list[dict[str, Any]]) -> str:
    """Return the fidelity results as a Markdown table."""
    lines = [
        "# Constrained vs free answers (entity finder prompts, CoNLL04 dev)",
        "",
        "For each model, the first n CoNLL04 dev sentences get the entity finder's real prompt (two "
        f"fixed demonstrations: dev sentences {DEMO_SENTENCES[0]} and {DEMO_SENTENCES[1]}). `agree` counts "
        "the prompts whose constrained answer names exactly the same (text, type) entities as the free "
        "answer, among those whose free answer is valid (it validates against the entity finder's output "
        "model: JSON, legal types, mention shape; `free JSON` counts those that are JSON at all). Layouts: "
        '`spaced` = exactly the JSON the prompts show (`", "`, `": "`); `compact` = no whitespace (the '
        "layout before profiles); `flexible` = any whitespace, at most 8 spaces/newlines between tokens; "
        "`free_again` = the free prompt asked again after the others (no constraint: the agreement that "
        "llama.cpp's numerics allow when the KV cache held another answer). Greedy decoding (temperature 0).",
        "",
        "| model | profile | n | free JSON | free valid | free mean entities | layout | agree | empty "
        "| invalid | mean entities |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for name, s in r["layouts"].items():
            share = f"{s['agree']}/{s['of']} ({100 * s['agree'] / max(s['of'], 1):.0f}%)"
            lines.append(
                f"| {r['model']} | {r['profile']} | {r['n']} | {r['free_json']} | {r['free_valid']} | "
                f"{r['free_mean_entities']} | "
                f"{name} | {share} | {s['empty']} | {s['invalid']} | {s['mean_entities']} |"
            )
    lines += ["", "Command: `python bench/llm.py --fidelity [--model-path GGUF] --n 50`.", ""]
    return "\n".join(lines)
