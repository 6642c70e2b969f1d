"""The agents' settings per model profile (tiny / small / large, see ``tools.llm.profile``).

A 135M model cannot read a 512-token chunk and list its entities and relations in one JSON answer; a
1.5B model can, and loses recall when the same work is cut into many small questions. The profile picks
the knobs that depend on what the model can do; explicit options (``--cot``, ``--relation-mode`` ...)
override them. The figures behind each choice are in ``bench/results/profiles.md`` (written by
``bench/profiles.py``): a knob is set away from the ``large`` default only where that ablation, on dev
data, says so for that size.
"""

from __future__ import annotations

from factloom.agents.context import AgentSettings
from factloom.tools.llm.profile import Profile

PROFILE_SETTINGS: dict[Profile, AgentSettings] = {
    # Short questions on sentence windows, one multiple-choice relation question per pair.
    "tiny": AgentSettings(
        profile="tiny",
        unit="sentences",
        max_mentions=8,
        relation_mode="pairs",
        cot=False,
        verify=False,
        cross_chunk_pairs=0,
    ),
    "small": AgentSettings(profile="small", unit="sentences", relation_mode="pairs", cot=False),
    "large": AgentSettings(profile="large"),
}


def profile_settings(profile: Profile) -> AgentSettings:
    """Return the agents' default settings for a model of ``profile``."""
    return PROFILE_SETTINGS[profile]
