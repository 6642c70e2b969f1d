"""The schema induction part of ``bench/synth.py``: open extraction with the schema hidden, and its score.

A gold type is matched when an induced type's facts are mostly of that gold type, judged by the texts of
the mentions (entities) or of the argument pairs (relations).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from quality import CORPORA, DATA, backend_config, model_path


def run_induce(args: argparse.Namespace) -> dict[str, Any]:
    """Induce a schema from the first ``--induce-sample`` dev sentences (schema hidden); score it."""
    from factloom.agents.context import AgentContext
    from factloom.agents.schema_induce import OPEN, open_extract, types_from
    from factloom.graphs.eval.run import ingest_texts
    from factloom.graphs.extract_options import ExtractOptions
    from factloom.ingest.corpora import read_corpus
    from factloom.ingest.embed import get_embedder
    from factloom.ingest.store import get_chunks
    from factloom.ingest.workspace import Workspace
    from factloom.tools.llm.factory import make_llm, resolve_profile

    corpus = CORPORA["conll04"]
    gold = read_corpus(DATA / corpus.path, corpus.fmt)[: args.induce_sample]  # raw corpus labels
    config = backend_config(model_path(args.model, None), "small" if args.model == "qwen-0.5b" else None)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="factloom-induce-") as folder:
        ws = Workspace(folder)
        ingest_texts(ws, gold, corpus.path)
        chunks = get_chunks(ws)
        settings = ExtractOptions(profile=resolve_profile(config)).settings()
        ctx = AgentContext(llm=make_llm(config, ws), schema=OPEN, settings=settings)
        entities, relations, usage = asyncio.run(
            open_extract(
                chunks,
                ctx,
                lambda k, n: print(f"induce: {k}/{n} chunks", flush=True) if k % 10 == 0 else None,
            )
        )
        found, cost = asyncio.run(types_from(entities, relations, ctx, get_embedder().embed))
        ws.close()
    usage = usage + cost
    return {
        "sentences": len(gold),
        "chunks": len(chunks),
        "seen": {"mentions": len(entities), "relations": len(relations)},
        "entities": score_types(found.entities, entities, _gold_entities(gold)),
        "relations": score_types(found.relations, relations, _gold_relations(gold)),
        "induced": [
            {
                "kind": kind,
                "name": t.name,
                "description": t.description,
                "labels": list(t.labels),
                "count": t.count,
                "domain": list(t.domain),
                "range": list(t.range),
            }
            for kind, types in (("entity", found.entities), ("relation", found.relations))
            for t in types
        ],
        "calls": usage.calls,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "seconds": round(time.perf_counter() - started, 1),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def _gold_entities(gold: Sequence[Any]) -> dict[str, str]:
    """Return mention text -> its gold type (the most frequent one)."""
    votes: dict[str, Counter[str]] = {}
    for doc in gold:
        for e in doc.entities:
            for m in e.mentions:
                votes.setdefault(m.text, Counter())[e.type] += 1
    return {text: c.most_common(1)[0][0] for text, c in votes.items()}


def _gold_relations(gold: Sequence[Any]) -> dict[str, str]:
    """Return "head text -> tail text" -> gold relation type."""
    out = {}
    for doc in gold:
        ents = {e.id: e for e in doc.entities}
        for r in doc.relations:
            for h in ents[r.head].mentions:
                for t in ents[r.tail].mentions:
                    out[f"{h.text} -> {t.text}"] = r.type
    return out


def score_types(induced: Sequence[Any], seen: Sequence[Any], gold_of: dict[str, str]) -> dict[str, Any]:
    """Map each induced type to the gold type most of its gold facts have; count matched and spurious."""
    gold_types = sorted(set(gold_of.values()))
    mapping = {}
    for t in induced:
        facts = [s.text for s in seen if s.label in t.labels]
        votes = Counter(gold_of[f] for f in facts if f in gold_of)
        on_gold = sum(votes.values())
        top = votes.most_common(1)[0] if votes else ("", 0)
        good = on_gold >= max(1, len(facts) / 2) and top[1] >= on_gold / 2
        mapping[t.name] = {
            "gold": top[0] if good else None,
            "facts": len(facts),
            "gold_facts": on_gold,
            "votes": dict(votes),
        }
    matched = sorted({m["gold"] for m in mapping.values() if m["gold"]})
    return {
        "gold_types": gold_types,
        "matched": matched,
        "induced": len(induced),
        "spurious": sorted(name for name, m in mapping.items() if m["gold"] is None),
        "mapping": mapping,
    }
