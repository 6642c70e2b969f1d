"""The parts of an evaluation report: scores with bootstrap intervals, confusion, drops, usage per agent.

A report keeps the per-document counts of every score (``per_doc``), so two reports on the same
documents can be compared afterwards with a paired bootstrap (``compare``), e.g. by ``bench/quality.py``.
"""

from __future__ import annotations

from typing import Any

from factloom.ingest.corpora import GoldDoc
from factloom.tools.eval.bootstrap import f1_interval, paired_difference
from factloom.tools.eval.scoring import (
    PRF,
    DocPrediction,
    relation_confusion,
    score_cuad,
    score_documents,
    score_mentions,
)
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import Usage

SCORE_KEYS = ("entity", "relation_strict", "relation_boundaries", "relation_doc")
DROP_STAGES = {
    "grounding": ("mention_grounding", "relation_grounding"),
    "schema": ("mention_schema", "mention_shape", "relation_schema", "relation_self"),
    "verifier": ("relation_verifier",),
    "invalid_output": ("invalid_output",),
}
"""Drop reasons (``agents.facts.Drop``) grouped by the stage that dropped them."""


def symmetric_types(schema: Schema) -> frozenset[str]:
    """Return the schema's symmetric relation types (their argument order is not scored)."""
    return frozenset(r.name for r in schema.relation_types if r.symmetric)


def score_report(
    level: str, gold: list[GoldDoc], preds: list[DocPrediction], schema: Schema
) -> dict[str, Any]:
    """Score predictions at the format's level: P/R/F1 with 95% CIs, per-document counts, confusion.

    Mention-level relations are scored with argument order kept (the corpora's convention);
    document-level scoring treats symmetric types as unordered.
    """
    if level == "cuad":
        return {
            "cuad": score_cuad(gold, preds).as_dict(),
            **_with_intervals(gold, {"entity": score_documents(gold, preds)["entity"]}),
        }
    if level == "document":
        symmetric = symmetric_types(schema)
        scores = score_documents(gold, preds, symmetric)
        confusion = relation_confusion(gold, preds, symmetric, document_level=True)
    else:
        scores = score_mentions(gold, preds)
        confusion = relation_confusion(gold, preds)
    return {**_with_intervals(gold, scores), "relation_confusion": confusion.as_dict()}


def _with_intervals(gold: list[GoldDoc], scores: dict[str, PRF]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    per_doc: dict[str, Any] = {"doc_ids": [g.doc_id for g in gold]}
    for key, prf in scores.items():
        out[key] = {**prf.as_dict(), "f1_ci": f1_interval(prf.per_doc).as_list()}
        per_doc[key] = [list(c) for c in prf.per_doc]
    out["per_doc"] = per_doc
    return out


def drop_stages(drops: dict[str, int]) -> dict[str, int]:
    """Return drop counts summed by stage (grounding, schema, verifier, invalid output, other)."""
    stages = {stage: sum(drops.get(r, 0) for r in reasons) for stage, reasons in DROP_STAGES.items()}
    known = {r for reasons in DROP_STAGES.values() for r in reasons}
    other = sum(v for k, v in drops.items() if k not in known)
    return {**stages, **({"other": other} if other else {})}


def usage_by_agent(before: dict[str, Usage], after: dict[str, Usage]) -> dict[str, dict[str, int]]:
    """Return calls and tokens per agent made between two snapshots of the workspace accounting."""
    out = {}
    for agent, now in after.items():
        was = before.get(agent, Usage())
        calls = now.calls - was.calls
        if calls:
            out[agent] = {
                "calls": calls,
                "cache_hits": now.cache_hits - was.cache_hits,
                "prompt_tokens": now.prompt_tokens - was.prompt_tokens,
                "completion_tokens": now.completion_tokens - was.completion_tokens,
            }
    return out


def compare(a: dict[str, Any], b: dict[str, Any], key: str) -> dict[str, Any] | None:
    """Return F1(a) - F1(b) on score ``key`` with its paired 95% CI, or None when they cannot be paired.

    Two reports pair when both kept per-document counts for ``key`` over the same documents.
    """
    da, db = a.get("per_doc", {}), b.get("per_doc", {})
    if key not in da or key not in db or da.get("doc_ids") != db.get("doc_ids"):
        return None
    diff = paired_difference([tuple(c) for c in da[key]], [tuple(c) for c in db[key]])
    return {"diff": round(diff.value, 4), "ci": diff.as_list(), "n": len(da[key])}
