"""Options, run context and results of an extraction run (the public types of ``graphs.extract``)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import get_args

from factloom.agents.context import AgentContext, AgentSettings, ReadingUnit, RelationMode, VerifierStyle
from factloom.agents.profiles import profile_settings
from factloom.ingest.errors import FactloomError
from factloom.tools.extraction.kg import Entity, Mention, Relation, stable_id
from factloom.tools.llm.base import Usage
from factloom.tools.llm.profile import PROFILES, Profile
from factloom.tools.store.jobs import JobTable

PROMPT_VERSION = "extract-v4"
"""Bump when a prompt template or a check changes, so finished chunks are extracted again."""


class ExtractOptionsError(FactloomError):
    """Extraction options that do not fit together."""


@dataclass(frozen=True)
class ExtractOptions:
    """How to extract; frozen, built once by the caller.

    The knobs are the agents' settings (``agents.context.AgentSettings``), under the same names; those
    left at None take the model profile's default (``agents.profiles``). The CLI's flags for them are
    declared once, in ``graphs.cli.shared.setting_options``.

    Attributes:
        profile: the model's profile (tiny / small / large); None = ``large``.
        demos: use retrieved demonstrations (when the workspace has some for the schema).
        k_demos: demonstrations per prompt.
        cot: the relation reasoner writes a short reasoning first.
        verify: the LLM judges each fact's support (deterministic checks always run).
        verifier_style: ``verdicts`` (facts judged 8 a call) or ``choice`` (one contrastive choice per fact).
        check_types: the verifier checks each argument's entity type before the relation.
        consolidate: merge aliases/abbreviations and judge cross-chunk pairs.
        concurrency: model calls in flight at once (bounded at the LLM, ``tools.llm.limit``).
        self_annotation: store verified high-confidence facts as demonstrations for later documents.
        relation_mode: ``joint`` (one call per chunk) or ``pairs`` (QA4RE multiple choice per mention pair).
        unit: what the entity finder reads per call: the ``chunk`` or ``sentences`` windows.
        cross_chunk_pairs: most cross-chunk entity pairs judged per document.
        evidence_reach: how far (characters) a relation quote may be widened to take in an argument it lacks.
        resume: reuse finished chunk results from the job table.
    """

    profile: Profile | None = None
    demos: bool = True
    k_demos: int | None = None
    cot: bool | None = None
    verify: bool | None = None
    verifier_style: VerifierStyle | None = None
    check_types: bool | None = None
    consolidate: bool = True
    concurrency: int = 4
    self_annotation: bool = False
    relation_mode: RelationMode | None = None
    unit: ReadingUnit | None = None
    cross_chunk_pairs: int | None = None
    evidence_reach: int | None = None
    resume: bool = True

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ExtractOptionsError(f"concurrency must be at least 1, not {self.concurrency}")
        if min(self.k_demos or 0, self.cross_chunk_pairs or 0, self.evidence_reach or 0) < 0:
            raise ExtractOptionsError("k_demos, cross_chunk_pairs and evidence_reach cannot be negative")
        if self.relation_mode not in (None, "joint", "pairs"):
            raise ExtractOptionsError(f"relation_mode must be joint or pairs, not {self.relation_mode!r}")
        if self.verifier_style not in (None, *get_args(VerifierStyle)):
            style = self.verifier_style
            raise ExtractOptionsError(f"verifier_style must be verdicts or choice, not {style!r}")
        if self.profile not in (None, *PROFILES):
            raise ExtractOptionsError(f"profile must be one of {', '.join(PROFILES)}, not {self.profile!r}")

    def settings(self) -> AgentSettings:
        """Return the agents' settings: the profile's defaults with the knobs given here on top."""
        base = profile_settings(self.profile or "large")
        chosen = {name: getattr(self, name) for name in SETTING_KNOBS}
        settings = replace(base, **{k: v for k, v in chosen.items() if v is not None})
        return replace(
            settings,
            k_demos=settings.k_demos if self.demos else 0,
            cross_chunk_pairs=settings.cross_chunk_pairs if self.consolidate else 0,
        )


SETTING_KNOBS = tuple(
    f.name for f in fields(ExtractOptions) if f.name in {g.name for g in fields(AgentSettings)} - {"profile"}
)
"""The options that set an agent setting of the same name (the profile is chosen, not set)."""


def run_version(settings: AgentSettings, schema_version: str, model: str, demos: str = "") -> str:
    """Return the version stamp of chunk results: prompts, settings, schema, model and demonstrations.

    ``demos`` is the fingerprint of the demonstrations the run retrieves from
    (``tools.extraction.demos.fingerprint``; "" when it uses none): after ``demos add`` finished chunks
    are extracted again.
    """
    knobs = [(f.name, getattr(settings, f.name)) for f in fields(settings)]
    if demos and settings.k_demos > 0:
        return stable_id("v", PROMPT_VERSION, knobs, schema_version, model, demos)
    return stable_id("v", PROMPT_VERSION, knobs, schema_version, model)


@dataclass(frozen=True)
class ExtractContext(AgentContext):
    """The graph's runtime context: the agents' context plus the job table and the result version."""

    jobs: JobTable | None = None
    version: str = ""


@dataclass
class ExtractStats:
    """What one document's extraction did and cost.

    Attributes:
        chunks: chunks of the document; ``chunks_resumed`` of them came from the job table.
        mentions: distinct grounded mentions.
        facts: verified relation facts, before merging into relations.
        drops: proposals dropped, by reason (``agents.facts.Drop``).
        usage: LLM calls, tokens and seconds spent in calls.
        seconds: wall time of the run.
    """

    chunks: int = 0
    chunks_resumed: int = 0
    mentions: int = 0
    facts: int = 0
    entities: int = 0
    relations: int = 0
    drops: dict[str, int] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0


@dataclass
class DocumentGraph:
    """The knowledge graph of one document, its mentions, and the run's statistics."""

    doc_id: str
    entities: list[Entity]
    relations: list[Relation]
    mentions: list[Mention]
    stats: ExtractStats


@dataclass
class CollectionReport:
    """What an extraction run over several documents produced; failed maps doc id -> message."""

    documents: list[DocumentGraph] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def totals(self) -> ExtractStats:
        """Return the statistics summed over the documents."""
        total = ExtractStats()
        for doc in self.documents:
            s = doc.stats
            total.chunks += s.chunks
            total.chunks_resumed += s.chunks_resumed
            total.mentions += s.mentions
            total.facts += s.facts
            total.entities += s.entities
            total.relations += s.relations
            total.usage = total.usage + s.usage
            total.seconds += s.seconds
            for key, value in s.drops.items():
                total.drops[key] = total.drops.get(key, 0) + value
        return total
