"""The errors a user can cause and fix, of the tools layer, on the tree of ``ingest/errors.py``.

The LLM backends (``LLMError`` and below: unavailable, refused, unusable output, budget spent), backend
options, schema files, ids of merges and demonstrations, the review log, exports and the langextract peer.
Each message says what to do; docs/errors.md lists every error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from factloom.ingest.errors import FactloomError, InputError, NotFoundError

if TYPE_CHECKING:
    from factloom.tools.llm.base import Usage

# --- the LLM backends ----------------------------------------------------------------------------


class BackendConfigError(FactloomError):
    """The backend options do not fit together."""


class LLMError(FactloomError):
    """Base of the errors a backend raises."""


class LLMUnavailableError(LLMError):
    """The backend cannot be reached or failed transiently (after its retries)."""


class LLMRequestError(LLMError):
    """The request was refused (wrong model name, context too long): retrying will not help."""


class ModelFileError(LLMRequestError):
    """The model file is missing or is not a GGUF file."""


class LLMOutputError(LLMError):
    """The model's output did not validate, even after one repair attempt.

    Attributes:
        raw: the last answer the model gave.
        usage: the tokens spent on the failed attempts (they count for the run's totals).
    """

    def __init__(self, message: str, raw: str = "", usage: Usage | None = None) -> None:
        from factloom.tools.llm.base import Usage  # at call time: the backends import this module

        super().__init__(message)
        self.raw = raw
        self.usage = usage if usage is not None else Usage()


class BudgetExceededError(LLMError):
    """The run's token budget is spent; finished work is kept and the same command resumes it.

    Not an ``LLMUnavailableError``: retrying cannot help, so no retry policy catches it.
    """


# --- what the user gave or named -----------------------------------------------------------------


class SchemaError(InputError):
    """A schema file cannot be used; the message names the file, line and field."""


class MergeNotFoundError(NotFoundError):
    """No logged merge has the id the user gave."""


class DemoNotFoundError(NotFoundError):
    """A demonstration id given to ``demos rm`` names no stored demonstration (or several)."""


class ReviewError(FactloomError):
    """A review action cannot be recorded (unknown action)."""


# --- exports and peers ---------------------------------------------------------------------------


class ExportError(FactloomError):
    """The graph cannot be exported where the user asked."""


class ExportFormatError(ExportError):
    """The export format cannot be written where the user asked."""


class SinkError(ExportError):
    """A graph database cannot be reached or refused the load."""


class PeerError(FactloomError):
    """The langextract peer cannot run (package missing, server not starting)."""
