"""Run a system over a gold corpus and score it: ``factloom eval``'s engine.

The scored documents are the first ``limit`` of the corpus. Their texts are written as ``.txt`` files
and ingested like any document (the system chunks them itself); predictions are mapped from the
ingested text back to the gold text (``tools.extraction.text_align``) and, for token corpora, to gold tokens.
Demonstrations come only from the documents AFTER the scored ones (``demo_pool`` of them, minus any
whose text equals a scored text), so no scored text is ever shown to the model as an example; every
system retrieves from that same store with the same k (``graphs.eval.systems``). By default the schema
is cut down to the labels the corpus uses (``tools.extraction.gold.restrict_to_gold``), for every system.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from factloom.agents.context import DemoSource
from factloom.agents.facts import add_counts
from factloom.graphs.eval.baseline_single_prompt import run_single_prompt
from factloom.graphs.eval.peer_langextract import run_langextract
from factloom.graphs.eval.report import drop_stages, score_report, usage_by_agent
from factloom.graphs.eval.systems import SystemName, SystemRun, demo_source, run_factloom
from factloom.graphs.extract_options import ExtractOptions
from factloom.ingest.corpora import GoldDoc
from factloom.ingest.workspace import Workspace
from factloom.tools.eval.scoring import DocPrediction, PredEntity, PredRelation
from factloom.tools.extraction.schema import Schema
from factloom.tools.extraction.text_align import OffsetMap
from factloom.tools.llm.base import LLM, Usage
from factloom.tools.llm.config import BackendConfig

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
    corpus_labels: bool = True


Progress = Callable[[int, int], None]
"""Called with (documents done, documents in all) after each document."""


def level_of(fmt: str) -> str:
    """Return how a format is scored: ``mention`` (sentences/abstracts), ``document`` or ``cuad``."""
    if fmt == "cuad":
        return "cuad"
    return "document" if fmt in DOCUMENT_FORMATS else "mention"


def add_demonstrations(ws: Workspace, pool: list[GoldDoc], schema: Schema, source: str) -> int:
    """Store demonstrations cut from ``pool`` (documents that are NOT scored); return how many."""
    from factloom.tools.extraction.demos import DemoStore, demos_from_gold

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
    ws: Workspace,
    spec: EvalSpec,
    doc_id: str,
    schema: Schema,
    llm: LLM,
    peer: object | None,
    demos: DemoSource | None = None,
) -> SystemRun:
    """Run the chosen system on one ingested document (the baselines with ``demos``, when given)."""
    settings = spec.options.settings()
    if spec.system == "single-prompt":
        return await run_single_prompt(ws, doc_id, schema, llm, demos, settings)
    if spec.system == "langextract":
        return await run_langextract(ws, doc_id, schema, peer, demos, settings)
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


@dataclass
class Predicted:
    """A system's predictions on the scored documents (gold offsets), what they cost and dropped."""

    preds: list[DocPrediction]
    usage: Usage = field(default_factory=Usage)
    drops: dict[str, int] = field(default_factory=dict)


async def predict(
    ws: Workspace,
    spec: EvalSpec,
    scored: list[GoldDoc],
    schema: Schema,
    llm: LLM,
    peer: object | None,
    progress: Progress | None = None,
) -> Predicted:
    """Ingest the scored texts, run the system once per distinct document; return gold-offset predictions."""
    from factloom.ingest.store import get_document

    ids = ingest_texts(ws, scored, spec.corpus)
    _drop_scored_demos(ws, list(ids.values()))
    demos = demo_source(ws, schema, spec.options) if spec.system != "factloom" else None
    out, runs = Predicted([]), {}
    distinct = list(dict.fromkeys(ids.values()))
    for k, doc_id in enumerate(distinct, 1):
        runs[doc_id] = run = await run_system(ws, spec, doc_id, schema, llm, peer, demos)
        out.usage = out.usage + run.usage
        out.drops = add_counts(out.drops, run.drops)
        if progress is not None:
            progress(k, len(distinct))
    out.preds = [
        to_gold_offsets(runs[ids[g.doc_id]].prediction, get_document(ws, ids[g.doc_id]).text, g)
        for g in scored
        if g.doc_id in ids
    ]
    return out


def _drop_scored_demos(ws: Workspace, doc_ids: list[str]) -> None:
    """Remove the self-annotated demonstrations drawn from documents about to be scored (never shown)."""
    from factloom.tools.extraction.demos import DemoStore

    removed = DemoStore(ws).remove_documents(doc_ids)
    if removed:
        log.warning("%d self-annotated demonstrations came from scored documents: removed", removed)


def scored_slice(spec: EvalSpec, docs: list[GoldDoc]) -> tuple[list[GoldDoc], list[GoldDoc]]:
    """Return the scored documents (the first ``limit``) and the demonstration pool after them.

    The pool is the next ``demo_pool`` documents, minus any whose text equals a scored text, so a
    demonstration is never a scored document.
    """
    scored = docs[: spec.limit] if spec.limit else docs
    texts = {d.text for d in scored}
    pool = [d for d in docs[len(scored) : len(scored) + spec.demo_pool] if d.text not in texts]
    return scored, pool


def eval_options(config: BackendConfig, **chosen: object) -> ExtractOptions:
    """Return extraction options for an evaluation: the configured model's profile, the knobs given.

    A knob given as None keeps the profile's default (where the options know profiles). Knobs are
    ``ExtractOptions`` fields (the agents' settings' names): an unknown name is a TypeError, not ignored.
    """
    from factloom.tools.llm import factory

    known = {f.name for f in fields(ExtractOptions)}
    kwargs: dict[str, Any] = {k: v for k, v in chosen.items() if v is not None}
    resolve = getattr(factory, "resolve_profile", None)
    if resolve is not None and "profile" in known:
        kwargs["profile"] = resolve(config)
    return ExtractOptions(resume=False, **kwargs)


def eval_schema(spec: EvalSpec, docs: list[GoldDoc], schema: Schema) -> Schema:
    """Return the schema every system is given: cut to the corpus's labels unless ``corpus_labels`` is off."""
    from factloom.tools.extraction.gold import restrict_to_gold

    return restrict_to_gold(schema, docs) if spec.corpus_labels else schema


async def evaluate(
    ws: Workspace,
    spec: EvalSpec,
    docs: list[GoldDoc],
    schema: Schema,
    llm: LLM,
    peer: object | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Evaluate ``spec.system`` on ``docs`` (already mapped to ``schema``'s types); return the report.

    ``seconds`` is the wall time of ingesting and running the system on the scored documents (storing
    the demonstrations is not counted). Scores carry 95% bootstrap intervals (``f1_ci``) and the
    per-document counts they came from (``per_doc``).
    """
    from factloom.tools.llm.cache import usage_report

    schema = eval_schema(spec, docs, schema)
    scored, pool = scored_slice(spec, docs)
    n_demos = 0
    if spec.options.demos and pool:
        n_demos = add_demonstrations(ws, pool, schema, f"{Path(spec.corpus).name}[{len(scored)}:]")
    before = usage_report(ws).by_agent
    started = time.perf_counter()
    got = await predict(ws, spec, scored, schema, llm, peer, progress)
    seconds = time.perf_counter() - started
    settings = spec.options.settings()
    return {
        "system": spec.system,
        "corpus": Path(spec.corpus).name,
        "format": spec.fmt,
        "schema": schema.name,
        "labels": {"entities": schema.entity_names, "relations": schema.relation_names},
        "n_docs": len(scored),
        "demonstrations": n_demos,
        "k_demos": settings.k_demos,
        **score_report(level_of(spec.fmt), scored, got.preds, schema),
        "drops": dict(sorted(got.drops.items())),
        "drop_stages": drop_stages(got.drops),
        "llm_calls": got.usage.calls,
        "cache_hits": got.usage.cache_hits,
        "prompt_tokens": got.usage.prompt_tokens,
        "completion_tokens": got.usage.completion_tokens,
        "usage_by_agent": usage_by_agent(before, usage_report(ws).by_agent),
        "seconds": round(seconds, 1),
        "model": getattr(llm, "name", type(llm).__name__),
        "profile": _profile(settings, llm),
        "settings": asdict(settings),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def _profile(settings: object, llm: LLM) -> str:
    """Return the model profile the run used ("-" where the settings and backend name none)."""
    found = getattr(settings, "profile", None) or getattr(llm, "profile", None)
    return str(getattr(found, "name", found)) if found else "-"
