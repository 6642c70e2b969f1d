"""A progress bar over the documents of an evaluation (tqdm on stderr), for the CLI and the benchmarks."""

from __future__ import annotations

import sys
from typing import Any


class ProgressBar:
    """A progress bar usable as ``eval.run.Progress``; created on the first report, closed on exit.

    Args:
        label: what the bar is labelled with.
        always: draw it even when stderr is not a terminal (a benchmark's log), at most every
            ``interval`` seconds.
        interval: least seconds between two redraws.
    """

    def __init__(self, label: str, *, always: bool = False, interval: float = 0.1) -> None:
        self.label = label
        self.always = always
        self.interval = interval
        self._bar: Any = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def __call__(self, done: int, total: int) -> None:
        """Show ``done`` of ``total`` documents."""
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                desc=self.label,
                unit="doc",
                file=sys.stderr,
                disable=False if self.always else None,
                mininterval=self.interval,
                leave=False,
            )
        self._bar.update(done - self._bar.n)
