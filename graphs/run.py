"""One extraction run, in its order: the plan (dry run), or ingest, demonstrations, extract, merge.

``run_extraction`` owns the run: it ingests what is new among the paths, adds the demonstration files,
says why finished chunks run again, extracts every document (in this process, or on a Ray pool), and
merges the document graphs into the collection graph. ``factloom extract`` parses its flags into an
``ExtractionRun`` and calls it; tests and other callers call it the same way. What a run tells its user
goes through ``RunEvents`` (the CLI prints it; by default it is logged).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from factloom.graphs.distributed import RayOptions, extract_collection_ray
from factloom.graphs.dry_run import DryRun, llm_name, plan_extraction
from factloom.graphs.extract import extract_collection
from factloom.graphs.extract_jobs import explain_reruns
from factloom.graphs.extract_options import (
    CollectionReport,
    DocumentGraph,
    ExtractOptions,
    ExtractOptionsError,
)
from factloom.ingest.lock import workspace_lock
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.schema import Schema, load_schema
from factloom.tools.llm.base import LLM
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.factory import make_llm, resolve_profile, verifier_config
from factloom.tools.resolution.collection import BuildSummary, build_collection

log = logging.getLogger(__name__)

Progress = Callable[[DocumentGraph], None]


class RunOptionsError(ExtractOptionsError):
    """Options of a run that do not work together (the CLI reports it as a usage error)."""


class RunEvents(Protocol):
    """What a run tells its user, as it happens."""

    def say(self, line: str) -> None:
        """A line of the run's report (the CLI's stdout)."""
        ...

    def warn(self, line: str) -> None:
        """A warning, or what went wrong with one input (the CLI's stderr)."""
        ...

    def documents(self, total: int, label: str) -> AbstractContextManager[Progress]:
        """Follow ``total`` documents being extracted; the callable gets each finished graph."""
        ...


class LoggedEvents:
    """``RunEvents`` written to the log: report lines at INFO, warnings at WARNING, no progress bar."""

    def say(self, line: str) -> None:
        """Log a line of the report."""
        log.info("%s", line)

    def warn(self, line: str) -> None:
        """Log a warning."""
        log.warning("%s", line)

    @contextmanager
    def documents(self, total: int, label: str) -> Iterator[Progress]:
        """Follow nothing."""
        yield lambda _graph: None


@dataclass(frozen=True)
class ExtractionRun:
    """What to extract, from where, with what.

    Attributes:
        root: the workspace folder.
        paths: files, folders or globs to ingest (what is new) and extract.
        backend: the model's backend; the run takes its profile (read from a GGUF header once) and its
            concurrency (chunks in flight = model requests in flight).
        schema: a preset name or a schema YAML file.
        options: how to extract (its ``profile`` and ``concurrency`` come from ``backend``).
        demo_files: annotated examples to add as demonstrations first (any ``demos add`` format).
        verifier_model: run the verifier on another model of the same backend.
        ray: extract on a Ray pool; None: in this process.
        budget_tokens: stop cleanly once this many tokens are spent (the same run then resumes).
        chroma_url: the Chroma server of the vector index; None: the workspace's embedded store.
        wait: seconds to wait for another writer of the workspace.
        dry_run: only plan: documents, chunks, estimated calls and tokens; nothing is called or written.
    """

    root: Path
    paths: tuple[str, ...]
    backend: BackendConfig = field(default_factory=BackendConfig)
    schema: str = "news"
    options: ExtractOptions = field(default_factory=ExtractOptions)
    demo_files: tuple[Path, ...] = ()
    verifier_model: str | None = None
    ray: RayOptions | None = None
    budget_tokens: int | None = None
    chroma_url: str | None = None
    wait: float = 0.0
    dry_run: bool = False

    def check(self) -> None:
        """Refuse options that do not work together.

        Raises:
            RunOptionsError: ``budget_tokens`` or ``verifier_model`` with ``ray``.
        """
        if self.budget_tokens is not None and self.ray is not None:
            raise RunOptionsError("--budget-tokens does not work with --ray yet")
        if self.verifier_model is not None and self.ray is not None:
            raise RunOptionsError("--verifier-model does not work with --ray yet")


@dataclass
class ExtractionResult:
    """What a run did: the plan of a dry run, or the extraction report and the collection merge."""

    plan: DryRun | None = None
    report: CollectionReport | None = None
    collection: BuildSummary | None = None

    @property
    def failed(self) -> bool:
        """Return whether some document could not be extracted."""
        return self.report is not None and bool(self.report.failed)


def run_extraction(
    run: ExtractionRun, events: RunEvents | None = None, *, llm: LLM | None = None
) -> ExtractionResult:
    """Run one extraction: plan it (dry run), or ingest, add demonstrations, extract and merge.

    Args:
        run: what to extract and how.
        events: where the run's lines and progress go (default: the log).
        llm: a model to use instead of building one from ``run.backend`` (not with ``run.ray``).

    Raises:
        RunOptionsError: options that do not work together (checked after the dry run's plan).
        FactloomError: bad input (an unknown schema, a busy workspace, an unreachable backend, ...).
    """
    events = events or LoggedEvents()
    if llm is not None and run.ray is not None:
        raise RunOptionsError("Ray workers build their own model from the backend: pass no model object")
    schema = load_schema(run.schema)
    config = replace(run.backend, profile=resolve_profile(run.backend))  # the GGUF header is read once
    options = replace(run.options, profile=config.profile, concurrency=config.concurrency)
    events.warn(profile_line(options))
    if run.dry_run:
        plan = plan_extraction(run.root, list(run.paths), schema, options, llm_name(config))
        for line in plan.lines():
            events.say(line)
        return ExtractionResult(plan=plan)
    run.check()
    with Workspace(run.root, chroma_url=run.chroma_url) as ws, workspace_lock(ws, wait=run.wait):
        doc_ids = _ingest(ws, list(run.paths), events)
        if run.demo_files:
            _add_demos(ws, run.demo_files, schema, events)
        if run.ray is not None:
            _say_reruns(ws, doc_ids, schema, options, llm_name(config), events)
            with events.documents(len(doc_ids), "extract (ray)") as progress:
                report = extract_collection_ray(
                    ws, doc_ids, schema, config, options, run.ray, progress=progress
                )
        else:
            model = llm or _local_llm(ws, config, run)
            _say_reruns(ws, doc_ids, schema, options, model.name, events)
            if run.budget_tokens is not None:
                from factloom.tools.llm.budget import BudgetedLLM, TokenBudget

                model = BudgetedLLM(model, TokenBudget(run.budget_tokens))
            with events.documents(len(doc_ids), "extract") as progress:
                report = asyncio.run(
                    extract_collection(ws, doc_ids, schema, model, options, progress=progress)
                )
        _summary(report, events)
        collection = _merge_collection(ws, schema, events)
    return ExtractionResult(report=report, collection=collection)


def profile_line(options: ExtractOptions) -> str:
    """Return the one line that says which profile runs and what it sets."""
    s = options.settings()
    style = f"{s.verifier_style}, types checked" if s.check_types else s.verifier_style
    verifier = f"verifier ({style})" if s.verify else "no verifier (relations unverified)"
    return (
        f"profile {s.profile}: reads {s.unit}, relations {s.relation_mode}, "
        f"{'CoT' if s.cot else 'no CoT'}, {verifier}, "
        f"{s.k_demos} demonstrations, {s.cross_chunk_pairs} cross-chunk pairs"
    )


def _local_llm(ws: Workspace, config: BackendConfig, run: ExtractionRun) -> LLM:
    """Return the run's model in this process, with the verifier on its own model when asked."""
    llm = make_llm(config, ws)
    if run.verifier_model is not None:
        from factloom.tools.llm.routing import AgentRouter

        llm = AgentRouter(llm, {"verifier": make_llm(verifier_config(config, run.verifier_model), ws)})
    return llm


def _ingest(ws: Workspace, paths: list[str], events: RunEvents) -> list[str]:
    """Ingest what is new or changed; return the ids of every document the paths name."""
    from factloom.ingest.pipeline import ingest_paths

    report = ingest_paths(ws, paths)
    for w in (w for r in report.ingested for w in r.warnings):
        events.warn(f"warning: {w}")
    for r in report.failed:
        events.warn(f"error: {r.message}")
    return [r.doc_id for r in report.results if r.doc_id and r.status in ("ingested", "skipped")]


def _add_demos(ws: Workspace, files: tuple[Path, ...], schema: Schema, events: RunEvents) -> None:
    from factloom.ingest.corpora import read_corpus
    from factloom.tools.extraction.demos import DemoStore, demos_from_gold

    store = DemoStore(ws)
    for path in files:
        found = demos_from_gold(read_corpus(path, "auto"), schema, source=path.name)
        events.warn(f"{path.name}: {store.add(found, schema.name)} new demonstrations")


def _say_reruns(
    ws: Workspace, doc_ids: list[str], schema: Schema, options: ExtractOptions, model: str, events: RunEvents
) -> None:
    """Say why finished chunks run again (demonstrations, settings, model, schema or prompts changed)."""
    for line in explain_reruns(ws, doc_ids, schema, options.settings(), model):
        events.say(line)


def _summary(report: CollectionReport, events: RunEvents) -> None:
    t = report.totals()
    drops = ", ".join(f"{k} {v}" for k, v in sorted(t.drops.items())) or "none"
    events.say(
        f"{len(report.documents)} documents, {t.chunks} chunks ({t.chunks_resumed} resumed), "
        f"{t.entities} entities, {t.relations} relations; dropped: {drops}; "
        f"{t.usage.calls} LLM calls, {t.usage.prompt_tokens} prompt + {t.usage.completion_tokens} "
        "completion tokens"
    )
    for doc_id, message in report.failed.items():
        events.warn(f"error: {doc_id}: {message}")


def _merge_collection(ws: Workspace, schema: Schema, events: RunEvents) -> BuildSummary:
    """Merge the document graphs into the collection graph by rules (`resolve --judge` asks the LLM)."""
    built = build_collection(ws, schema)
    events.say(
        f"collection: {built.entities} entities from {built.document_entities} document entities "
        f"({built.merges} merges), {built.relations} relations, {built.conflicts} conflicts"
    )
    return built
