"""The ``--ray``, ``--ray-address`` and ``--workers`` options of ``factloom extract``.

Usage::

    @ray_options
    def extract(..., use_ray: bool, ray_address: str | None, workers: int | None) -> None:
        ray_opts = ray_options_from(use_ray, ray_address, workers)  # None: run in this process
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from factloom.graphs.distributed import RayOptions

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_WORKERS = 2


def ray_options(func: F) -> F:
    """Add the Ray options to a command."""
    func = click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=None,
        help=f"Ray workers, each extracting one document at a time [default: {DEFAULT_WORKERS}].",
    )(func)
    func = click.option(
        "--ray-address",
        default=None,
        metavar="ADDR",
        help="The Ray cluster to join (auto, HOST:6379 or ray://HOST:10001); default: a local one.",
    )(func)
    return click.option(
        "--ray",
        "use_ray",
        is_flag=True,
        help="Extract the documents on a Ray cluster (this process stays the workspace's only writer).",
    )(func)


def ray_options_from(use_ray: bool, ray_address: str | None, workers: int | None) -> RayOptions | None:
    """Return the Ray options the flags ask for, or None for a single-process run.

    Raises:
        click.UsageError: ``--ray-address`` or ``--workers`` without ``--ray``.
    """
    from factloom.graphs.distributed import RayOptions

    if not use_ray:
        if ray_address is not None or workers is not None:
            raise click.UsageError("--ray-address and --workers need --ray")
        return None
    return RayOptions(address=ray_address, workers=workers or DEFAULT_WORKERS)
