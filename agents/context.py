"""What every agent node receives through LangGraph's runtime context: the LLM, the schema, its settings.

The graph layer builds one ``AgentContext`` (or a subclass) per run and passes it as
``graph.ainvoke(..., context=ctx)``; nodes read it as ``runtime.context``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from factloom.tools.extraction.demos import Demonstration
from factloom.tools.extraction.schema import Schema
from factloom.tools.llm.base import LLM

RelationMode = Literal["joint", "pairs"]
ReadingUnit = Literal["chunk", "sentences"]
VerifierStyle = Literal["verdicts", "choice"]


class DemoSource(Protocol):
    """Anything that returns annotated examples similar to a text (``tools.extraction.demos.DemoStore``)."""

    def retrieve(self, text: str, k: int, token_budget: int) -> list[Demonstration]:
        """Return up to ``k`` demonstrations similar to ``text`` within ``token_budget`` tokens."""
        ...


@dataclass(frozen=True)
class AgentSettings:
    """Knobs of the agents; part of the prompt version, so changing one re-runs finished chunks.

    Attributes:
        profile: the model profile these settings were derived from (tiny / small / large); see
            ``agents.profiles``.
        unit: what the entity finder reads in one call: the whole ``chunk``, or ``sentences`` (windows of
            whole sentences of at most ``window_chars`` characters, the size of a demonstration).
        window_chars: the most characters of one sentence window.
        max_mentions: the most mentions one entity-finder answer may list.
        max_relations: the most relations one ``joint`` reasoner answer may list.
        cot: the relation reasoner writes a short reasoning before its relations.
        verify: the verifier asks the LLM to judge support (deterministic checks always run).
        verifier_style: ``verdicts`` (up to 8 facts a call, each answered supported / wrong type /
            unsupported) or ``choice`` (one call per fact: which of the fact, its reverse, the other legal
            types and "none" the evidence states; the fact is supported only when picked).
        check_types: before its relation is judged, each argument's entity type is checked by a multiple
            choice among the schema's types and "none" (``agents.type_check``); a fact with a wrongly typed
            argument is rejected.
        relation_mode: ``joint`` (one call per chunk lists all relations) or ``pairs`` (one multiple-choice
            call per candidate mention pair, the QA4RE formulation that suits small models).
        k_demos: demonstrations per prompt (0 = zero-shot).
        demo_token_budget: most tokens the demonstrations of one prompt may take.
        context_token_budget: most tokens of retrieved context (other chunks) given to the reasoner.
        fuzzy_threshold: minimum rapidfuzz score for a fuzzily grounded quote.
        evidence_reach: a grounded relation quote that does not name an argument is widened to the whole
            sentences that take in its nearest mention, when at most this many characters away (0 = never;
            ``agents.verifier.check_evidence``).
        consolidate: merge aliases, abbreviations and repeated names into one entity per document.
        cross_chunk_pairs: most cross-chunk entity pairs judged per document (0 = none).
        max_pairs_per_chunk: most mention pairs asked about per chunk in ``pairs`` mode.
    """

    profile: str = "large"
    unit: ReadingUnit = "chunk"
    window_chars: int = 400
    max_mentions: int = 16
    max_relations: int = 6
    cot: bool = True
    verify: bool = True
    verifier_style: VerifierStyle = "verdicts"
    check_types: bool = False
    relation_mode: RelationMode = "joint"
    k_demos: int = 4
    demo_token_budget: int = 600
    context_token_budget: int = 160
    fuzzy_threshold: float = 90.0
    evidence_reach: int = 0
    consolidate: bool = True
    cross_chunk_pairs: int = 4
    max_pairs_per_chunk: int = 12


@dataclass(frozen=True)
class AgentContext:
    """Run-scoped dependencies of the agent nodes."""

    llm: LLM
    schema: Schema
    settings: AgentSettings = field(default_factory=AgentSettings)
    demos: DemoSource | None = None
