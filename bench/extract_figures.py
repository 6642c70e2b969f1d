"""The figures of ``bench/extract.py``: one row per document and the corpus totals.

Per document: wall time, LLM calls and tokens per 1,000 source tokens, entities and relations, relation
proposals and what became of them, relations by status and origin, and every call's outcome per agent.
The totals are token-weighted, not means of ratios.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from factloom.graphs.extract_options import DocumentGraph

ORIGINS = ("verified", "unverified", "one_sentence", "cross_sentence", "cross_chunk")
PROPOSAL_KEYS = ("proposed", "grounded", "rejected")
OUTCOMES = ("ok", "repaired", "invalid", "error")


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def row(name: str, schema: str, pages: int, tokens: int, graph: DocumentGraph) -> dict:
    """Return the benchmark row of one document."""
    s, u = graph.stats, graph.stats.usage
    per_k = 1000 / tokens if tokens else 0.0
    checked = s.drops.get("relation_grounding", 0) + s.drops.get("relation_verifier", 0) + s.facts
    origins = relation_origins(graph)
    return {
        "pdf": name,
        "schema": schema,
        "pages": pages,
        "source_tokens": tokens,
        "chunks": s.chunks,
        "wall_s": round(s.seconds, 2),
        "wall_s_per_page": round(s.seconds / pages, 2) if pages else None,
        "llm_tokens_per_page": round((u.prompt_tokens + u.completion_tokens) / pages) if pages else None,
        "llm_calls": u.calls,
        "llm_calls_per_1k_source_tokens": round(u.calls * per_k, 2),
        "prompt_tokens_per_1k_source_tokens": round(u.prompt_tokens * per_k, 1),
        "completion_tokens_per_1k_source_tokens": round(u.completion_tokens * per_k, 1),
        "prompt_tokens_per_source_token": round(u.prompt_tokens / tokens, 2) if tokens else None,
        "prefix_cache_share": _share(u.cached_prompt_tokens, u.prompt_tokens),
        "non_llm_time_share": _share(max(s.seconds - u.seconds, 0.0), s.seconds),
        "mentions": s.mentions,
        "entities": s.entities,
        "relations": s.relations,
        "relation_proposals_checked": checked,
        **proposals(s.drops, s.facts, origins["cross_chunk"]),
        **origins,
        "dropped_by_grounding_share": _share(s.drops.get("relation_grounding", 0), checked),
        "dropped_by_verifier_share": _share(s.drops.get("relation_verifier", 0), checked),
        "drops": s.drops,
        "prompt_tokens": u.prompt_tokens,
        "cached_prompt_tokens": u.cached_prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "llm_seconds": round(u.seconds, 2),
    }


def proposals(drops: dict[str, int], facts: int, cross_chunk_kept: int) -> dict[str, int]:
    """Return the relation proposals of a run and what became of them.

    ``proposed``: every relation the reasoner or the consolidator put forward (those dropped as off-schema,
    self-relations, ungrounded or rejected by the verifier, the chunk facts kept, and the cross-chunk
    relations kept); ``grounded``: those whose arguments and quote were found in the text and fit the
    schema; ``rejected``: those the verifier judged unsupported. Cross-chunk proposals the verifier rejected
    are counted in ``rejected`` (the drop counts do not tell them apart).
    """
    off = drops.get("relation_schema", 0) + drops.get("relation_self", 0) + drops.get("relation_grounding", 0)
    rejected = drops.get("relation_verifier", 0)
    proposed = off + rejected + facts + cross_chunk_kept
    return {"proposed": proposed, "grounded": proposed - off, "rejected": rejected}


def relation_origins(graph: DocumentGraph) -> dict[str, int]:
    """Count the relations by status and by where their evidence lies (one sentence, sentences, chunks)."""
    from factloom.ingest.sentences import sentence_bounds

    out = {"verified": 0, "unverified": 0, "one_sentence": 0, "cross_sentence": 0, "cross_chunk": 0}
    for rel in graph.relations:
        out[rel.status] += 1
        if rel.agent == "consolidator":
            out["cross_chunk"] += 1
        elif all(len(sentence_bounds(ev.quote)) <= 1 for ev in rel.evidence):
            out["one_sentence"] += 1
        else:
            out["cross_sentence"] += 1
    return out


def agent_totals(rows: list[dict]) -> dict[str, dict[str, Any]]:
    """Return the call outcomes per agent over ``rows``, with the share valid after at most one repair."""
    out: dict[str, Counter[str]] = {}
    for r in rows:
        for agent, counts in r.get("calls_by_agent", {}).items():
            out.setdefault(agent, Counter()).update(counts)
    result: dict[str, dict[str, Any]] = {}
    for agent, c in sorted(out.items()):
        calls = sum(c[k] for k in OUTCOMES)
        result[agent] = {"calls": calls, **{k: c[k] for k in OUTCOMES}}
        result[agent]["valid_share"] = round((c["ok"] + c["repaired"]) / calls, 4) if calls else None
    calls = sum(a["calls"] for a in result.values())
    valid = sum(a["ok"] + a["repaired"] for a in result.values())
    result["all"] = {
        "calls": calls,
        **{k: sum(a[k] for a in result.values()) for k in OUTCOMES},
        "valid_share": round(valid / calls, 4) if calls else None,
    }
    return result


def totals(rows: list[dict]) -> dict:
    """Return the corpus-level figures (token-weighted, not means of ratios)."""
    ok = [r for r in rows if "error" not in r]
    tokens = sum(r["source_tokens"] for r in ok)
    pages = sum(r["pages"] for r in ok)
    wall = sum(r["wall_s"] for r in ok)
    prompt = sum(r["prompt_tokens"] for r in ok)
    checked = sum(r["relation_proposals_checked"] for r in ok)
    return {
        "documents": len(ok),
        "pages": pages,
        "source_tokens": tokens,
        "wall_s": round(wall, 1),
        "wall_s_per_page": round(wall / pages, 2) if pages else None,
        "llm_calls_per_1k_source_tokens": round(1000 * sum(r["llm_calls"] for r in ok) / tokens, 2)
        if tokens
        else None,
        "prompt_tokens_per_source_token": round(prompt / tokens, 2) if tokens else None,
        "completion_tokens_per_1k_source_tokens": round(
            1000 * sum(r["completion_tokens"] for r in ok) / tokens, 1
        )
        if tokens
        else None,
        "prefix_cache_share": _share(sum(r["cached_prompt_tokens"] for r in ok), prompt),
        "non_llm_time_share": _share(wall - sum(r["llm_seconds"] for r in ok), wall),
        "entities": sum(r["entities"] for r in ok),
        "relations": sum(r["relations"] for r in ok),
        "dropped_by_grounding_share": _share(
            sum(r["drops"].get("relation_grounding", 0) for r in ok), checked
        ),
        "dropped_by_verifier_share": _share(sum(r["drops"].get("relation_verifier", 0) for r in ok), checked),
        **{k: sum(r.get(k, 0) for r in ok) for k in (*ORIGINS, *PROPOSAL_KEYS)},
        "llm_tokens_per_page": round((prompt + sum(r["completion_tokens"] for r in ok)) / pages)
        if pages
        else None,
        "cross_sentence_share": _share(sum(r["cross_sentence"] for r in ok), sum(r["relations"] for r in ok)),
        "cross_chunk_share": _share(sum(r["cross_chunk"] for r in ok), sum(r["relations"] for r in ok)),
        "calls_by_agent": agent_totals(rows),
    }
