"""LLM backends behind one interface: chat messages + a pydantic output type -> a validated object.

Build one with ``make_llm(BackendConfig(...), ws)``; backends are registered by name
(``registry``), and the backend modules (llama.cpp, openai, vllm) are imported only when chosen.
"""

from factloom.tools.errors import (
    BackendConfigError,
    LLMError,
    LLMOutputError,
    LLMRequestError,
    LLMUnavailableError,
)
from factloom.tools.llm.base import LLM, CallTag, Completion, Message, Sampling, Usage
from factloom.tools.llm.cache import CachedLLM, UsageReport, usage_report
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.factory import make_llm
from factloom.tools.llm.limit import LimitedLLM
from factloom.tools.llm.structured import Bounds, output_schema, parse_reply

__all__ = [
    "LLM",
    "BackendConfig",
    "BackendConfigError",
    "Bounds",
    "CachedLLM",
    "CallTag",
    "Completion",
    "LLMError",
    "LLMOutputError",
    "LLMRequestError",
    "LLMUnavailableError",
    "LimitedLLM",
    "Message",
    "Sampling",
    "Usage",
    "UsageReport",
    "make_llm",
    "output_schema",
    "parse_reply",
    "usage_report",
]
