"""Compare the relation reasoner's two modes with a real backend: one joint call per chunk vs QA4RE pairs.

On the first N sentences of the CoNLL04 dev split (../shared/data/conll04) that hold a relation, the gold
entity mentions are given (so only relation reasoning is measured), each mode proposes relations, the
verifier's deterministic checks run (no LLM judge), and the kept (head, type, tail) triples are scored
against the gold relations: precision, recall, F1, plus calls, prompt tokens and LLM seconds.

    python bench/relation_modes.py --n 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

from langgraph.runtime import Runtime

from factloom.agents.context import AgentContext, AgentSettings, RelationMode
from factloom.agents.relation_reasoner import ReasonerInput, reason_relations
from factloom.agents.verifier import VerifierInput, verify
from factloom.ingest.models import Chunk
from factloom.tools.extraction.kg import Mention
from factloom.tools.extraction.schema import Schema, load_schema
from factloom.tools.llm.base import LLM, Usage
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.factory import make_llm

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "conll04" / "dev_triples.json"
RESULTS = Path(__file__).parent / "results"


def sentence(i: int, item: dict, schema: Schema) -> tuple[Chunk, list[Mention], set[tuple[str, str, str]]]:
    """Return one dev sentence as a chunk, its gold mentions (schema types) and gold triples."""
    starts, text = [], ""
    for tok in item["tokens"]:
        starts.append(len(text) + (1 if text else 0))
        text = f"{text} {tok}" if text else tok
    doc_id = f"conll04_dev_{i}"
    chunk = Chunk(chunk_id=f"{doc_id}_c0", doc_id=doc_id, index=0, start=0, end=len(text), text=text, page=1)
    mentions = []
    for e in item["entities"]:
        start = starts[e["start"]]
        end = starts[e["end"] - 1] + len(item["tokens"][e["end"] - 1])
        type_ = schema.entity_type_for_label(e["type"]) or "other"
        mid = Mention.make_id(doc_id, start, end, type_)
        mentions.append(
            Mention(
                mention_id=mid,
                doc_id=doc_id,
                chunk_id=chunk.chunk_id,
                start=start,
                end=end,
                text=text[start:end],
                type=type_,
                page=1,
            )
        )
    gold = {
        (
            mentions[r["head"]].text,
            schema.relation_type_for_label(r["type"]) or r["type"],
            mentions[r["tail"]].text,
        )
        for r in item["relations"]
    }
    return chunk, mentions, gold


async def run_mode(mode: RelationMode, data: list, llm: LLM, schema: Schema) -> dict:
    """Return the scores and costs of one mode over ``data``."""
    runtime = Runtime(
        context=AgentContext(llm=llm, schema=schema, settings=AgentSettings(relation_mode=mode))
    )
    checks = Runtime(context=AgentContext(llm=llm, schema=schema, settings=AgentSettings(verify=False)))
    tp = fp = fn = 0
    usage = Usage()
    t0 = time.perf_counter()
    for chunk, mentions, gold in data:
        out = await reason_relations(ReasonerInput(chunk=chunk, mentions=mentions), runtime)
        usage = usage + out["usage"]
        kept = await verify(
            VerifierInput(chunk=chunk, mentions=mentions, candidates=out["candidates"]), checks
        )
        found = {(f.head.text, f.type, f.tail.text) for f in kept["accepted"]}
        tp, fp, fn = tp + len(found & gold), fp + len(found - gold), fn + len(gold - found)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "mode": mode,
        "sentences": len(data),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
        "llm_calls": usage.calls,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "llm_seconds": round(usage.seconds, 1),
        "wall_s": round(time.perf_counter() - t0, 1),
    }


def main() -> None:
    """Run both modes and write bench/results/relation_modes.json and .md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="dev sentences with at least one relation")
    args = parser.parse_args()
    schema = load_schema("news")
    items = [x for x in json.loads(DEV.read_text()) if x["relations"]][: args.n]
    data = [sentence(i, item, schema) for i, item in enumerate(items)]
    llm = make_llm(BackendConfig())
    load_start = os.getloadavg()
    rows = [asyncio.run(run_mode(mode, data, llm, schema)) for mode in ("joint", "pairs")]
    result = {
        "command": "python " + " ".join(sys.argv),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "backend": "embedded SmolLM2-135M-Instruct Q4_1 (default BackendConfig), no call cache",
        "data": f"CoNLL04 dev (SpERT JSON), first {len(data)} sentences with a relation; gold mentions given",
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "modes": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "relation_modes.json").write_text(json.dumps(result, indent=2) + "\n")
    keys = [
        "mode",
        "precision",
        "recall",
        "f1",
        "tp",
        "fp",
        "fn",
        "llm_calls",
        "prompt_tokens",
        "llm_seconds",
    ]
    md = [
        "# Relation reasoner: joint vs pairs (QA4RE)",
        "",
        f"Command: `{result['command']}`  ",
        f"Backend: {result['backend']}  ",
        f"Data: {result['data']}  ",
        f"Load average {result['loadavg_start']} -> {result['loadavg_end']} (shared machine)",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
        *("| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows),
    ]
    (RESULTS / "relation_modes.md").write_text("\n".join(md) + "\n")
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
