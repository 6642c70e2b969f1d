"""The rule that merges several statements of one relation into one (document and collection merges).

A merged relation is ``verified`` when any of its parts is: the verifier found at least one of its
quotes supporting it. Its confidence, verifier rationale and proposing agent come from the best
verified part (the highest confidence), or from the best part of all when none was verified. It keeps
every evidence quote once and every distinct reasoning, best part first. The merge is pure and does
not depend on the order of its parts.
"""

from __future__ import annotations

from collections.abc import Sequence

from factloom.tools.extraction.kg import Evidence, Relation


def _evidence_key(ev: Evidence) -> tuple[str, int, int, str]:
    return (ev.doc_id, ev.start, ev.end, ev.quote)


def rank_key(r: Relation) -> tuple[object, ...]:
    """Return the sort key that puts the best statement of a relation first (total: no ties left to order)."""
    spans = tuple(sorted((*_evidence_key(ev), ev.method, -ev.score, ev.agent) for ev in r.evidence))
    return (
        r.status != "verified",
        -r.confidence,
        spans,
        r.relation_id,
        r.agent,
        r.rationale,
        r.reasoning,
    )


def merge_statements(
    relation_id: str, head: str, type_: str, tail: str, parts: Sequence[Relation]
) -> Relation:
    """Merge ``parts`` (statements of ``head --type_--> tail``) into one relation; see the module rule."""
    if not parts:
        raise ValueError("merge_statements needs at least one relation")
    ranked = sorted(parts, key=rank_key)
    best = ranked[0]
    evidence: dict[tuple[str, int, int, str], Evidence] = {}
    for part in ranked:  # a quote stated by several parts keeps the best part's grounding
        for ev in sorted(part.evidence, key=lambda ev: (_evidence_key(ev), ev.method, -ev.score, ev.agent)):
            evidence.setdefault(_evidence_key(ev), ev)
    reasons = dict.fromkeys(p.reasoning for p in ranked if p.reasoning)
    return Relation(
        relation_id=relation_id,
        head=head,
        type=type_,
        tail=tail,
        confidence=best.confidence,
        reasoning="\n".join(reasons),
        evidence=[evidence[k] for k in sorted(evidence)],
        status=best.status,
        agent=best.agent,
        rationale=best.rationale,
    )
