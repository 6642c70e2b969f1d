"""Run a system over a gold corpus and score it: ``factloom eval``'s engine.

The scored documents are the first ``limit`` of the corpus. Their texts are written as ``.txt`` files
and ingested like any document (the system chunks them itself); predictions are mapped from the
ingested text back to the gold text (``tools.text_align``) and, for token corpora, to gold tokens.
Demonstrations for ``factloom`` come only from the documents AFTER the scored ones (``demo_pool`` of
them), so no scored text is ever shown to the model as an example.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factloom.graphs.eval_systems import (
    SystemName,
    SystemRun,
    run_factloom,
    run_langextract,
    run_single_prompt,
)
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.corpora import GoldDoc
from factloom.ingest.workspace import Workspace
from factloom.tools.llm.base import LLM, Usage
from factloom.tools.schema import Schema
from factloom.tools.scoring import (
    DocPrediction,
    PredEntity,
    PredRelation,
    score_cuad,
    score_documents,
    score_mentions,
)
from factloom.tools.text_align import OffsetMap

log = logging.getLogger(__name__)

DOCUMENT_FORMATS = ("pubtator", "bioc", "redocred")
TEXTS_DIR = "eval_texts"


@dataclass(frozen=True)
class EvalSpec:
    """What to evaluate: the corpus slice, the system and its options."""

    corpus: str
    fmt: str
    system: SystemName = "factloom"
    limit: int | None = None
    demo_pool: int = 200
    options: ExtractOptions = field(default_factory=ExtractOptions)


def level_of(fmt: str) -> str:
    """Return how a format is scored: ``mention`` (sentences/abstracts), ``document`` or ``cuad``."""
    if fmt == "cuad":
        return "cuad"
    return "document" if fmt in DOCUMENT_FORMATS else "mention"


def add_demonstrations(ws: Workspace, pool: list[GoldDoc], schema: Schema, source: str) -> int:
    """Store demonstrations cut from ``pool`` (documents that are NOT scored); return how many."""
    from factloom.tools.demos import DemoStore, demos_from_gold

    demos = demos_from_gold(pool, schema, source=source)
    DemoStore(ws).add(demos, schema.name)
    return len(demos)


def ingest_texts(ws: Workspace, docs: list[GoldDoc], corpus: str) -> dict[str, str]:
    """Write each gold text as a ``.txt`` file in the workspace, ingest them; return gold id -> doc id."""
    from factloom.ingest.pipeline import ingest_paths

    folder = ws.root / TEXTS_DIR / Path(corpus).stem
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for k, doc in enumerate(docs):
        path = folder / f"{k:05d}.txt"
        if not path.is_file() or path.read_text(encoding="utf-8") != doc.text:
            path.write_text(doc.text, encoding="utf-8")
        paths[str(path)] = doc.doc_id
    report = ingest_paths(ws, list(paths))
    for failed in report.failed:
        log.warning("not ingested, scored as empty: %s", failed.message)
    return {paths[r.path]: r.doc_id for r in report.results if r.doc_id and r.path in paths}


async def run_system(
    ws: Workspace, spec: EvalSpec, doc_id: str, schema: Schema, llm: LLM, peer: object | None
) -> SystemRun:
    """Run the chosen system on one ingested document."""
    if spec.system == "single-prompt":
        return await run_single_prompt(ws, doc_id, schema, llm)
    if spec.system == "langextract":
        return await run_langextract(ws, doc_id, schema, peer)
    return await run_factloom(ws, doc_id, schema, llm, spec.options)


def to_gold_offsets(pred: DocPrediction, source_text: str, gold: GoldDoc) -> DocPrediction:
    """Map a prediction from the ingested text's offsets to the gold text's; unmappable mentions go."""
    align = OffsetMap(source_text, gold.text)

    def move(span: tuple[int, int] | None) -> tuple[int, int] | None:
        return None if span is None else align.span(*span)

    entities = []
    for e in pred.entities:
        spans = tuple(s for m in e.mentions if (s := move(m)) is not None)
        entities.append(PredEntity(e.id, e.type, spans))
    relations = tuple(
        PredRelation(r.head, r.type, r.tail, move(r.head_span), move(r.tail_span)) for r in pred.relations
    )
    return DocPrediction(gold.doc_id, tuple(entities), relations)


def score(level: str, gold: list[GoldDoc], preds: list[DocPrediction], schema: Schema) -> dict[str, Any]:
    """Score predictions at the format's level; document-level scoring treats symmetric types as unordered."""
    if level == "cuad":
        return {
            "cuad": score_cuad(gold, preds).as_dict(),
            "entity": score_documents(gold, preds)["entity"].as_dict(),
        }
    if level == "document":
        symmetric = frozenset(r.name for r in schema.relation_types if r.symmetric)
        return _prf(score_documents(gold, preds, symmetric))
    return _prf(score_mentions(gold, preds))


def _prf(scores: dict[str, Any]) -> dict[str, Any]:
    return {k: v.as_dict() for k, v in scores.items()}


async def predict(
    ws: Workspace, spec: EvalSpec, scored: list[GoldDoc], schema: Schema, llm: LLM, peer: object | None
) -> tuple[list[DocPrediction], Usage]:
    """Ingest the scored texts, run the system once per distinct document; return gold-offset predictions."""
    from factloom.ingest.store import get_document

    ids = ingest_texts(ws, scored, spec.corpus)
    usage, runs = Usage(), {}
    for doc_id in dict.fromkeys(ids.values()):
        runs[doc_id] = await run_system(ws, spec, doc_id, schema, llm, peer)
        usage = usage + runs[doc_id].usage
    preds = [
        to_gold_offsets(runs[ids[g.doc_id]].prediction, get_document(ws, ids[g.doc_id]).text, g)
        for g in scored
        if g.doc_id in ids
    ]
    return preds, usage


async def evaluate(
    ws: Workspace, spec: EvalSpec, docs: list[GoldDoc], schema: Schema, llm: LLM, peer: object | None = None
) -> dict[str, Any]:
    """Evaluate ``spec.system`` on ``docs`` (already mapped to ``schema``'s types); return the report.

    ``seconds`` is the wall time of ingesting and running the system on the scored documents (storing
    the demonstrations is not counted).
    """
    scored = docs[: spec.limit] if spec.limit else docs
    texts = {d.text for d in scored}
    pool = [d for d in docs[len(scored) : len(scored) + spec.demo_pool] if d.text not in texts]
    n_demos = 0
    if spec.system == "factloom" and spec.options.demos and pool:
        n_demos = add_demonstrations(ws, pool, schema, f"{Path(spec.corpus).name}[{len(scored)}:]")
    started = time.perf_counter()
    preds, usage = await predict(ws, spec, scored, schema, llm, peer)
    report: dict[str, Any] = {
        "system": spec.system,
        "corpus": Path(spec.corpus).name,
        "format": spec.fmt,
        "schema": schema.name,
        "n_docs": len(scored),
        "demonstrations": n_demos,
        **score(level_of(spec.fmt), scored, preds, schema),
        "llm_calls": usage.calls,
        "cache_hits": usage.cache_hits,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "seconds": round(time.perf_counter() - started, 1),
        "model": getattr(llm, "name", type(llm).__name__),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }
    if spec.system == "factloom":
        report["options"] = {
            k: getattr(spec.options, k) for k in ("demos", "cot", "verifier", "consolidation")
        }
    return report
