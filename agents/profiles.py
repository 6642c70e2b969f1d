"""The agents' settings per model profile (tiny / small / large, see ``tools.llm.profile``).

A 135M model cannot read a 512-token chunk and list its entities and relations in one JSON answer as a
1.5B model can, so the profile picks the knobs that depend on what the model can do; explicit options
(``--cot``, ``--relation-mode`` ...) override them. The figures behind each choice come from
``bench/quality.py`` (bench/results/quality-<model>.md, dev splits, 95% bootstrap CIs); each profile below
names the measurement it rests on, and the knobs not yet backed by one keep the ``large`` defaults.
"""

from __future__ import annotations

from factloom.agents.context import AgentSettings
from factloom.tools.llm.profile import Profile

PROFILE_SETTINGS: dict[Profile, AgentSettings] = {
    # Sentence windows, one joint relation answer, no verifier. joint vs pairs, SmolLM2, CoNLL04
    # dev[:100]: relation F1 9.0 vs 0.0, +9.0 [3.6, 15.4] (quality-smollm2.md).
    "tiny": AgentSettings(
        profile="tiny",
        unit="sentences",
        max_mentions=8,
        relation_mode="joint",
        cot=False,
        verify=False,
        cross_chunk_pairs=0,
    ),
    # Sentence windows, a pair question each, the verifier filtering what the pairs propose.
    # Qwen2.5-0.5B, CoNLL04 dev[:30]: relation F1 36.8 vs 16.7 single prompt, +20.2 [4.7, 36.4].
    # Its verifier keeps ``verdicts``: on 120 gold-labelled CoNLL04 dev[:40] statements, Qwen2.5-0.5B's
    # verdicts kept 18 (precision 0.89, recall 0.27) and its choices 66 at chance precision (0.53)
    # (verifier-qwen-0.5b-conll04.md).
    "small": AgentSettings(profile="small", unit="sentences", relation_mode="pairs", cot=False),
    # Whole chunks, joint relations with reasoning, the verifier. Qwen2.5-1.5B, CoNLL04 dev[:50]: 36.8 vs
    # 38.2 single prompt, -1.3 [-13.4, 11.0] with the verdicts verifier; with choice (below), dev[:30]: 51.7
    # vs 29.5, +22.2 [3.6, 41.7] (quality-qwen-1.5b.md). Pair questions instead of the joint
    # answer: 41.5, +4.7 [-4.6, 15.0] (recall up, precision down; not significant, ADE not run): joint stays.
    # The verifier picks among rival statements (``choice``): on 120 gold-labelled CoNLL04 dev[:40] statements
    # its precision was 0.69 against 0.54 for ``verdicts``, +0.14 [0.03, 0.26] paired, recall 0.80 vs 0.88
    # (verifier-qwen-1.5b-conll04.md).
    # No argument type check by default (``check_types``). On 120 CoNLL04 dev[:40] statements plus 60 copies
    # of the true ones with one argument mistyped it rejected 59 of the 60 (choice: 16), F1 +0.15 [0.08, 0.21]
    # (verifier-qwen-1.5b-conll04-types.md); but in the pipeline on CoNLL04 dev[:30] it lowered relation
    # F1 from 51.7 to 43.6, -8.1 [-18.6, 0.0] (precision 0.75 -> 0.71, recall 0.39 -> 0.32;
    # quality-qwen-1.5b.md): the entity finder's types there are mostly right, and the check costs true facts.
    # No cross-chunk pairs by default: of the cross-chunk relations Qwen2.5-1.5B verified on the shared PDFs,
    # none was correct in three hand-checked samples (9, 16 and 5 relations, verified_sample_qwen-1.5b*.md);
    # ``--cross-chunk-pairs N`` asks again.
    # Quotes are not widened to take in a lacking argument (``evidence_reach`` 0): on BioRED and Re-DocRED
    # dev[:10], widening by 400 characters changed relation F1 by +0.0 and +0.5 [-0.0, 2.1].
    "large": AgentSettings(profile="large", verifier_style="choice", cross_chunk_pairs=0),
}


def profile_settings(profile: Profile) -> AgentSettings:
    """Return the agents' default settings for a model of ``profile``."""
    return PROFILE_SETTINGS[profile]
