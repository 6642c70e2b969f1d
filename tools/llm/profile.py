"""Model profiles (tiny / small / large) and the JSON layout the grammar admits for each.

What suits a 135M model hurts a 1.5B one and the reverse, so every knob that depends on a model's
capability is set by its profile. A profile is picked from the model's parameter count (the GGUF
header, for the embedded backend) or given with ``--profile`` (servers). The agents' knobs per profile
live in ``agents.profiles``; this module holds what the backends need: the JSON layout of constrained
answers.

The grammar must admit the JSON that the prompts and demonstrations show (``", "`` between items,
``": "`` after keys), or a model that already answers well is walked into another answer: with the
old compact layout (no spaces) Qwen2.5-1.5B's natural next token `` [`` after ``"entities":`` was
forbidden, and it answered ``{"entities":[]}``. ``bench/llm.py --fidelity`` measures, per model, how often
the constrained answer equals the free one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Profile = Literal["tiny", "small", "large"]
PROFILES: tuple[Profile, ...] = ("tiny", "small", "large")

TINY_MAX_PARAMETERS = 300_000_000
"""Below this a model is ``tiny`` (SmolLM2-135M, Gemma-3-270M)."""
SMALL_MAX_PARAMETERS = 1_000_000_000
"""Below this (and from ``TINY_MAX_PARAMETERS``) a model is ``small`` (Qwen2.5-0.5B); above, ``large``."""


def profile_for_parameters(parameters: int) -> Profile:
    """Return the profile of a model with ``parameters`` weights."""
    if parameters < TINY_MAX_PARAMETERS:
        return "tiny"
    return "small" if parameters < SMALL_MAX_PARAMETERS else "large"


@dataclass(frozen=True)
class JsonFormat:
    """The layout of JSON a constrained answer may use.

    Attributes:
        name: what the layout is called in reports and cache keys.
        item_separator: between array items and object members.
        key_separator: between a key and its value.
        whitespace_flexible: also allow whitespace around every JSON token (then the separators only
            fix the characters that must be there).
        whitespace_pattern: the regular expression of that whitespace (bounded, so that a looping model
            cannot emit newlines forever); None for llguidance's default.
    """

    name: str = "spaced"
    item_separator: str = ", "
    key_separator: str = ": "
    whitespace_flexible: bool = False
    whitespace_pattern: str | None = None

    def grammar_options(self) -> dict[str, object]:
        """Return the options of llguidance's JSON-schema compiler (``x-guidance``)."""
        options: dict[str, object] = {"whitespace_flexible": self.whitespace_flexible}
        if self.whitespace_flexible:
            if self.whitespace_pattern is not None:
                options["whitespace_pattern"] = self.whitespace_pattern
        else:
            options["item_separator"] = self.item_separator
            options["key_separator"] = self.key_separator
        return options


SPACED = JsonFormat()
"""Exactly the layout the prompts and demonstrations show: ``{"a": [1, 2]}``."""
COMPACT = JsonFormat("compact", item_separator=",", key_separator=":")
"""No whitespace at all: ``{"a":[1,2]}`` (the layout before profiles; kept for measurements)."""
FLEXIBLE = JsonFormat("flexible", whitespace_flexible=True, whitespace_pattern=r"[ \n]{0,8}")
"""Any layout, with at most 8 spaces or newlines between two tokens."""

JSON_FORMATS: dict[str, JsonFormat] = {f.name: f for f in (SPACED, COMPACT, FLEXIBLE)}

PROFILE_JSON_FORMAT: dict[Profile, JsonFormat] = {"tiny": SPACED, "small": SPACED, "large": SPACED}
"""The layout per profile (bench/results/llm_fidelity.md: the share of dev prompts on which the
constrained answer names the same entities as the free one, per model and layout)."""
