"""A token budget for a run: once it is spent, no new model call starts and the run stops cleanly.

``BudgetedLLM`` wraps any ``LLM``. Before each call it checks the budget; after each call it charges
the call's prompt and completion tokens (answers from the workspace call cache cost nothing). Calls
already in flight when the budget runs out still finish, so a run may overshoot by at most the
tokens of the calls in flight. Everything finished is in the job table, so running the same command
again (with a larger budget, or none) continues where the run stopped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

from factloom.tools.errors import BudgetExceededError, LLMOutputError
from factloom.tools.llm.base import LLM, CallTag, Completion, Message, Sampling, Usage

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)


@dataclass
class TokenBudget:
    """How many tokens a run may spend, and how many it has spent."""

    limit: int
    spent: int = 0
    calls: int = 0

    def charge(self, usage: Usage) -> None:
        """Add the prompt and completion tokens of ``usage``."""
        self.spent += usage.prompt_tokens + usage.completion_tokens
        self.calls += usage.calls

    @property
    def exhausted(self) -> bool:
        """Return whether no new call may start."""
        return self.spent >= self.limit


class BudgetedLLM:
    """An ``LLM`` that refuses to start a call once ``budget`` is spent.

    Args:
        inner: the model to call; its ``name`` is kept, so results stay valid for runs without a budget.
        budget: the shared budget (one per run).
    """

    def __init__(self, inner: LLM, budget: TokenBudget) -> None:
        self.inner = inner
        self.budget = budget
        self.name = getattr(inner, "name", type(inner).__name__)

    async def complete(
        self,
        messages: list[Message],
        output: type[T],
        *,
        sampling: Sampling | None = None,
        tag: CallTag | None = None,
    ) -> Completion[T]:
        """Return the inner model's completion, unless the budget is already spent.

        Raises:
            BudgetExceededError: the budget was spent before this call started.
        """
        if self.budget.exhausted:
            raise BudgetExceededError(
                f"token budget reached ({self.budget.spent:,} of {self.budget.limit:,} tokens in "
                f"{self.budget.calls} calls); finished chunks are kept: run the same command again "
                "to continue (with a larger --budget-tokens, or none)"
            )
        kwargs: dict[str, object] = {}
        if sampling is not None:
            kwargs["sampling"] = sampling
        if tag is not None:
            kwargs["tag"] = tag
        try:
            completion = await self.inner.complete(messages, output, **kwargs)  # type: ignore[arg-type]
        except LLMOutputError as e:
            self.budget.charge(e.usage)
            raise
        self.budget.charge(completion.usage)
        log.debug("budget: %d of %d tokens spent", self.budget.spent, self.budget.limit)
        return completion
